"""Pairing tool results with their calls, shared by the message-list readers.

A result goes to the earliest unanswered call with the same id. A result without an id, or
one whose id no unanswered call has while calls without ids are open, goes to the earliest
unanswered call (by order). With unique ids this is pairing by id; when a harness reuses ids
(τ-bench) or logs none, it is pairing by order.
"""
from __future__ import annotations

from collections import deque

from .events import Location, ReadProblem, ToolCall
from .fast import tool_call


class Pairer:
    """Collects the events of one trace. An open call sits in `events` as a list
    `[tool, arguments, agent, call_id, location]` until its result replaces it with a
    `ToolCall`; `finish` turns the calls still open into `ToolCall`s without result (WF806)."""

    __slots__ = ("events", "problems", "_by_id", "_next", "_next_anon", "_open", "_dropped")

    def __init__(self, events: list, problems: list) -> None:
        self.events = events
        self.problems = problems
        self._by_id: dict = {}      # call id -> index of its open call, or a deque of them
        self._next = 0              # no open call before this index
        self._next_anon = 0         # no open call without id before this index
        self._open = 0
        self._dropped = 0

    def call(self, tool: str | None, arguments: dict, agent: str | None, call_id: str | None,
             location: Location) -> None:
        """An open call; `tool` None marks a call that could not be read (already reported):
        its result is taken and dropped, so that it is not reported again as a result
        without a call."""
        events = self.events
        index = len(events)
        events.append([tool, arguments, agent, call_id, location])
        if call_id:
            by_id = self._by_id
            known = by_id.get(call_id)
            if known is None:
                by_id[call_id] = index
            elif type(known) is int:
                by_id[call_id] = deque((known, index))
            else:
                known.append(index)
        self._open += 1

    def _take(self, call_id: str | None) -> int | None:
        if not self._open:
            return None
        events = self.events
        if call_id:
            known = self._by_id.get(call_id)
            if known is not None:
                if type(known) is int:
                    del self._by_id[call_id]
                    if type(events[known]) is list:
                        return known
                else:
                    while known:
                        index = known.popleft()
                        if type(events[index]) is list:
                            return index
            # no open call has this id: the earliest open call without an id, if any
            index, end = self._next_anon, len(events)
            while index < end:
                event = events[index]
                if type(event) is list and not event[3]:
                    self._next_anon = index + 1
                    return index
                index += 1
            self._next_anon = end
            return None
        index, end = self._next, len(events)
        while index < end:
            if type(events[index]) is list:
                self._next = index + 1
                return index
            index += 1
        self._next = end
        return None

    def result(self, result: str, is_error: bool, call_id: str | None, location: Location,
               tool: str | None = None) -> None:
        """The result of a call; `tool` is the tool the result names, if it names one."""
        index = self._take(call_id)
        if index is None:
            what = "a result" if tool is None else f"a result of `{tool}`"
            ident = f" (call id `{call_id}`)" if call_id else ""
            self.problems.append(ReadProblem("WF805", f"{what}{ident} answers no open tool call",
                                             location))
            return
        pending = self.events[index]
        self._open -= 1
        name = pending[0]
        if name is None:
            self.events[index] = None
            self._dropped += 1
            return
        if tool is not None and tool != name:
            self.problems.append(ReadProblem(
                "WF805", f"the result of `{tool}` is paired with a call of `{name}`", location))
        self.events[index] = tool_call(name, pending[1], pending[2], pending[3], result, is_error,
                                       pending[4], location)

    def finish(self) -> None:
        """Close the calls left open (WF806) and drop unreadable ones, in place."""
        if not self._open and not self._dropped:
            return
        events = self.events
        last_closed = -1
        for index, event in enumerate(events):
            if type(event) is not list and event is not None:
                last_closed = index
        out = []
        for index, event in enumerate(events):
            if type(event) is list:
                if event[0] is None:
                    continue
                tool, location = event[0], event[4]
                if index > last_closed:
                    message = f"trace ends before the result of `{tool}`"
                else:
                    message = f"no result for the call of `{tool}`" + (
                        f" (call id `{event[3]}`)" if event[3] else "")
                self.problems.append(ReadProblem("WF806", message, location))
                event = ToolCall(tool, event[1], event[2], event[3], None, False, location, None)
            elif event is None:
                continue
            out.append(event)
        events[:] = out
        self._open = self._dropped = 0
