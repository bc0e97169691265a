"""The typed AST of a `.wf` file: what was written, with a span on every node.

Frozen, slotted dataclasses with tuple children; spans are ignored by equality, so
`parse(fmt(ast)) == ast` compares meaning-bearing content only. Leading `#` comments
ride on top-level declarations so that the formatter can keep them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from .span import Span, span_field


@dataclass(frozen=True, slots=True)
class Ident:
    name: str
    span: Span = span_field()


# ---------------------------------------------------------------- expressions

@dataclass(frozen=True, slots=True)
class BoolLit:
    value: bool
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class IntLit:
    value: int
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class Ref:
    """A variable or an enum value; analysis decides which."""
    name: str
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class AtState:
    state: Ident
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class Not:
    operand: "Expr"
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: str  # "and" | "or"
    operands: tuple["Expr", ...]
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class Compare:
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


Expr = Union[BoolLit, IntLit, Ref, AtState, Not, BoolOp, Compare, Arith]


@dataclass(frozen=True, slots=True)
class AnyValue:
    """`x = any`: the variable takes any value of its type."""
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class Update:
    var: Ident
    value: Union[Expr, AnyValue]
    span: Span = span_field()


# ---------------------------------------------------------------- types

@dataclass(frozen=True, slots=True)
class BoolType:
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class RangeType:
    low: int
    high: int
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class EnumType:
    values: tuple[Ident, ...]
    span: Span = span_field()


Type = Union[BoolType, RangeType, EnumType]


# ---------------------------------------------------------------- actions

@dataclass(frozen=True, slots=True)
class NamedAction:
    """A tool call or an event, optionally narrowed to one tool outcome (`tool.outcome`)."""
    name: Ident
    outcome: Ident | None = None
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class MessageAction:
    kind: str  # "message" | "handoff"
    sender: Ident
    receiver: Ident
    span: Span = span_field()


ActionRef = Union[NamedAction, MessageAction]


# ---------------------------------------------------------------- declarations

@dataclass(frozen=True, slots=True)
class Header:
    """`workflow NAME`, or `catalog NAME` for a file of declarations to import (`kind`)."""
    name: Ident
    comments: tuple[str, ...] = ()
    kind: str = "workflow"
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class Import:
    path: str
    comments: tuple[str, ...] = ()
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class LabelsDecl:
    """One dimension's order as chains, each stored from lowest to highest."""
    dimension: str  # "confidentiality" | "integrity"
    chains: tuple[tuple[Ident, ...], ...]
    comments: tuple[str, ...] = ()
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class AgentDecl:
    names: tuple[Ident, ...]
    comments: tuple[str, ...] = ()
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class VarDecl:
    name: Ident
    type: Type
    init: Expr
    comments: tuple[str, ...] = ()
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class Outcome:
    name: Ident
    updates: tuple[Update, ...] = ()
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class Regex:
    """A regular expression written as a string (the quotes are not part of `text`)."""
    text: str
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class Param:
    """A tool parameter: `name`, `name: kind` or `name: "regex"` (at most one of the two)."""
    name: str
    kind: Ident | None = None                # a kind name such as `iban`; analysis checks it
    pattern: Regex | None = None
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class ResultField:
    """`PATH: LEVEL` or `PATH: (LEVEL, LEVEL)` in a tool's `returns { ... }`.

    `path` holds the keys from the top; a bare `*` is the key "*", any key."""
    path: tuple[str, ...]
    label: tuple[Ident, ...]                 # one or two levels
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class ToolDecl:
    name: Ident
    params: tuple[Param, ...] = ()
    agents: tuple[Ident, ...] = ()           # empty: every agent may call it
    effect: str | None = None                # "reads" | "writes" | "sends"; None = reads
    returns: tuple[Ident, ...] = ()          # up to one level per dimension; with `fields`,
                                             # the label of values in no named field
    sink: Ident | None = None                # highest confidentiality its arguments may carry
    needs: Ident | None = None               # lowest integrity its arguments must have
    declassify: Ident | None = None
    endorse: Ident | None = None
    guard: Expr | None = None
    updates: tuple[Update, ...] = ()
    outcomes: tuple[Outcome, ...] = ()
    comments: tuple[str, ...] = ()
    span: Span = span_field()
    fields: tuple[ResultField, ...] = ()     # labels of parts of a structured result
    sink_params: tuple[Ident, ...] | None = None   # `sink L on p, q`; None: every argument
    needs_params: tuple[Ident, ...] | None = None  # `needs L on p, q`; None: every argument


@dataclass(frozen=True, slots=True)
class EventDecl:
    name: Ident
    agents: tuple[Ident, ...] = ()
    comments: tuple[str, ...] = ()
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class StateDecl:
    names: tuple[Ident, ...]
    initial: bool = False
    final: bool = False
    comments: tuple[str, ...] = ()
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class Transition:
    source: Ident
    target: Ident
    actions: tuple[ActionRef, ...]
    agents: tuple[Ident, ...] = ()
    declassify: Ident | None = None
    endorse: Ident | None = None
    guard: Expr | None = None
    updates: tuple[Update, ...] = ()
    comments: tuple[str, ...] = ()
    span: Span = span_field()


# ---------------------------------------------------------------- properties

@dataclass(frozen=True, slots=True)
class Never:
    actions: tuple[ActionRef, ...]
    agents: tuple[Ident, ...] = ()
    condition: Expr | None = None
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class FlowSink:
    """A sink of a flow property: a tool or an agent, with `(p, q)` only some of a tool's
    arguments. The span covers the name and the parentheses."""
    name: str
    params: tuple[Ident, ...] | None = None  # None: no parentheses (every argument)
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class Flow:
    """`no flow from S to T, ...` or, for integrity, `no S influence on T, ...`."""
    source: Ident
    sinks: tuple[FlowSink, ...]
    form: str = "flow"  # "flow" | "influence"
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class Order:
    actions: tuple[ActionRef, ...]
    earlier: tuple[ActionRef, ...]
    agents: tuple[Ident, ...] = ()
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class Count:
    limit: int
    actions: tuple[ActionRef, ...]
    agents: tuple[Ident, ...] = ()
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class Always:
    condition: Expr
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class Terminates:
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class NoDeadlock:
    span: Span = span_field()


PropertyBody = Union[Never, Flow, Order, Count, Always, Terminates, NoDeadlock]


@dataclass(frozen=True, slots=True)
class PropertyDecl:
    name: Ident
    body: PropertyBody
    comments: tuple[str, ...] = ()
    span: Span = span_field()


# ---------------------------------------------------------------- trace mapping


@dataclass(frozen=True, slots=True)
class MatchArg:
    """`arg NAME matches|contains|== "pattern"` on a traced tool call."""
    param: Ident
    op: str
    pattern: str
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class MatchOutput:
    """`output matches|contains|== "pattern"` on a tool result or a reply's text."""
    op: str
    pattern: str
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class MatchError:
    """`error`: the traced tool call failed."""
    span: Span = span_field()


# Conditions of `map` declarations combine match atoms with the expression nodes Not/BoolOp.
Match = Union[MatchArg, MatchOutput, MatchError, Not, BoolOp]


@dataclass(frozen=True, slots=True)
class MapTool:
    """`map TRACE_NAME to TOOL[.OUTCOME] [when MATCH]`: how a traced call becomes an action."""
    trace_name: str
    target: NamedAction
    condition: Match | None = None
    comments: tuple[str, ...] = ()
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class MapText:
    """`map reply|user to ACTION [when MATCH]`: an agent's text reply, or a user's message,
    as an action (`output` in MATCH is the text)."""
    source: str  # "reply" | "user"
    target: NamedAction
    condition: Match | None = None
    comments: tuple[str, ...] = ()
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class MapAgent:
    """`map agent TRACE_NAME to AGENT`: which agent produced events named so in a trace."""
    trace_name: str
    agent: Ident
    comments: tuple[str, ...] = ()
    span: Span = span_field()


@dataclass(frozen=True, slots=True)
class PrecisionDecl:
    """`precision conservative|values`: the default precision of trace checking."""
    mode: str
    comments: tuple[str, ...] = ()
    span: Span = span_field()


Decl = Union[Header, Import, LabelsDecl, AgentDecl, VarDecl, ToolDecl, EventDecl, StateDecl,
             Transition, PropertyDecl, MapTool, MapText, MapAgent, PrecisionDecl]


@dataclass(frozen=True, slots=True)
class Workflow:
    """One parsed file: its declarations in source order (its path is in `span.file`)."""
    decls: tuple[Decl, ...]
    trailing_comments: tuple[str, ...] = ()
    span: Span = span_field()
