"""System expressions (`SExpr`) as z3 terms, with the meaning spec/semantics.py gives them."""
from __future__ import annotations

import operator

import z3

from wfcheck.spec import model as m
from wfcheck.spec import system as s

from .values import PC, Values

_CMP = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
        ">": operator.gt, ">=": operator.ge}


class Translator:
    """SExpr -> z3 term over an environment {variable name: term, PC: term}.

    A mirror of spec/semantics._PyTranslator: `At` compares the control state, `Level` is
    its index, `Join`/`Meet`/`Leq` read the lattice tables (max/min/<= on a chain, where
    the index order is the lattice order)."""

    def __init__(self, values: Values) -> None:
        self.values = values
        self.system = values.system

    def __call__(self, e, env: dict[str, z3.ExprRef]) -> z3.ExprRef:
        if isinstance(e, m.Const):
            return self.values.constant(e.value)
        if isinstance(e, m.Var):
            return env[e.name]
        if isinstance(e, m.At):
            return env[PC] == self.values.state_index[e.state]
        if isinstance(e, m.Not):
            return z3.Not(self(e.operand, env))
        if isinstance(e, m.And):
            return z3.And([self(o, env) for o in e.operands]) if e.operands else z3.BoolVal(True)
        if isinstance(e, m.Or):
            return z3.Or([self(o, env) for o in e.operands]) if e.operands else z3.BoolVal(False)
        if isinstance(e, m.Cmp):
            return _CMP[e.op](self(e.left, env), self(e.right, env))
        if isinstance(e, m.Arith):
            left, right = self(e.left, env), self(e.right, env)
            return left + right if e.op == "+" else left - right
        if isinstance(e, s.Ite):
            return z3.If(self(e.cond, env), self(e.then, env), self(e.other, env))
        if isinstance(e, s.Level):
            return self.values.level(e.dimension, e.index)
        if isinstance(e, (s.Join, s.Meet, s.Leq)):
            return self._lattice(e, env)
        raise TypeError(f"cannot translate {e!r}")  # pragma: no cover

    def _lattice(self, e, env) -> z3.ExprRef:
        lattice = self.system.lattice(e.dimension)
        if isinstance(e, s.Join):
            table = lattice.join_table
        elif isinstance(e, s.Meet):
            table = lattice.meet_table
        else:
            table = lattice.leq_table
        left, right = e.left, e.right

        def value(v) -> z3.ExprRef:
            return z3.BoolVal(v) if isinstance(v, bool) else self.values.level(e.dimension, v)

        if isinstance(left, s.Level) and isinstance(right, s.Level):
            return value(table[left.index][right.index])
        a, b = self(left, env), self(right, env)
        if lattice.is_chain:
            if isinstance(e, s.Join):
                return z3.If(z3.ULE(b, a), a, b)
            if isinstance(e, s.Meet):
                return z3.If(z3.ULE(a, b), a, b)
            return z3.ULE(a, b)
        n = len(lattice.levels)
        if isinstance(right, s.Level):
            return _lookup(a, [value(table[i][right.index]) for i in range(n)])
        if isinstance(left, s.Level):
            return _lookup(b, [value(table[left.index][j]) for j in range(n)])
        return _lookup(a, [_lookup(b, [value(table[i][j]) for j in range(n)]) for i in range(n)])


def _lookup(index: z3.ExprRef, cases: list[z3.ExprRef]) -> z3.ExprRef:
    """cases[index], for an index known to lie in range(len(cases))."""
    result = cases[-1]
    for i in range(len(cases) - 2, -1, -1):
        result = z3.If(index == i, cases[i], result)
    return result


def variables_of(e, out: set[str]) -> set[str]:
    """The variable names an expression reads."""
    if isinstance(e, m.Var):
        out.add(e.name)
    elif isinstance(e, m.Not):
        variables_of(e.operand, out)
    elif isinstance(e, (m.And, m.Or)):
        for o in e.operands:
            variables_of(o, out)
    elif isinstance(e, (m.Cmp, m.Arith, s.Join, s.Meet, s.Leq)):
        variables_of(e.left, out)
        variables_of(e.right, out)
    elif isinstance(e, s.Ite):
        variables_of(e.cond, out)
        variables_of(e.then, out)
        variables_of(e.other, out)
    return out


def evaluate(e, env: dict, system: s.System):
    """The value of `e` in a configuration {name: raw value, PC: state name}; the same
    meaning as the interpreter's compiled Python (used to fill in sliced variables)."""
    if isinstance(e, m.Const):
        return e.value
    if isinstance(e, m.Var):
        return env[e.name]
    if isinstance(e, m.At):
        return env[PC] == e.state
    if isinstance(e, m.Not):
        return not evaluate(e.operand, env, system)
    if isinstance(e, m.And):
        return all(evaluate(o, env, system) for o in e.operands)
    if isinstance(e, m.Or):
        return any(evaluate(o, env, system) for o in e.operands)
    if isinstance(e, m.Cmp):
        return _CMP[e.op](evaluate(e.left, env, system), evaluate(e.right, env, system))
    if isinstance(e, m.Arith):
        left, right = evaluate(e.left, env, system), evaluate(e.right, env, system)
        return left + right if e.op == "+" else left - right
    if isinstance(e, s.Ite):
        branch = e.then if evaluate(e.cond, env, system) else e.other
        return evaluate(branch, env, system)
    if isinstance(e, s.Level):
        return e.index
    if isinstance(e, (s.Join, s.Meet, s.Leq)):
        lattice = system.lattice(e.dimension)
        table = {s.Join: lattice.join_table, s.Meet: lattice.meet_table, s.Leq: lattice.leq_table}[type(e)]
        return table[evaluate(e.left, env, system)][evaluate(e.right, env, system)]
    raise TypeError(f"cannot evaluate {e!r}")  # pragma: no cover
