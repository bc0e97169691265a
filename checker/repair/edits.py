"""Edits of a transition in the source text, keeping every other byte (comments, layout):
strengthen its guard, take one action out of it (or drop it), or add an `endorse` /
`declassify` clause. A transition is found by its span in the parsed file."""
from __future__ import annotations

from dataclasses import dataclass

from wfcheck.spec import ast
from wfcheck.spec.span import Span


@dataclass(frozen=True)
class Edit:
    """Replace text[start:end] by `text`; `what` says it for people."""
    start: int
    end: int
    text: str
    what: str

    def apply(self, source: str) -> str:
        return source[:self.start] + self.text + source[self.end:]

    def size(self, source: str) -> int:
        return max(len(self.text), self.end - self.start)


class Offsets:
    """Line/column (1-based) to offsets in one source text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        for i, ch in enumerate(text):
            if ch == "\n":
                self.starts.append(i + 1)

    def at(self, line: int, column: int) -> int:
        return self.starts[line - 1] + column - 1

    def span(self, span: Span) -> tuple[int, int]:
        return self.at(span.line, span.column), self.at(span.end_line, span.end_column)


def find_transition(workflow: ast.Workflow, span: Span) -> ast.Transition | None:
    key = (span.line, span.column, span.end_line, span.end_column)
    for decl in workflow.decls:
        if isinstance(decl, ast.Transition) and (decl.span.line, decl.span.column, decl.span.end_line,
                                                 decl.span.end_column) == key:
            return decl
    return None


def _clause_end(t: ast.Transition, offsets: Offsets, upto: str) -> int:
    """The offset after the last clause before `upto` ("endorse" or "when")."""
    spans = [a.span for a in t.actions] + [a.span for a in t.agents]
    if t.declassify is not None:
        spans.append(t.declassify.span)
    if upto == "when" and t.endorse is not None:
        spans.append(t.endorse.span)
    return max(offsets.span(s)[1] for s in spans)


def add_guard(t: ast.Transition, offsets: Offsets, condition: str) -> Edit:
    if t.guard is not None:
        start, end = offsets.span(t.guard.span)
        old = offsets.text[start:end]
        wrapped = f"({old})" if " or " in old else old
        return Edit(start, end, f"{wrapped} and {condition}", f"strengthen the guard with `{condition}`")
    at = _clause_end(t, offsets, "when")
    return Edit(at, at, f" when {condition}", f"add the guard `when {condition}`")


def add_clause(t: ast.Transition, offsets: Offsets, keyword: str, level: str) -> Edit | None:
    """` endorse LEVEL` or ` declassify LEVEL` (None when the transition has one)."""
    if getattr(t, keyword) is not None:
        return None
    at = _clause_end(t, offsets, keyword)
    return Edit(at, at, f" {keyword} {level}", f"add `{keyword} {level}`")


def remove_action(t: ast.Transition, offsets: Offsets, index: int) -> Edit:
    """Take action `index` out of the transition; the only action: drop the transition
    (its whole lines when it has them to itself)."""
    if len(t.actions) == 1:
        start, end = offsets.span(t.span)
        text = offsets.text
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end + 1
        if text[line_start:start].strip() == "" and text[end:line_end].strip() == "":
            start, end = line_start, line_end
        return Edit(start, end, "", "remove the transition")
    start, end = offsets.span(t.actions[index].span)
    text = offsets.text
    if index > 0:
        start = text.rfind(",", 0, start)
    else:
        end = offsets.span(t.actions[1].span)[0]
    return Edit(start, end, "", "take the action out of the transition")


def split_action(t: ast.Transition, offsets: Offsets, index: int, clause: Edit) -> tuple[Edit, Edit] | None:
    """Take action `index` out of a transition that lists several and give it a transition
    of its own, the same but for `clause` (an edit of `t` computed by `add_guard` or
    `add_clause`): the two edits that change one action's step alone."""
    if len(t.actions) < 2:
        return None
    text = offsets.text
    start, end = offsets.span(t.span)
    first, last = offsets.span(t.actions[0].span)[0], offsets.span(t.actions[-1].span)[1]
    if clause.start < last:
        return None
    a_start, a_end = offsets.span(t.actions[index].span)
    head, action, tail = text[start:first], text[a_start:a_end], text[last:end]
    at = len(head) + len(action) + (clause.start - last)
    single = head + action + tail
    single = single[:at] + clause.text + single[at + clause.end - clause.start:]
    line_end = text.find("\n", end)
    where = len(text) if line_end < 0 else line_end + 1
    insert = Edit(where, where, single + "\n" if line_end >= 0 else "\n" + single,
                  f"give `{action}` its own transition and {clause.what}")
    return remove_action(t, offsets, index), insert
