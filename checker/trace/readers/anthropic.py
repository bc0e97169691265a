"""Anthropic messages: `tool_use` blocks in assistant turns, `tool_result` blocks in user
turns, and a `system` prompt beside the messages (a string or text blocks)."""
from __future__ import annotations

from .common import block_text, mistyped, optional_str, result_text
from .events import Message, ReadProblem, Trace
from .locate import Locator
from .pairing import Pairer

FORMAT = "anthropic"
# block types only Anthropic messages have: their presence selects this reader
SIGNATURE_BLOCKS = frozenset({"tool_use", "tool_result", "server_tool_use", "mcp_tool_use",
                              "mcp_tool_result", "thinking", "redacted_thinking"})


def is_signature_block(kind) -> bool:
    return type(kind) is str and (kind in SIGNATURE_BLOCKS or kind.endswith("_tool_result"))


def is_call_block(kind) -> bool:
    return kind == "tool_use" or kind == "server_tool_use" or kind == "mcp_tool_use"


def is_result_block(kind) -> bool:
    return type(kind) is str and kind.endswith("tool_result")


def read_trace(doc, name: str, file: str, locate: Locator) -> Trace | ReadProblem:
    if type(doc) is list:
        messages, base, metadata, system = doc, "", {}, None
    elif type(doc) is dict and type(doc.get("messages")) is list:
        messages, base, system = doc["messages"], "/messages", doc.get("system")
        metadata = {k: v for k, v in doc.items() if k not in ("messages", "system")}
    else:
        return ReadProblem("WF803", "not an Anthropic messages trace: expected a list of messages, "
                           "or an object with a `messages` list", locate(""))
    events: list = []
    problems: list = []
    pairer = Pairer(events, problems)
    if system is not None:
        text = block_text(system)
        if text is None:
            problems.append(mistyped(locate, "/system", "system", "a string or text blocks", system))
        else:
            events.append(Message("system", text, None, None, locate("/system")))
    for i, message in enumerate(messages):
        pointer = f"{base}/{i}"
        if type(message) is not dict:
            problems.append(mistyped(locate, pointer, "message", "an object", message))
            continue
        role = message.get("role")
        if role not in ("user", "assistant", "system"):
            if type(role) is str:
                problems.append(ReadProblem("WF804", f"unknown role `{role}`",
                                            locate(pointer + "/role")))
            else:
                problems.append(mistyped(locate, pointer + "/role", "role", "a string", role))
            continue
        agent = optional_str(message.get("name"))
        content = message.get("content")
        if type(content) is str:
            events.append(Message(role, content, agent, None, locate(pointer)))
            continue
        if type(content) is not list:
            problems.append(mistyped(locate, pointer + "/content", "content",
                                     "a string or a list of content blocks", content))
            continue
        _blocks(role, agent, content, pointer, locate, events, problems, pairer)
    pairer.finish()
    return Trace(name, file, FORMAT, tuple(events), tuple(problems), metadata)


def _blocks(role: str, agent, content: list, pointer: str, locate, events: list,
            problems: list, pairer: Pairer) -> None:
    """Blocks in order; consecutive text blocks make one message."""
    texts: list[str] = []
    text_at = ""
    for j, block in enumerate(content):
        block_pointer = f"{pointer}/content/{j}"
        if type(block) is str:
            block = {"type": "text", "text": block}
        elif type(block) is not dict:
            problems.append(mistyped(locate, block_pointer, "content block", "an object", block))
            continue
        kind = block.get("type")
        if kind == "text":
            text = block.get("text")
            if type(text) is not str:
                problems.append(mistyped(locate, block_pointer + "/text", "text", "a string", text))
                continue
            if not texts:
                text_at = block_pointer
            texts.append(text)
            continue
        if texts:
            events.append(Message(role, "\n".join(texts), agent, None, locate(text_at)))
            texts = []
        if is_call_block(kind):
            call_id = optional_str(block.get("id"))
            tool = block.get("name")
            arguments = block.get("input", {})
            if type(tool) is not str or not tool:
                problems.append(mistyped(locate, block_pointer + "/name", "name", "a tool name",
                                         tool or None))
                pairer.call(None, {}, agent, call_id, locate(block_pointer))
            elif type(arguments) is not dict:
                problems.append(mistyped(locate, block_pointer + "/input", "input", "an object",
                                         arguments))
                pairer.call(None, {}, agent, call_id, locate(block_pointer))
            else:
                pairer.call(tool, arguments, agent, call_id, locate(block_pointer))
        elif is_result_block(kind):
            raw = block.get("content")
            text = block_text(raw)
            if text is None or (not text and type(raw) is list and raw):
                text = result_text(raw)            # structured results (server tools)
            is_error = block.get("is_error") is True
            pairer.result(text, is_error, optional_str(block.get("tool_use_id")),
                          locate(block_pointer))
        # other blocks (images, documents, thinking) carry no text the checker reads
    if texts:
        events.append(Message(role, "\n".join(texts), agent, None, locate(text_at)))
