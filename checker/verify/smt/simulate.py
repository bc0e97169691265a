"""Random runs: a quick witness that a violation exists, and a counterexample beyond the
bound when BMC has none within it."""
from __future__ import annotations

import random
from typing import Callable, NamedTuple

from wfcheck.spec import model as m
from wfcheck.spec import system as s

from ..result import Run
from .budget import Budget
from .concrete import concrete_check
from .encode import Encoding


class _Move(NamedTuple):
    """A choice's step, with what a walk asks of it at every visit of its source."""
    step: s.Step
    guarded: bool                        # it has a guard (else it is enabled at its source)
    bad: bool                            # it has a bad condition
    watched: bool                        # one of its choice's steps is watched
    in_range: Callable | None            # its compiled range condition (None: there is none)
    to_final: bool                       # it ends in a final state


class Simulation:
    """Random runs through the interpreter (concrete.py), seeded so that results repeat.
    A run that violates the property shows that a violation exists (the solvers need not
    look for one) and is kept (`path`): when BMC finds none within the bound, it is the
    counterexample, with its loops cut out (`run_of`). A run in which a step of `watch`
    (indices) is enabled shows the property is not vacuous.

    A step is taken as its choice's first (steps that look alike inside the cone are one
    choice); an `any` inside the cone takes a random value, outside it the first value of
    its sort, as when BMC's runs are completed."""

    def __init__(self, enc: Encoding, watch: frozenset | None) -> None:
        self.enc = enc
        self.watch = watch
        self.rng = random.Random(0)
        self.violation: int | None = None     # the length of a violating run found
        self.path: list = []                  # its steps and the configurations after them
        self.bad_step = False                 # its last step is the violation itself
        self.tried = False
        self.watched = False

    def _moves(self) -> dict[str, list[_Move]]:
        """The moves out of each control state."""
        enc, interp = self.enc, concrete_check(self.enc).interp
        finals = set(enc.terms.system.model.finals)
        moves: dict[str, list[_Move]] = {}
        for choice in enc.choices:
            step = choice.step
            moves.setdefault(step.source, []).append(_Move(
                step, step.guard != m.TRUE, step.index in enc.check.step_bad,
                self.watch is not None and any(st.index in self.watch for st in choice.steps),
                None if step.range_ok == m.TRUE else interp.compile(step.range_ok),
                step.target in finals))
        return moves

    def run(self, budget: Budget, length: int, walks: int) -> None:
        self.tried = True
        concrete = concrete_check(self.enc)
        interp = concrete.interp
        moves = self._moves()
        start = interp.initial()
        if concrete.state_bad(start):
            self.violation = 0
            return
        for _ in range(walks):
            config, path = start, []
            for i in range(length):
                options = []
                for step, guarded, bad, watched, in_range, to_final in moves.get(config[0], ()):
                    if guarded and not interp.enabled(config, step):
                        continue
                    self.watched = self.watched or watched
                    if bad and concrete.step_bad(config, step):
                        self.violation, self.path, self.bad_step = i + 1, path + [(step, None)], True
                        return
                    if in_range is None or in_range(config):
                        options.append((step, to_final))
                if not options or budget.over:
                    break
                # Runs that end early see little: leave for a final state only now and then.
                onward = [o for o in options if not o[1]]
                if onward and len(onward) < len(options) and self.rng.random() < 0.9:
                    options = onward
                step = self.rng.choice(options)[0]
                successors = concrete.distinct(interp.fire(config, step))
                config = successors[0] if len(successors) == 1 else self.rng.choice(successors)
                path.append((step, config))
                if concrete.state_bad(config):
                    self.violation, self.path = i + 1, path
                    return
            if budget.over:
                return

    def run_of(self) -> Run:
        """The violating run found, with every stretch between two visits of the same
        configuration cut out."""
        concrete = concrete_check(self.enc)
        steps = self.path[:-1] if self.bad_step else self.path
        configs, edges = [concrete.interp.initial()], []
        seen = {configs[0]: 0}
        for step, config in steps:
            if config in seen:           # back where the run was: drop the loop
                del configs[seen[config] + 1:], edges[seen[config]:]
                seen = {c: i for i, c in enumerate(configs)}
                continue
            seen[config] = len(configs)
            configs.append(config)
            edges.append(step.index)
        if self.bad_step:
            edges.append(self.path[-1][0].index)
        return concrete.run(configs, edges, bad_step=self.bad_step)
