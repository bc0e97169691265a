"""Variable declarations: the sort of each variable, the enum values they declare, and their
initial values (literals of the sort)."""
from __future__ import annotations

from dataclasses import dataclass

from .. import ast
from .. import model as m
from .diagnose import Sink
from .expressions import sort_type, with_article
from .names import Names


@dataclass(frozen=True, slots=True)
class Variables:
    """Per variable name its model `Variable` and its sort (a later declaration of the same
    name wins, so that uses type against it); per enum value the enum it belongs to."""
    declared: dict[str, m.Variable]
    sorts: dict[str, m.Sort]
    enum_values: dict[str, m.EnumSort]


# Every checker enumerates a variable's values (the explicit states, z3's value tables, SPIN
# and Lean), so a range is capped: beyond this, memory and time grow without use (issue 17).
MAX_RANGE_VALUES = 10_000


def declare_variables(decls: tuple[ast.Decl, ...], names: Names, sink: Sink) -> Variables:
    """Every variable declaration, in order. An initial value that is not a literal of the
    sort is reported and replaced by the sort's first value."""
    variables = Variables({}, {}, {})
    for decl in decls:
        if isinstance(decl, ast.VarDecl):
            sort = _sort(decl.type, names, variables.enum_values, sink)
            variables.sorts[decl.name.name] = sort
            init = _constant(decl.init, sort, f"the initial value of `{decl.name.name}`", sink)
            if init is None:
                init = sort.values()[0]
            variables.declared[decl.name.name] = m.Variable(decl.name.name, sort, init, span=decl.span)
    return variables


def _sort(t: ast.Type, names: Names, enum_values: dict[str, m.EnumSort], sink: Sink) -> m.Sort:
    """The sort of a declared type; records the values of an enum in `enum_values`."""
    if isinstance(t, ast.BoolType):
        return m.BoolSort()
    if isinstance(t, ast.RangeType):
        if t.low > t.high:
            sink.error("WF203", f"the range `{t.low}..{t.high}` is empty", t.span, "write the smaller bound first")
        elif t.high - t.low >= MAX_RANGE_VALUES:
            sink.error("WF210", f"the range `{t.low}..{t.high}` has {t.high - t.low + 1} values, more than the "
                       f"{MAX_RANGE_VALUES} a variable may take", t.span,
                       "the checkers enumerate every value; model the quantity with a smaller range "
                       "(or an enum of the cases that matter)")
            return m.IntSort(t.low, t.low)
        return m.IntSort(t.low, max(t.low, t.high))
    members = tuple(v.name for v in t.values)
    sort = m.EnumSort(members)
    for position, v in enumerate(t.values):
        if v.name in members[:position]:
            sink.error("WF205", f"enum value `{v.name}` is listed twice", v.span)
        elif v.name in names.variables:
            sink.error("WF205", f"enum value `{v.name}` has the name of a variable", v.span,
                       "rename the value or the variable")
        elif v.name in enum_values and enum_values[v.name] != sort:
            sink.error("WF205", f"enum value `{v.name}` belongs to two different enums", v.span,
                       "give the value a distinct name, or declare both variables with the same values")
        enum_values.setdefault(v.name, sort)
    return sort


def _constant(expr: ast.Expr, sort: m.Sort, what: str, sink: Sink) -> m.Value | None:
    """A literal of `sort` (initial values), checked against ranges."""
    if isinstance(sort, m.BoolSort) and isinstance(expr, ast.BoolLit):
        return expr.value
    if isinstance(sort, m.IntSort) and isinstance(expr, ast.IntLit):
        if not sort.low <= expr.value <= sort.high:
            sink.error("WF204", f"{what} is {expr.value}, outside `{sort}`", expr.span,
                       f"use a value from {sort.low} to {sort.high}")
            return None
        return expr.value
    if isinstance(sort, m.EnumSort) and isinstance(expr, ast.Ref) and expr.name in sort.members:
        return expr.name
    sink.error("WF202", f"{what} must be {with_article(sort_type(sort))} literal", expr.span,
               "one of " + ", ".join(f"`{str(v).lower()}`" for v in sort.values()[:5])
               + (", …" if len(sort.values()) > 5 else ""))
    return None
