"""Values precision, written once: the label of what a tool call writes, from its arguments.

This module is the executable form of "Values precision" in the Semantics section of
docs/language.md. It says it as plainly as it can: the content a run has read is a list of
`Read`s, and a value's label is found by looking at every one of them. The trace monitor
does the same with an inverted index (checker/trace/provenance.py), which takes its
definitions from here (the patterns of the value extraction, `number_value`, `occurs`,
`ValueOrigin`) and is tested against `value_label` and `written_label`.

Levels are lattice indices, as everywhere in the semantics; `conf` and `integ` are the
model's two lattices.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Sequence

from . import model as m
from .lattice import Lattice
from .system import CONF, INTEG, Check, Fold, Level, SExpr, Step, System, conf_var, integ_var, source_var

# ---------------------------------------------------------------- the values of arguments

MAX_WHOLE = 500                                        # a longer string is no value as a whole
SHORT = re.compile(r"(?=[a-z]*[0-9])[a-z0-9]{1,4}")   # a short id: a-z and 0-9, with a digit
TOKEN = re.compile(r"[\w.@:/+\-]{5,}")                 # \w: str.isalnum, and `_`
VALUE_MARK = re.compile(r"[\d@./:]")                   # what makes a token a value
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")          # a URL's scheme


def string_values(item: str) -> set[str]:
    """The values a string carries. With `text` the string stripped of white space and
    lower-cased: `text` itself if it has 5 to MAX_WHOLE characters or is a short id; and
    each token of `text` (a maximal run of at least 5 letters, digits and `_.@:/+-`),
    stripped of `.:/-` at both ends, if it still has 5 characters and a digit or one of
    `@./:`, and the same token without its scheme (`https://`) if that still has 5."""
    text = item.strip().lower()
    found = set()
    if 5 <= len(text) <= MAX_WHOLE or SHORT.fullmatch(text):
        found.add(text)
    for token in TOKEN.findall(text):
        token = token.strip(".:/-")
        if len(token) >= 5 and VALUE_MARK.search(token):
            found.add(token)
            bare = SCHEME.sub("", token)
            if bare != token and len(bare) >= 5:
                found.add(bare)
    return found


def number_value(number: int | float) -> str | None:
    """The value a number carries: its text as Python writes it, if that has at least 4
    characters once every `.0` is taken out (`2024`, `12.75`; not `12.0` or `-7`)."""
    text = str(number).lower()
    return text if len(text.replace(".0", "")) >= 4 else None


def values_of(arguments) -> set[str]:
    """The values an argument object carries: those of every string and number in it, in
    objects (their values, not their keys) and lists at any depth. Booleans and null
    carry none."""
    if isinstance(arguments, str):
        return string_values(arguments)
    if isinstance(arguments, dict):
        return set().union(*map(values_of, arguments.values()))
    if isinstance(arguments, (list, tuple)):
        return set().union(*map(values_of, arguments))
    if isinstance(arguments, (int, float)) and not isinstance(arguments, bool):
        text = number_value(arguments)
        return {text} if text is not None else set()
    return set()


# ---------------------------------------------------------------- the matching rule


def occurs(value: str, text: str) -> bool:
    """`value` occurs in `text` as a whole word: at some place where it does not cut a run
    of letters and digits (`str.isalnum`) in two. If the value begins with a letter or
    digit, the character before it is not one (or there is none); if it ends with one, the
    character after it is not one. Both are lower-cased already. `13` occurs in `id: 13,`
    but not in `ord135`; `acc-12345` not in `acc-123456`; `-12345` in `acc-12345`."""
    if not value:
        return False
    end = len(value)
    i = text.find(value)
    while i >= 0:
        cuts_before = value[0].isalnum() and i > 0 and text[i - 1].isalnum()
        cuts_after = value[-1].isalnum() and i + end < len(text) and text[i + end].isalnum()
        if not cuts_before and not cuts_after:
            return True
        i = text.find(value, i + 1)
    return False


# ---------------------------------------------------------------- what a run has read


@dataclass(frozen=True, slots=True)
class Read:
    """A text read at event `step`, with its label; `tool`: the tracked tool whose result
    it is; `from_user`: the user's or system's words."""
    step: int
    text: str
    conf: int
    integ: int
    tool: str | None = None
    from_user: bool = False


def read_result(system: System, action: m.Action, text: str, step: int) -> Read:
    """The result of a traced call of `action`: a tool's result has the tool's `returns`
    label and comes from it if it is a tracked source; a call that is an event of the spec
    returns content of the lowest label."""
    if action.kind != "tool":
        return Read(step, text, system.conf.bottom, system.integ.top)
    tool = system.model.tool(action.name)
    tracked = tool.name if tool.name in system.sources else None
    return Read(step, text, tool.returns.conf, tool.returns.integ, tracked)


def read_user(system: System, text: str, step: int) -> Read:
    """A user's or system's message: the lowest label, the user's words."""
    return Read(step, text, system.conf.bottom, system.integ.top, from_user=True)


def read_agent(text: str, conf: int, integ: int, step: int) -> Read:
    """An agent's text (a reply, a message, a hand-off's text), at the label of the
    sender's context after the event."""
    return Read(step, text, conf, integ)


# ---------------------------------------------------------------- labels


@dataclass(frozen=True, slots=True)
class ValueOrigin:
    """The label of a value (see `value_label`)."""
    value: str
    conf: int
    integ: int
    entered_at: int | None    # the first event whose content held the value with this label
    sources: frozenset[str]   # tracked tools whose results held it (and no user content did)


def value_label(value: str, history: Sequence[Read], conf: Lattice, integ: Lattice) -> ValueOrigin:
    """The label of `value` given the content read before the step (`history`): the
    lowest confidentiality and the highest integrity of the texts it occurs in, each
    dimension on its own; its sources are their tracked tools, unless one of them is the
    user's words. A value that occurs nowhere is the agent's own: the lowest
    confidentiality, the highest integrity, no sources."""
    held = [r for r in history if occurs(value, r.text.lower())]
    if not held:
        return ValueOrigin(value, conf.bottom, integ.top, None, frozenset())
    c, i = held[0].conf, held[0].integ
    for r in held:
        c, i = conf.meet(c, r.conf), integ.join(i, r.integ)
    entered_at = next((r.step for r in held if (r.conf, r.integ) == (c, i)), None)
    user = any(r.from_user for r in held)
    sources = frozenset() if user else frozenset(r.tool for r in held if r.tool is not None)
    return ValueOrigin(value, c, i, entered_at, sources)


@dataclass(frozen=True, slots=True)
class WrittenLabel:
    """What a tool call's arguments carry: the join of their values' confidentiality, the
    meet of their integrity, the union of their sources; `raising`: the values that raise
    it (a label other than the lowest, or a source), by value."""
    conf: int
    integ: int
    sources: frozenset[str]
    raising: tuple[ValueOrigin, ...]


def written_label(arguments, history: Sequence[Read], conf: Lattice, integ: Lattice) -> WrittenLabel:
    """The label of what a tool call with `arguments` writes, given the content read
    before it. No values: the lowest confidentiality and the highest integrity."""
    origins = [value_label(v, history, conf, integ) for v in sorted(values_of(arguments))]
    c, i, sources = conf.bottom, integ.top, frozenset()
    for o in origins:
        c, i, sources = conf.join(c, o.conf), integ.meet(i, o.integ), sources | o.sources
    raising = tuple(o for o in origins if (o.conf, o.integ) != (conf.bottom, integ.top) or o.sources)
    return WrittenLabel(c, i, sources, raising)


# ---------------------------------------------------------------- the checks


class _Substitute(Fold):
    """An expression with some variables replaced."""

    def __init__(self, values: dict[str, SExpr]) -> None:
        self.values = values

    def on_var(self, e):
        return self.values.get(e.name, e)

    def on_const(self, e):
        return e

    on_at = on_level = on_const

    def on_not(self, e, operand):
        return replace(e, operand=operand)

    def on_and(self, e, *operands):
        return replace(e, operands=operands)

    on_or = on_and

    def on_cmp(self, e, left, right):
        return replace(e, left=left, right=right)

    on_arith = on_join = on_meet = on_leq = on_cmp

    def on_ite(self, e, cond, then, other):
        return replace(e, cond=cond, then=then, other=other)


def with_written(expr: SExpr, system: System, step: Step, label: WrittenLabel) -> SExpr:
    """`expr`, a condition on the state before `step`, with the label of what the step
    writes computed from `label` in place of the actor's context: its written label is
    (label.conf ⊓ D, label.integ ⊔ E) and its tracked sources, after any clearing, those
    of `label`. Only a step's flow conditions read the actor's label; they are the ones
    that change."""
    actor = step.edge.action.agent
    if actor is None:
        return expr
    values: dict[str, SExpr] = {conf_var(actor): Level(CONF, label.conf), integ_var(actor): Level(INTEG, label.integ)}
    values.update((source_var(actor, s), m.Const(s in label.sources)) for s in system.sources)
    return _Substitute(values)(expr)


def step_bad(check: Check, system: System, step: Step, label: WrittenLabel) -> SExpr:
    """The bad condition of `check` at the tool call `step` in values precision: its
    condition in conservative precision, with the written label from `label`."""
    return with_written(check.step_bad.get(step.index, m.Const(False)), system, step, label)
