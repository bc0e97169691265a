"""Random runs: a quick witness that a violation exists, and a counterexample beyond the
bound when BMC has none within it."""
from __future__ import annotations

import random

from ..result import Run
from .budget import Budget
from .complete import describe, initial_config, successor
from .encode import Encoding
from .translate import evaluate
from .values import PC


class Simulation:
    """Random runs on concrete values of the in-cone variables (the same meaning as the
    interpreter's, via `translate.evaluate`), seeded so that results repeat. A run that
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

    def run(self, budget: Budget, length: int, walks: int) -> None:
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
