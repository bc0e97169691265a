"""Typing of expressions and updates against the declared variables, enum values and states."""
from __future__ import annotations

from .. import ast
from .. import model as m
from ..span import Span
from .diagnose import Sink

ExprType = object  # "bool" | "int" | m.EnumSort


def type_name(t: ExprType) -> str:
    return f"enum {t}" if isinstance(t, m.EnumSort) else str(t)


def with_article(t: ExprType) -> str:
    """The type's name with its article: `a bool`, `an int`, `an enum {…}`."""
    name = type_name(t)
    return ("an " if name[0] in "aeiou" else "a ") + name


def sort_type(sort: m.Sort) -> ExprType:
    """The type of an expression that reads a variable of `sort`."""
    if isinstance(sort, m.BoolSort):
        return "bool"
    if isinstance(sort, m.IntSort):
        return "int"
    return sort


class Typer:
    """Resolves and types expressions and updates, reporting WF101 and WF201-WF207.

    A failed subexpression yields None, and its parent gives up without a second diagnostic."""

    __slots__ = ("sorts", "enum_values", "states", "sink")

    def __init__(self, sorts: dict[str, m.Sort], enum_values: dict[str, m.EnumSort],
                 states: dict[str, Span], sink: Sink) -> None:
        self.sorts = sorts
        self.enum_values = enum_values
        self.states = states
        self.sink = sink

    def expr(self, e: ast.Expr) -> tuple[m.Expr | None, ExprType | None]:
        if isinstance(e, ast.BoolLit):
            return m.Const(e.value, span=e.span), "bool"
        if isinstance(e, ast.IntLit):
            return m.Const(e.value, span=e.span), "int"
        if isinstance(e, ast.Ref):
            if e.name in self.sorts:
                return m.Var(e.name, span=e.span), sort_type(self.sorts[e.name])
            if e.name in self.enum_values:
                return m.Const(e.name, span=e.span), self.enum_values[e.name]
            self.sink.unknown("variable", e.name, e.span, list(self.sorts) + list(self.enum_values))
            return None, None
        if isinstance(e, ast.AtState):
            if e.state.name not in self.states:
                self.sink.unknown("state", e.state.name, e.state.span, self.states)
                return None, None
            return m.At(e.state.name, span=e.span), "bool"
        if isinstance(e, ast.Not):
            inner, t = self.typed(e.operand, "bool", "`not`")
            return (m.Not(inner, span=e.span) if inner is not None else None), "bool"
        if isinstance(e, ast.BoolOp):
            parts = [self.typed(o, "bool", f"`{e.op}`")[0] for o in e.operands]
            if any(p is None for p in parts):
                return None, "bool"
            cls = m.And if e.op == "and" else m.Or
            return cls(tuple(parts), span=e.span), "bool"
        if isinstance(e, ast.Arith):
            left, _ = self.typed(e.left, "int", f"`{e.op}`")
            right, _ = self.typed(e.right, "int", f"`{e.op}`")
            if left is None or right is None:
                return None, "int"
            return m.Arith(e.op, left, right, span=e.span), "int"
        if isinstance(e, ast.Compare):
            left, lt = self.expr(e.left)
            right, rt = self.expr(e.right)
            if left is None or right is None:
                return None, "bool"
            if lt != rt:
                self.sink.error("WF201", f"`{e.op}` compares {with_article(lt)} with {with_article(rt)}",
                                e.span, "both sides of a comparison must have the same type")
                return None, "bool"
            if e.op in ("<", "<=", ">", ">=") and lt != "int":
                self.sink.error("WF207", f"`{e.op}` needs numbers, not {type_name(lt)} values", e.span,
                                "use `==` or `!=` for booleans and enum values")
                return None, "bool"
            return m.Cmp(e.op, left, right, span=e.span), "bool"
        raise TypeError(e)  # pragma: no cover - the grammar produces no other node

    def typed(self, e: ast.Expr, want: ExprType, where: str) -> tuple[m.Expr | None, ExprType | None]:
        """`e` typed, or None with WF201 when it is not of type `want` (`where` names the use)."""
        result, t = self.expr(e)
        if result is not None and t != want:
            self.sink.error("WF201", f"{where} needs {with_article(want)}, found {with_article(t)}", e.span,
                            "compare with `==` to get a boolean" if want == "bool" else None)
            return None, None
        return result, t

    def condition(self, e: ast.Expr | None) -> m.Expr | None:
        if e is None:
            return None
        return self.typed(e, "bool", "a condition")[0]

    def updates(self, updates: tuple[ast.Update, ...]) -> tuple[m.Assign, ...]:
        """The well-typed updates, each value within its variable's sort when it is a constant."""
        result = []
        for u in updates:
            name = u.var.name
            if name not in self.sorts:
                self.sink.unknown("variable", name, u.var.span, self.sorts)
                continue
            sort = self.sorts[name]
            if isinstance(u.value, ast.AnyValue):
                result.append(m.Assign(name, None, span=u.span))
                continue
            value, _ = self.typed(u.value, sort_type(sort), f"`{name}`")
            if value is None:
                continue
            if isinstance(sort, m.IntSort) and isinstance(value, m.Const) and not (
                    sort.low <= value.value <= sort.high):
                self.sink.error("WF204", f"`{name}` is set to {value.value}, outside `{sort}`", u.value.span,
                                f"use a value from {sort.low} to {sort.high}")
                continue
            result.append(m.Assign(name, value, span=u.span))
        return tuple(result)
