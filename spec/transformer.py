"""lark parse tree -> typed AST. Builds nodes and spans; does nothing else."""
from __future__ import annotations

from lark import Token, Transformer, v_args

from . import ast
from .span import Span


class ToAst(Transformer):
    def __init__(self, file: str) -> None:
        super().__init__()
        self.file = file

    # -------------------------------------------------------------- helpers
    def _span(self, meta) -> Span:
        return Span(self.file, meta.line, meta.column, meta.end_line, meta.end_column)

    def _tok(self, tok: Token) -> Span:
        return Span(self.file, tok.line, tok.column, tok.end_line, tok.end_column)

    def _ident(self, tok: Token) -> ast.Ident:
        return ast.Ident(str(tok), self._tok(tok))

    def _names(self, node) -> tuple[ast.Ident, ...]:
        return node if node is not None else ()

    # -------------------------------------------------------------- declarations
    @v_args(meta=True)
    def start(self, meta, items):
        span = self._span(meta) if not meta.empty else Span(self.file, 1, 1, 1, 1)
        return ast.Workflow(tuple(items), span=span)

    @v_args(meta=True)
    def header(self, meta, c):
        return ast.Header(self._ident(c[0]), span=self._span(meta))

    @v_args(meta=True)
    def catalog_header(self, meta, c):
        return ast.Header(self._ident(c[0]), kind="catalog", span=self._span(meta))

    @v_args(meta=True)
    def import_decl(self, meta, c):
        return ast.Import(str(c[0])[1:-1], span=self._span(meta))

    @v_args(meta=True)
    def labels_decl(self, meta, c):
        return ast.LabelsDecl(c[0], tuple(c[1:]), span=self._span(meta))

    def dimension(self, c):
        return str(c[0])

    def ascending(self, c):
        return tuple(self._ident(t) for t in c)

    def descending(self, c):
        return tuple(self._ident(t) for t in reversed(c))

    @v_args(meta=True)
    def agent_decl(self, meta, c):
        return ast.AgentDecl(c[0], span=self._span(meta))

    @v_args(meta=True)
    def var_decl(self, meta, c):
        return ast.VarDecl(self._ident(c[0]), c[1], c[2], span=self._span(meta))

    @v_args(meta=True)
    def bool_type(self, meta, c):
        return ast.BoolType(span=self._span(meta))

    @v_args(meta=True)
    def range_type(self, meta, c):
        return ast.RangeType(int(c[0]), int(c[1]), span=self._span(meta))

    @v_args(meta=True)
    def enum_type(self, meta, c):
        return ast.EnumType(c[0], span=self._span(meta))

    @v_args(meta=True)
    def tool_decl(self, meta, c):
        (name, params, agents, effect, returns, fields, sink, needs, declassify, endorse, guard,
         body) = c
        updates, outcomes = (), ()
        if isinstance(body, list):
            outcomes = tuple(body)
        elif body is not None:
            updates = body
        sink, sink_params = sink or (None, None)
        needs, needs_params = needs or (None, None)
        return ast.ToolDecl(
            self._ident(name), params or (), self._names(agents), effect,
            returns or (), sink, needs, declassify, endorse, guard, updates, outcomes,
            span=self._span(meta), fields=fields or (), sink_params=sink_params,
            needs_params=needs_params)

    def param_list(self, c):
        return tuple(c)

    @v_args(meta=True)
    def param(self, meta, c):
        name, kind = c
        return ast.Param(str(name), kind if isinstance(kind, ast.Ident) else None,
                         kind if isinstance(kind, ast.Regex) else None, span=self._span(meta))

    def kind_name(self, c):
        return self._ident(c[0])

    def kind_pattern(self, c):
        return ast.Regex(str(c[0])[1:-1], span=self._tok(c[0]))

    def effect(self, c):
        return str(c[0])

    def by_clause(self, c):
        return c[0]

    def returns_clause(self, c):
        return c[0]

    def returns_bare(self, c):
        return ()

    def label(self, c):
        return tuple(self._ident(t) for t in c if t is not None)

    def field_block(self, c):
        return tuple(c)

    @v_args(meta=True)
    def field(self, meta, c):
        return ast.ResultField(c[0], c[1], span=self._span(meta))

    def field_path(self, c):
        return tuple(str(t)[1:-1] if t.type == "STRING" else str(t) for t in c)

    field_label = label

    def sink_clause(self, c):
        """(level, the parameters after `on` or None)."""
        return self._ident(c[0]), c[1]

    needs_clause = sink_clause

    def declassify_clause(self, c):
        return self._ident(c[0])

    endorse_clause = declassify_clause

    def when_clause(self, c):
        return c[0]

    def outcomes(self, c):
        return list(c)

    @v_args(meta=True)
    def outcome(self, meta, c):
        return ast.Outcome(self._ident(c[0]), c[1] or (), span=self._span(meta))

    def update_block(self, c):
        return tuple(u for u in c if u is not None)

    @v_args(meta=True)
    def assign(self, meta, c):
        return ast.Update(self._ident(c[0]), c[1], span=self._span(meta))

    @v_args(meta=True)
    def assign_any(self, meta, c):
        span = self._span(meta)
        return ast.Update(self._ident(c[0]), ast.AnyValue(span=span), span=span)

    @v_args(meta=True)
    def event_decl(self, meta, c):
        return ast.EventDecl(self._ident(c[0]), self._names(c[1]), span=self._span(meta))

    @v_args(meta=True)
    def state_decl(self, meta, c):
        flags = {str(f[0]) for f in c[1:]}
        return ast.StateDecl(c[0], "initial" in flags, "final" in flags, span=self._span(meta))

    def state_flag(self, c):
        return c

    @v_args(meta=True)
    def transition(self, meta, c):
        source, target, actions, agents, declassify, endorse, guard, updates = c
        return ast.Transition(self._ident(source), self._ident(target), actions,
                              self._names(agents), declassify, endorse, guard, updates or (),
                              span=self._span(meta))

    def action_list(self, c):
        return tuple(c)

    @v_args(meta=True)
    def named_action(self, meta, c):
        return ast.NamedAction(self._ident(c[0]), None, span=self._span(meta))

    @v_args(meta=True)
    def outcome_action(self, meta, c):
        return ast.NamedAction(self._ident(c[0]), self._ident(c[1]), span=self._span(meta))

    @v_args(meta=True)
    def message_action(self, meta, c):
        return ast.MessageAction("message", self._ident(c[0]), self._ident(c[1]), span=self._span(meta))

    @v_args(meta=True)
    def handoff_action(self, meta, c):
        return ast.MessageAction("handoff", self._ident(c[0]), self._ident(c[1]), span=self._span(meta))

    # -------------------------------------------------------------- properties
    @v_args(meta=True)
    def property_decl(self, meta, c):
        return ast.PropertyDecl(self._ident(c[0]), c[1], span=self._span(meta))

    @v_args(meta=True)
    def never_prop(self, meta, c):
        return ast.Never(c[0], self._names(c[1]), c[2], span=self._span(meta))

    def flow_sinks(self, c):
        return tuple(c)

    @v_args(meta=True)
    def flow_sink(self, meta, c):
        return ast.FlowSink(str(c[0]), c[1], span=self._span(meta))

    @v_args(meta=True)
    def flow_prop(self, meta, c):
        return ast.Flow(self._ident(c[0]), c[1], "flow", span=self._span(meta))

    @v_args(meta=True)
    def influence_prop(self, meta, c):
        return ast.Flow(self._ident(c[0]), c[1], "influence", span=self._span(meta))

    @v_args(meta=True)
    def order_prop(self, meta, c):
        return ast.Order(c[0], c[2], self._names(c[1]), span=self._span(meta))

    @v_args(meta=True)
    def count_prop(self, meta, c):
        return ast.Count(int(c[0]), c[1], self._names(c[2]), span=self._span(meta))

    @v_args(meta=True)
    def always_prop(self, meta, c):
        return ast.Always(c[0], span=self._span(meta))

    @v_args(meta=True)
    def terminates_prop(self, meta, c):
        return ast.Terminates(span=self._span(meta))

    @v_args(meta=True)
    def deadlock_prop(self, meta, c):
        return ast.NoDeadlock(span=self._span(meta))

    def name_list(self, c):
        return tuple(self._ident(t) for t in c)

    # -------------------------------------------------------------- trace mapping
    @staticmethod
    def _trace_name(tok: Token) -> str:
        return str(tok)[1:-1] if tok.type == "STRING" else str(tok)

    @v_args(meta=True)
    def map_tool(self, meta, c):
        return ast.MapTool(self._trace_name(c[0]), c[1], c[2], span=self._span(meta))

    @v_args(meta=True)
    def map_text(self, meta, c):
        return ast.MapText(str(c[0][0]), c[1], c[2], span=self._span(meta))

    def text_source(self, c):
        return c

    @v_args(meta=True)
    def map_agent(self, meta, c):
        return ast.MapAgent(self._trace_name(c[0]), self._ident(c[1]), span=self._span(meta))

    @v_args(meta=True)
    def precision_decl(self, meta, c):
        return ast.PrecisionDecl(str(c[0]), span=self._span(meta))

    def match_clause(self, c):
        return c[0]

    @v_args(meta=True)
    def match_or(self, meta, c):
        return c[0] if len(c) == 1 else ast.BoolOp("or", tuple(c), span=self._span(meta))

    @v_args(meta=True)
    def match_and(self, meta, c):
        return c[0] if len(c) == 1 else ast.BoolOp("and", tuple(c), span=self._span(meta))

    @v_args(meta=True)
    def match_not(self, meta, c):
        return ast.Not(c[0], span=self._span(meta))

    @v_args(meta=True)
    def match_arg(self, meta, c):
        return ast.MatchArg(self._ident(c[0]), str(c[1][0]), str(c[2])[1:-1], span=self._span(meta))

    @v_args(meta=True)
    def match_output(self, meta, c):
        return ast.MatchOutput(str(c[0][0]), str(c[1])[1:-1], span=self._span(meta))

    @v_args(meta=True)
    def match_error(self, meta, c):
        return ast.MatchError(span=self._span(meta))

    def match_op(self, c):
        return c

    # -------------------------------------------------------------- expressions
    @v_args(meta=True)
    def or_(self, meta, c):
        return c[0] if len(c) == 1 else ast.BoolOp("or", tuple(c), span=self._span(meta))

    @v_args(meta=True)
    def and_(self, meta, c):
        return c[0] if len(c) == 1 else ast.BoolOp("and", tuple(c), span=self._span(meta))

    @v_args(meta=True)
    def not_(self, meta, c):
        return ast.Not(c[0], span=self._span(meta))

    @v_args(meta=True)
    def compare(self, meta, c):
        if len(c) == 1:
            return c[0]
        return ast.Compare(str(c[1][0]), c[0], c[2], span=self._span(meta))

    def cmp_op(self, c):
        return c

    add_op = cmp_op

    @v_args(meta=True)
    def arith(self, meta, c):
        node = c[0]
        for op, right in zip(c[1::2], c[2::2]):
            left_span = node.span
            span = Span(self.file, left_span.line, left_span.column, right.span.end_line, right.span.end_column)
            node = ast.Arith(str(op[0]), node, right, span=span)
        return node

    @v_args(meta=True)
    def true(self, meta, c):
        return ast.BoolLit(True, span=self._span(meta))

    @v_args(meta=True)
    def false(self, meta, c):
        return ast.BoolLit(False, span=self._span(meta))

    def int_lit(self, c):
        return ast.IntLit(int(c[0]), span=self._tok(c[0]))

    def ref(self, c):
        return ast.Ref(str(c[0]), span=self._tok(c[0]))

    @v_args(meta=True)
    def at_state(self, meta, c):
        return ast.AtState(self._ident(c[0]), span=self._span(meta))
