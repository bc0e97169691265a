"""The SMT checker: bounded model checking for shortest counterexamples; k-induction and
z3's CHC engine (Spacer) for proofs; one property at a time.

Verdicts claim no more than was shown:
- violated: a counterexample of the fewest steps (BMC deepens one step at a time), completed
  to full configurations shaped like the interpreter's (`Interpreter.describe`); or, when
  there is none within `bound` steps, a random run that violates the property, its loops
  cut out, marked `details["shortest"] = False`;
- proved: an inductive argument for every run length — the property is k-inductive, or
  Spacer found an inductive invariant — kept as a `Certificate` in `PropertyResult.invariant`;
- vacuous: the property holds and no step it is about can ever be enabled (itself proved);
- unknown: the depth `bound` or the time `timeout` (seconds, per property) ran out.

`terminates` also fails on a reachable cycle of non-final configurations: BMC looks for a
lasso, and a proof goes through the liveness-to-safety reduction (Biere, Artho, Schuppan
2002). The encoding is in checker/verify/smt_encode.py; the choices made, with their
measurements, in docs/encoding.md.
"""
from __future__ import annotations

import random
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

import networkx as nx
import z3

from wfcheck.spec import model as m
from wfcheck.spec.system import FALSE, Check, LevelSort, System

from .result import PROVED, UNKNOWN, VACUOUS, VIOLATED, PropertyResult, Run
from .smt_encode import (PC, Encoding, SystemTerms, describe, evaluate, free_constants, horn, initial_config,
                         successor, symbol_sort)

ENGINE = "smt"
INDUCTION_DEPTH = 1    # k-induction tries k = 0 .. INDUCTION_DEPTH first
FIRST_SLICE = 0.1      # seconds; then BMC and Spacer take turns, each slice twice the last
FIRST_BMC_SLICE = 0.02  # BMC's first slice: short, so that quick Spacer proofs come first
TRANSITION_GRAIN = 4   # BMC steps that share one transition term
QUERY_MODE = "assumptions"   # BMC queries: "push" (push/pop) or "assumptions"
SIMULATION_SECONDS = 1.0   # at most, and at most a tenth of the time
SIMULATION_WALKS = 200     # random runs ...
SIMULATION_LENGTH = 40     # ... of at most this many times `bound` steps


# ---------------------------------------------------------------- certificates


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

    def to_json(self) -> dict:
        return {"method": self.method, "formula": self.formula, "k": self.k,
                "symbols": [[n, kind, list(vals)] for n, kind, vals in self.symbols],
                "by_state": dict(self.by_state), "loop_free": self.loop_free}


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


def _symbols(enc: Encoding, l2s: bool, keep: set[str] | None = None) -> tuple:
    system = enc.terms.system
    tracked = [v for v in enc.vars if keep is None or v.name in keep]
    out = [(PC, "state", system.model.states)] + [_symbol(v.name, v, system) for v in tracked]
    if l2s:
        out += [("l2s.saved", "bool", ()), (f"l2s.copy.{PC}", "state", system.model.states)]
        out += [_symbol(f"l2s.copy.{v.name}", v, system) for v in tracked]
    return tuple(out)


# ---------------------------------------------------------------- time


class _Budget:
    """A deadline, and shorter slices of it for one phase."""

    def __init__(self, seconds: float, parent: "_Budget | None" = None) -> None:
        deadline = time.perf_counter() + seconds
        self.deadline = min(deadline, parent.deadline) if parent else deadline

    def share(self, fraction: float) -> "_Budget":
        return _Budget(max(0.0, self.deadline - time.perf_counter()) * fraction, self)

    def within(self, seconds: float) -> "_Budget":
        return _Budget(seconds, self)

    def left_ms(self) -> int:
        return max(1, int((self.deadline - time.perf_counter()) * 1000))

    @property
    def over(self) -> bool:
        return time.perf_counter() >= self.deadline


@contextmanager
def _watchdog(budget: _Budget, grace: float = 0.5):
    """Interrupt z3 if a call overruns the deadline (Spacer does not always look at its
    `timeout` in time); the interrupted call answers unknown."""
    timer = threading.Timer(max(0.0, budget.deadline - time.perf_counter()) + grace,
                            z3.main_ctx().interrupt)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def _solve(solver: z3.Solver, budget: _Budget, *assumptions) -> z3.CheckSatResult:
    solver.set("timeout", budget.left_ms())
    return solver.check(*assumptions)


# ---------------------------------------------------------------- outcomes


@dataclass
class _Outcome:
    status: str                       # proved | violated | unknown
    run: Run | None = None
    certificate: Certificate | None = None
    depth: int = 0                    # BMC explored this many steps without a violation
    reason: str | None = None
    reachable: bool = False           # Spacer showed that a violation exists
    watched: bool = False             # BMC saw the watched condition hold (see `_Bmc`)
    shortest: bool = True             # a violation's run is one of the fewest steps


# ---------------------------------------------------------------- BMC


class _Bmc:
    """Unrolled runs from the initial configuration, one step deeper at a time. Step k
    offers only the choices whose source state the control flow can reach in k steps."""

    def __init__(self, enc: Encoding, bound: int, loop_states: set[str],
                 watch: tuple | None = None) -> None:
        self.enc = enc
        self.watch = watch            # (a condition, the states where it can hold) ...
        self.watched = False          # ... seen to hold in a reachable configuration
        self.solver = z3.Solver()
        self.frames = [enc.frame("0")]
        self.selectors: list[dict[int, z3.BoolRef]] = []   # per step: choice -> Boolean
        self.allowed = enc.reachable_sources(bound)
        self._transitions: dict[tuple, z3.BoolRef] = {}
        self.solver.add(enc.at(enc.init, self.frames[0]), enc.at(enc.domain, self.frames[0]))
        self.nonfinal = [z3.Not(enc.at(enc.final, self.frames[0]))]
        index = enc.terms.values.state_index
        self.loops = {index[st] for st in loop_states}
        self.explored = -1            # deepest depth known to have no violation
        self._asked: set[tuple[int, str]] = set()   # (depth, query kind) answered "none"
        self._cover = None            # (solver, frames, "ended" flags) for `cover`
        self._queries = 0

    def _extend(self) -> None:
        enc, last = self.enc, self.frames[-1]
        k = len(self.frames) - 1
        new = enc.frame(str(k + 1))
        trans, allowed = self._transition(k)
        selectors = {n: z3.Bool(f"#step@{k}.{n}") for n in allowed}
        self.solver.add(enc.at(trans, last, new, selectors), enc.at(enc.domain, new))
        self.frames.append(new)
        self.selectors.append(selectors)
        self.nonfinal.append(z3.Not(enc.at(enc.final, new)))

    def _transition(self, k: int) -> tuple[z3.BoolRef, tuple[int, ...]]:
        """The template of step k and the choices it offers: those whose source the control
        flow can reach by step k, rounded up to a multiple of TRANSITION_GRAIN steps, so
        that consecutive steps share one term (more choices than can be taken is sound:
        a choice is only taken from its source state)."""
        level = min(-(-k // TRANSITION_GRAIN) * TRANSITION_GRAIN, len(self.allowed) - 1)
        allowed = tuple(self.allowed[level])
        trans = self._transitions.get(allowed)
        if trans is None:
            trans = self._transitions[allowed] = self.enc.onehot_transition(list(allowed))
        return trans, allowed

    def _reach(self, k: int) -> set[int]:
        """Control states the control flow can be in after k steps (a superset)."""
        enc = self.enc
        if k == 0:
            return {enc.terms.values.state_index[enc.terms.system.model.initial]}
        return {enc.targets[n] for n in self.allowed[k - 1]}

    def _query(self, condition, budget: _Budget):
        if QUERY_MODE == "push":
            self.solver.push()
            self.solver.add(condition)
            result = _solve(self.solver, budget)
            model = self.solver.model() if result == z3.sat else None
            self.solver.pop()
            return result, model
        self._queries += 1
        active = z3.Bool(f"#query.{self._queries}")
        self.solver.add(z3.Implies(active, condition))
        result = _solve(self.solver, budget, active)
        model = self.solver.model() if result == z3.sat else None
        self.solver.add(z3.Not(active))
        return result, model

    def run(self, depth: int, budget: _Budget, lasso: bool):
        """Explore up to `depth`: ("violated", Run) | ("done", None) | ("paused", None) when
        `budget` ran out."""
        enc = self.enc
        while self.explored < depth:
            k = self.explored + 1
            # Runs of k steps that end in a bad step: k - 1 steps, then a step from the last
            # frame that need not have a successor, so before the k-th transition is added.
            if k >= 1 and (k, "step") not in self._asked:
                if len(self.frames) == k and self._reach(k - 1) & enc.bad_step_sources:
                    result, model = self._query(enc.at(enc.any_step_bad, self.frames[k - 1]), budget)
                    if result == z3.sat:
                        return VIOLATED, self._step_run(model, k)
                    if result == z3.unknown:
                        return "paused", None
                self._asked.add((k, "step"))
            while len(self.frames) <= k:
                self._extend()
            for kind in ("state", "lasso"):
                if (k, kind) in self._asked:
                    continue
                if kind == "state" and self._reach(k) & enc.bad_states:
                    query = enc.at(enc.state_bad, self.frames[k])
                elif kind == "lasso" and lasso and k >= 1 and self._reach(k) & self.loops:
                    query = self._lasso_query(k)
                else:
                    query = None
                if query is not None:
                    result, model = self._query(query, budget)
                    if result == z3.sat:
                        run = self._state_run(model, k) if kind == "state" else self._lasso_run(model, k)
                        return VIOLATED, run
                    if result == z3.unknown:
                        return "paused", None
                self._asked.add((k, kind))
            self.explored = k
            if self.watch is not None and not self.watched and self._reach(k) & self.watch[1]:
                result, _ = self._query(enc.at(self.watch[0], self.frames[k]), budget)
                self.watched = result == z3.sat
                if result == z3.unknown:
                    self.watch = None
            if self.explored < depth and budget.over:
                return "paused", None
        return "done", None

    def cover(self, depth: int, budget: _Budget) -> bool | None:
        """Is there a violation of at most `depth` steps (lassos aside)? One query over a
        second unrolling in which each transition may be dropped from some point on (a
        run may end in its violation), instead of one query per depth: on a 50-step bound
        with no violation it took 0.9 s where deepening took 9 s. None: out of time."""
        enc = self.enc
        if self._cover is None:
            self._cover = (z3.Solver(), [enc.frame("c0")], [])
            solver, frames, _ = self._cover
            solver.add(enc.at(enc.init, frames[0]), enc.at(enc.domain, frames[0]))
        solver, frames, ended = self._cover
        while len(frames) <= depth:
            k = len(frames) - 1
            new = enc.frame(f"c{k + 1}")
            trans, allowed = self._transition(k)
            selectors = {n: z3.Bool(f"#step@c{k}.{n}") for n in allowed}
            stop = z3.Bool(f"#ended@c{k}")   # transition k and all after it dropped
            solver.add(z3.Or(stop, enc.at(trans, frames[k], new, selectors)), enc.at(enc.domain, new))
            if ended:
                solver.add(z3.Implies(ended[-1], stop))
            frames.append(new)
            ended.append(stop)
        cases = []
        for k in range(depth + 1):
            taken = [z3.Not(ended[k - 1])] if k >= 1 else []
            if self._reach(k) & enc.bad_states:
                cases.append(z3.And(taken + [enc.at(enc.state_bad, frames[k])]))
            if k < depth and self._reach(k) & enc.bad_step_sources:
                cases.append(z3.And(taken + [enc.at(enc.any_step_bad, frames[k])]))
        if not cases:
            return False
        solver.push()
        solver.add(z3.Or(cases))
        result = _solve(solver, budget)
        solver.pop()
        return None if result == z3.unknown else result == z3.sat

    def _lasso_query(self, k: int) -> z3.BoolRef:
        """The k-th configuration repeats an earlier one, all non-final from there on."""
        cases = []
        for j in range(k):
            cases.append(z3.And([self.enc.same(self.frames[j], self.frames[k])] + self.nonfinal[j:k + 1]))
        return z3.Or(cases)

    # ------------------------------------------------------------ counterexamples
    def _choice(self, model: z3.ModelRef, k: int):
        for n, b in self.selectors[k].items():
            if z3.is_true(model.eval(b, model_completion=True)):
                return self.enc.choices[n]
        raise AssertionError("no step chosen")  # pragma: no cover

    def _walk(self, model, first: int, last: int, config: dict) -> tuple[list, list]:
        """Full raw configurations from frame `first` (given) to `last`, and the steps."""
        enc = self.enc
        system, check = enc.terms.system, enc.check
        raw, edges = [config], []
        for i in range(first, last):
            step = self._choice(model, i).step
            config = successor(system, check, enc.terms.values, config, step,
                               enc.read(model, self.frames[i + 1]))
            raw.append(config)
            edges.append(step.index)
        return raw, edges

    def _state_run(self, model: z3.ModelRef, k: int) -> Run:
        """k steps to a bad configuration."""
        system, check = self.enc.terms.system, self.enc.check
        raw, edges = self._walk(model, 0, k, initial_config(system, check))
        return Run(tuple(edges), tuple(describe(system, check, c) for c in raw))

    def _step_run(self, model: z3.ModelRef, k: int) -> Run:
        """k - 1 steps, then a k-th step that violates the property."""
        enc = self.enc
        system, check = enc.terms.system, enc.check
        raw, edges = self._walk(model, 0, k - 1, initial_config(system, check))
        configs = tuple(describe(system, check, c) for c in raw)
        for number, bad in enc.step_bad:
            if z3.is_true(model.eval(enc.at(bad, self.frames[k - 1]), model_completion=True)):
                return Run(tuple(edges) + (enc.choices[number].step.index,), configs, bad_step=True)
        raise AssertionError("the solver's model has no bad step")  # pragma: no cover

    def _lasso_run(self, model: z3.ModelRef, k: int) -> Run:
        """A lasso over full configurations. The solver's loop repeats the in-cone
        configuration; variables outside the cone follow it deterministically, so going
        round often enough repeats the whole configuration."""
        enc = self.enc
        system, check = enc.terms.system, enc.check
        j = next(j for j in range(k) if z3.is_true(model.eval(
            z3.And([enc.same(self.frames[j], self.frames[k])] + self.nonfinal[j:k + 1]),
            model_completion=True)))
        configs, edges = self._walk(model, 0, j, initial_config(system, check))
        boundaries = [configs[-1]]
        while True:
            loop_configs, loop_edges = self._walk(model, j, k, boundaries[-1])
            configs += loop_configs[1:]
            edges += loop_edges
            if loop_configs[-1] in boundaries:
                start = j + boundaries.index(loop_configs[-1]) * (k - j)
                break
            boundaries.append(loop_configs[-1])
        return Run(tuple(edges), tuple(describe(system, check, c) for c in configs), loop_start=start)


# ---------------------------------------------------------------- proofs


class _Induction:
    """k-induction: after k steps through good configurations, is the next one good too?"""

    def __init__(self, enc: Encoding) -> None:
        self.enc = enc
        self.solver = z3.Solver()
        self.trans = enc.index_transition()
        self.bad = z3.Or(enc.state_bad, enc.any_step_bad)
        self.frames = [self._frame(0)]
        self.solver.add(enc.at(enc.domain, self.frames[0]))

    def _frame(self, k: int) -> dict:
        frame = self.enc.frame(f"i{k}")
        frame["choice"] = z3.Const(f"choice@i{k}", self.enc.choice.sort())
        return frame

    def _at(self, term, frame, after=None):
        return z3.substitute(self.enc.at(term, frame, after), (self.enc.choice, frame["choice"]))

    def step(self, k: int, budget: _Budget) -> bool | None:
        """True: k-inductive; False: not; None: out of time."""
        enc = self.enc
        while len(self.frames) <= k:
            last, new = self.frames[-1], self._frame(len(self.frames))
            self.solver.add(z3.Not(self._at(self.bad, last)), self._at(self.trans, last, new),
                            enc.at(enc.domain, new))
            for old in self.frames:  # distinct configurations: complete for finite systems
                self.solver.add(z3.Not(enc.same(old, new)))
            self.frames.append(new)
        self.solver.push()
        self.solver.add(self._at(self.bad, self.frames[k]))
        result = _solve(self.solver, budget)
        self.solver.pop()
        return True if result == z3.unsat else (False if result == z3.sat else None)


def _interpretation(model: z3.ModelRef, predicate: z3.FuncDeclRef, args: list, budget: _Budget) -> z3.BoolRef:
    """The predicate's interpretation in `model` applied to `args` (its de Bruijn
    variable i is argument i). Evaluating `predicate(*args)` instead would use the values
    the model happens to give to constants named like the arguments."""
    interp = model[predicate]
    if isinstance(interp, z3.FuncInterp) and not interp.f:
        interp = None  # z3 5.4 wraps "no interpretation" in a FuncInterp of a null pointer
    if interp is None:
        return z3.BoolVal(True)  # unconstrained (the clauses are checked, see `_repair`)
    if isinstance(interp, z3.FuncInterp):
        result = z3.substitute_vars(interp.else_value(), *args)
        for i in range(interp.num_entries() - 1, -1, -1):
            entry = interp.entry(i)
            key = z3.And([a == entry.arg_value(j) for j, a in enumerate(args)])
            result = z3.If(key, entry.value(), result)
    else:  # pragma: no cover - z3 reports a FuncInterp for predicates with arguments
        result = z3.substitute_vars(interp, *args)
    result = z3.simplify(result)
    if _has_quantifier(result):
        # States z3 inlined come back as projections (`exists k!1. ...`): eliminate them,
        # so that the certificate is quantifier-free and cheap to check.
        goal = z3.Goal()
        goal.add(result)
        try:
            tactic = z3.TryFor(z3.Then(z3.Tactic("qe"), z3.Tactic("simplify")), budget.left_ms())
            result = z3.simplify(tactic(goal).as_expr())
        except z3.Z3Exception:
            pass  # kept as it is: the check of the clauses decides
    return result


def _has_quantifier(term: z3.ExprRef) -> bool:
    seen, todo = set(), [term]
    while todo:
        t = todo.pop()
        if z3.is_quantifier(t):
            return True
        if t.get_id() in seen:
            continue
        seen.add(t.get_id())
        todo.extend(t.children())
    return False


def _repair(problem, invariants: dict, budget: _Budget, rounds: int = 20) -> bool:
    """Check the invariant against every clause, and mend it where it fails: z3 inlines
    predicates of states with one way in or out, and the interpretations it reports for
    them can be too weak (often `true`). Such a state gets the weakest interpretation
    that makes its own clauses hold; its predecessors then hold by the proof z3 found for
    the inlined clauses. False when it does not check in the end."""
    for _ in range(rounds):
        failing = problem.failing(invariants, budget.left_ms())
        if failing is None:
            return False
        if not failing:
            return True
        states = {c.premise[0] for c in failing if c.premise is not None}
        if not states:  # the initial configuration is not in: nothing to mend
            return False
        for state in states:
            invariants[state] = problem.weakest(state, invariants)
    return False


def _spacer(enc: Encoding, loop_states: set[str] | None, budget: _Budget, keep: set[str] | None = None):
    """("proved", Certificate) | ("reachable", None) | ("unknown", reason). A proof's
    invariant is checked against the clauses before it is believed. With `keep`, of a
    localization abstraction (see `horn`): "reachable" then says nothing."""
    # A HORN solver that timed out must not be asked again (z3 4.x crashes): each attempt
    # gets a fresh one, over clauses built once.
    key = ("horn", frozenset(loop_states) if loop_states is not None else None,
           frozenset(keep) if keep is not None else None)
    if key not in enc.cache:
        problem = horn(enc, loop_states, keep)
        predicates = problem.predicates()
        enc.cache[key] = (problem, predicates, problem.quantified(predicates))
    problem, predicates, clauses = enc.cache[key]
    solver = z3.SolverFor("HORN")
    solver.set("timeout", budget.left_ms())
    solver.add(clauses)
    with _watchdog(budget):
        result = solver.check()
    if result == z3.unsat:
        return "reachable", None
    if result != z3.sat:
        return "unknown", solver.reason_unknown() or "unknown"
    model = solver.model()
    invariants = {st: _interpretation(model, p, problem.args, budget) for st, p in predicates.items()}
    if not _repair(problem, invariants, budget):
        return "unknown", "the CHC engine's invariant did not check"
    values = enc.terms.values
    pc = enc.terms.cur[PC]
    parts, by_state = [], []
    for state in enc.terms.system.model.states:
        inv = invariants.get(state, z3.BoolVal(True))
        by_state.append((state, inv.sexpr()))
        if not z3.is_false(inv):
            parts.append(z3.And(pc == values.state_index[state], inv))
    term = z3.simplify(z3.Or(parts)) if parts else z3.BoolVal(False)
    return "proved", Certificate("spacer", term.sexpr(), None, _symbols(enc, loop_states is not None, keep),
                                 tuple(by_state), False, term)


# ---------------------------------------------------------------- simulation


class _Simulation:
    """Random runs on concrete values of the in-cone variables (the same meaning as the
    interpreter's, via `smt_encode.evaluate`), seeded so that results repeat. A run that
    violates the property shows that a violation exists (the solvers need not look for
    one) and is kept (`path`): when BMC finds none within the bound, it is the
    counterexample, with its loops cut out (`run_of`). A run in which a step of `watch`
    (indices) is enabled shows the property is not vacuous."""

    def __init__(self, enc: Encoding, watch: frozenset | None) -> None:
        self.enc = enc
        system = enc.terms.system
        self.system = system
        self.values = enc.terms.values
        names = {v.name for v in enc.vars}
        self.moves: dict[str, list] = {}
        for choice in enc.choices:
            step = choice.step
            self.moves.setdefault(step.source, []).append((
                step, enc.check.step_bad.get(step.index), dict(enc._assigns(step, names)),
                watch is not None and any(st.index in watch for st in choice.steps)))
        self.rng = random.Random(0)
        self.finals = set(system.model.finals)
        self.violation: int | None = None     # the length of a violating run found
        self.path: list = []                  # its steps and in-cone configurations after them
        self.bad_step = False                 # its last step is the violation itself
        self.tried = False
        self.watched = False

    def run(self, budget: _Budget, length: int, walks: int) -> None:
        self.tried = True
        enc, system = self.enc, self.system
        start = {PC: system.model.initial}
        start.update((v.name, v.init) for v in enc.vars)
        bad = enc.check.state_bad
        if evaluate(bad, start, system):
            self.violation = 0
            return
        for _ in range(walks):
            config, path = start, []
            for i in range(length):
                options = []
                for step, step_bad, assigns, watched in self.moves.get(config[PC], ()):
                    if not evaluate(step.guard, config, system):
                        continue
                    self.watched = self.watched or watched
                    if step_bad is not None and evaluate(step_bad, config, system):
                        self.violation, self.path, self.bad_step = i + 1, path + [(step, None)], True
                        return
                    if evaluate(step.range_ok, config, system):
                        options.append((step, assigns))
                if not options or budget.over:
                    break
                # Runs that end early see little: leave for a final state only now and then.
                onward = [o for o in options if o[0].target not in self.finals]
                if onward and len(onward) < len(options) and self.rng.random() < 0.9:
                    options = onward
                step, assigns = self.rng.choice(options)
                nxt = dict(config)
                nxt[PC] = step.target
                for name, value in assigns.items():
                    var = enc.terms.var_by_name[name]
                    nxt[name] = (self.rng.choice(self.values.all_values(var)) if value is None
                                 else evaluate(value, config, system))
                config = nxt
                path.append((step, config))
                if evaluate(bad, config, system):
                    self.violation, self.path = i + 1, path
                    return
            if budget.over:
                return

    def run_of(self) -> Run:
        """The violating run found, completed to full configurations, with every stretch
        between two visits of the same configuration cut out."""
        system, check, values = self.system, self.enc.check, self.values
        steps = self.path[:-1] if self.bad_step else self.path
        raw, edges = [initial_config(system, check)], []
        seen = {_frozen(raw[0]): 0}
        for step, cone in steps:
            config = successor(system, check, values, raw[-1], step, cone)
            key = _frozen(config)
            if key in seen:           # back where the run was: drop the loop
                del raw[seen[key] + 1:], edges[seen[key]:]
                seen = {_frozen(c): i for i, c in enumerate(raw)}
                continue
            seen[key] = len(raw)
            raw.append(config)
            edges.append(step.index)
        if self.bad_step:
            edges.append(self.path[-1][0].index)
        return Run(tuple(edges), tuple(describe(system, check, c) for c in raw), bad_step=self.bad_step)


def _frozen(config: dict) -> tuple:
    return tuple(sorted(config.items()))


# ---------------------------------------------------------------- the search


def _loop_states(system: System) -> set[str]:
    """Control states on a cycle of steps between non-final states."""
    finals = set(system.model.finals)
    graph = nx.DiGraph()
    for step in system.steps:
        if step.source not in finals and step.target not in finals:
            graph.add_edge(step.source, step.target)
    out: set[str] = set()
    for component in nx.strongly_connected_components(graph):
        if len(component) > 1 or any(graph.has_edge(n, n) for n in component):
            out |= component
    return out


def _search(enc: Encoding, liveness: bool, bound: int, budget: _Budget,
            triggers: frozenset | None = None, need_run: bool = True) -> _Outcome:
    """BMC to depth 1 and k-induction for k <= 1; then BMC (incremental) and Spacer
    (restarted) take turns with doubling time slices, so that whichever decides first
    costs at most about three times what it needs alone; after the first turn, random
    simulation looks for a violation (then Spacer is not needed: only BMC's shortest
    counterexample is). Once BMC has reached `bound`, Spacer gets all the time left. With
    `need_run` False, knowing that a violation exists is enough. `triggers`: steps to
    watch for (see `_Outcome.watched`)."""
    loops = _loop_states(enc.terms.system) if liveness else set()
    lasso = bool(loops)
    bmc = _Bmc(enc, bound, loops, enc.enabled(triggers) if triggers is not None else None)
    simulation = _Simulation(enc, triggers)
    total = max(0.0, budget.deadline - time.perf_counter())
    reachable = False

    def outcome(status: str, **kw) -> _Outcome:
        return _Outcome(status, depth=max(bmc.explored, 0), reachable=reachable,
                        watched=bmc.watched or simulation.watched, **kw)

    def random_run() -> _Outcome:
        """The random run as the counterexample: none within `bmc.explored` steps."""
        return _Outcome(VIOLATED, run=simulation.run_of(), depth=max(bmc.explored, 0), reachable=True,
                        watched=True, shortest=False)

    def timed_out() -> _Outcome:
        if simulation.violation is not None and need_run:
            return random_run()
        return outcome(UNKNOWN, reason=f"timeout after {total:.1f} s")

    def explore(depth: int, slice_: _Budget) -> _Outcome | None:
        status, run = bmc.run(depth, slice_, lasso)
        if status == VIOLATED:
            return _Outcome(VIOLATED, run=run, depth=len(run) - 1, reachable=True, watched=bmc.watched)
        if status == "paused" and budget.over:
            return timed_out()
        return None

    found = explore(min(bound, INDUCTION_DEPTH), budget)
    if found:
        return found
    if not lasso:
        induction = _Induction(enc)
        for k in range(min(INDUCTION_DEPTH, bmc.explored) + 1):
            if induction.step(k, budget.within(max(FIRST_SLICE, 0.05 * total))):
                term = z3.simplify(z3.Not(induction.bad))
                certificate = Certificate("k-induction", term.sexpr(), k, _symbols(enc, False),
                                          loop_free=liveness, term=term)
                return outcome(PROVED, certificate=certificate)
    slice_, detail, turn, covered = FIRST_SLICE, "not tried", 0, None
    core = None if liveness else enc.core()
    if core is not None and len(core) == len(enc.vars):
        core = None   # nothing to abstract away
    while True:
        if turn == (1 if need_run else 0):
            simulation.run(budget.within(min(SIMULATION_SECONDS, total * 0.1)),
                           SIMULATION_LENGTH * max(bound, 1), SIMULATION_WALKS)
            if simulation.violation is not None:
                reachable = True
                if not need_run:
                    return outcome(VIOLATED)
        turn += 1
        found = explore(bound, budget.within(slice_ if turn > 1 else FIRST_BMC_SLICE))
        if found:
            return found
        if turn > 1 and not lasso and bmc.explored < bound and covered is None:
            # Deepening is slow: ask once for any violation within the bound.
            covered = bmc.cover(bound, budget.within(slice_))
            if covered is False:
                bmc.explored = bound
            elif covered:
                reachable = True   # BMC will find it; no proof to look for
        done = bmc.explored >= bound
        if not reachable and core is not None:
            # First, and then for half of each turn: the localization abstraction.
            verdict, abstract = _spacer(enc, None, budget.share(0.5) if done else budget.within(slice_),
                                        keep=core)
            if verdict == "proved":
                return outcome(PROVED, certificate=abstract)
            if verdict == "reachable":
                core = None
        if not reachable:
            verdict, detail = _spacer(enc, loops if lasso else None, budget if done else budget.within(slice_))
            if verdict == "proved":
                if liveness and not lasso:
                    detail = Certificate(detail.method, detail.formula, None, detail.symbols,
                                         detail.by_state, True, detail.term)
                return outcome(PROVED, certificate=detail)
            reachable = verdict == "reachable"
            if reachable and not need_run:
                return outcome(VIOLATED)
        if done:
            break
        if budget.over:
            return timed_out()
        slice_ *= 2
    if reachable and need_run and simulation.violation is None and not simulation.tried:
        simulation.run(budget.within(SIMULATION_SECONDS), SIMULATION_LENGTH * max(bound, 1), SIMULATION_WALKS)
    if simulation.violation is not None and need_run:
        return random_run()   # none within the bound: the random run (not the shortest)
    if reachable:
        reason = f"a violation exists (the CHC engine shows it), but none within {bound} steps"
    else:
        reason = f"no violation within {bound} steps, and no proof ({detail})"
    return outcome(UNKNOWN, reason=reason)


def _vacuity_check(check: Check, system: System) -> Check:
    """The safety property "no step `check` is about is ever enabled"."""
    steps = {st.index: st for st in system.steps}
    guards = {i: steps[i].guard for i in sorted(check.triggers)}
    return Check(property=check.property, monitors=(), monitor_assigns={}, step_bad=guards,
                 step_condition=guards, state_bad=FALSE, liveness=False, triggers=None)


def _excludes(invariant: z3.BoolRef, condition: z3.BoolRef, enc: Encoding, budget: _Budget) -> bool:
    """The inductive invariant (an over-approximation of the reachable configurations)
    rules `condition` out."""
    solver = z3.Solver()
    solver.set("timeout", budget.left_ms())
    solver.add(invariant, condition, enc.domain)
    return solver.check() == z3.unsat


# ---------------------------------------------------------------- the API


def _control_reachable(system: System) -> set[str]:
    """Control states some path of steps reaches from the initial one (guards ignored)."""
    graph = nx.DiGraph()
    graph.add_node(system.model.initial)
    graph.add_edges_from((st.source, st.target) for st in system.steps)
    return {system.model.initial} | nx.descendants(graph, system.model.initial)


def _check(terms: SystemTerms, check: Check, bound: int, timeout: float) -> PropertyResult:
    started = time.perf_counter()
    budget = _Budget(timeout)
    system = terms.system
    enc = Encoding(terms, check)
    details: dict = {"cone": len(enc.vars), "choices": len(enc.choices)}

    def done(status: str, **kw) -> PropertyResult:
        return PropertyResult(check.name, status, ENGINE, seconds=time.perf_counter() - started,
                              details=details, **kw)

    def vacuity(share: float) -> _Outcome:
        """Whether a step the property is about can ever be taken: violated = yes."""
        return _search(Encoding(terms, _vacuity_check(check, system)), False, bound,
                       budget.share(share), need_run=False)

    triggers = check.triggers
    if triggers is not None:
        # A property about steps holds vacuously when none of them can ever be taken (only
        # step properties have triggers, so that alone proves it). First the control flow.
        reachable = _control_reachable(system)
        if not any(st.source in reachable for st in system.steps if st.index in triggers):
            details["method"] = "control flow"
            return done(VACUOUS)
    outcome = _search(enc, check.liveness, bound, budget, triggers)
    if outcome.status == VIOLATED:
        if not outcome.shortest:
            details["shortest"] = False
            return done(VIOLATED, counterexample=outcome.run, bound=outcome.depth,
                        reason=f"no violation within {outcome.depth} steps; this run of "
                               f"{len(outcome.run)} steps was found by random simulation, its loops "
                               f"cut out: a shorter one may exist")
        return done(VIOLATED, counterexample=outcome.run)
    open_ = triggers is not None and not outcome.watched and not outcome.reachable
    if outcome.status == PROVED:
        if open_:
            # Whether one of its steps can be taken is still open: the proof's invariant
            # may rule them all out; else it is decided on its own.
            if _excludes(outcome.certificate.term, enc.enabled(triggers)[0], enc, budget):
                details["method"] = outcome.certificate.method
                return done(VACUOUS)
            taken = vacuity(1.0)
            if taken.status == PROVED:
                details["method"] = taken.certificate.method
                return done(VACUOUS)
            if taken.status == UNKNOWN:
                return done(UNKNOWN, bound=taken.depth,
                            reason="the property holds, but whether a step it is about can ever "
                                   f"be taken was not decided ({taken.reason})")
        details["method"] = outcome.certificate.method
        return done(PROVED, invariant=outcome.certificate)
    if open_ and check.state_bad == FALSE and not budget.over:
        # Undecided, but if none of its steps can ever be taken it holds, vacuously.
        taken = vacuity(1.0)
        if taken.status == PROVED:
            details["method"] = taken.certificate.method
            return done(VACUOUS)
    return done(UNKNOWN, bound=outcome.depth, reason=outcome.reason)


def check_property(system: System, check: Check, bound: int = 50, timeout: float = 10.0) -> PropertyResult:
    """Decide one property of `system` (see the module docstring for the verdicts);
    `bound` limits the length of counterexamples, `timeout` is in seconds."""
    return _check(SystemTerms(system), check, bound, timeout)


def property_checker(system: System, bound: int = 50, timeout: float = 10.0) -> Callable[[Check], PropertyResult]:
    """`check_property` for many checks of one system, sharing the translation of its terms."""
    terms = SystemTerms(system)
    return lambda check: _check(terms, check, bound, timeout)


def check_system(system: System, names: list[str] | None = None, bound: int = 50,
                 timeout: float = 10.0) -> tuple[PropertyResult, ...]:
    """Decide the selected properties (all by default), in the order of `system.checks`;
    `timeout` applies to each property."""
    decide = property_checker(system, bound, timeout)
    return tuple(decide(c) for c in system.checks if names is None or c.name in names)
