"""Lean names for a workflow's types and values, and its expressions as Lean terms.

Every expression of the system (spec/system.py) becomes a term over the configuration `c`:
Boolean expressions become `Bool` terms (`&&`, `||`, `!`, `decide (a = b)`, `decide (a < b)`),
so that every guard and bad condition is a computable function the kernel evaluates; integer
expressions are `Int` terms (the semantics computes on unbounded integers and checks ranges
only when a value is stored); enumeration values, control states and label levels are
constructors; `⊔`, `⊓` and `⊑` are the lattice tables `Conf.join` etc.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from wfcheck.spec import model as m
from wfcheck.spec import system as s

from .names import Scope, camel, escape

# Names of the generated module that no workflow name may take.
FIXED = ("State", "Agent", "Edge", "Config", "Conf", "Integ", "init", "step", "stepBy", "sys",
         "reach", "isFinal", "allEdges", "ranks", "reach_init", "reach_closed")
PRELUDE = ("true", "false", "decide", "absurd", "List", "Bool", "Int", "Nat", "Prop", "Type", "And",
           "Or", "Not", "Eq", "Option", "some", "none", "id", "c", "d", "e", "h", "WfCheck", "System",
           "Reachable", "Invariant", "Terminates", "Enumerable", "bindList", "rankOf", "iterate",
           "follow", "inv_of_reachable", "invariant_of_inductive", "not_invariant",
           "terminates_of_rank", "not_terminates_of_cycle", "dedup", "advance", "firstRejected",
           "Enumerable.decideForall", "stateOk", "stepOk", "eventOk", "events", "after", "conforms",
           "final", "first_problem", "problem_at")


@dataclass
class EnumType:
    name: str                      # the Lean type
    members: tuple[str, ...]       # the .wf values
    ctors: dict[str, str]          # .wf value -> Lean constructor


@dataclass
class Names:
    """The Lean identifiers of one workflow, allocated once, deterministically."""
    top: Scope
    state_ctors: dict[str, str]
    agent_ctors: dict[str, str]
    level_ctors: dict[str, dict[int, str]]          # dimension -> level index -> constructor
    enums: list[EnumType]
    enum_of_value: dict[str, EnumType]
    fields: dict[str, str]                          # system variable -> Config field
    edge_ctors: dict[int, str] = field(default_factory=dict)

    @classmethod
    def build(cls, system: s.System, monitors: tuple[s.SysVar, ...]) -> "Names":
        model = system.model
        top = Scope(PRELUDE)
        for name in FIXED:
            top.fresh(name)
        reserved_ctor = ("join", "meet", "leq", "all")
        states = Scope(reserved_ctor)
        state_ctors = {st: states.fresh(st) for st in model.states}
        agents = Scope(reserved_ctor)
        agent_ctors = {a: agents.fresh(a) for a in model.agents}
        level_ctors = {}
        for dim in (s.CONF, s.INTEG):
            scope = Scope(reserved_ctor)
            level_ctors[dim] = {i: scope.fresh(level) for i, level in enumerate(system.lattice(dim).levels)}
        enums: list[EnumType] = []
        enum_of_value: dict[str, EnumType] = {}
        for var in model.variables:
            if isinstance(var.sort, m.EnumSort) and not any(e.members == var.sort.members for e in enums):
                scope = Scope(reserved_ctor)
                enum = EnumType(top.fresh(camel(var.name)), var.sort.members,
                                {v: scope.fresh(v) for v in var.sort.members})
                enums.append(enum)
                for value in var.sort.members:
                    enum_of_value[value] = enum
        fields = Scope(("state",))
        field_names = {v.name: fields.fresh(v.name) for v in system.vars + monitors}
        edge_ctors = {st.index: f"e{st.index}" for st in system.steps}
        return cls(top, state_ctors, agent_ctors, level_ctors, enums, enum_of_value, field_names, edge_ctors)

    # ------------------------------------------------------------ values
    def state(self, name: str) -> str:
        return f"State.{escape(self.state_ctors[name])}"

    def agent(self, name: str) -> str:
        return f"Agent.{escape(self.agent_ctors[name])}"

    def level(self, dimension: str, index: int) -> str:
        return f"{level_type(dimension)}.{escape(self.level_ctors[dimension][index])}"

    def edge(self, index: int) -> str:
        return f"Edge.{self.edge_ctors[index]}"

    def field(self, var: str) -> str:
        return escape(self.fields[var])

    def value(self, sort, value) -> str:
        """A value of a variable of `sort`, as an argument (parenthesized if needed)."""
        if isinstance(sort, s.LevelSort):
            return self.level(sort.dimension, value)
        if isinstance(sort, m.BoolSort):
            return "true" if value else "false"
        if isinstance(sort, m.IntSort):
            return f"({value})" if value < 0 else str(value)
        enum = self.enum_of_value[value]
        return f"{escape(enum.name)}.{escape(enum.ctors[value])}"

    def type_of(self, sort) -> str:
        if isinstance(sort, s.LevelSort):
            return level_type(sort.dimension)
        if isinstance(sort, m.BoolSort):
            return "Bool"
        if isinstance(sort, m.IntSort):
            return "Int"
        return escape(next(e.name for e in self.enums if e.members == sort.members))

    def domain(self, sort, levels: int = 0) -> str:
        """The list of all values of a sort (the range of an `any` update)."""
        if isinstance(sort, m.BoolSort):
            return "[false, true]"
        if isinstance(sort, m.IntSort):
            return "([" + ", ".join(self.value(sort, v) for v in sort.values()) + "] : List Int)"
        return f"(Enumerable.all : List {self.type_of(sort)})"


def level_type(dimension: str) -> str:
    return "Conf" if dimension == s.CONF else "Integ"


class Translator(s.Fold):
    """SExpr -> Lean term over the configuration `c` (the state before a step). A Boolean
    expression becomes a `Bool` term; any other a term of its sort, parenthesized unless
    atomic."""

    def __init__(self, names: Names, sorts: dict[str, object]) -> None:
        self.names = names
        self.sorts = sorts   # variable -> sort

    def on_const(self, e):
        if isinstance(e.value, bool):
            return "true" if e.value else "false"
        if isinstance(e.value, int):
            return f"({e.value} : Int)"
        return self.names.value(m.EnumSort((e.value,)), e.value)

    def on_var(self, e):
        return f"c.{self.names.field(e.name)}"

    def on_at(self, e):
        return f"decide (c.state = {self.names.state(e.state)})"

    def on_not(self, e, operand):
        return f"(!{operand})"

    def on_and(self, e, *operands):
        return "(" + " && ".join(operands) + ")"

    def on_or(self, e, *operands):
        return "(" + " || ".join(operands) + ")"

    def on_cmp(self, e, left, right):
        if e.op == "==":
            return f"decide ({left} = {right})"
        if e.op == "!=":
            return f"(!decide ({left} = {right}))"
        return f"decide ({left} {_LEAN_CMP[e.op]} {right})"

    def on_arith(self, e, left, right):
        return f"({left} {e.op} {right})"

    def on_ite(self, e, cond, then, other):
        return f"(if {cond} then {then} else {other})"

    def on_level(self, e):
        return self.names.level(e.dimension, e.index)

    def _lattice(self, e, op: str, left: str, right: str) -> str:
        return f"({level_type(e.dimension)}.{op} {left} {right})"

    def on_join(self, e, left, right):
        return self._lattice(e, "join", left, right)

    def on_meet(self, e, left, right):
        return self._lattice(e, "meet", left, right)

    def on_leq(self, e, left, right):
        return self._lattice(e, "leq", left, right)


_LEAN_CMP = {"<": "<", "<=": "≤", ">": ">", ">=": "≥"}


_CONFIG_USE = re.compile(r"(?<![\w.»])c\.")


def uses_config(term: str) -> bool:
    """Whether a translated term mentions the configuration `c`."""
    return _CONFIG_USE.search(term) is not None
