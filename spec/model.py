"""The resolved workflow model: what analysis produces and every later stage reads.

Names are resolved, expressions are typed, and transitions are expanded into one `Edge`
per (transition, action, acting agent, tool outcome). Values: bool, int, or the name (str)
of an enum value.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from .lattice import Lattice
from .span import Span, span_field, spans_field

Value = Union[bool, int, str]

# ---------------------------------------------------------------- types


@dataclass(frozen=True, slots=True)
class BoolSort:
    def values(self) -> tuple[Value, ...]:
        return (False, True)

    def __str__(self) -> str:
        return "bool"


@dataclass(frozen=True, slots=True)
class IntSort:
    low: int
    high: int

    def values(self) -> tuple[Value, ...]:
        return tuple(range(self.low, self.high + 1))

    def __str__(self) -> str:
        return f"{self.low}..{self.high}"


@dataclass(frozen=True, slots=True)
class EnumSort:
    members: tuple[str, ...]

    def values(self) -> tuple[Value, ...]:
        return self.members

    def __str__(self) -> str:
        return "{" + ", ".join(self.members) + "}"


Sort = Union[BoolSort, IntSort, EnumSort]

# ---------------------------------------------------------------- expressions (typed)


@dataclass(frozen=True, slots=True)
class Const:
    value: Value
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class Var:
    name: str
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class At:
    """True when the control state is `state`."""
    state: str
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class Not:
    operand: "Expr"
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple["Expr", ...]
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple["Expr", ...]
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class Cmp:
    op: str  # == != < <= > >=
    left: "Expr"
    right: "Expr"
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class Arith:
    op: str  # + -
    left: "Expr"
    right: "Expr"
    span: Span = span_field()


Expr = Union[Const, Var, At, Not, And, Or, Cmp, Arith]
TRUE = Const(True)


@dataclass(frozen=True, slots=True)
class Assign:
    """`var = value`; `value is None` means any value of the variable's sort."""
    var: str
    value: Expr | None
    span: Span = span_field()


# ---------------------------------------------------------------- declarations


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    sort: Sort
    init: Value
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class Label:
    """A (confidentiality, integrity) pair of level indices."""
    conf: int
    integ: int


# What a parameter's values are (`send_money(recipient: iban)`), for values precision: how
# values are taken from an argument and matched against what was read (docs/language.md,
# "Values precision"). "pattern": the values are the matches of a regular expression.
PARAM_KINDS = ("id", "email", "url", "iban", "number", "date", "path", "text")


@dataclass(frozen=True, slots=True)
class Param:
    """A tool parameter. `kind` None: untyped (values are found as in any text)."""
    name: str
    kind: str | None = None          # one of PARAM_KINDS, "pattern", or None
    pattern: str | None = None       # the regular expression of kind "pattern"
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class FieldLabel:
    """The label of the values under `path` in a structured result (JSON, YAML, a list of
    records): keys from the top, lists transparent (a key names that field of every record of
    a list), `*` any key. The most specific path that covers a value gives its label."""
    path: tuple[str, ...]
    label: Label
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class Tool:
    name: str
    params: tuple[Param, ...]        # the parameters, with what their values are
    agents: tuple[str, ...]          # who may call it (all agents when declared without `by`)
    effect: str                      # "reads" | "writes" | "sends"
    returns: Label                   # the label of its result: with fields, the join of
                                     # `default` and every field's label (what `verify` uses)
    sink: int | None                 # highest confidentiality its arguments may carry
    needs: int | None                # lowest integrity its arguments must have
    outcomes: tuple[str, ...]        # () when the tool has no named outcomes
    span: Span = span_field()
    fields: tuple[FieldLabel, ...] = ()   # per-field labels of a structured result
    default: Label | None = None     # with fields: the label of values in no named field
                                     # (None without fields: then every value has `returns`)
    sink_params: tuple[str, ...] | None = None   # the arguments `sink` bounds (None: all)
    needs_params: tuple[str, ...] | None = None  # the arguments `needs` bounds (None: all)


@dataclass(frozen=True, slots=True)
class Event:
    name: str
    agents: tuple[str, ...]          # () = performed by the environment
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class Action:
    """What happens in one step.

    kind `tool`: `agent` calls tool `name` and it ends in `outcome` (None if it has none);
    kind `event`: event `name`, by `agent` or by the environment (agent None);
    kind `message` / `handoff`: `agent` sends its context to `receiver`.
    """
    kind: str
    name: str
    agent: str | None = None
    receiver: str | None = None
    outcome: str | None = None

    def __str__(self) -> str:
        if self.kind in ("message", "handoff"):
            return f"{self.kind} {self.agent} to {self.receiver}"
        text = self.name + (f".{self.outcome}" if self.outcome else "")
        return text + (f" by {self.agent}" if self.agent else "")


@dataclass(frozen=True, slots=True)
class Edge:
    """One way to take a step: from `source` to `target` by `action`."""
    index: int
    source: str
    target: str
    action: Action
    guard: Expr                      # the tool's `when` and the transition's `when`, conjoined
    assigns: tuple[Assign, ...]      # tool/outcome updates then transition updates (disjoint vars)
    declassify: int | None           # the acting agent's confidentiality is lowered to at most this
    endorse: int | None              # the acting agent's integrity is raised to at least this
    span: Span = span_field()        # the transition
    action_span: Span = span_field() # the action as written in the transition
    decl_span: Span = span_field()   # the tool or event declaration


# ---------------------------------------------------------------- properties


@dataclass(frozen=True, slots=True)
class ActionPattern:
    """A set of actions: any of `items` (kind, name, outcome-or-None), by any of `agents`
    (all agents when empty). Messages and hand-offs match on (kind, sender, receiver)."""
    items: tuple[tuple[str, str, str | None], ...]
    agents: tuple[str, ...] = ()

    def matches(self, action: Action) -> bool:
        if self.agents and action.agent not in self.agents:
            return False
        for kind, name, extra in self.items:
            if kind in ("message", "handoff"):
                if action.kind == kind and action.agent == name and action.receiver == extra:
                    return True
            elif action.kind == kind and action.name == name and extra in (None, action.outcome):
                return True
        return False


@dataclass(frozen=True, slots=True)
class Never:
    pattern: ActionPattern
    condition: Expr | None


@dataclass(frozen=True, slots=True)
class FlowToTool:
    """Data from `source` reaches an argument of an action in `pattern`.

    source_kind `conf`: the written confidentiality is at or above level `source`;
    `integ`: the written integrity is at or below level `source`;
    `tool`: the writer has (transitively) read a result of tool `source`.
    """
    source_kind: str
    source: str | int
    pattern: ActionPattern
    params: tuple[str, ...] | None = None   # the arguments that are sinks (None: all of them).
    # In `verify` and conservative precision every argument carries the writer's context
    # label, so this matters only where arguments carry their own values' labels.


@dataclass(frozen=True, slots=True)
class FlowToAgent:
    """Data from `source` reaches the context of `agent` (same source kinds as FlowToTool)."""
    source_kind: str
    source: str | int
    agent: str


@dataclass(frozen=True, slots=True)
class Order:
    pattern: ActionPattern
    earlier: ActionPattern


@dataclass(frozen=True, slots=True)
class Count:
    limit: int
    pattern: ActionPattern


@dataclass(frozen=True, slots=True)
class Always:
    condition: Expr


@dataclass(frozen=True, slots=True)
class SinkBound:
    """Implicit, from a tool's `sink`: arguments of `tool` carry at most level `level`."""
    tool: str
    level: int
    params: tuple[str, ...] | None = None   # the arguments bounded (None: all)


@dataclass(frozen=True, slots=True)
class IntegrityNeed:
    """Implicit, from a tool's `needs`: arguments of `tool` carry at least integrity `level`."""
    tool: str
    level: int
    params: tuple[str, ...] | None = None   # the arguments bounded (None: all)


@dataclass(frozen=True, slots=True)
class InRange:
    """Implicit: no update takes `var` outside its declared range."""
    var: str


@dataclass(frozen=True, slots=True)
class Terminates:
    pass


@dataclass(frozen=True, slots=True)
class NoDeadlock:
    pass


PropertyKind = Union[Never, FlowToTool, FlowToAgent, Order, Count, Always, SinkBound,
                     IntegrityNeed, InRange, Terminates, NoDeadlock]


@dataclass(frozen=True, slots=True)
class Property:
    name: str
    kinds: tuple[PropertyKind, ...]  # one per sink of a multi-sink flow; otherwise one
    implicit: bool = False
    text: str = ""                   # the property as written, for reports
    span: Span = span_field()


# ---------------------------------------------------------------- trace mapping


@dataclass(frozen=True, slots=True)
class MatchArg:
    param: str
    op: str          # matches (a glob) | contains | ==
    pattern: str


@dataclass(frozen=True, slots=True)
class MatchOutput:
    op: str
    pattern: str


@dataclass(frozen=True, slots=True)
class MatchError:
    pass


@dataclass(frozen=True, slots=True)
class MatchNot:
    operand: "Match"


@dataclass(frozen=True, slots=True)
class MatchAll:
    operands: tuple["Match", ...]


@dataclass(frozen=True, slots=True)
class MatchAny:
    operands: tuple["Match", ...]


Match = Union[MatchArg, MatchOutput, MatchError, MatchNot, MatchAll, MatchAny]


@dataclass(frozen=True, slots=True)
class ActionMap:
    """A traced call named `trace_name` becomes action `name` (a tool or an event), with
    `outcome` if given, when `condition` holds. Text events use the trace names `@reply`
    (an agent's reply) and `@user` (a user's message)."""
    trace_name: str | None
    name: str
    outcome: str | None
    condition: Match | None
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class TraceMapping:
    actions: tuple[ActionMap, ...] = ()   # in declaration order: the first that applies wins
    agents: tuple[tuple[str, str], ...] = ()  # (name in traces, agent)
    precision: str = "conservative"


# ---------------------------------------------------------------- the model


@dataclass(frozen=True, slots=True)
class Model:
    name: str
    conf: Lattice
    integ: Lattice
    agents: tuple[str, ...]
    variables: tuple[Variable, ...]
    tools: tuple[Tool, ...]
    events: tuple[Event, ...]
    states: tuple[str, ...]
    initial: str
    finals: tuple[str, ...]
    edges: tuple[Edge, ...]
    properties: tuple[Property, ...]
    mapping: TraceMapping = TraceMapping()
    state_spans: tuple[Span, ...] = spans_field()
    span: Span = span_field()
    catalog: bool = False   # a `catalog` file: declarations only, no states (docs/language.md#catalogs)

    def variable(self, name: str) -> Variable:
        return next(v for v in self.variables if v.name == name)

    def tool(self, name: str) -> Tool | None:
        return next((t for t in self.tools if t.name == name), None)

    def property(self, name: str) -> Property:
        return next(p for p in self.properties if p.name == name)

    def state_span(self, state: str) -> Span:
        return self.state_spans[self.states.index(state)]
