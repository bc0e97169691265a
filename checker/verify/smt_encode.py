"""The z3 encoding of a `System` (spec/system.py), one property at a time.

What it translates, and nothing more: the expressions of the system (`SExpr`, with the
meaning spec/semantics.py gives them), the initial configuration, the step relation (a
step of `System.steps` is enabled when the control state is its source and its guard
holds; it has a successor only when `range_ok` holds; it assigns all its updates at once,
`None` meaning any value of the variable's sort) and, per `Check`, its monitor updates and
its bad conditions — the "Semantics" section of docs/language.md. Which verdict a query
means is decided in checker/verify/smt.py; why the encoding is this one, in docs/encoding.md.

Values: the control state is an Int (index into `model.states`); a bool variable a Bool;
an int range an Int; an enum a bit-vector (index of the member in its sort); a label
level a bit-vector (index into its lattice). `Join`/`Meet`/`Leq` are max/min/<= on a
chain and table look-ups otherwise.

Only the variables in the *cone of influence* of the property are encoded: those its bad
conditions, any step's guard or range condition read, closed under "is computed from".
The others cannot change which steps are possible or whether the property fails, so a
counterexample found without them is completed afterwards by running the skipped updates
concretely (`successor`). Steps that look the same inside the cone are merged into one
*choice* (same source, target, guard, range condition, in-cone updates, bad condition).
"""
from __future__ import annotations

import itertools
import operator
from dataclasses import dataclass

import networkx as nx
import z3

from wfcheck.spec import model as m
from wfcheck.spec import system as s

PC = "state"      # the name of the control-state term (as in `Interpreter.describe`)
CHOICE = "#step"  # the term that says which choice a step takes (no variable has a `#`)
INDEX_ENCODING = "int"  # control state and choice: "bv" (bit-vectors) or "int"

# ---------------------------------------------------------------- finite indices


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

# ---------------------------------------------------------------- values


LEVEL_ENCODING = "bv"   # label levels: "int" or "bv" (bit-vectors)
ENUM_ENCODING = "bv"    # enum members: "int" or "bv"


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


# ---------------------------------------------------------------- expressions

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
            le = z3.ULE if LEVEL_ENCODING == "bv" else (lambda x, y: x <= y)
            if isinstance(e, s.Join):
                return z3.If(le(b, a), a, b)
            if isinstance(e, s.Meet):
                return z3.If(le(a, b), a, b)
            return le(a, b)
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


# ---------------------------------------------------------------- per-system cache


class SystemTerms:
    """What every property of one system shares: the value encoding, the template terms
    (one z3 constant per variable, named after it, plus PC) and translations cached by
    expression, so that twenty properties translate each guard once."""

    def __init__(self, system: s.System) -> None:
        self.system = system
        self.values = Values(system)
        self.translate = Translator(self.values)
        self.pc_sort = index_sort(len(self.values.states))
        self.cur: dict[str, z3.ExprRef] = {PC: z3.Const(PC, self.pc_sort)}
        self.nxt: dict[str, z3.ExprRef] = {PC: z3.Const(PC + "'", self.pc_sort)}
        self._cache: dict[object, z3.ExprRef] = {}
        self._fixed: dict[tuple[int, str], z3.ExprRef] = {}   # (id of an SExpr of `system`, state)
        self._bodies: dict[int, z3.BoolRef] = {}               # step index -> `body`
        self.var_by_name = {v.name: v for v in system.vars}
        self.guard_vars: set[str] = set()
        for step in system.steps:
            variables_of(step.guard, self.guard_vars)
            variables_of(step.range_ok, self.guard_vars)

    def declare(self, var: s.SysVar) -> None:
        if var.name not in self.cur:
            self.cur[var.name] = z3.Const(var.name, self.values.sort(var.sort))
            self.nxt[var.name] = z3.Const(var.name + "'", self.values.sort(var.sort))
            self.var_by_name.setdefault(var.name, var)

    def body(self, step: s.Step) -> z3.BoolRef:
        """`step` is enabled, has a successor, and leads to its target: over cur and nxt."""
        found = self._bodies.get(step.index)
        if found is None:
            index = self.values.state_index
            found = self._bodies[step.index] = z3.And(
                self.cur[PC] == index[step.source], self.term(step.guard), self.term(step.range_ok),
                self.nxt[PC] == index[step.target])
        return found

    def term_in(self, e, state: str) -> z3.ExprRef:
        """`term(e)` with the control state fixed to `state` (for the Horn clauses, which
        have one predicate per state); cached like `term`."""
        key = (id(e), state)
        found = self._fixed.get(key)
        if found is None:
            pc = self.cur[PC]
            found = z3.substitute(self.term(e), (pc, _index_value(self.values.state_index[state], pc.sort())))
            self._fixed[key] = found
        return found

    def term(self, e) -> z3.ExprRef:
        """`e` over the current-state template constants."""
        if isinstance(e, m.Const):  # not cached: Const(1) == Const(True) as dataclasses
            return self.values.constant(e.value)
        found = self._cache.get(e)
        if found is None:
            found = self._cache[e] = self.translate(e, self.cur)
        return found


# ---------------------------------------------------------------- one property


@dataclass(frozen=True)
class Choice:
    """Steps that are indistinguishable inside the cone: one value of the CHOICE term."""
    steps: tuple[s.Step, ...]

    @property
    def step(self) -> s.Step:
        return self.steps[0]


class Encoding:
    """The transition system of one check, sliced to its cone of influence.

    Template terms are over `terms.cur` / `terms.nxt`; `at` moves them to numbered frames.
    Which choice a transition takes is said either by one index term (`index_transition`,
    for the provers) or by one Boolean per choice (`onehot_transition`, for BMC, which
    only offers the choices whose source the control flow can reach by then)."""

    def __init__(self, terms: SystemTerms, check: s.Check) -> None:
        self.terms = terms
        self.check = check
        self.cache: dict = {}   # for the engines: what they derive from the encoding once
        system = terms.system
        for var in system.vars + check.monitors:
            terms.declare(var)
        all_vars = system.vars + check.monitors
        self.vars = self._cone(all_vars)
        names = {v.name for v in self.vars}
        self.choices = self._choices(names)
        values = terms.values
        cur, nxt = terms.cur, terms.nxt
        self.sources = [values.state_index[c.step.source] for c in self.choices]
        self.targets = [values.state_index[c.step.target] for c in self.choices]
        # Domains of every variable in a frame (every reachable configuration satisfies them).
        domain = [values.domain(v, cur[v.name]) for v in self.vars]
        domain.append(index_range(cur[PC], len(values.states)))
        self.domain = z3.And([d for d in domain if d is not None])
        self.init = z3.And([cur[PC] == values.state_index[system.model.initial]]
                           + [cur[v.name] == values.encode(v, v.init) for v in self.vars])
        self._bodies = [terms.body(c.step) for c in self.choices]
        self._updates: dict[str, dict] = {v.name: {} for v in self.vars}  # name -> rhs -> [choice]
        for number, c in enumerate(self.choices):
            for name, value in self._assigns(c.step, names):
                self._updates[name].setdefault(value, []).append(number)
        self.choice = z3.Const(CHOICE, index_sort(len(self.choices)))
        self.selectors = [z3.Bool(f"{CHOICE}.{n}") for n in range(len(self.choices))]
        self._guarded = [z3.Implies(sel, body) for sel, body in zip(self.selectors, self._bodies)]
        self.state_bad = terms.term(check.state_bad)
        self.step_bad: list[tuple[int, z3.BoolRef]] = []
        # A bad condition no configuration satisfies (`n < 2` and `n + 1 > 2`: a guarded
        # counter) is dropped, so that BMC does not ask for it at every depth.
        possible = z3.Solver()
        possible.set("timeout", 200)
        possible.add(self.domain)
        for number, choice in enumerate(self.choices):
            bad = check.step_bad.get(choice.step.index)
            if bad is None:
                continue
            term = z3.And(cur[PC] == self.sources[number], terms.term(bad))
            if possible.check(term) != z3.unsat:
                self.step_bad.append((number, term))
        self.any_step_bad = z3.Or([b for _, b in self.step_bad]) if self.step_bad else z3.BoolVal(False)
        self.final = z3.Or([cur[PC] == values.state_index[f] for f in system.model.finals])
        # Where a violation can happen at all: BMC skips depths the control flow keeps away.
        self.bad_step_sources = {self.sources[n] for n, _ in self.step_bad}
        self.bad_states = self._bad_states(check.state_bad)

    def _bad_states(self, state_bad) -> set[int]:
        if state_bad == s.FALSE:
            return set()
        everywhere = set(range(len(self.terms.values.states)))
        if not _mentions_at(state_bad):
            return everywhere
        term, pc = self.terms.term(state_bad), self.terms.cur[PC]
        return {i for i in everywhere
                if not z3.is_false(z3.simplify(z3.substitute(term, (pc, _index_value(i, pc.sort())))))}

    def enabled(self, steps) -> tuple[z3.BoolRef, set[int]]:
        """Some step of `steps` (indices) is enabled: a template over cur; and the
        control states (indices) where that can be."""
        by_index = {st.index: st for st in self.terms.system.steps}
        index = self.terms.values.state_index
        term = z3.Or([z3.And(self.terms.cur[PC] == index[by_index[i].source],
                             self.terms.term(by_index[i].guard)) for i in sorted(steps)] or [z3.BoolVal(False)])
        return term, {index[by_index[i].source] for i in steps}

    # ------------------------------------------------------------ slicing
    def _cone(self, all_vars) -> tuple[s.SysVar, ...]:
        needed: set[str] = set(self.terms.guard_vars)
        variables_of(self.check.state_bad, needed)
        for bad in self.check.step_bad.values():
            variables_of(bad, needed)
        needed = self._closure(needed)
        return tuple(v for v in all_vars if v.name in needed)

    def core(self) -> set[str]:
        """The variables the bad conditions read, closed under "is computed from", but
        without those only guards read: what a localization abstraction keeps."""
        needed: set[str] = set()
        variables_of(self.check.state_bad, needed)
        for bad in self.check.step_bad.values():
            variables_of(bad, needed)
        return self._closure(needed)

    def _closure(self, needed: set[str]) -> set[str]:
        sources: dict[str, set[str]] = {}
        for step in self.terms.system.steps:
            for name, value in step.assigns:
                if value is not None:
                    variables_of(value, sources.setdefault(name, set()))
        for assigns in self.check.monitor_assigns.values():
            for name, value in assigns:
                variables_of(value, sources.setdefault(name, set()))
        work = list(needed)
        while work:
            for name in sources.get(work.pop(), ()):
                if name not in needed:
                    needed.add(name)
                    work.append(name)
        return needed

    def _assigns(self, step: s.Step, names: set[str]) -> tuple:
        assigned = [(n, v) for n, v in step.assigns if n in names]
        assigned += [(n, v) for n, v in self.check.monitor_assigns.get(step.index, ()) if n in names]
        return tuple(sorted(assigned, key=lambda a: a[0]))

    def _choices(self, names: set[str]) -> list[Choice]:
        groups: dict[tuple, list[s.Step]] = {}
        for step in self.terms.system.steps:
            key = (step.source, step.target, step.guard, step.range_ok,
                   self._assigns(step, names), self.check.step_bad.get(step.index))
            groups.setdefault(key, []).append(step)
        return [Choice(tuple(g)) for g in groups.values()]

    # ------------------------------------------------------------ the step relation
    def _frame_updates(self, allowed: set[int] | None, select) -> list[z3.BoolRef]:
        cur, nxt = self.terms.cur, self.terms.nxt
        parts = []
        for var in self.vars:
            value = cur[var.name]
            free = []
            for rhs, numbers in self._updates[var.name].items():
                if allowed is not None:
                    numbers = [n for n in numbers if n in allowed]
                if not numbers:
                    continue
                if rhs is None:
                    free = numbers
                else:
                    value = z3.If(z3.Or([select(n) for n in numbers]), self.terms.term(rhs), value)
            constraint = nxt[var.name] == value
            if free:
                constraint = z3.Or(z3.Or([select(n) for n in free]), constraint)
            parts.append(constraint)
        return parts

    def index_transition(self) -> z3.BoolRef:
        """Any one step, as a template over cur, nxt and the index term `choice`."""
        choice = self.choice
        parts = [index_range(choice, len(self.choices))]
        parts += [z3.Implies(choice == n, body) for n, body in enumerate(self._bodies)]
        return z3.And(parts + self._frame_updates(None, lambda n: choice == n))

    def onehot_transition(self, allowed: list[int]) -> z3.BoolRef:
        """One of the `allowed` steps, over cur, nxt and the template `selectors`."""
        chosen = [self.selectors[n] for n in allowed]
        if not chosen:
            return z3.BoolVal(False)
        parts = [z3.Or(chosen)]
        if len(chosen) > 1:
            parts.append(z3.AtMost(*chosen, 1))
        parts += [self._guarded[n] for n in allowed]
        allowed_set = set(allowed)
        return z3.And(parts + self._frame_updates(allowed_set, lambda n: self.selectors[n]))

    def reachable_sources(self, depth: int) -> list[list[int]]:
        """Per depth 0..depth, the choices whose source the control flow (guards ignored)
        can reach in at most that many steps."""
        out, seen = [], {self.terms.values.state_index[self.terms.system.model.initial]}
        for _ in range(depth + 1):
            allowed = [n for n, src in enumerate(self.sources) if src in seen]
            out.append(allowed)
            seen = seen | {self.targets[n] for n in allowed}
        return out

    # ------------------------------------------------------------ frames
    def frame(self, tag: str) -> dict[str, z3.ExprRef]:
        """Fresh constants for one configuration."""
        out = {PC: z3.Const(f"{PC}@{tag}", self.terms.pc_sort)}
        for var in self.vars:
            out[var.name] = z3.Const(f"{var.name}@{tag}", self.terms.values.sort(var.sort))
        return out

    def at(self, term: z3.ExprRef, frame: dict, after: dict | None = None,
           selectors: dict[int, z3.ExprRef] | None = None) -> z3.ExprRef:
        """A template term moved to `frame` (current), `after` (next) and the frame's
        choice selectors {choice number: Boolean}."""
        cur, nxt = self.terms.cur, self.terms.nxt
        pairs = [(cur[PC], frame[PC])] + [(cur[v.name], frame[v.name]) for v in self.vars]
        if after is not None:
            pairs += [(nxt[PC], after[PC])] + [(nxt[v.name], after[v.name]) for v in self.vars]
        if selectors:
            pairs += [(self.selectors[n], b) for n, b in selectors.items()]
        return z3.substitute(term, *pairs)

    def same(self, a: dict, b: dict) -> z3.BoolRef:
        """Two frames hold the same (in-cone) configuration."""
        return z3.And([a[PC] == b[PC]] + [a[v.name] == b[v.name] for v in self.vars])

    def read(self, model: z3.ModelRef, frame: dict) -> dict:
        """The in-cone configuration of a frame: {PC: state name, var: raw value}."""
        values = self.terms.values
        out = {PC: values.states[model.eval(frame[PC], model_completion=True).as_long()]}
        for var in self.vars:
            out[var.name] = values.decode(var, model.eval(frame[var.name], model_completion=True))
        return out


def _mentions_at(e) -> bool:
    if isinstance(e, m.At):
        return True
    if isinstance(e, m.Not):
        return _mentions_at(e.operand)
    if isinstance(e, (m.And, m.Or)):
        return any(_mentions_at(o) for o in e.operands)
    if isinstance(e, (m.Cmp, m.Arith, s.Join, s.Meet, s.Leq)):
        return _mentions_at(e.left) or _mentions_at(e.right)
    if isinstance(e, s.Ite):
        return _mentions_at(e.cond) or _mentions_at(e.then) or _mentions_at(e.other)
    return False


def _index_value(i: int, sort: z3.SortRef) -> z3.ExprRef:
    return z3.IntVal(i) if sort == z3.IntSort() else z3.BitVecVal(i, sort)


# ---------------------------------------------------------------- completing a run


def full_vars(system: s.System, check: s.Check) -> tuple[s.SysVar, ...]:
    """The variables of `Interpreter(system, [check])`, in its order."""
    return system.vars + check.monitors


def initial_config(system: s.System, check: s.Check) -> dict:
    out = {PC: system.model.initial}
    out.update((v.name, v.init) for v in full_vars(system, check))
    return out


def successor(system: s.System, check: s.Check, values: Values, config: dict, step: s.Step,
              cone: dict) -> dict:
    """The configuration after `step`: in-cone values as the solver chose them, every other
    variable updated concretely (an `any` outside the cone takes the first value)."""
    assigned = dict(step.assigns)
    assigned.update(check.monitor_assigns.get(step.index, ()))
    out = {PC: step.target}
    for var in full_vars(system, check):
        if var.name in cone:
            out[var.name] = cone[var.name]
        elif var.name not in assigned:
            out[var.name] = config[var.name]
        elif assigned[var.name] is None:
            out[var.name] = values.all_values(var)[0]
        else:
            out[var.name] = evaluate(assigned[var.name], config, system)
    return out


def describe(system: s.System, check: s.Check, config: dict) -> dict:
    """Exactly `Interpreter(system, [check]).describe(...)` of a configuration."""
    out = {PC: config[PC]}
    for var in full_vars(system, check):
        value = config[var.name]
        if isinstance(var.sort, s.LevelSort):
            value = system.lattice(var.sort.dimension).levels[value]
        out[var.name] = value
    return out


# ---------------------------------------------------------------- Horn clauses


@dataclass
class Clause:
    """`body => head` for all values of `variables`; `head` None means false. Predicate
    applications are (state, argument terms)."""
    variables: list[z3.ExprRef]
    premise: tuple[str, list[z3.ExprRef]] | None
    body: list[z3.BoolRef]
    conclusion: tuple[str, list[z3.ExprRef]] | None
    fresh: tuple = ()            # (constant, its values): the `any` values the step picks

    def term(self, apply) -> z3.BoolRef:
        """The clause, quantifier-free, with `apply(state, args)` for each application."""
        body = list(self.body)
        if self.premise is not None:
            body.insert(0, apply(*self.premise))
        head = apply(*self.conclusion) if self.conclusion is not None else z3.BoolVal(False)
        return z3.Implies(z3.And(body), head) if body else head


@dataclass
class Horn:
    """The check as constrained Horn clauses with one predicate per control state (over
    the in-cone variables, and with liveness-to-safety the copy). An interpretation that
    satisfies the clauses is an inductive invariant, per control state, that excludes
    every bad configuration."""
    args: list[z3.ExprRef]       # the template constants a predicate is applied to
    clauses: list[Clause]
    relevant: set[str]           # states from which the control flow can reach a bad one

    def predicates(self) -> dict[str, z3.FuncDeclRef]:
        sorts = [a.sort() for a in self.args]
        return {st: z3.Function(f"inv@{st}", *sorts, z3.BoolSort()) for st in self.relevant}

    def quantified(self, predicates: dict) -> list[z3.BoolRef]:
        """The clauses for z3's HORN solver (states outside `relevant` need no predicate:
        nothing bad can follow them)."""
        out = []
        for clause in self.clauses:
            if clause.conclusion is not None and clause.conclusion[0] not in self.relevant:
                continue
            term = clause.term(lambda st, a: predicates[st](*a))
            out.append(z3.ForAll(clause.variables, term) if clause.variables else term)
        return out

    def _apply(self, invariants: dict[str, z3.BoolRef]):
        def apply(st, a):
            inv = invariants.get(st)
            return z3.BoolVal(True) if inv is None else z3.substitute(inv, *zip(self.args, a))
        return apply

    def failing(self, invariants: dict[str, z3.BoolRef], timeout_ms: int) -> list[Clause] | None:
        """Clauses that do not hold with `invariants` (over `args`; true where missing),
        found by one counter-model ([] when all hold; None when the solver gave up)."""
        apply = self._apply(invariants)
        terms = [c.term(apply) for c in self.clauses]
        solver = z3.Solver()
        solver.set("timeout", timeout_ms)
        solver.add(z3.Or([z3.Not(t) for t in terms]))
        result = solver.check()
        if result == z3.unsat:
            return []
        if result != z3.sat:
            return None
        model = solver.model()
        return [c for c, t in zip(self.clauses, terms) if z3.is_false(model.eval(t, model_completion=True))]

    def weakest(self, state: str, invariants: dict[str, z3.BoolRef]) -> z3.BoolRef:
        """The weakest interpretation of `state` with which its own clauses (those it is the
        premise of) hold, given the interpretations of the states they lead to."""
        apply = self._apply(invariants)
        parts = []
        for clause in self.clauses:
            if clause.premise is None or clause.premise[0] != state:
                continue
            guard = [a == b for a, b in zip(self.args, clause.premise[1]) if not a.eq(b)] + clause.body
            head = apply(*clause.conclusion) if clause.conclusion is not None else z3.BoolVal(False)
            step = z3.Implies(z3.And(guard), head)
            if clause.fresh:
                count = 1
                for _, vals in clause.fresh:
                    count *= len(vals)
                if count <= 256:
                    choices = [[(c, v) for v in vals] for c, vals in clause.fresh]
                    step = z3.And([z3.substitute(step, *pick) for pick in itertools.product(*choices)])
                else:
                    step = z3.ForAll([c for c, _ in clause.fresh], step)
            parts.append(step)
        return z3.simplify(z3.And(parts)) if parts else z3.BoolVal(True)


def horn(enc: Encoding, loop_states: set[str] | None = None, keep: set[str] | None = None) -> Horn:
    """Horn clauses of `enc`: the initial configuration is in, every choice preserves,
    nothing bad is in. With `loop_states` (for `terminates`), the state also carries a
    flag `l2s.saved` and a copy of a configuration remembered at some step out of a state
    of `loop_states`; after it only non-final states may follow, and meeting the copy
    again is bad (Biere, Artho, Schuppan 2002).

    With `keep`, only those variables are tracked (they must include every variable the
    bad conditions read and be closed under "is computed from"): the others may take any
    value at every step (a localization abstraction). Its invariant, over the kept
    variables, is then an invariant of the whole system too."""
    terms, values, system = enc.terms, enc.terms.values, enc.terms.system
    cur, nxt = terms.cur, terms.nxt
    pc = cur[PC]
    tracked = [v for v in enc.vars if keep is None or v.name in keep]
    free = [cur[v.name] for v in enc.vars if keep is not None and v.name not in keep]
    free_values = {cur[v.name].get_id(): [values.encode(v, x) for x in values.all_values(v)]
                   for v in enc.vars if keep is not None and v.name not in keep}
    data = [cur[v.name] for v in tracked]
    l2s = loop_states is not None
    extra: list[z3.ExprRef] = []
    if l2s:
        saved = z3.Bool("l2s.saved")
        copy_pc = z3.Const(f"l2s.copy.{PC}", pc.sort())
        copies = [z3.Const(f"l2s.copy.{v.name}", values.sort(v.sort)) for v in tracked]
        extra = [saved, copy_pc] + copies
    args = data + extra
    finals = set(system.model.finals)
    clauses: list[Clause] = []

    def fix(term, state: str):
        return z3.substitute(term, (pc, _index_value(values.state_index[state], pc.sort())))

    def pc_value(state: str):
        return _index_value(values.state_index[state], pc.sort())

    def untracked(parts) -> list:
        """(constant, values) of the untracked variables the terms read."""
        if not free:
            return []
        seen = {c.get_id() for c in free_constants(z3.And(parts))}
        return [(c, free_values[c.get_id()]) for c in free if c.get_id() in seen]

    init_data = [values.encode(v, v.init) for v in tracked]
    start = system.model.initial
    init_extra = [z3.BoolVal(False), pc_value(start)] + init_data if l2s else []
    clauses.append(Clause([], None, [], (start, init_data + init_extra)))
    names_in = {v.name for v in tracked}
    graph = nx.DiGraph()
    graph.add_nodes_from(system.model.states)
    for choice in enc.choices:
        step = choice.step
        graph.add_edge(step.source, step.target)
        assigned = dict(enc._assigns(step, names_in))
        fresh, after, picks = [], [], []
        body = [terms.term_in(step.guard, step.source), terms.term_in(step.range_ok, step.source)]
        for var in tracked:
            if var.name not in assigned:
                after.append(cur[var.name])
            elif assigned[var.name] is None:
                f = nxt[var.name]
                fresh.append(f)
                after.append(f)
                dom = values.domain(var, f)
                if dom is not None:
                    body.append(dom)
                picks.append((f, [values.encode(var, v) for v in values.all_values(var)]))
            else:
                after.append(terms.term_in(assigned[var.name], step.source))
        picks += untracked(body)
        variables = args + fresh + free
        if not l2s:
            clauses.append(Clause(variables, (step.source, args), body, (step.target, after), tuple(picks)))
            continue
        keep_going = [] if step.target not in finals else [z3.Not(saved)]
        clauses.append(Clause(variables, (step.source, args), body + keep_going, (step.target, after + extra),
                              tuple(picks)))
        if step.source in loop_states and step.target not in finals:
            clauses.append(Clause(variables, (step.source, data + [z3.BoolVal(False), copy_pc] + copies),
                                  body, (step.target, after + [z3.BoolVal(True), pc_value(step.source)] + data),
                                  tuple(picks)))
    bad = z3.Or(enc.state_bad, enc.any_step_bad)
    queried = set()
    for state in system.model.states:
        here = z3.simplify(fix(bad, state))
        if not z3.is_false(here):
            clauses.append(Clause(args + free, (state, args), [here], None, tuple(untracked([here]))))
            queried.add(state)
        if l2s and state in loop_states:
            again = [saved, copy_pc == pc_value(state)] + [a == b for a, b in zip(data, copies)]
            clauses.append(Clause(args, (state, args), again, None))
            queried.add(state)
    relevant = set(queried)
    for state in queried:
        relevant |= nx.ancestors(graph, state)
    return Horn(args, clauses, relevant)


def free_constants(term: z3.ExprRef) -> list[z3.ExprRef]:
    """The uninterpreted constants in a term, each once."""
    out, seen, todo = {}, set(), [term]
    while todo:
        t = todo.pop()
        if t.get_id() in seen:
            continue
        seen.add(t.get_id())
        if z3.is_const(t) and t.decl().kind() == z3.Z3_OP_UNINTERPRETED:
            out[t.get_id()] = t
        todo.extend(t.children())
    return list(out.values())
