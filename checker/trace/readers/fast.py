"""Constructors for the hot path of the readers.

The frozen dataclasses' generated `__init__` sets each field through
`object.__setattr__(self, "name", value)`, a lookup by name per field; these set the slots
through their descriptors instead. The objects are the same (equal, hashable, frozen): the
events have no `__post_init__` and no validation to skip. About twice as fast, which matters
at a few hundred thousand events a second.
"""
from __future__ import annotations

from dataclasses import fields

import msgspec

from .events import Location, Message, ToolCall

_new = object.__new__


def _setters(cls, *names: str) -> tuple:
    assert {f.name for f in fields(cls)} == set(names), f"fields of {cls.__name__} changed"
    return tuple(getattr(cls, name).__set__ for name in names)


_L_FILE, _L_LINE, _L_POINTER = _setters(Location, "file", "line", "pointer")
(_T_TOOL, _T_ARGUMENTS, _T_AGENT, _T_CALL_ID, _T_RESULT, _T_IS_ERROR, _T_LOCATION,
 _T_RESULT_LOCATION) = _setters(ToolCall, "tool", "arguments", "agent", "call_id", "result",
                                "is_error", "location", "result_location")
_M_ROLE, _M_CONTENT, _M_AGENT, _M_RECEIVER, _M_LOCATION = _setters(
    Message, "role", "content", "agent", "receiver", "location")


def location(file: str, line: int, pointer: str) -> Location:
    obj = _new(Location)
    _L_FILE(obj, file)
    _L_LINE(obj, line)
    _L_POINTER(obj, pointer)
    return obj


def tool_call(tool, arguments, agent, call_id, result, is_error, loc, result_loc) -> ToolCall:
    obj = _new(ToolCall)
    _T_TOOL(obj, tool)
    _T_ARGUMENTS(obj, arguments)
    _T_AGENT(obj, agent)
    _T_CALL_ID(obj, call_id)
    _T_RESULT(obj, result)
    _T_IS_ERROR(obj, is_error)
    _T_LOCATION(obj, loc)
    _T_RESULT_LOCATION(obj, result_loc)
    return obj


def message(role, content, agent, receiver, loc) -> Message:
    obj = _new(Message)
    _M_ROLE(obj, role)
    _M_CONTENT(obj, content)
    _M_AGENT(obj, agent)
    _M_RECEIVER(obj, receiver)
    _M_LOCATION(obj, loc)
    return obj


# JSON text to the values `json.loads` makes of it, about three times as fast (msgspec's
# decoder): the same ints of any size, correctly rounded floats, the last of repeated keys.
# What it reads otherwise it refuses (NaN, 1e999, lone surrogates, a BOM, bytes that are not
# UTF-8, nesting past its depth), and the callers hand those lines to `json`, which reads
# them or says why not: tests/test_json_decoding.py holds the two to that.
decode_json = msgspec.json.Decoder().decode
