"""Small helpers shared by the readers."""
from __future__ import annotations

import json

from .events import ReadProblem


def block_text(content) -> str | None:
    """The text of message content: a string, null (no text), or a list of content blocks
    whose text blocks (`{"type": "text", "text": …}`, or `"content": …` as AgentDojo writes
    them, or bare strings) are joined with newlines; blocks of other types (images, audio,
    thinking) carry no text and are passed over. None: the content is of another type."""
    if type(content) is str:
        return content
    if content is None:
        return ""
    if type(content) is not list:
        return None
    parts = []
    for block in content:
        if type(block) is str:
            parts.append(block)
        elif type(block) is dict and block.get("type", "text") == "text":
            text = block.get("text")
            if type(text) is not str:
                text = block.get("content")
            if type(text) is str:
                parts.append(text)
    return "\n".join(parts)


def parse_arguments(raw) -> tuple[dict | None, str | None]:
    """Tool-call arguments given as an object or as a JSON string (an empty string or null
    reads as no arguments). Returns (arguments, None) or (None, why not)."""
    if type(raw) is dict:
        return raw, None
    if raw is None or raw == "":
        return {}, None
    if type(raw) is str:
        try:
            value = json.loads(raw)
        except ValueError as error:
            return None, f"are not valid JSON ({error.msg} at column {error.colno})"
        except RecursionError:
            return None, f"are not readable JSON ({TOO_DEEP})"
        if type(value) is dict:
            return value, None
        return None, f"are a JSON {json_type(value)}, not an object"
    return None, f"are a {json_type(raw)}, not an object or a JSON string"


def result_text(value) -> str:
    """A tool result as text: strings as they are, other JSON values serialized."""
    return value if type(value) is str else json.dumps(value, ensure_ascii=False)


# Why `json` gave up on a value nested past the interpreter's recursion limit.
TOO_DEEP = "arrays and objects nested deeper than the reader follows (about a thousand levels)"


def parse_line(line: str | bytes) -> tuple[object, str | None]:
    """One line of JSON Lines the slow way: (value, None), or (None, why it is not JSON),
    or (None, "") for a blank line."""
    if type(line) is bytes:
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as error:
            return None, f"the line is not UTF-8 text (byte {error.start + 1})"
    if line.startswith("\ufeff"):
        line = line[1:]
    if not line.strip():
        return None, ""
    try:
        return json.loads(line), None
    except ValueError as error:
        return None, line_error(error, line)
    except RecursionError:
        return None, f"unreadable JSON line: {TOO_DEEP}"


def line_error(error: ValueError, line: str) -> str:
    """The message of WF802 for one line of JSON Lines, with the column in that line (not
    past its end, where `json` puts an error at the end of the text)."""
    column = min(getattr(error, "pos", 0), len(line.rstrip("\r\n"))) + 1
    return f"malformed JSON line: {getattr(error, 'msg', str(error))} at column {column}"


def json_type(value) -> str:
    if value is None:
        return "null"
    if type(value) is bool:
        return "boolean"
    if type(value) in (int, float):
        return "number"
    if type(value) is str:
        return "string"
    if type(value) is list:
        return "array"
    return "object"


def optional_str(value) -> str | None:
    """An optional name or id: strings as they are (empty ones: None), numbers as text,
    anything else None."""
    if type(value) is str:
        return value or None
    if type(value) is int:
        return str(value)
    return None


def mistyped(locate, pointer: str, field: str, expected: str, value) -> ReadProblem:
    if value is None:
        return ReadProblem("WF804", f"missing field `{field}`", locate(pointer))
    return ReadProblem("WF804", f"field `{field}` is a {json_type(value)}, expected {expected}",
                       locate(pointer))
