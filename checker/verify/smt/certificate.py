"""Why a property holds: the certificate a proof leaves (for the Lean export and the tests)."""
from __future__ import annotations

from dataclasses import dataclass, field

import z3

from wfcheck.spec import model as m
from wfcheck.spec.system import LevelSort, System

from .encode import Encoding
from .subterms import free_constants
from .values import PC, symbol_sort


@dataclass(frozen=True)
class Certificate:
    """Why a property holds, for every run length.

    `k-induction`: `formula` ("nothing bad here": the property's bad conditions negated)
    holds in every configuration reachable in fewer than `k` steps, and after any `k`
    consecutive steps through configurations where it holds it holds again; for k <= 1
    `formula` is itself an inductive invariant. `spacer`: `formula` is an inductive
    invariant found by z3's CHC engine, one part per control state (`by_state`), that
    excludes every bad configuration. Formulas are SMT-LIB terms over `symbols`: (name,
    kind, values) with kind `state` (the control state, an index into `values`), `enum`
    and `level` (an index into `values`), `int` (values = (low, high)) or `bool`. For
    `terminates`, `loop_free` says that no cycle of non-final control states exists, so
    only deadlocks had to be excluded; otherwise the symbols include the
    liveness-to-safety flag `l2s.saved` and copy `l2s.copy.*`.
    """
    method: str
    formula: str
    k: int | None
    symbols: tuple[tuple[str, str, tuple], ...]
    by_state: tuple[tuple[str, str], ...] = ()
    loop_free: bool = False
    term: object = field(default=None, compare=False, repr=False)  # the z3 term of `formula`

    def holds(self, config: dict) -> bool:
        """`formula` in a configuration shaped like a counterexample's (`Run.configs`). For
        the liveness-to-safety symbols, the copy is that of a run that saved nothing: give
        `l2s.saved` False and `l2s.copy.*` the initial configuration's values."""
        kinds = {name: (kind, values) for name, kind, values in self.symbols}
        pairs = []
        for const in free_constants(self.term):
            name = const.decl().name()
            kind, values = kinds[name]
            value = config[name]
            if kind in ("state", "enum", "level"):
                value = values.index(value)
            if const.sort() == z3.BoolSort():
                pairs.append((const, z3.BoolVal(bool(value))))
            elif z3.is_bv(const):
                pairs.append((const, z3.BitVecVal(value, const.size())))
            else:
                pairs.append((const, z3.IntVal(value)))
        return z3.is_true(z3.simplify(z3.substitute(self.term, *pairs)))

    def __reduce__(self):
        """Pickled without the z3 term (checkers in other processes), parsed back from
        `formula` and `symbols`."""
        return (_certificate, (self.method, self.formula, self.k, self.symbols, self.by_state,
                               self.loop_free))


def _certificate(method, formula, k, symbols, by_state, loop_free) -> Certificate:
    decls = {name: z3.Const(name, symbol_sort(kind, values)) for name, kind, values in symbols}
    term = z3.parse_smt2_string(f"(assert {formula})", decls=decls)[0]
    return Certificate(method, formula, k, symbols, by_state, loop_free, term)


def _symbol(name: str, var, system: System) -> tuple[str, str, tuple]:
    sort = var.sort
    if isinstance(sort, m.BoolSort):
        return (name, "bool", ())
    if isinstance(sort, m.IntSort):
        return (name, "int", (sort.low, sort.high))
    if isinstance(sort, m.EnumSort):
        return (name, "enum", sort.members)
    assert isinstance(sort, LevelSort)
    return (name, "level", system.lattice(sort.dimension).levels)


def symbols(enc: Encoding, l2s: bool, keep: set[str] | None = None) -> tuple:
    system = enc.terms.system
    tracked = [v for v in enc.vars if keep is None or v.name in keep]
    out = [(PC, "state", system.model.states)] + [_symbol(v.name, v, system) for v in tracked]
    if l2s:
        out += [("l2s.saved", "bool", ()), (f"l2s.copy.{PC}", "state", system.model.states)]
        out += [_symbol(f"l2s.copy.{v.name}", v, system) for v in tracked]
    return tuple(out)
