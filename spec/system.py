"""The semantics of a workflow, written once: Model -> symbolic transition system.

This module is the executable form of the "Semantics" section of docs/language.md. Every
backend only *translates* what it builds: the concrete interpreter (spec/semantics.py,
used by the explicit-state checker and the trace monitor), the z3 encoder and the Lean
printer. None of them re-derives labels, monitors or guards on its own.

State variables: the workflow's variables; per agent its context label (`conf.A`, `integ.A`)
and, per tracked flow source S, a flag `src.A.S`; and per property its monitor variables.
The control state is kept apart (a step has a fixed source and target).
Each property becomes a `Check`: a *bad* condition over the state before a step (per step)
and/or over a reachable state; a property holds when no reachable bad condition is true.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from . import model as m
from .lattice import Lattice

# ---------------------------------------------------------------- extra expression forms


@dataclass(frozen=True, slots=True)
class LevelSort:
    dimension: str  # "confidentiality" | "integrity"


@dataclass(frozen=True, slots=True)
class Level:
    """A lattice element (by index) of a dimension."""
    dimension: str
    index: int


@dataclass(frozen=True, slots=True)
class Join:
    dimension: str
    left: "SExpr"
    right: "SExpr"


@dataclass(frozen=True, slots=True)
class Meet:
    dimension: str
    left: "SExpr"
    right: "SExpr"


@dataclass(frozen=True, slots=True)
class Leq:
    dimension: str
    left: "SExpr"
    right: "SExpr"


@dataclass(frozen=True, slots=True)
class Ite:
    cond: "SExpr"
    then: "SExpr"
    other: "SExpr"


SExpr = Union[m.Expr, Level, Join, Meet, Leq, Ite]
Sort = Union[m.BoolSort, m.IntSort, m.EnumSort, LevelSort]
FALSE = m.Const(False)

# ---------------------------------------------------------------- walking expressions
#
# Every backend translates expressions through `children` and `Fold`, so that a new
# expression form is one entry in `_CHILDREN` and one method per translator, and a
# translator that lacks it is refused when its class is defined (tests import them all).

_CHILDREN = {
    m.Const: lambda e: (), m.Var: lambda e: (), m.At: lambda e: (), Level: lambda e: (),
    m.Not: lambda e: (e.operand,), m.And: lambda e: e.operands, m.Or: lambda e: e.operands,
    m.Cmp: lambda e: (e.left, e.right), m.Arith: lambda e: (e.left, e.right),
    Join: lambda e: (e.left, e.right), Meet: lambda e: (e.left, e.right), Leq: lambda e: (e.left, e.right),
    Ite: lambda e: (e.cond, e.then, e.other),
}
MODEL_FORMS = (m.Const, m.Var, m.At, m.Not, m.And, m.Or, m.Cmp, m.Arith)  # what a `.wf` file can write
FORMS = tuple(_CHILDREN)                                                   # and what lowering adds


def children(e: SExpr) -> tuple[SExpr, ...]:
    """The direct subexpressions of `e`, left to right."""
    try:
        return _CHILDREN[type(e)](e)
    except KeyError:
        raise TypeError(f"not an expression: {e!r}") from None


def subexpressions(e: SExpr):
    """`e` and every expression inside it, parents before children."""
    stack = [e]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(children(node)))


def free_vars(e: SExpr) -> frozenset[str]:
    """The names of the variables `e` reads."""
    return frozenset(n.name for n in subexpressions(e) if type(n) is m.Var)


def mentions_state(e: SExpr) -> bool:
    """`e` reads the control state (`at STATE`)."""
    return any(type(n) is m.At for n in subexpressions(e))


def _method_name(form: type) -> str:
    return "on_" + form.__name__.lower()


class Fold:
    """A bottom-up translation of expressions. A subclass defines, for each form in `forms`
    (FORMS unless it narrows it to MODEL_FORMS), a method `on_<form>` (`on_const`, `on_not`,
    `on_join`, ...) taking the node and the translations of its children; calling the
    translator on an expression translates it. Defining a subclass that lacks a method is a
    TypeError, so a new form cannot be forgotten by a backend."""

    forms: tuple[type, ...] = FORMS

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        missing = [_method_name(f) for f in cls.forms if not callable(getattr(cls, _method_name(f), None))]
        if missing:
            raise TypeError(f"{cls.__name__} does not translate every expression form: missing {', '.join(missing)}")
        cls._method_names = {form: _method_name(form) for form in cls.forms}

    def __call__(self, e: SExpr):
        name = self._method_names.get(type(e))
        if name is None:
            raise TypeError(f"{type(self).__name__} cannot translate {e!r}")
        return getattr(self, name)(e, *[self(c) for c in _CHILDREN[type(e)](e)])


def conj(parts) -> SExpr:
    parts = [p for p in parts if p != m.TRUE]
    if any(p == FALSE for p in parts):
        return FALSE
    return parts[0] if len(parts) == 1 else (m.And(tuple(parts)) if parts else m.TRUE)


def disj(parts) -> SExpr:
    parts = [p for p in parts if p != FALSE]
    if any(p == m.TRUE for p in parts):
        return m.TRUE
    return parts[0] if len(parts) == 1 else (m.Or(tuple(parts)) if parts else FALSE)


def negate(e: SExpr) -> SExpr:
    if e == m.TRUE:
        return FALSE
    if e == FALSE:
        return m.TRUE
    return e.operand if isinstance(e, m.Not) else m.Not(e)


# ---------------------------------------------------------------- the system


@dataclass(frozen=True, slots=True)
class SysVar:
    """A state variable. `agent` is set for an agent's context variables (roles "conf",
    "integ", "source"), `source` for a flow-source flag (the tracked tool)."""
    name: str
    sort: Sort
    init: object
    role: str  # "data" | "conf" | "integ" | "source" | "monitor"
    agent: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One model edge as a guarded simultaneous assignment."""
    index: int
    edge: m.Edge
    guard: SExpr                               # the edge's guard (control state apart)
    assigns: tuple[tuple[str, SExpr | None], ...]  # None: any value of the variable's sort
    range_ok: SExpr                            # the update keeps every variable in range
    written: tuple[SExpr, SExpr]               # (conf, integ) label of what the step writes

    @property
    def source(self) -> str:
        return self.edge.source

    @property
    def target(self) -> str:
        return self.edge.target


@dataclass(frozen=True, slots=True)
class Check:
    """A property as a safety monitor (or, for `terminates`, a liveness check)."""
    property: m.Property
    monitors: tuple[SysVar, ...]
    monitor_assigns: dict          # step index -> tuple[(monitor name, SExpr)]
    step_bad: dict                 # step index -> SExpr over the state before the step
    step_condition: dict           # the same without the step's guard (for forced steps)
    state_bad: SExpr               # over a reachable state (FALSE when none)
    liveness: bool = False         # `terminates`: also a reachable cycle of non-final states
    triggers: frozenset | None = None  # steps whose action the property is about (None:
                                       # a state property); if none is ever enabled, vacuous

    @property
    def name(self) -> str:
        return self.property.name


@dataclass(frozen=True, slots=True)
class System:
    model: m.Model
    vars: tuple[SysVar, ...]
    steps: tuple[Step, ...]
    checks: tuple[Check, ...]
    deadlock: SExpr                # a non-final control state in which no step is enabled
    by_name: dict = field(default_factory=dict, compare=False, repr=False)  # name -> SysVar

    def __post_init__(self) -> None:
        self.by_name.update((v.name, v) for v in self.vars)

    @property
    def conf(self) -> Lattice:
        return self.model.conf

    @property
    def integ(self) -> Lattice:
        return self.model.integ

    def lattice(self, dimension: str) -> Lattice:
        return self.model.conf if dimension == "confidentiality" else self.model.integ

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)

    @property
    def sources(self) -> tuple[str, ...]:
        """The tools whose results are tracked per agent (flow properties name them)."""
        return tuple(dict.fromkeys(v.source for v in self.vars if v.role == "source"))

    def var(self, name: str) -> SysVar:
        return self.by_name[name]

    def conf_of(self, agent: str) -> SysVar:
        """The confidentiality of `agent`'s context."""
        return self.var(conf_var(agent))

    def integ_of(self, agent: str) -> SysVar:
        """The integrity of `agent`'s context."""
        return self.var(integ_var(agent))

    def source_of(self, agent: str, tool: str) -> SysVar:
        """The flag: `agent`'s context holds data from `tool`."""
        return self.var(source_var(agent, tool))


def conf_var(agent: str) -> str:
    return f"conf.{agent}"


def integ_var(agent: str) -> str:
    return f"integ.{agent}"


def source_var(agent: str, tool: str) -> str:
    return f"src.{agent}.{tool}"


CONF, INTEG = "confidentiality", "integrity"


def _tracked_sources(model: m.Model) -> tuple[str, ...]:
    sources = []
    for prop in model.properties:
        for kind in prop.kinds:
            if isinstance(kind, (m.FlowToTool, m.FlowToAgent)) and kind.source_kind == "tool":
                if kind.source not in sources:
                    sources.append(kind.source)
    return tuple(sources)


# ---------------------------------------------------------------- lowering of steps


def _label_effects(model: m.Model, edge: m.Edge, sources: tuple[str, ...]):
    """(assigns, written (conf, integ), source flags of the actor after clearing)."""
    action = edge.action
    actor = action.agent
    if actor is None:  # an environment event: no label moves
        return (), (Level(CONF, model.conf.bottom), Level(INTEG, model.integ.top)), {}
    c1: SExpr = m.Var(conf_var(actor))
    i1: SExpr = m.Var(integ_var(actor))
    if edge.declassify is not None:
        c1 = Meet(CONF, c1, Level(CONF, edge.declassify))
    if edge.endorse is not None:
        i1 = Join(INTEG, i1, Level(INTEG, edge.endorse))
    cleared = edge.declassify is not None or edge.endorse is not None
    actor_src = {s: (FALSE if cleared else m.Var(source_var(actor, s))) for s in sources}
    assigns: list[tuple[str, SExpr]] = []
    if action.kind == "tool":
        tool = model.tool(action.name)
        ret = tool.returns
        new_c = c1 if ret.conf == model.conf.bottom else Join(CONF, c1, Level(CONF, ret.conf))
        new_i = i1 if ret.integ == model.integ.top else Meet(INTEG, i1, Level(INTEG, ret.integ))
        assigns += [(conf_var(actor), new_c), (integ_var(actor), new_i)]
        for s in sources:
            assigns.append((source_var(actor, s), m.TRUE if s == action.name else actor_src[s]))
    elif action.kind in ("message", "handoff"):
        receiver = action.receiver
        if receiver == actor:
            assigns += [(conf_var(actor), c1), (integ_var(actor), i1)]
            assigns += [(source_var(actor, s), actor_src[s]) for s in sources]
        else:
            assigns += [(conf_var(actor), c1), (integ_var(actor), i1),
                        (conf_var(receiver), Join(CONF, m.Var(conf_var(receiver)), c1)),
                        (integ_var(receiver), Meet(INTEG, m.Var(integ_var(receiver)), i1))]
            for s in sources:
                assigns.append((source_var(actor, s), actor_src[s]))
                assigns.append((source_var(receiver, s), disj([m.Var(source_var(receiver, s)), actor_src[s]])))
    else:  # an event by an agent
        assigns += [(conf_var(actor), c1), (integ_var(actor), i1)]
        if cleared:
            assigns += [(source_var(actor, s), FALSE) for s in sources]
    # Drop assignments that change nothing, so that backends see minimal updates.
    assigns = [(name, value) for name, value in assigns if value != m.Var(name)]
    return tuple(assigns), (c1, i1), actor_src


def _range_condition(model: m.Model, name: str, value: SExpr) -> SExpr:
    sort = model.variable(name).sort
    return conj([m.Cmp("<=", m.Const(sort.low), value), m.Cmp("<=", value, m.Const(sort.high))])


def _needs_range_check(model: m.Model, assign: m.Assign) -> bool:
    return (assign.value is not None and not isinstance(assign.value, m.Const)
            and isinstance(model.variable(assign.var).sort, m.IntSort))


# ---------------------------------------------------------------- lowering of properties


def _flow_condition(kind, written: tuple[SExpr, SExpr], src_after: dict) -> SExpr:
    if kind.source_kind == "conf":
        return Leq(CONF, Level(CONF, kind.source), written[0])
    if kind.source_kind == "integ":
        return Leq(INTEG, written[1], Level(INTEG, kind.source))
    return src_after.get(kind.source, FALSE)


def _above_sink(kind: m.SinkBound, written: tuple[SExpr, SExpr]) -> SExpr:
    return negate(Leq(CONF, written[0], Level(CONF, kind.level)))


def _below_need(kind: m.IntegrityNeed, written: tuple[SExpr, SExpr]) -> SExpr:
    return negate(Leq(INTEG, Level(INTEG, kind.level), written[1]))


def agent_flow_condition(kind: m.FlowToAgent) -> SExpr:
    """The context of `kind.agent` holds data from `kind.source`."""
    if kind.source_kind == "conf":
        return Leq(CONF, Level(CONF, kind.source), m.Var(conf_var(kind.agent)))
    if kind.source_kind == "integ":
        return Leq(INTEG, m.Var(integ_var(kind.agent)), Level(INTEG, kind.source))
    return m.Var(source_var(kind.agent, kind.source))


def context_condition(kind, agent: str) -> SExpr | None:
    """The context of `agent` holds what the property part `kind` is about: data from the
    flow's source (FlowToTool, FlowToAgent: `agent_flow_condition` for any agent), data
    above a sink's bound (SinkBound) or content below a tool's need (IntegrityNeed) — the
    condition `_check` puts on a step by `agent` that writes its whole context. None for
    the kinds that are not about labels."""
    context = (m.Var(conf_var(agent)), m.Var(integ_var(agent)))
    if isinstance(kind, (m.FlowToTool, m.FlowToAgent)):
        return _flow_condition(kind, context, {kind.source: m.Var(source_var(agent, kind.source))})
    if isinstance(kind, m.SinkBound):
        return _above_sink(kind, context)
    if isinstance(kind, m.IntegrityNeed):
        return _below_need(kind, context)
    return None


def _check(model: m.Model, prop: m.Property, steps: list[Step], src_after: dict, deadlock: SExpr) -> Check:
    monitors: list[SysVar] = []
    monitor_assigns: dict[int, list] = {}
    step_bad: dict[int, list] = {}
    state_bad: list[SExpr] = []
    liveness = False

    triggers: set[int] | None = None

    def bad_at(step: Step, condition: SExpr) -> None:
        if triggers is not None:
            triggers.add(step.index)
        step_bad.setdefault(step.index, []).append(condition)

    step_kinds = (m.Never, m.FlowToTool, m.Order, m.Count, m.SinkBound, m.IntegrityNeed, m.InRange)
    # Vacuity is about steps: a property with any part about states always says something.
    if all(isinstance(k, step_kinds) for k in prop.kinds):
        triggers = set()

    for part, kind in enumerate(prop.kinds):
        tag = f"mon.{prop.name}.{part}"
        if isinstance(kind, m.Never):
            for s in steps:
                if kind.pattern.matches(s.edge.action):
                    bad_at(s, kind.condition if kind.condition is not None else m.TRUE)
        elif isinstance(kind, m.FlowToTool):
            for s in steps:
                if kind.pattern.matches(s.edge.action):
                    bad_at(s, _flow_condition(kind, s.written, src_after[s.index]))
        elif isinstance(kind, m.FlowToAgent):
            state_bad.append(agent_flow_condition(kind))
        elif isinstance(kind, m.Order):
            seen = SysVar(tag, m.BoolSort(), False, "monitor")
            monitors.append(seen)
            for s in steps:
                if kind.pattern.matches(s.edge.action):
                    bad_at(s, m.Not(m.Var(seen.name)))
                if kind.earlier.matches(s.edge.action):
                    monitor_assigns.setdefault(s.index, []).append((seen.name, m.TRUE))
        elif isinstance(kind, m.Count):
            counter = SysVar(tag, m.IntSort(0, kind.limit), 0, "monitor")
            monitors.append(counter)
            at_limit = m.Cmp("==", m.Var(counter.name), m.Const(kind.limit))
            for s in steps:
                if kind.pattern.matches(s.edge.action):
                    bad_at(s, at_limit)
                    bumped = m.Arith("+", m.Var(counter.name), m.Const(1))
                    monitor_assigns.setdefault(s.index, []).append(
                        (counter.name, Ite(at_limit, m.Var(counter.name), bumped)))
        elif isinstance(kind, m.Always):
            state_bad.append(negate(kind.condition))
        elif isinstance(kind, m.SinkBound):
            for s in steps:
                if s.edge.action.kind == "tool" and s.edge.action.name == kind.tool:
                    bad_at(s, _above_sink(kind, s.written))
        elif isinstance(kind, m.IntegrityNeed):
            for s in steps:
                if s.edge.action.kind == "tool" and s.edge.action.name == kind.tool:
                    bad_at(s, _below_need(kind, s.written))
        elif isinstance(kind, m.InRange):
            for s in steps:
                for name, value in s.assigns:
                    if name == kind.var and value is not None and not isinstance(value, m.Const):
                        bad_at(s, negate(_range_condition(model, name, value)))
        elif isinstance(kind, m.NoDeadlock):
            state_bad.append(deadlock)
        elif isinstance(kind, m.Terminates):
            state_bad.append(deadlock)
            liveness = True
    conditions = {i: disj(c) for i, c in step_bad.items() if disj(c) != FALSE}
    return Check(prop, tuple(monitors),
                 {i: tuple(a) for i, a in monitor_assigns.items()},
                 {i: conj([steps[i].guard, c]) for i, c in conditions.items()}, conditions,
                 disj(state_bad), liveness, frozenset(triggers) if triggers is not None else None)


def _deadlock(model: m.Model, steps: list[Step]) -> SExpr:
    """A non-final control state in which no step is enabled."""
    cases = []
    for state in model.states:
        if state in model.finals:
            continue
        enabled = disj(s.guard for s in steps if s.source == state)
        cases.append(conj([m.At(state), negate(enabled)]))
    return disj(cases)


def lower(model: m.Model) -> System:
    """Build the transition system and the property checks of a model."""
    sources = _tracked_sources(model)
    variables = [SysVar(v.name, v.sort, v.init, "data") for v in model.variables]
    for agent in model.agents:
        variables.append(SysVar(conf_var(agent), LevelSort(CONF), model.conf.bottom, "conf", agent))
        variables.append(SysVar(integ_var(agent), LevelSort(INTEG), model.integ.top, "integ", agent))
        variables.extend(SysVar(source_var(agent, s), m.BoolSort(), False, "source", agent, s) for s in sources)
    steps: list[Step] = []
    src_after: dict[int, dict] = {}
    for edge in model.edges:
        label_assigns, written, actor_src = _label_effects(model, edge, sources)
        data_assigns = tuple((a.var, a.value) for a in edge.assigns)
        range_ok = conj([_range_condition(model, a.var, a.value) for a in edge.assigns
                         if _needs_range_check(model, a)])
        steps.append(Step(edge.index, edge, edge.guard, data_assigns + label_assigns, range_ok, written))
        src_after[edge.index] = actor_src
    deadlock = _deadlock(model, steps)
    checks = tuple(_check(model, p, steps, src_after, deadlock) for p in model.properties)
    return System(model, tuple(variables), tuple(steps), checks, deadlock)
