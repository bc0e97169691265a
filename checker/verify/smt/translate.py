"""System expressions (`SExpr`) as z3 terms, with the meaning spec/semantics.py gives them."""
from __future__ import annotations

import operator

import z3

from wfcheck.spec import system as s

from .values import PC, Values

_CMP = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
        ">": operator.gt, ">=": operator.ge}


class Translator(s.Fold):
    """SExpr -> z3 term over `env` {variable name: term, PC: term}.

    A mirror of spec/semantics._PyTranslator: `At` compares the control state, `Level` is
    its index, `Join`/`Meet`/`Leq` read the lattice tables (max/min/<= on a chain, where
    the index order is the lattice order)."""

    def __init__(self, values: Values, env: dict[str, z3.ExprRef]) -> None:
        self.values = values
        self.system = values.system
        self.env = env

    def on_const(self, e):
        return self.values.constant(e.value)

    def on_var(self, e):
        return self.env[e.name]

    def on_at(self, e):
        return self.env[PC] == self.values.state_index[e.state]

    def on_not(self, e, operand):
        return z3.Not(operand)

    def on_and(self, e, *operands):
        return z3.And(list(operands)) if operands else z3.BoolVal(True)

    def on_or(self, e, *operands):
        return z3.Or(list(operands)) if operands else z3.BoolVal(False)

    def on_cmp(self, e, left, right):
        return _CMP[e.op](left, right)

    def on_arith(self, e, left, right):
        return left + right if e.op == "+" else left - right

    def on_ite(self, e, cond, then, other):
        return z3.If(cond, then, other)

    def on_level(self, e):
        return self.values.level(e.dimension, e.index)

    def on_join(self, e, a, b):
        """Join, Meet and Leq: the table entry of two constant levels; on a chain an
        unsigned comparison; otherwise a look-up, in one dimension when one side is a
        constant level (as it is in most label updates)."""
        lattice = self.system.lattice(e.dimension)
        table, on_chain = _LATTICE_OPS[type(e)]
        table = table(lattice)
        left, right = e.left, e.right

        def value(v) -> z3.ExprRef:
            return z3.BoolVal(v) if isinstance(v, bool) else self.values.level(e.dimension, v)

        if isinstance(left, s.Level) and isinstance(right, s.Level):
            return value(table[left.index][right.index])
        if lattice.is_chain:
            return on_chain(a, b)
        n = len(lattice.levels)
        if isinstance(right, s.Level):
            return _lookup(a, [value(table[i][right.index]) for i in range(n)])
        if isinstance(left, s.Level):
            return _lookup(b, [value(table[left.index][j]) for j in range(n)])
        return _lookup(a, [_lookup(b, [value(table[i][j]) for j in range(n)]) for i in range(n)])

    on_meet = on_leq = on_join


# per lattice operation: its table, and its term on a chain
_LATTICE_OPS = {
    s.Join: (lambda lattice: lattice.join_table, lambda a, b: z3.If(z3.ULE(b, a), a, b)),
    s.Meet: (lambda lattice: lattice.meet_table, lambda a, b: z3.If(z3.ULE(a, b), a, b)),
    s.Leq: (lambda lattice: lattice.leq_table, z3.ULE),
}


def _lookup(index: z3.ExprRef, cases: list[z3.ExprRef]) -> z3.ExprRef:
    """cases[index], for an index known to lie in range(len(cases))."""
    result = cases[-1]
    for i in range(len(cases) - 2, -1, -1):
        result = z3.If(index == i, cases[i], result)
    return result
