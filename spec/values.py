"""Values precision, written once: the label of what a tool call writes, from its arguments.

This module is the executable form of "Values precision" in the Semantics section of
docs/language.md. It says it as plainly as it can: the content a run has read is a list of
`Read`s, and a value's label is found by looking at every one of them. The trace monitor
does the same with an inverted index (checker/trace/provenance.py), which takes its
definitions from here (the patterns of the value extraction, `number_value`, `occurs`,
`ValueOrigin`) and is tested against `value_label` and `written_label`.

Levels are lattice indices, as everywhere in the semantics; `conf` and `integ` are the
model's two lattices.

What a parameter's kind makes of an argument (its probes) and how a structured result
splits into labelled parts are defined by the trace checker's checker/trace/kinds.py and
checker/trace/fields.py (`spec` imports no checker): the functions here that need them take
them as arguments, `probes(value, kind, pattern)` (objects with `text`, `raises` and
`phrase`), `split(text, fields, default)` (the parts and a problem) and `mentions(text)` (the
date tokens a text mentions, given only when some parameter of the model is a date).
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


def words_of(text: str) -> list[str]:
    """The maximal runs of letters and digits of `text`, in order."""
    return "".join(ch if ch.isalnum() else " " for ch in text).split()


def phrase_occurs(phrase: str, text: str) -> bool:
    """The phrase (words separated by one space) occurs in `text` (lower-cased): its words
    are consecutive maximal runs of letters and digits of the text, so only characters other
    than letters and digits come between them."""
    return f" {phrase} " in f" {' '.join(words_of(text))} "


def blank(text: str, values) -> str:
    """`text` with every character of an occurrence (`occurs`) of one of `values` in it
    replaced by a space: the occurrences in `text` as given, so the order of the values does
    not matter."""
    cut = [False] * len(text)
    for value in values:
        n = len(value)
        for i in range(len(text) - n + 1) if n else ():
            cuts_before = value[0].isalnum() and i > 0 and text[i - 1].isalnum()
            cuts_after = value[-1].isalnum() and i + n < len(text) and text[i + n].isalnum()
            if text.startswith(value, i) and not cuts_before and not cuts_after:
                cut[i:i + n] = [True] * n
    return "".join(" " if c else ch for ch, c in zip(text, cut))


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


def read_user(system: System, text: str, step: int, mentions=None) -> Read:
    """A user's or system's message: the lowest label, the user's words."""
    return Read(step, mentioned(text, (), mentions), system.conf.bottom, system.integ.top, from_user=True)


def read_agent(text: str, conf: int, integ: int, step: int, mentions=None) -> Read:
    """An agent's text (a reply, a message, a hand-off's text), at the label of the
    sender's context after the event."""
    return Read(step, mentioned(text, (), mentions), conf, integ)


def mentioned(text: str, own, mentions) -> str:
    """A text as the content keeps it: lower-cased, the values `own` blanked out, and, with
    `mentions`, followed on a line of its own by its mentions (those of what is left) but
    the own values, separated by spaces."""
    text = blank(text.lower(), own)
    extra = [word for word in mentions(text) if word not in own] if mentions is not None else []
    return text + "\n" + " ".join(extra) if extra else text


def own_values(arguments, tool: m.Tool | None, probes) -> set[str]:
    """The values of a call's arguments, phrases aside, raising or not: those blanked out of
    its result (`read_call`)."""
    return {p.text for p in argument_probes(arguments, tool, None, probes) if not p.phrase}


def read_call(system: System, action: m.Action, arguments, text: str, step: int, failed: bool,
              probes=None, split=None, mentions=None) -> list[Read]:
    """The result of a traced call of `action` at event `step`, as content, without the
    call's own values (an echo of a value the agent wrote does not change its label): a
    result of a tool with fields that did not fail is read by `split` into parts, each at
    its label; any other result, or one that is not structured, is read whole as
    `read_result` says. Every part comes from the tool if it is a tracked source."""
    tool = system.model.tool(action.name) if action.kind == "tool" else None
    own = own_values(arguments, tool, probes)
    whole = read_result(system, action, text, step)
    if tool is not None and tool.fields and not failed and split is not None:
        parts, _problem = split(text, tool.fields, tool.default)
        if parts is not None:
            return [replace(whole, text=mentioned(part, own, mentions), conf=label.conf, integ=label.integ)
                    for label, part in parts if part]
    return [replace(whole, text=mentioned(text, own, mentions))]


# ---------------------------------------------------------------- labels


@dataclass(frozen=True, slots=True)
class ValueOrigin:
    """The label of a value (see `value_label`)."""
    value: str
    conf: int
    integ: int
    entered_at: int | None    # the first event whose content held the value with this label
    sources: frozenset[str]   # tracked tools whose results held it (and no user content did)


def value_label(value: str, history: Sequence[Read], conf: Lattice, integ: Lattice,
                phrase: bool = False) -> ValueOrigin:
    """The label of `value` (a phrase, with `phrase`) given the content read before the step
    (`history`): the lowest confidentiality and the highest integrity of the texts it occurs
    in, each dimension on its own; its sources are their tracked tools, unless one of them
    is the user's words. A short id (`SHORT`: `13`, `x1`) that the user's words do not hold
    takes the highest confidentiality and the lowest integrity instead: it is too short to
    tell which of the texts it was copied from (an injected "delete file 13" next to a
    trusted event whose id is 13). A value that occurs nowhere is the agent's own: the lowest
    confidentiality, the highest integrity, no sources."""
    found = phrase_occurs if phrase else occurs
    held = [r for r in history if found(value, r.text.lower())]
    if not held:
        return ValueOrigin(value, conf.bottom, integ.top, None, frozenset())
    user = any(r.from_user for r in held)
    c, i = held[0].conf, held[0].integ
    if user or phrase or not SHORT.fullmatch(value):
        for r in held:
            c, i = conf.meet(c, r.conf), integ.join(i, r.integ)
    else:   # a short id: too short to tell which text it came from, so it has every label
        for r in held:
            c, i = conf.join(c, r.conf), integ.meet(i, r.integ)
    entered_at = next((r.step for r in held if (r.conf, r.integ) == (c, i)), None)
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


@dataclass(frozen=True, slots=True)
class Untyped:
    """A value of an argument whose parameter has no kind: it raises, and it is no phrase."""
    text: str
    raises: bool = True
    phrase: bool = False


def argument_probes(arguments, tool: m.Tool | None, names, probes) -> list:
    """The probes of the arguments of a call of `tool` named in `names` (None: all): those of
    an argument whose parameter has a kind are `probes(value, kind, pattern)`; those of any
    other argument (untyped, undeclared, or all of them without `probes`, or when the
    arguments are no object) its values (`values_of`)."""
    if not isinstance(arguments, dict):
        return [Untyped(v) for v in sorted(values_of(arguments))] if names is None else []
    kinds = {p.name: p for p in tool.params if p.kind is not None} if tool is not None and probes else {}
    out = []
    for name, value in arguments.items():
        if names is not None and name not in names:
            continue
        param = kinds.get(name)
        out += probes(value, param.kind, param.pattern) if param else [Untyped(v) for v in sorted(values_of(value))]
    return out


def written_label(arguments, history: Sequence[Read], conf: Lattice, integ: Lattice, tool: m.Tool | None = None,
                  names=None, probes=None) -> WrittenLabel:
    """The label of what a tool call with `arguments` (those named in `names`, or all) of
    `tool` writes, given the content read before it: the join over the probes that raise
    (`argument_probes`); a phrase is matched as a phrase. No such probes: the lowest
    confidentiality and the highest integrity."""
    found = {(p.text, p.phrase) for p in argument_probes(arguments, tool, names, probes) if p.raises}
    origins = [value_label(v, history, conf, integ, phrase) for v, phrase in sorted(found, key=lambda f: (f[1], f[0]))]
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


def sink_arguments(check: Check, step: Step) -> list:
    """The argument lists of the flow sinks of `check` that `step` reaches (None: all the
    arguments), one per sink: a tool in a flow property (`T` or `T(p, …)`), or the tool of
    `TOOL.sink` or `TOOL.needs` (`on p, …`)."""
    action = step.edge.action
    out = []
    for kind in check.property.kinds:
        if isinstance(kind, m.FlowToTool) and kind.pattern.matches(action):
            out.append(kind.params)
        elif isinstance(kind, (m.SinkBound, m.IntegrityNeed)) and action.kind == "tool" and action.name == kind.tool:
            out.append(kind.params)
    return out


def call_labels(check: Check, system: System, step: Step, arguments, history: Sequence[Read],
                probes=None) -> list[WrittenLabel]:
    """The written labels of the tool call `step` that the flow sinks of `check` look at,
    one per sink (`sink_arguments`): the label of the arguments the sink lists. The check is
    broken at the call if its condition (`step_bad`) holds with any of them: the sinks of one
    property share its source, so the condition with a sink's label is that sink's."""
    tool = system.model.tool(step.edge.action.name)
    return [written_label(arguments, history, system.conf, system.integ, tool, names, probes)
            for names in sink_arguments(check, step)]
