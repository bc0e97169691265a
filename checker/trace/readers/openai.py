"""OpenAI chat messages: AgentDojo runs, τ-bench trajectories and chat-completion logs.

A trace is a list of messages, bare or under `messages` (AgentDojo) or `traj` (τ-bench);
the container's other fields become `Trace.metadata`.
"""
from __future__ import annotations

from .common import block_text, mistyped, optional_str, parse_arguments, result_text
from .events import Message, ReadProblem, Trace
from .locate import Locator
from .pairing import Pairer

FORMAT = "openai"
CONTAINER_KEYS = ("messages", "traj")
_TEXT_ROLES = {"system": "system", "developer": "system", "user": "user"}


def messages_of(doc) -> tuple[list, str, dict] | None:
    """(messages, their pointer, metadata) of a trace object, or None if it has none."""
    if type(doc) is list:
        return doc, "", {}
    if type(doc) is dict:
        for key in CONTAINER_KEYS:
            messages = doc.get(key)
            if type(messages) is list:
                return messages, "/" + key, {k: v for k, v in doc.items() if k != key}
    return None


def read_trace(doc, name: str, file: str, locate: Locator) -> Trace | ReadProblem:
    found = messages_of(doc)
    if found is None:
        return ReadProblem("WF803", "not an OpenAI chat trace: expected a list of messages, or an "
                           "object with a `messages` or `traj` list", locate(""))
    messages, base, metadata = found
    events: list = []
    problems: list = []
    pairer = Pairer(events, problems)
    for i, message in enumerate(messages):
        pointer = f"{base}/{i}"
        if type(message) is not dict:
            problems.append(mistyped(locate, pointer, "message", "an object", message))
            continue
        role = message.get("role")
        if role == "assistant":
            _assistant(message, pointer, locate, events, problems, pairer)
        elif role == "tool" or role == "function":
            _tool_result(message, pointer, locate, problems, pairer)
        elif type(role) is str and role in _TEXT_ROLES:
            text = block_text(message.get("content"))
            if text is None:
                problems.append(mistyped(locate, pointer + "/content", "content",
                                         "a string or a list of content blocks",
                                         message.get("content")))
                continue
            events.append(Message(_TEXT_ROLES[role], text, optional_str(message.get("name")),
                                  None, locate(pointer)))
        elif type(role) is str:
            problems.append(ReadProblem("WF804", f"unknown role `{role}`", locate(pointer + "/role")))
        else:
            problems.append(mistyped(locate, pointer + "/role", "role", "a string", role))
    pairer.finish()
    return Trace(name, file, FORMAT, tuple(events), tuple(problems), metadata)


def _assistant(message: dict, pointer: str, locate, events: list, problems: list,
               pairer: Pairer) -> None:
    agent = optional_str(message.get("name"))
    text = block_text(message.get("content"))
    if text is None:
        problems.append(mistyped(locate, pointer + "/content", "content",
                                 "a string or a list of content blocks", message.get("content")))
    elif text:
        events.append(Message("assistant", text, agent, None, locate(pointer)))
    calls = message.get("tool_calls")
    if calls is not None:
        if type(calls) is not list:
            problems.append(mistyped(locate, pointer + "/tool_calls", "tool_calls", "a list", calls))
        else:
            for j, call in enumerate(calls):
                _call(call, f"{pointer}/tool_calls/{j}", agent, locate, problems, pairer)
    legacy = message.get("function_call")
    if legacy is not None:
        # the legacy form: one `function_call` {name, arguments}, answered by a `function` message
        _call({"function": legacy}, pointer + "/function_call", agent, locate, problems, pairer,
              nested=False)


def _call(call, pointer: str, agent, locate, problems: list, pairer: Pairer,
          nested: bool = True) -> None:
    if type(call) is not dict:
        problems.append(mistyped(locate, pointer, "tool call", "an object", call))
        return
    call_id = optional_str(call.get("id"))
    function = call.get("function")
    fn_pointer = pointer + "/function" if nested else pointer
    if type(function) is str:                      # AgentDojo: {"function": name, "args": {...}}
        tool, name_pointer = function, fn_pointer
        key = "args" if "args" in call else "arguments"
        raw, args_pointer = call.get(key), f"{pointer}/{key}"
    elif type(function) is dict:                   # OpenAI: {"function": {"name", "arguments"}}
        tool, name_pointer = function.get("name"), fn_pointer + "/name"
        raw, args_pointer = function.get("arguments"), fn_pointer + "/arguments"
    else:                                          # flattened: {"name", "arguments"}
        tool, name_pointer = call.get("name"), pointer + "/name"
        key = "args" if "args" in call else "arguments"
        raw, args_pointer = call.get(key), f"{pointer}/{key}"
    if type(tool) is not str or not tool:
        problems.append(mistyped(locate, name_pointer, "name", "a tool name", tool or None))
        pairer.call(None, {}, agent, call_id, locate(pointer))
        return
    arguments, why = parse_arguments(raw)
    if arguments is None:
        problems.append(ReadProblem("WF804", f"the arguments of `{tool}` {why}", locate(args_pointer)))
        pairer.call(None, {}, agent, call_id, locate(pointer))
        return
    pairer.call(tool, arguments, agent, call_id, locate(pointer))


def _tool_result(message: dict, pointer: str, locate, problems: list, pairer: Pairer) -> None:
    content = message.get("content")
    text = block_text(content)
    if text is None:
        text = result_text(content)
    error = message.get("error")                   # AgentDojo: the exception text, or null
    if error is not None and error is not False:
        is_error = True
        if type(error) is str and error:
            text = error                           # what AgentDojo showed the model
    else:
        is_error = text.startswith("Error:")       # τ-bench's convention for failed calls
    call_id = optional_str(message.get("tool_call_id"))
    tool = optional_str(message.get("name"))
    echoed = message.get("tool_call")               # AgentDojo repeats the call
    if tool is None and type(echoed) is dict:
        tool = optional_str(echoed.get("function"))
    pairer.result(text, is_error, call_id, locate(pointer), tool)
