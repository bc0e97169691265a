"""A check on concrete configurations, through the one interpreter (spec/semantics.py).

The solvers find runs over the in-cone variables only; `follow` completes each of their
steps to a full configuration of `Interpreter(system, [check])` (every variable outside
the cone follows its update, an `any` taking the first value of its sort), and a
counterexample describes its configurations as the interpreter does. Random runs
(simulate.py) walk the same configurations.
"""
from __future__ import annotations

from typing import Callable

from wfcheck.spec import system as s
from wfcheck.spec.semantics import Config, Interpreter

from ..result import Run
from .encode import Encoding


class ConcreteCheck:
    """The compiled interpreter of a check, its bad conditions, and its in-cone values."""

    def __init__(self, interp: Interpreter, enc: Encoding) -> None:
        self.interp = interp
        self.check = enc.check
        self._state_bad = interp.compile(enc.check.state_bad)
        self._step_bad: dict[int, Callable[[Config], object]] = {}   # compiled when first asked
        self._cone = tuple(interp.index[v.name] for v in enc.vars)
        self._cone_names = tuple(v.name for v in enc.vars)

    def state_bad(self, config: Config) -> bool:
        return bool(self._state_bad(config))

    def step_bad(self, config: Config, step: s.Step) -> bool:
        """Taking `step` in `config` violates the check (as `Interpreter.step_bad`)."""
        bad = self._step_bad.get(step.index)
        if bad is None:
            if step.index not in self.check.step_bad:
                return False
            bad = self._step_bad[step.index] = self.interp.compile(self.check.step_bad[step.index])
        return config[0] == step.source and bool(bad(config))

    def in_cone(self, config: Config) -> tuple:
        return tuple(config[i] for i in self._cone)

    def follow(self, config: Config, step: s.Step, cone: dict) -> Config:
        """The successor of `config` by `step` whose in-cone values are `cone` (as the
        solver chose them: {name: raw value}), the first such in the interpreter's order."""
        wanted = tuple(cone[name] for name in self._cone_names)
        for after in self.interp.fire(config, step):
            if self.in_cone(after) == wanted:
                return after
        raise AssertionError(f"step {step.index} has no successor with the solver's values")

    def distinct(self, successors: list[Config]) -> list[Config]:
        """The successors that differ inside the cone, each the first with its in-cone values
        (outside the cone an `any` takes the first value of its sort, as in `follow`)."""
        if len(successors) == 1:
            return successors
        firsts: dict[tuple, Config] = {}
        for after in successors:
            firsts.setdefault(self.in_cone(after), after)
        return list(firsts.values())

    def run(self, configs: list[Config], edges: list[int], **kw) -> Run:
        """A counterexample over `configs`, described as the interpreter describes them."""
        return Run(tuple(edges), tuple(self.interp.describe(c) for c in configs), **kw)


def concrete_check(enc: Encoding) -> ConcreteCheck:
    """The check of `enc` on concrete configurations, made once per encoding. Its interpreter
    is shared by the checks of the system that carry the same monitors (most carry none), so
    that a step the random walks of many properties take is compiled once (one interpreter
    per property made the simulation of the benchmark workflows 1.6-1.8 times slower)."""
    found = enc.cache.get("concrete")
    if found is None:
        check = enc.check
        key = ("interpreter", check.monitors, tuple(sorted(check.monitor_assigns.items())))
        interp = enc.terms.cache.get(key)
        if interp is None:
            interp = enc.terms.cache[key] = Interpreter(enc.terms.system, [check])
        found = enc.cache["concrete"] = ConcreteCheck(interp, enc)
    return found
