"""Edits of the source text, keeping every other byte (comments, layout): a transition's
clauses (guard, `endorse`/`declassify`, `by`, updates), its action list (an action taken
out, narrowed to some outcomes, or given a transition of its own), a new variable, and a
tool's `by`. Declarations are found by their spans in the parsed file."""
from __future__ import annotations

from dataclasses import dataclass

from wfcheck.spec import ast
from wfcheck.spec.span import Span


@dataclass(frozen=True)
class Edit:
    """Replace text[start:end] by `text`."""
    start: int
    end: int
    text: str

    def apply(self, source: str) -> str:
        return source[:self.start] + self.text + source[self.end:]

    def size(self, source: str) -> int:
        return max(len(self.text), self.end - self.start)


def apply_all(source: str, edits) -> str:
    """`source` with every edit made (edits do not overlap; inserts at one place keep their order)."""
    for _, edit in sorted(enumerate(edits), key=lambda ie: (ie[1].start, ie[1].end, ie[0]), reverse=True):
        source = edit.apply(source)
    return source


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

    def line_end(self, offset: int) -> int:
        """The offset after the newline that ends the line holding `offset` (or the text's end)."""
        end = self.text.find("\n", offset)
        return len(self.text) if end < 0 else end + 1


def same_span(a: Span, b: Span) -> bool:
    return (a.line, a.column, a.end_line, a.end_column) == (b.line, b.column, b.end_line, b.end_column)


# ------------------------------------------------------------------ clauses of a transition

@dataclass(frozen=True)
class Clause:
    """A clause added to a transition: `when` (conjoined with its guard), `endorse`,
    `declassify`, `by` (replacing its agents) or `update` (one more assignment)."""
    keyword: str
    text: str

    def describe(self) -> str:
        if self.keyword == "update":
            return f"set `{self.text}`"
        if self.keyword == "by":
            return f"restrict it to `by {self.text}`"
        return f"add `{self.keyword} {self.text}`"


ORDER = ("by", "declassify", "endorse", "when", "update")  # as the grammar has a transition's clauses


def _clause_end(t: ast.Transition, offsets: Offsets, upto: str) -> int:
    """The offset after the last clause written before clause `upto`."""
    spans = [a.span for a in t.actions]
    if ORDER.index(upto) > 0:
        spans += [a.span for a in t.agents]
    if ORDER.index(upto) > 1 and t.declassify is not None:
        spans.append(t.declassify.span)
    if ORDER.index(upto) > 2 and t.endorse is not None:
        spans.append(t.endorse.span)
    return max(offsets.span(s)[1] for s in spans)


def clause_edit(t: ast.Transition, offsets: Offsets, clause: Clause) -> Edit | None:
    """The edit of `t` that adds `clause` (None when it cannot: `t` endorses already, ...)."""
    text = offsets.text
    if clause.keyword == "when":
        if t.guard is not None:
            start, end = offsets.span(t.guard.span)
            old = text[start:end]
            return Edit(start, end, f"({old}) and {clause.text}" if " or " in old else f"{old} and {clause.text}")
        at = _clause_end(t, offsets, "when")
        return Edit(at, at, f" when {clause.text}")
    if clause.keyword in ("endorse", "declassify"):
        if getattr(t, clause.keyword) is not None:
            return None
        at = _clause_end(t, offsets, clause.keyword)
        return Edit(at, at, f" {clause.keyword} {clause.text}")
    if clause.keyword == "by":
        if any(isinstance(a, ast.MessageAction) for a in t.actions):
            return None  # a message's sender is written in the action (WF409)
        if t.agents:
            return Edit(offsets.span(t.agents[0].span)[0], offsets.span(t.agents[-1].span)[1], clause.text)
        at = _clause_end(t, offsets, "by")
        return Edit(at, at, f" by {clause.text}")
    if clause.keyword == "update":
        if t.updates:
            at = offsets.span(t.updates[-1].span)[1]
            return Edit(at, at, f", {clause.text}")
        at = offsets.span(t.span)[1]
        return Edit(at, at, f" {{ {clause.text} }}")
    raise ValueError(clause.keyword)


# ------------------------------------------------------------------ rewriting a transition

@dataclass(frozen=True)
class Change:
    """What a candidate does to one transition: clauses on the whole of it, actions taken
    out, actions given a transition of their own with clauses of their own."""
    whole: tuple[Clause, ...] = ()
    removed: frozenset = frozenset()                       # action indices
    split: tuple[tuple[int, tuple[Clause, ...]], ...] = ()  # (action index, its clauses)

    def merge(self, other: "Change") -> "Change":
        split = dict(self.split)
        for index, clauses in other.split:
            split[index] = split.get(index, ()) + tuple(c for c in clauses if c not in split.get(index, ()))
        return Change(self.whole + tuple(c for c in other.whole if c not in self.whole),
                      self.removed | other.removed, tuple(sorted(split.items())))


def _text_of(t: ast.Transition, offsets: Offsets, keep: list[int], clauses) -> str | None:
    """The text of `t` with only the actions `keep` and `clauses` added (None: one cannot be)."""
    text = offsets.text
    start, end = offsets.span(t.span)
    spans = [offsets.span(a.span) for a in t.actions]
    first, last = spans[0][0], spans[-1][1]
    joined: dict = {}  # several guards (or updates) for one transition become one clause
    for clause in clauses:
        joined.setdefault(clause.keyword, []).append(clause.text)
    edits = []
    for keyword in sorted(joined, key=ORDER.index):
        texts = joined[keyword]
        if len(texts) > 1 and keyword not in ("when", "update"):
            return None
        edit = clause_edit(t, offsets, Clause(keyword, (" and " if keyword == "when" else ", ").join(texts)))
        if edit is None:
            return None
        edits.append(Edit(edit.start - last, edit.end - last, edit.text))
    tail = apply_all(text[last:end], edits)
    region = text[spans[keep[0]][0]:spans[keep[0]][1]]
    for p, j in zip(keep, keep[1:]):
        gaps = [text[spans[k - 1][1]:spans[k][0]] for k in range(p + 1, j + 1)]
        region += next((g for g in gaps if "\n" in g), gaps[-1]) + text[spans[j][0]:spans[j][1]]
    return text[start:first] + region + tail


def rewrite(t: ast.Transition, offsets: Offsets, change: Change) -> tuple[Edit, ...] | None:
    """The edits that make `change` to `t`: an action split off a transition that lists it
    alone is edited in place; split actions go on new transitions after its line (the first
    in its place when no action stays); a transition left with no action is removed (its
    whole lines when it has them to itself)."""
    n = len(t.actions)
    split = dict(change.split)
    if n == 1 and split:
        change = Change(change.whole + split[0], change.removed, ())
        split = {}
    moved = set(change.removed) | set(split)
    keep = [i for i in range(n) if i not in moved]
    text = offsets.text
    start, end = offsets.span(t.span)
    out = []
    together: dict = {}  # actions split off with the same clauses share a transition
    for index in sorted(split):
        together.setdefault(split[index], []).append(index)
    lines = []
    for clauses, indices in together.items():
        new = _text_of(t, offsets, indices, change.whole + clauses)
        if new is None:
            return None
        lines.append(new)
    if not keep and lines:  # every action moves: the first new transition takes its place
        out.append(_minimal(text, start, end, lines.pop(0)))
    elif not keep:
        line_start = text.rfind("\n", 0, start) + 1
        line_end = offsets.line_end(end)
        if text[line_start:start].strip() == "" and text[end:line_end].strip() == "":
            out.append(Edit(line_start, line_end, ""))
        else:
            out.append(Edit(start, end, ""))
    elif change.whole or moved:
        new = _text_of(t, offsets, keep, change.whole)
        if new is None:
            return None
        out.append(_minimal(text, start, end, new))
    if lines:
        where = offsets.line_end(end)
        body = "".join(line + "\n" for line in lines)
        out.append(Edit(where, where, body if text[where - 1:where] == "\n" else "\n" + body.rstrip("\n")))
    return tuple(out)


def _minimal(text: str, start: int, end: int, new: str) -> Edit:
    """Replace text[start:end] by `new` as an edit of only the characters that differ."""
    old = text[start:end]
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    return Edit(start + head, end - tail, new[head:len(new) - tail])


def narrow_outcomes(t: ast.Transition, offsets: Offsets, index: int, outcomes: list[str]) -> Edit:
    """Write action `index` (a tool without `.outcome`) as the listed outcomes of it only."""
    action = t.actions[index]
    start, end = offsets.span(action.span)
    return Edit(start, end, ", ".join(f"{action.name.name}.{o}" for o in outcomes))


# ------------------------------------------------------------------ declarations

def declare_variable(workflow: ast.Workflow, offsets: Offsets, line: str) -> Edit:
    """A new `var` line after the last variable (or agent, or the header)."""
    anchor = None
    for decl in workflow.decls:
        if isinstance(decl, (ast.VarDecl, ast.AgentDecl, ast.Header, ast.LabelsDecl, ast.Import)):
            if anchor is None or isinstance(decl, ast.VarDecl) or not isinstance(anchor, ast.VarDecl):
                anchor = decl
    at = offsets.line_end(offsets.span(anchor.span)[1]) if anchor is not None else 0
    prefix = "" if at == 0 or offsets.text[at - 1:at] == "\n" else "\n"
    return Edit(at, at, f"{prefix}{line}\n")


def outcome_update(outcome: ast.Outcome, offsets: Offsets, assignment: str) -> Edit:
    """One more assignment in a tool outcome's updates."""
    if outcome.updates:
        at = offsets.span(outcome.updates[-1].span)[1]
        return Edit(at, at, f", {assignment}")
    at = offsets.span(outcome.name.span)[1]
    return Edit(at, at, f" {{ {assignment} }}")


def tool_agents(tool: ast.ToolDecl, offsets: Offsets, agents: list[str]) -> Edit:
    """Replace the tool's `by` list by `agents` (add one after the parameters if it has none)."""
    if tool.agents:
        return Edit(offsets.span(tool.agents[0].span)[0], offsets.span(tool.agents[-1].span)[1], ", ".join(agents))
    after = offsets.span(tool.params[-1].span)[1] if tool.params else offsets.span(tool.name.span)[1]
    at = offsets.text.index(")", after) + 1
    return Edit(at, at, f" by {', '.join(agents)}")
