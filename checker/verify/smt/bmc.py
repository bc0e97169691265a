"""Bounded model checking: shortest counterexamples, one step deeper at a time."""
from __future__ import annotations

import z3

from ..result import VIOLATED, Run
from .budget import Budget, solve
from .concrete import concrete_check
from .encode import Encoding

TRANSITION_GRAIN = 4   # BMC steps that share one transition term


class Bmc:
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
        return {enc.targets[n] for n in self.allowed[min(k - 1, len(self.allowed) - 1)]}

    def _query(self, condition, budget: Budget):
        """Ask for `condition` under an assumption literal, retired afterwards, so that
        what z3 learns answering it is kept (docs/encoding.md, measurement G)."""
        self._queries += 1
        active = z3.Bool(f"#query.{self._queries}")
        self.solver.add(z3.Implies(active, condition))
        result = solve(self.solver, budget, active)
        model = self.solver.model() if result == z3.sat else None
        self.solver.add(z3.Not(active))
        return result, model

    def run(self, depth: int, budget: Budget, lasso: bool):
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

    def cover(self, depth: int, budget: Budget) -> bool | None:
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
        result = solve(solver, budget)
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

    def _walk(self, model, first: int, last: int, config: tuple) -> tuple[list, list]:
        """Full configurations (the interpreter's) from frame `first` (given) to `last`, and
        the steps."""
        concrete = concrete_check(self.enc)
        configs, edges = [config], []
        for i in range(first, last):
            step = self._choice(model, i).step
            config = concrete.follow(config, step, self.enc.read(model, self.frames[i + 1]))
            configs.append(config)
            edges.append(step.index)
        return configs, edges

    def _state_run(self, model: z3.ModelRef, k: int) -> Run:
        """k steps to a bad configuration."""
        concrete = concrete_check(self.enc)
        return concrete.run(*self._walk(model, 0, k, concrete.interp.initial()))

    def _step_run(self, model: z3.ModelRef, k: int) -> Run:
        """k - 1 steps, then a k-th step that violates the property."""
        enc = self.enc
        concrete = concrete_check(enc)
        configs, edges = self._walk(model, 0, k - 1, concrete.interp.initial())
        for number, bad in enc.step_bad:
            if z3.is_true(model.eval(enc.at(bad, self.frames[k - 1]), model_completion=True)):
                return concrete.run(configs, edges + [enc.choices[number].step.index], bad_step=True)
        raise AssertionError("the solver's model has no bad step")  # pragma: no cover

    def _lasso_run(self, model: z3.ModelRef, k: int) -> Run:
        """A lasso over full configurations. The solver's loop repeats the in-cone
        configuration; variables outside the cone follow it deterministically, so going
        round often enough repeats the whole configuration."""
        enc = self.enc
        concrete = concrete_check(enc)
        j = next(j for j in range(k) if z3.is_true(model.eval(
            z3.And([enc.same(self.frames[j], self.frames[k])] + self.nonfinal[j:k + 1]),
            model_completion=True)))
        configs, edges = self._walk(model, 0, j, concrete.interp.initial())
        boundaries = [configs[-1]]
        while True:
            loop_configs, loop_edges = self._walk(model, j, k, boundaries[-1])
            configs += loop_configs[1:]
            edges += loop_edges
            if loop_configs[-1] in boundaries:
                start = j + boundaries.index(loop_configs[-1]) * (k - j)
                break
            boundaries.append(loop_configs[-1])
        return concrete.run(configs, edges, loop_start=start)
