"""Semantic analysis: AST files -> resolved, typed `Model`, or diagnostics.

Checks names (unknown, duplicate, wrong kind, with "did you mean"), types of every
expression and update, that each label order is a lattice, who may perform each action,
and warns about declarations nothing uses. Codes are listed in docs/errors.md.
"""
from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field

from .. import ast
from .. import model as m
from ..diagnostics import Diagnostic, error, warning
from ..fmt import format_property_body
from ..lattice import Lattice, LatticeError, build_lattice, single_level
from ..span import NO_SPAN, Span

DEFAULT_LEVEL = {"confidentiality": "public", "integrity": "trusted"}
ExprType = object  # "bool" | "int" | m.EnumSort


def _type_name(t: ExprType) -> str:
    return f"enum {t}" if isinstance(t, m.EnumSort) else str(t)


def _a(t: ExprType) -> str:
    """The type's name with its article: `a bool`, `an int`, `an enum {…}`."""
    name = _type_name(t)
    return ("an " if name[0] in "aeiou" else "a ") + name


def _suggest(name: str, candidates) -> str | None:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None


@dataclass
class _Names:
    """Declared names per namespace, with the span of their declaration."""
    agents: dict[str, Span] = field(default_factory=dict)
    variables: dict[str, ast.VarDecl] = field(default_factory=dict)
    tools: dict[str, ast.ToolDecl] = field(default_factory=dict)
    events: dict[str, ast.EventDecl] = field(default_factory=dict)
    states: dict[str, Span] = field(default_factory=dict)
    properties: dict[str, Span] = field(default_factory=dict)


class _Analyzer:
    def __init__(self, files: tuple[ast.Workflow, ...]) -> None:
        self.files = files
        self.decls = [d for f in files for d in f.decls]
        self.diags: list[Diagnostic] = []
        self.names = _Names()
        self.sorts: dict[str, m.Sort] = {}
        self.enum_values: dict[str, m.EnumSort] = {}
        self.used_vars: set[str] = set()
        self.used_actions: set[str] = set()
        self.var_ir: dict[str, m.Variable] = {}
        # Per tool: resolved guard, updates, updates per outcome, (declassify, endorse).
        self.tool_guards: dict[str, m.Expr | None] = {}
        self.tool_updates: dict[str, tuple[m.Assign, ...]] = {}
        self.tool_outcome_updates: dict[str, dict[str, tuple[m.Assign, ...]]] = {}
        self.tool_labels: dict[str, tuple[int | None, int | None]] = {}

    # ------------------------------------------------------------ reporting
    def err(self, code: str, message: str, span: Span, help: str | None = None,
            related: tuple[tuple[str, Span], ...] = ()) -> None:
        self.diags.append(error(code, message, span, help, related))

    def warn(self, code: str, message: str, span: Span, help: str | None = None) -> None:
        self.diags.append(warning(code, message, span, help))

    def _declare(self, table: dict, ident: ast.Ident, value, what: str) -> bool:
        if ident.name in table:
            previous = table[ident.name]
            prev_span = previous if isinstance(previous, Span) else previous.name.span
            self.err("WF102", f"{what} `{ident.name}` is declared twice", ident.span,
                     "rename or remove one of the declarations",
                     (("first declared here", prev_span),))
            return False
        table[ident.name] = value
        return True

    def _unknown(self, what: str, ident_name: str, span: Span, candidates) -> None:
        self.err("WF101", f"unknown {what} `{ident_name}`", span,
                 _suggest(ident_name, candidates) or f"declare the {what} first")

    # ------------------------------------------------------------ entry
    def run(self) -> m.Model | None:
        self.conf, self.integ = self._labels()
        self._collect()
        for decl in self.decls:
            if isinstance(decl, ast.VarDecl):
                self._variable(decl)
        tools = [self._tool(d) for d in self.decls if isinstance(d, ast.ToolDecl)]
        self.tool_ir = {t.name: t for t in tools if t is not None}
        events = [self._event(d) for d in self.decls if isinstance(d, ast.EventDecl)]
        self.event_ir = {e.name: e for e in events}
        initial, finals = self._states()
        edges = self._edges()
        properties = self._properties() + self._implicit_properties(edges)
        mapping = self._mapping()
        if not any(d.is_error for d in self.diags):
            self._unused(edges)
        if any(d.is_error for d in self.diags):
            return None
        root = self.files[0] if self.files else None
        header = next((d for d in (root.decls if root else ()) if isinstance(d, ast.Header)), None)
        name = header.name.name if header else (
            os.path.splitext(os.path.basename(root.span.file))[0] if root else "workflow")
        return m.Model(
            name=name, conf=self.conf, integ=self.integ,
            agents=tuple(self.names.agents),
            variables=tuple(self.var_ir[v] for v in self.names.variables),
            tools=tuple(t for t in tools if t is not None), events=tuple(events),
            states=tuple(self.names.states), initial=initial, finals=finals,
            edges=tuple(edges), properties=tuple(properties), mapping=mapping,
            state_spans=tuple(self.names.states.values()),
            span=root.span if root else NO_SPAN)

    # ------------------------------------------------------------ labels
    def _labels(self) -> tuple[Lattice, Lattice]:
        result = {}
        seen_level: dict[str, tuple[str, Span]] = {}
        for dimension in ("confidentiality", "integrity"):
            decls = [d for d in self.decls if isinstance(d, ast.LabelsDecl) and d.dimension == dimension]
            for extra in decls[1:]:
                self.err("WF305", f"labels for {dimension} are declared twice", extra.span,
                         "declare all chains of a dimension in one `labels` line, separated by commas",
                         (("first declared here", decls[0].span),))
            if not decls:
                result[dimension] = single_level(dimension, DEFAULT_LEVEL[dimension])
                continue
            decl = decls[0]
            spans: dict[str, Span] = {}
            for chain in decl.chains:
                for ident in chain:
                    other = seen_level.get(ident.name)
                    if other and other[0] != dimension:
                        self.err("WF303", f"level `{ident.name}` is declared in both dimensions",
                                 ident.span, "give confidentiality and integrity levels distinct names",
                                 (("also declared here", other[1]),))
                    seen_level.setdefault(ident.name, (dimension, ident.span))
                    spans.setdefault(ident.name, ident.span)
            try:
                result[dimension] = build_lattice(
                    dimension, [tuple(i.name for i in chain) for chain in decl.chains], spans)
            except LatticeError as exc:
                if exc.kind == "cycle":
                    self.err("WF301", f"the {dimension} order has a cycle through "
                             + ", ".join(f"`{n}`" for n in exc.levels), decl.span,
                             "a label order must not loop back on itself")
                else:
                    bound = "least upper bound" if exc.kind == "no-join" else "greatest lower bound"
                    a, b = exc.levels
                    self.err("WF302", f"the {dimension} levels are not a lattice: `{a}` and `{b}` "
                             f"have no unique {bound}", decl.span,
                             f"add an order between `{a}` and `{b}`, or a level above (or below) both")
                # Keep every declared level (as a chain) so later uses resolve without knock-on errors.
                names = list(dict.fromkeys(i.name for chain in decl.chains for i in chain))
                result[dimension] = build_lattice(dimension, [tuple(names)], spans)
        return result["confidentiality"], result["integrity"]

    def _level(self, ident: ast.Ident, lattice: Lattice, role: str) -> int | None:
        if ident.name in lattice.levels:
            return lattice.index(ident.name)
        other = self.integ if lattice is self.conf else self.conf
        if ident.name in other.levels:
            self.err("WF304", f"`{ident.name}` is a{'n' if other.dimension[0] == 'i' else ''} "
                     f"{other.dimension} level, but {role} takes a {lattice.dimension} level",
                     ident.span, "use one of " + ", ".join(f"`{lv}`" for lv in lattice.levels))
        else:
            self._unknown(f"{lattice.dimension} level", ident.name, ident.span, lattice.levels)
        return None

    # ------------------------------------------------------------ names
    def _collect(self) -> None:
        n = self.names
        for decl in self.decls:
            if isinstance(decl, ast.AgentDecl):
                for ident in decl.names:
                    self._declare(n.agents, ident, ident.span, "agent")
            elif isinstance(decl, ast.VarDecl):
                self._declare(n.variables, decl.name, decl, "variable")
            elif isinstance(decl, ast.ToolDecl):
                if decl.name.name in n.events:
                    self.err("WF102", f"`{decl.name.name}` is declared as an event and a tool", decl.name.span)
                self._declare(n.tools, decl.name, decl, "tool")
            elif isinstance(decl, ast.EventDecl):
                if decl.name.name in n.tools:
                    self.err("WF102", f"`{decl.name.name}` is declared as a tool and an event", decl.name.span)
                self._declare(n.events, decl.name, decl, "event")
            elif isinstance(decl, ast.StateDecl):
                for ident in decl.names:
                    self._declare(n.states, ident, ident.span, "state")
            elif isinstance(decl, ast.PropertyDecl):
                self._declare(n.properties, decl.name, decl.name.span, "property")

    def _agents(self, idents: tuple[ast.Ident, ...]) -> tuple[str, ...]:
        result = []
        for ident in idents:
            if ident.name not in self.names.agents:
                self._unknown("agent", ident.name, ident.span, self.names.agents)
            elif ident.name not in result:
                result.append(ident.name)
        return tuple(result)

    # ------------------------------------------------------------ variables
    def _variable(self, decl: ast.VarDecl) -> None:
        t = decl.type
        if isinstance(t, ast.BoolType):
            sort: m.Sort = m.BoolSort()
        elif isinstance(t, ast.RangeType):
            if t.low > t.high:
                self.err("WF203", f"the range `{t.low}..{t.high}` is empty", t.span,
                         "write the smaller bound first")
            sort = m.IntSort(t.low, max(t.low, t.high))
        else:
            members = tuple(v.name for v in t.values)
            sort = m.EnumSort(members)
            for position, v in enumerate(t.values):
                if v.name in members[:position]:
                    self.err("WF205", f"enum value `{v.name}` is listed twice", v.span)
                elif v.name in self.names.variables:
                    self.err("WF205", f"enum value `{v.name}` has the name of a variable", v.span,
                             "rename the value or the variable")
                elif v.name in self.enum_values and self.enum_values[v.name] != sort:
                    self.err("WF205", f"enum value `{v.name}` belongs to two different enums", v.span,
                             "give the value a distinct name, or declare both variables with the same values")
                self.enum_values.setdefault(v.name, sort)
        self.sorts[decl.name.name] = sort
        init = self._constant(decl.init, sort, f"the initial value of `{decl.name.name}`")
        if init is None:
            init = sort.values()[0]
        self.var_ir[decl.name.name] = m.Variable(decl.name.name, sort, init, span=decl.span)

    def _constant(self, expr: ast.Expr, sort: m.Sort, what: str) -> m.Value | None:
        """A literal of `sort` (initial values), checked against ranges."""
        if isinstance(sort, m.BoolSort) and isinstance(expr, ast.BoolLit):
            return expr.value
        if isinstance(sort, m.IntSort) and isinstance(expr, ast.IntLit):
            if not sort.low <= expr.value <= sort.high:
                self.err("WF204", f"{what} is {expr.value}, outside `{sort}`", expr.span,
                         f"use a value from {sort.low} to {sort.high}")
                return None
            return expr.value
        if isinstance(sort, m.EnumSort) and isinstance(expr, ast.Ref) and expr.name in sort.members:
            return expr.name
        self.err("WF202", f"{what} must be {_a(self._sort_type(sort))} literal", expr.span,
                 "one of " + ", ".join(f"`{str(v).lower()}`" for v in sort.values()[:5])
                 + (", …" if len(sort.values()) > 5 else ""))
        return None

    @staticmethod
    def _sort_type(sort: m.Sort) -> ExprType:
        if isinstance(sort, m.BoolSort):
            return "bool"
        if isinstance(sort, m.IntSort):
            return "int"
        return sort

    # ------------------------------------------------------------ expressions
    def expr(self, e: ast.Expr) -> tuple[m.Expr | None, ExprType | None]:
        if isinstance(e, ast.BoolLit):
            return m.Const(e.value, span=e.span), "bool"
        if isinstance(e, ast.IntLit):
            return m.Const(e.value, span=e.span), "int"
        if isinstance(e, ast.Ref):
            if e.name in self.sorts:
                self.used_vars.add(e.name)
                return m.Var(e.name, span=e.span), self._sort_type(self.sorts[e.name])
            if e.name in self.enum_values:
                return m.Const(e.name, span=e.span), self.enum_values[e.name]
            self._unknown("variable", e.name, e.span, list(self.sorts) + list(self.enum_values))
            return None, None
        if isinstance(e, ast.AtState):
            if e.state.name not in self.names.states:
                self._unknown("state", e.state.name, e.state.span, self.names.states)
                return None, None
            return m.At(e.state.name, span=e.span), "bool"
        if isinstance(e, ast.Not):
            inner, t = self._typed(e.operand, "bool", "`not`")
            return (m.Not(inner, span=e.span) if inner is not None else None), "bool"
        if isinstance(e, ast.BoolOp):
            parts = [self._typed(o, "bool", f"`{e.op}`")[0] for o in e.operands]
            if any(p is None for p in parts):
                return None, "bool"
            cls = m.And if e.op == "and" else m.Or
            return cls(tuple(parts), span=e.span), "bool"
        if isinstance(e, ast.Arith):
            left, _ = self._typed(e.left, "int", f"`{e.op}`")
            right, _ = self._typed(e.right, "int", f"`{e.op}`")
            if left is None or right is None:
                return None, "int"
            return m.Arith(e.op, left, right, span=e.span), "int"
        if isinstance(e, ast.Compare):
            left, lt = self.expr(e.left)
            right, rt = self.expr(e.right)
            if left is None or right is None:
                return None, "bool"
            if lt != rt:
                self.err("WF201", f"`{e.op}` compares {_a(lt)} with {_a(rt)}",
                         e.span, "both sides of a comparison must have the same type")
                return None, "bool"
            if e.op in ("<", "<=", ">", ">=") and lt != "int":
                self.err("WF207", f"`{e.op}` needs numbers, not {_type_name(lt)} values", e.span,
                         "use `==` or `!=` for booleans and enum values")
                return None, "bool"
            return m.Cmp(e.op, left, right, span=e.span), "bool"
        raise TypeError(e)  # pragma: no cover - the grammar produces no other node

    def _typed(self, e: ast.Expr, want: ExprType, where: str) -> tuple[m.Expr | None, ExprType | None]:
        result, t = self.expr(e)
        if result is not None and t != want:
            self.err("WF201", f"{where} needs {_a(want)}, found {_a(t)}", e.span,
                     "compare with `==` to get a boolean" if want == "bool" else None)
            return None, None
        return result, t

    def condition(self, e: ast.Expr | None) -> m.Expr | None:
        if e is None:
            return None
        return self._typed(e, "bool", "a condition")[0]

    def updates(self, updates: tuple[ast.Update, ...]) -> tuple[m.Assign, ...]:
        result = []
        for u in updates:
            name = u.var.name
            if name not in self.sorts:
                self._unknown("variable", name, u.var.span, self.sorts)
                continue
            sort = self.sorts[name]
            if isinstance(u.value, ast.AnyValue):
                result.append(m.Assign(name, None, span=u.span))
                continue
            value, _ = self._typed(u.value, self._sort_type(sort), f"`{name}`")
            if value is None:
                continue
            if isinstance(sort, m.IntSort) and isinstance(value, m.Const) and not (
                    sort.low <= value.value <= sort.high):
                self.err("WF204", f"`{name}` is set to {value.value}, outside `{sort}`", u.value.span,
                         f"use a value from {sort.low} to {sort.high}")
                continue
            result.append(m.Assign(name, value, span=u.span))
        return tuple(result)

    def _merge_updates(self, *groups: tuple[m.Assign, ...]) -> tuple[m.Assign, ...]:
        seen: dict[str, Span] = {}
        merged = []
        for group in groups:
            for a in group:
                if a.var in seen:
                    self.err("WF206", f"`{a.var}` is assigned twice in one step", a.span,
                             "a step assigns each variable at most once; combine the updates",
                             (("also assigned here", seen[a.var]),))
                    continue
                seen[a.var] = a.span
                merged.append(a)
        return tuple(merged)

    # ------------------------------------------------------------ tools and events
    def _tool(self, d: ast.ToolDecl) -> m.Tool | None:
        if self.names.tools.get(d.name.name) is not d:
            return None  # a duplicate, already reported
        agents = self._agents(d.agents) if d.agents else tuple(self.names.agents)
        if not self.names.agents:
            self.err("WF410", f"tool `{d.name.name}` has no agent to call it", d.name.span,
                     "declare the agents with `agent NAME`")
        conf, integ = self.conf.bottom, self.integ.top
        seen_dims: set[str] = set()
        for ident in d.returns:
            if ident.name in self.conf.levels:
                dimension, conf = "confidentiality", self.conf.index(ident.name)
            elif ident.name in self.integ.levels:
                dimension, integ = "integrity", self.integ.index(ident.name)
            else:
                self._unknown("label level", ident.name, ident.span, self.conf.levels + self.integ.levels)
                continue
            if dimension in seen_dims:
                self.err("WF304", f"`returns` names two {dimension} levels", ident.span,
                         "give at most one level per dimension: `returns secret, untrusted`")
            seen_dims.add(dimension)
        sink = self._level(d.sink, self.conf, "`sink`") if d.sink else None
        needs = self._level(d.needs, self.integ, "`needs`") if d.needs else None
        outcomes = []
        for o in d.outcomes:
            if o.name.name in outcomes:
                self.err("WF102", f"outcome `{o.name.name}` is declared twice", o.name.span)
            outcomes.append(o.name.name)
        self.tool_guards[d.name.name] = self.condition(d.guard)
        self.tool_updates[d.name.name] = self.updates(d.updates)
        self.tool_outcome_updates[d.name.name] = {o.name.name: self.updates(o.updates) for o in d.outcomes}
        self.tool_labels[d.name.name] = (
            self._level(d.declassify, self.conf, "`declassify`") if d.declassify else None,
            self._level(d.endorse, self.integ, "`endorse`") if d.endorse else None)
        return m.Tool(d.name.name, tuple(p.name for p in d.params), agents, d.effect or "reads",
                      m.Label(conf, integ), sink, needs, tuple(outcomes), span=d.span)

    def _event(self, d: ast.EventDecl) -> m.Event:
        return m.Event(d.name.name, self._agents(d.agents), span=d.span)

    # ------------------------------------------------------------ states
    def _states(self) -> tuple[str, tuple[str, ...]]:
        decls = [d for d in self.decls if isinstance(d, ast.StateDecl)]
        initial = [i for d in decls if d.initial for i in d.names]
        finals = tuple(dict.fromkeys(i.name for d in decls if d.final for i in d.names))
        anchor = self.files[0].span if self.files else NO_SPAN
        if not decls:
            self.err("WF401", "the workflow declares no states", anchor,
                      "declare control states, e.g. `state start initial` and `state done final`")
            return "", ()
        if not initial:
            self.err("WF401", "no state is marked `initial`", decls[0].span,
                     "mark exactly one state `initial`")
            return decls[0].names[0].name, finals
        for extra in initial[1:]:
            self.err("WF401", f"`{extra.name}` is a second initial state", extra.span,
                     "mark exactly one state `initial`", (("the first is here", initial[0].span),))
        if not finals:
            self.warn("WF402", "no state is marked `final`", decls[0].span,
                      "mark the states where a run may end `final`; termination needs one")
        return initial[0].name, finals

    # ------------------------------------------------------------ transitions -> edges
    def _edges(self) -> list[m.Edge]:
        edges: list[m.Edge] = []
        for t in (d for d in self.decls if isinstance(d, ast.Transition)):
            ok = True
            for ident in (t.source, t.target):
                if ident.name not in self.names.states:
                    self._unknown("state", ident.name, ident.span, self.names.states)
                    ok = False
            restrict = self._agents(t.agents)
            guard = self.condition(t.guard)
            updates = self.updates(t.updates)
            declassify = self._level(t.declassify, self.conf, "`declassify`") if t.declassify else None
            endorse = self._level(t.endorse, self.integ, "`endorse`") if t.endorse else None
            for action in t.actions:
                for act, decl_span, guards, assigns, decl_d, decl_e in self._expand(action, t, restrict):
                    if not ok:
                        continue
                    if act.agent is None and (declassify is not None or endorse is not None):
                        self.warn("WF504", f"`declassify`/`endorse` has no effect on environment event "
                                  f"`{act.name}`", t.span, "they change the acting agent's label; give the "
                                  "event a `by` agent")
                    conj = [g for g in (*guards, guard) if g is not None]
                    full_guard = conj[0] if len(conj) == 1 else (m.And(tuple(conj)) if conj else m.TRUE)
                    d = _combine(declassify, decl_d, self.conf.meet)
                    e = _combine(endorse, decl_e, self.integ.join)
                    edges.append(m.Edge(
                        len(edges), t.source.name, t.target.name, act, full_guard,
                        self._merge_updates(assigns, updates), d, e,
                        span=t.span, action_span=action.span, decl_span=decl_span))
        return edges

    def _expand(self, action: ast.ActionRef, t: ast.Transition, restrict: tuple[str, ...]):
        """(Action, decl span, guards, assigns, declassify, endorse) for each concrete step."""
        if isinstance(action, ast.MessageAction):
            for ident in (action.sender, action.receiver):
                if ident.name not in self.names.agents:
                    self._unknown("agent", ident.name, ident.span, self.names.agents)
                    return
            if t.agents:
                self.err("WF409", f"`by` does not apply to a {action.kind}", t.span,
                         f"the sender of `{action.kind} A to B` is A")
                return
            yield (m.Action(action.kind, action.kind, action.sender.name, action.receiver.name),
                   action.span, (), (), None, None)
            return
        name = action.name.name
        self.used_actions.add(name)
        if name in self.tool_ir:
            tool = self.tool_ir[name]
            performers = [a for a in tool.agents if not restrict or a in restrict]
            if not performers and tool.agents:
                self.err("WF403", f"no agent in `by` may call `{name}`", t.span,
                         f"`{name}` may be called by " + ", ".join(f"`{a}`" for a in tool.agents))
                return
            outcomes: tuple[str | None, ...] = tool.outcomes or (None,)
            if action.outcome is not None:
                if action.outcome.name not in tool.outcomes:
                    self._unknown(f"outcome of `{name}`", action.outcome.name, action.outcome.span,
                                  tool.outcomes)
                    return
                outcomes = (action.outcome.name,)
            declassify, endorse = self.tool_labels[name]
            for agent in performers:
                for outcome in outcomes:
                    assigns = self.tool_updates[name] + (
                        self.tool_outcome_updates[name].get(outcome, ()) if outcome else ())
                    yield (m.Action("tool", name, agent, None, outcome), tool.span,
                           (self.tool_guards[name],), self._merge_updates(assigns), declassify, endorse)
            return
        if name in self.event_ir:
            if action.outcome is not None:
                self.err("WF404", f"event `{name}` has no outcomes", action.outcome.span,
                         "only tools declare outcomes")
                return
            event = self.event_ir[name]
            performers = event.agents or (None,)
            if restrict:
                if event.agents:
                    performers = tuple(a for a in event.agents if a in restrict)
                    if not performers:
                        self.err("WF403", f"no agent in `by` may perform `{name}`", t.span)
                        return
                else:
                    performers = restrict
            for agent in performers:
                yield m.Action("event", name, agent), event.span, (), (), None, None
            return
        if name in self.names.tools:
            return  # a duplicate tool declaration, already reported
        self._unknown("tool or event", name, action.name.span, list(self.tool_ir) + list(self.event_ir))

    # ------------------------------------------------------------ properties
    def _pattern(self, actions: tuple[ast.ActionRef, ...], agents: tuple[ast.Ident, ...]) -> m.ActionPattern | None:
        items = []
        ok = True
        for action in actions:
            if isinstance(action, ast.MessageAction):
                for ident in (action.sender, action.receiver):
                    if ident.name not in self.names.agents:
                        self._unknown("agent", ident.name, ident.span, self.names.agents)
                        ok = False
                items.append((action.kind, action.sender.name, action.receiver.name))
                continue
            name = action.name.name
            if name in self.tool_ir:
                kind = "tool"
                outcome = action.outcome.name if action.outcome else None
                if outcome is not None and outcome not in self.tool_ir[name].outcomes:
                    self._unknown(f"outcome of `{name}`", outcome, action.outcome.span,
                                  self.tool_ir[name].outcomes)
                    ok = False
            elif name in self.event_ir:
                kind, outcome = "event", None
            else:
                self._unknown("tool or event", name, action.name.span,
                              list(self.tool_ir) + list(self.event_ir))
                ok = False
                continue
            items.append((kind, name, outcome))
        resolved_agents = self._agents(agents)
        if len(resolved_agents) != len({a.name for a in agents}):
            ok = False
        return m.ActionPattern(tuple(items), resolved_agents) if ok else None

    def _flow_source(self, ident: ast.Ident) -> tuple[str, str | int] | None:
        if ident.name in self.conf.levels:
            return "conf", self.conf.index(ident.name)
        if ident.name in self.integ.levels:
            return "integ", self.integ.index(ident.name)
        if ident.name in self.tool_ir:
            return "tool", ident.name
        self._unknown("label level or tool", ident.name, ident.span,
                      self.conf.levels + self.integ.levels + tuple(self.tool_ir))
        return None

    def _properties(self) -> list[m.Property]:
        result = []
        for d in self.decls:
            if not isinstance(d, ast.PropertyDecl) or self.names.properties.get(d.name.name) is not d.name.span:
                continue
            kinds = self._property_kinds(d.body)
            if kinds:
                result.append(m.Property(d.name.name, kinds, False, format_property_body(d.body), span=d.span))
        return result

    def _property_kinds(self, body: ast.PropertyBody) -> tuple[m.PropertyKind, ...] | None:
        if isinstance(body, ast.Never):
            pattern = self._pattern(body.actions, body.agents)
            condition = self.condition(body.condition)
            if pattern is None or (body.condition is not None and condition is None):
                return None
            return (m.Never(pattern, condition),)
        if isinstance(body, ast.Flow):
            source = self._flow_source(body.source)
            if source is None:
                return None
            if body.form == "influence" and source[0] != "integ":
                self.warn("WF505", f"`{body.source.name}` is not an integrity level, so this is "
                          f"`no flow from {body.source.name} to …`", body.source.span,
                          "write it as `no flow from` for a confidentiality level or a tool")
            kinds = []
            for sink in body.sinks:
                if sink.name in self.tool_ir:
                    kinds.append(m.FlowToTool(*source, m.ActionPattern((("tool", sink.name, None),))))
                elif sink.name in self.names.agents:
                    kinds.append(m.FlowToAgent(*source, sink.name))
                else:
                    self._unknown("tool or agent", sink.name, sink.span,
                                  list(self.tool_ir) + list(self.names.agents))
                    return None
            return tuple(kinds)
        if isinstance(body, ast.Order):
            pattern = self._pattern(body.actions, body.agents)
            earlier = self._pattern(body.earlier, ())
            return (m.Order(pattern, earlier),) if pattern and earlier else None
        if isinstance(body, ast.Count):
            if body.limit < 0:
                self.err("WF406", f"`at most {body.limit}` is negative", body.span,
                         "use `never` to forbid an action")
                return None
            pattern = self._pattern(body.actions, body.agents)
            return (m.Count(body.limit, pattern),) if pattern else None
        if isinstance(body, ast.Always):
            condition = self.condition(body.condition)
            return (m.Always(condition),) if condition is not None else None
        if isinstance(body, ast.Terminates):
            return (m.Terminates(),)
        return (m.NoDeadlock(),)

    def _implicit_properties(self, edges: list[m.Edge]) -> list[m.Property]:
        result = []
        for tool in self.tool_ir.values():
            if tool.sink is not None:
                result.append(m.Property(f"{tool.name}.sink", (m.SinkBound(tool.name, tool.sink),), True,
                                         f"arguments of `{tool.name}` carry at most `{self.conf.levels[tool.sink]}`",
                                         span=tool.span))
            if tool.needs is not None:
                result.append(m.Property(f"{tool.name}.needs", (m.IntegrityNeed(tool.name, tool.needs),), True,
                                         f"arguments of `{tool.name}` carry at least `{self.integ.levels[tool.needs]}`",
                                         span=tool.span))
        arithmetic = {a.var for e in edges for a in e.assigns
                      if a.value is not None and not isinstance(a.value, m.Const)
                      and isinstance(self.sorts[a.var], m.IntSort)}
        for name in self.names.variables:
            if name in arithmetic:
                result.append(m.Property(f"{name}.range", (m.InRange(name),), True,
                                         f"`{name}` stays within `{self.sorts[name]}`",
                                         span=self.names.variables[name].span))
        return result

    # ------------------------------------------------------------ trace mapping
    def _match(self, e) -> m.Match | None:
        if isinstance(e, ast.MatchArg):
            return m.MatchArg(e.param.name, e.op, e.pattern)
        if isinstance(e, ast.MatchOutput):
            return m.MatchOutput(e.op, e.pattern)
        if isinstance(e, ast.MatchError):
            return m.MatchError()
        if isinstance(e, ast.Not):
            inner = self._match(e.operand)
            return m.MatchNot(inner) if inner is not None else None
        parts = [self._match(o) for o in e.operands]
        if any(p is None for p in parts):
            return None
        return (m.MatchAll if e.op == "and" else m.MatchAny)(tuple(parts))

    def _map_target(self, target: ast.NamedAction) -> tuple[str, str | None] | None:
        name = target.name.name
        if name in self.tool_ir:
            outcome = target.outcome.name if target.outcome else None
            if outcome is not None and outcome not in self.tool_ir[name].outcomes:
                self._unknown(f"outcome of `{name}`", outcome, target.outcome.span, self.tool_ir[name].outcomes)
                return None
            return name, outcome
        if name in self.event_ir and target.outcome is None:
            return name, None
        if name in self.event_ir:
            self.err("WF404", f"event `{name}` has no outcomes", target.outcome.span, "only tools declare outcomes")
            return None
        self._unknown("tool or event", name, target.name.span, list(self.tool_ir) + list(self.event_ir))
        return None

    def _mapping(self) -> m.TraceMapping:
        actions, agents, precision = [], [], None
        seen_agents: dict[str, Span] = {}
        for d in self.decls:
            if isinstance(d, (ast.MapTool, ast.MapText)):
                target = self._map_target(d.target)
                condition = self._match(d.condition) if d.condition is not None else None
                if target is not None:
                    self.used_actions.add(target[0])
                    trace_name = d.trace_name if isinstance(d, ast.MapTool) else f"@{d.source}"
                    actions.append(m.ActionMap(trace_name, target[0], target[1], condition, span=d.span))
            elif isinstance(d, ast.MapAgent):
                if d.trace_name in seen_agents:
                    self.err("WF102", f"trace agent `{d.trace_name}` is mapped twice", d.span,
                             "map each name in traces to one agent", (("first mapped here", seen_agents[d.trace_name]),))
                    continue
                seen_agents[d.trace_name] = d.span
                resolved = self._agents((d.agent,))
                if resolved:
                    agents.append((d.trace_name, resolved[0]))
            elif isinstance(d, ast.PrecisionDecl):
                if precision is not None:
                    self.err("WF102", "`precision` is declared twice", d.span, "keep one `precision` line")
                precision = d.mode
        return m.TraceMapping(tuple(actions), tuple(agents), precision or "conservative")

    # ------------------------------------------------------------ unused declarations
    def _unused(self, edges: list[m.Edge]) -> None:
        for name, decl in self.names.tools.items():
            if name not in self.used_actions:
                self.warn("WF501", f"tool `{name}` is not used by any transition", decl.name.span,
                          "add a transition `A -> B on " + name + "` or remove the tool")
        for name, decl in self.names.events.items():
            if name not in self.used_actions:
                self.warn("WF501", f"event `{name}` is not used by any transition", decl.name.span,
                          "add a transition that uses it or remove the event")
        for name, decl in self.names.variables.items():
            if name not in self.used_vars:
                self.warn("WF502", f"variable `{name}` is never read", decl.name.span,
                          "use it in a guard or property, or remove it")
        acting = {e.action.agent for e in edges} | {e.action.receiver for e in edges}
        for name, span in self.names.agents.items():
            if name not in acting:
                self.warn("WF503", f"agent `{name}` takes part in no transition", span,
                          "give it an action or remove it")


def _combine(a: int | None, b: int | None, op) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return op(a, b)


def analyze(files: tuple[ast.Workflow, ...]) -> tuple[m.Model | None, tuple[Diagnostic, ...]]:
    """Resolve and check parsed files (root first). The model is None if there are errors."""
    analyzer = _Analyzer(files)
    model = analyzer.run()
    return model, tuple(sorted(analyzer.diags, key=lambda d: (d.span.file != files[0].span.file if files else 0,
                                                               d.span.file, d.span.line, d.span.column)))
