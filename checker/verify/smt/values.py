"""How the values of a system's variables are represented in z3, both ways.

The control state is an Int (index into `model.states`); a bool variable a Bool; an int
range an Int; an enum a bit-vector (index of the member in its sort); a label level a
bit-vector (index into its lattice). Why these, in docs/encoding.md ("Values").
"""
from __future__ import annotations

import z3

from wfcheck.spec import model as m
from wfcheck.spec import system as s

PC = "state"      # the name of the control-state term (as in `Interpreter.describe`)
CHOICE = "#step"  # the term that says which choice a step takes (no variable has a `#`)


def index_range(term: z3.ExprRef, count: int) -> z3.BoolRef:
    """`term` (an Int: a control state or a choice) is one of 0 .. count - 1."""
    return z3.And(term >= 0, term < count)


def bits(count: int) -> z3.SortRef:
    """The bit-vector sort of an index into `count` things (enum members, label levels)."""
    return z3.BitVecSort(max(1, (count - 1).bit_length()))


def symbol_sort(kind: str, values: tuple) -> z3.SortRef:
    """The z3 sort of a certificate symbol (`Certificate.symbols`): as `Values.sort`
    encodes the variable it stands for."""
    if kind == "bool":
        return z3.BoolSort()
    if kind in ("enum", "level"):
        return bits(len(values))
    return z3.IntSort()


class Values:
    """How the values of a system's variables are represented in z3, both ways."""

    def __init__(self, system: s.System) -> None:
        self.system = system
        self.states = system.model.states
        self.state_index = {name: i for i, name in enumerate(self.states)}
        self.member_index: dict[str, int] = {}
        self.member_sort: dict[str, m.EnumSort] = {}
        for var in system.vars:
            if isinstance(var.sort, m.EnumSort):
                for i, member in enumerate(var.sort.members):
                    self.member_index[member] = i
                    self.member_sort[member] = var.sort

    def sort(self, sort) -> z3.SortRef:
        """The z3 sort of a variable's sort."""
        if isinstance(sort, m.BoolSort):
            return z3.BoolSort()
        if isinstance(sort, s.LevelSort):
            return self.level_sort(sort.dimension)
        if isinstance(sort, m.EnumSort):
            return bits(len(sort.members))
        return z3.IntSort()

    def level_sort(self, dimension: str) -> z3.SortRef:
        return bits(len(self.system.lattice(dimension).levels))

    def level(self, dimension: str, index: int) -> z3.ExprRef:
        return z3.BitVecVal(index, self.level_sort(dimension))

    def constant(self, value) -> z3.ExprRef:
        if isinstance(value, bool):
            return z3.BoolVal(value)
        if isinstance(value, int):
            return z3.IntVal(value)
        return z3.BitVecVal(self.member_index[value], self.sort(self.member_sort[value]))

    def encode(self, var: s.SysVar, value) -> z3.ExprRef:
        """A configuration value (levels as indices, enums as names) as a z3 constant."""
        if isinstance(var.sort, s.LevelSort):
            return self.level(var.sort.dimension, value)
        return self.constant(value)

    def decode(self, var: s.SysVar, value: z3.ExprRef):
        """A z3 model value back to the interpreter's raw value (levels stay indices)."""
        if isinstance(var.sort, m.BoolSort):
            return z3.is_true(value)
        number = value.as_long()
        if isinstance(var.sort, m.EnumSort):
            return var.sort.members[number]
        return number

    def domain(self, var: s.SysVar, term: z3.ExprRef) -> z3.BoolRef | None:
        """The constraint that `term` is a value of `var`'s sort (None for bool)."""
        sort = var.sort
        if isinstance(sort, m.BoolSort):
            return None
        if isinstance(sort, m.EnumSort):
            high = len(sort.members) - 1
            return None if high + 1 == 1 << self.sort(sort).size() else z3.ULE(term, high)
        if isinstance(sort, s.LevelSort):
            return z3.ULE(term, self.system.lattice(sort.dimension).top)
        low, high = sort.low, sort.high
        return z3.And(term >= low, term <= high) if low != high else term == low

    def all_values(self, var: s.SysVar) -> tuple:
        """The raw values of `var`'s sort in order (the first is the default choice)."""
        if isinstance(var.sort, s.LevelSort):
            return tuple(range(len(self.system.lattice(var.sort.dimension).levels)))
        return var.sort.values()
