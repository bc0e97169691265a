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
INDEX_ENCODING = "int"  # control state and choice: "bv" (bit-vectors) or "int"
LEVEL_ENCODING = "bv"   # label levels: "int" or "bv" (bit-vectors)
ENUM_ENCODING = "bv"    # enum members: "int" or "bv"


def index_sort(count: int) -> z3.SortRef:
    """The sort of an index into `count` things (control states, choices)."""
    if INDEX_ENCODING == "int":
        return z3.IntSort()
    return z3.BitVecSort(max(1, (count - 1).bit_length()))


def index_range(term: z3.ExprRef, count: int) -> z3.BoolRef:
    """`term` is one of 0 .. count - 1."""
    if INDEX_ENCODING == "int":
        return z3.And(term >= 0, term < count)
    if count == 1 << term.size():
        return z3.BoolVal(True)
    return z3.ULT(term, count)


def index_value(i: int, sort: z3.SortRef) -> z3.ExprRef:
    return z3.IntVal(i) if sort == z3.IntSort() else z3.BitVecVal(i, sort)


def symbol_sort(kind: str, values: tuple) -> z3.SortRef:
    """The z3 sort of a certificate symbol (`Certificate.symbols`): as `Values.sort`
    encodes the variable it stands for."""
    if kind == "state":
        return index_sort(len(values))
    if kind == "bool":
        return z3.BoolSort()
    encoding = {"enum": ENUM_ENCODING, "level": LEVEL_ENCODING}.get(kind)
    if encoding == "bv":
        return z3.BitVecSort(max(1, (len(values) - 1).bit_length()))
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
        if isinstance(sort, s.LevelSort) and LEVEL_ENCODING == "bv":
            return self.level_sort(sort.dimension)
        if isinstance(sort, m.EnumSort) and ENUM_ENCODING == "bv":
            return z3.BitVecSort(max(1, (len(sort.members) - 1).bit_length()))
        return z3.IntSort()

    def level_sort(self, dimension: str) -> z3.SortRef:
        return z3.BitVecSort(max(1, self.system.lattice(dimension).top.bit_length()))

    def level(self, dimension: str, index: int) -> z3.ExprRef:
        if LEVEL_ENCODING == "bv":
            return z3.BitVecVal(index, self.level_sort(dimension))
        return z3.IntVal(index)

    def constant(self, value) -> z3.ExprRef:
        if isinstance(value, bool):
            return z3.BoolVal(value)
        if isinstance(value, int):
            return z3.IntVal(value)
        if ENUM_ENCODING == "bv":
            return z3.BitVecVal(self.member_index[value], self.sort(self.member_sort[value]))
        return z3.IntVal(self.member_index[value])

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
        if isinstance(sort, m.IntSort):
            low, high = sort.low, sort.high
        elif isinstance(sort, m.EnumSort):
            low, high = 0, len(sort.members) - 1
            if ENUM_ENCODING == "bv":
                return None if high + 1 == 1 << self.sort(sort).size() else z3.ULE(term, high)
        else:
            low, high = 0, self.system.lattice(sort.dimension).top
            if LEVEL_ENCODING == "bv":
                return z3.ULE(term, high)
        return z3.And(term >= low, term <= high) if low != high else term == low

    def all_values(self, var: s.SysVar) -> tuple:
        """The raw values of `var`'s sort in order (the first is the default choice)."""
        if isinstance(var.sort, s.LevelSort):
            return tuple(range(len(self.system.lattice(var.sort.dimension).levels)))
        return var.sort.values()
