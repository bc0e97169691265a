"""Line numbers for the objects of a JSON document: a small scanner over the text that
records where each object or array starts, by JSON pointer, down to a fixed depth."""
from __future__ import annotations

import json
import re

from .events import Location

# a JSON string (escapes included) or one structural character; the text has already been
# parsed by `json.loads`, so it is valid JSON
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\],:]')


def pointer_token(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def container_lines(text: str, max_depth: int = 6) -> dict[str, int]:
    """The 1-based line where each object or array down to `max_depth` starts, and where
    each member of those objects is (its key's line), keyed by JSON pointer (`""` for the
    document, `/messages/3` for the fourth message, `/messages/3/role` for its role)."""
    lines: dict[str, int] = {}
    # each level: [is_object, current key or index, pointer (None when below max_depth)]
    stack: list[list] = []
    line, last = 1, 0
    key_match = None
    count = text.count
    for match in _TOKEN.finditer(text):
        start = match.start()
        char = text[start]
        if char == '"':
            key_match = match
        elif char == ":":
            raw = key_match.group()
            top = stack[-1]
            key = top[1] = json.loads(raw) if "\\" in raw else raw[1:-1]
            if top[2] is not None and len(stack) <= max_depth:
                key_start = key_match.start()
                line += count("\n", last, key_start)
                last = key_start
                lines[f"{top[2]}/{pointer_token(key)}"] = line
        elif char == ",":
            top = stack[-1]
            if not top[0]:
                top[1] += 1
        elif char == "{" or char == "[":
            if not stack:
                pointer = ""
            else:
                parent = stack[-1]
                parent_pointer = parent[2]
                if parent_pointer is None or len(stack) >= max_depth + 1:
                    pointer = None
                else:
                    key = parent[1]
                    pointer = f"{parent_pointer}/{key if type(key) is int else pointer_token(key)}"
            if pointer is not None:
                line += count("\n", last, start)
                last = start
                lines[pointer] = line
            stack.append([char == "{", None if char == "{" else 0, pointer])
        else:
            stack.pop()
    return lines


class Locator:
    """Makes `Location`s for pointers into one trace object. `prefix` is the trace's own
    pointer in its document (`/3` for the fourth trace of a list); `line` is the line used
    when no better one is known."""

    __slots__ = ("file", "line", "lines", "prefix")

    def __init__(self, file: str, line: int = 1, lines: dict[str, int] | None = None,
                 prefix: str = "") -> None:
        self.file = file
        self.lines = lines
        self.prefix = prefix
        self.line = line if lines is None else lines.get(prefix, line)

    def __call__(self, pointer: str) -> Location:
        lines = self.lines
        if lines is None:
            return Location(self.file, self.line, pointer)
        path = self.prefix + pointer
        while True:
            found = lines.get(path)
            if found is not None:
                return Location(self.file, found, pointer)
            if not path:
                return Location(self.file, self.line, pointer)
            path = path[:path.rfind("/")]

    def line_of(self, pointer: str) -> int:
        return self(pointer).line

    def child(self, pointer: str) -> "Locator":
        """The locator of the trace object at `pointer` inside this one."""
        return Locator(self.file, self.line, self.lines, self.prefix + pointer)
