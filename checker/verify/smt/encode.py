"""The z3 encoding of a `System` (spec/system.py), one property at a time.

What it translates, and nothing more: the expressions of the system (`SExpr`, with the
meaning spec/semantics.py gives them), the initial configuration, the step relation (a
step of `System.steps` is enabled when the control state is its source and its guard
holds; it has a successor only when `range_ok` holds; it assigns all its updates at once,
`None` meaning any value of the variable's sort) and, per `Check`, its monitor updates and
its bad conditions — the "Semantics" section of docs/language.md. Which verdict a query
means is decided by the engines beside this module; why the encoding is this one, in
docs/encoding.md.

Only the variables in the *cone of influence* of the property are encoded: those its bad
conditions, any step's guard or range condition read, closed under "is computed from".
The others cannot change which steps are possible or whether the property fails, so a
counterexample found without them is completed afterwards by running the skipped updates
through the interpreter (concrete.py). Steps that look the same inside the cone are merged into one
*choice* (same source, target, guard, range condition, in-cone updates, bad condition).
"""
from __future__ import annotations

from dataclasses import dataclass

import z3

from wfcheck.spec import model as m
from wfcheck.spec import system as s

from .translate import Translator
from .values import CHOICE, PC, Values, index_range


class SystemTerms:
    """What every property of one system shares: the value encoding, the template terms
    (one z3 constant per variable, named after it, plus PC) and translations cached by
    expression, so that twenty properties translate each guard once."""

    def __init__(self, system: s.System) -> None:
        self.system = system
        self.values = Values(system)
        self.cur: dict[str, z3.ExprRef] = {PC: z3.Int(PC)}
        self.nxt: dict[str, z3.ExprRef] = {PC: z3.Int(PC + "'")}
        self.translate = Translator(self.values, self.cur)   # `declare` adds to `cur`
        self.cache: dict = {}   # for the engines: what they derive from the system once
        self._terms: dict[object, z3.ExprRef] = {}             # SExpr -> `term`
        self._fixed: dict[tuple[int, str], z3.ExprRef] = {}   # (id of an SExpr of `system`, state)
        self._bodies: dict[int, z3.BoolRef] = {}               # step index -> `body`
        self.guard_vars: set[str] = set()
        for step in system.steps:
            self.guard_vars |= s.free_vars(step.guard) | s.free_vars(step.range_ok)

    def declare(self, var: s.SysVar) -> None:
        if var.name not in self.cur:
            self.cur[var.name] = z3.Const(var.name, self.values.sort(var.sort))
            self.nxt[var.name] = z3.Const(var.name + "'", self.values.sort(var.sort))

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
            found = z3.substitute(self.term(e), (pc, z3.IntVal(self.values.state_index[state])))
            self._fixed[key] = found
        return found

    def term(self, e) -> z3.ExprRef:
        """`e` over the current-state template constants."""
        if isinstance(e, m.Const):  # not cached: Const(1) == Const(True) as dataclasses
            return self.values.constant(e.value)
        found = self._terms.get(e)
        if found is None:
            found = self._terms[e] = self.translate(e)
        return found


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
        cur = terms.cur
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
            for name, value in self.assigns(c.step, names):
                self._updates[name].setdefault(value, []).append(number)
        self.choice = z3.Int(CHOICE)
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
        if not s.mentions_state(state_bad):
            return everywhere
        term, pc = self.terms.term(state_bad), self.terms.cur[PC]
        return {i for i in everywhere
                if not z3.is_false(z3.simplify(z3.substitute(term, (pc, z3.IntVal(i)))))}

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
        needed = self._closure(self.terms.guard_vars | self._bad_vars())
        return tuple(v for v in all_vars if v.name in needed)

    def core(self) -> set[str]:
        """The variables the bad conditions read, closed under "is computed from", but
        without those only guards read: what a localization abstraction keeps."""
        return self._closure(self._bad_vars())

    def _bad_vars(self) -> set[str]:
        """The variables the bad conditions read."""
        out = set(s.free_vars(self.check.state_bad))
        for bad in self.check.step_bad.values():
            out |= s.free_vars(bad)
        return out

    def _closure(self, needed: set[str]) -> set[str]:
        sources: dict[str, set[str]] = {}
        for step in self.terms.system.steps:
            for name, value in step.assigns:
                if value is not None:
                    sources.setdefault(name, set()).update(s.free_vars(value))
        for assigns in self.check.monitor_assigns.values():
            for name, value in assigns:
                sources.setdefault(name, set()).update(s.free_vars(value))
        work = list(needed)
        while work:
            for name in sources.get(work.pop(), ()):
                if name not in needed:
                    needed.add(name)
                    work.append(name)
        return needed

    def assigns(self, step: s.Step, names: set[str]) -> tuple:
        """The updates of `step` and of the check's monitors to the variables `names`."""
        assigned = [(n, v) for n, v in step.assigns if n in names]
        assigned += [(n, v) for n, v in self.check.monitor_assigns.get(step.index, ()) if n in names]
        return tuple(sorted(assigned, key=lambda a: a[0]))

    def _choices(self, names: set[str]) -> list[Choice]:
        groups: dict[tuple, list[s.Step]] = {}
        for step in self.terms.system.steps:
            key = (step.source, step.target, step.guard, step.range_ok,
                   self.assigns(step, names), self.check.step_bad.get(step.index))
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
        can reach in at most that many steps. The list stops once it stops growing (at most
        one entry per control state): depths past its end have its last entry, so memory does
        not grow with `depth` (issue 17: `--bound 10000000` allocated gigabytes)."""
        out, seen = [], {self.terms.values.state_index[self.terms.system.model.initial]}
        for _ in range(depth + 1):
            allowed = [n for n, src in enumerate(self.sources) if src in seen]
            if out and allowed == out[-1]:
                break
            out.append(allowed)
            seen = seen | {self.targets[n] for n in allowed}
        return out

    # ------------------------------------------------------------ frames
    def frame(self, tag: str) -> dict[str, z3.ExprRef]:
        """Fresh constants for one configuration."""
        out = {PC: z3.Int(f"{PC}@{tag}")}
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
