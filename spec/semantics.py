"""Concrete semantics: run a `System` on explicit configurations.

A configuration is a tuple: the control state's name, then one value per variable of
`Interpreter.vars` (the system's variables, then the monitors of the selected checks).
Every expression of the system is translated once to Python source and compiled, so that
a step costs a few bytecodes per variable; this is the translation the explicit-state
checker and the trace monitor share.
"""
from __future__ import annotations

import itertools
from typing import Callable, Iterable, Iterator

from . import system as s

Config = tuple


class _PyTranslator(s.Fold):
    """SExpr -> Python expression over the configuration tuple `c`."""

    def __init__(self, index: dict[str, int]) -> None:
        self.index = index

    def on_const(self, e):
        return repr(e.value)

    def on_var(self, e):
        return f"c[{self.index[e.name]}]"

    def on_at(self, e):
        return f"(c[0] == {e.state!r})"

    def on_not(self, e, operand):
        return f"(not {operand})"

    def on_and(self, e, *operands):
        return "(" + " and ".join(operands) + ")" if operands else "True"

    def on_or(self, e, *operands):
        return "(" + " or ".join(operands) + ")" if operands else "False"

    def on_cmp(self, e, left, right):
        return f"({left} {e.op} {right})"

    on_arith = on_cmp

    def on_ite(self, e, cond, then, other):
        return f"({then} if {cond} else {other})"

    def on_level(self, e):
        return str(e.index)

    def _table(self, e, left, right, table):
        return f"{table}{e.dimension[0].upper()}[{left}][{right}]"

    def on_join(self, e, left, right):
        return self._table(e, left, right, "J")

    def on_meet(self, e, left, right):
        return self._table(e, left, right, "M")

    def on_leq(self, e, left, right):
        return self._table(e, left, right, "L")


class _OnFirstUse(dict):
    """Compiled functions by step index, each compiled when it is first asked for: most
    callers take few of the steps (a counterexample, a trace, a random walk), and
    compiling is what an interpreter costs."""

    def __init__(self, compile_one: Callable[[int], Callable]) -> None:
        super().__init__()
        self._compile_one = compile_one

    def __missing__(self, index: int) -> Callable:
        found = self[index] = self._compile_one(index)
        return found


class Interpreter:
    """Compiled steps and checks of a system, over configurations that carry the monitors
    of `checks` (all checks by default)."""

    def __init__(self, system: s.System, checks: Iterable[s.Check] | None = None) -> None:
        self.system = system
        self.checks = tuple(system.checks if checks is None else checks)
        self.vars = system.vars + tuple(v for c in self.checks for v in c.monitors)
        self.index = {v.name: i + 1 for i, v in enumerate(self.vars)}
        conf, integ = system.conf, system.integ
        self._globals = {
            "JC": conf.join_table, "MC": conf.meet_table, "LC": conf.leq_table,
            "JI": integ.join_table, "MI": integ.meet_table, "LI": integ.leq_table,
            "product": itertools.product,
        }
        py = _PyTranslator(self.index)
        self._py = py
        by_index = {step.index: step for step in system.steps}
        self._fire = _OnFirstUse(lambda i: self._compile_step(by_index[i], py))
        self._fire_forced = _OnFirstUse(lambda i: self._compile_step(by_index[i], py, forced=True))
        self._guard = _OnFirstUse(lambda i: self._compile(py(by_index[i].guard)))
        self.steps_from: dict[str, tuple[s.Step, ...]] = {
            state: tuple(st for st in system.steps if st.source == state) for state in system.model.states}
        self._step_bad = {(c.name, i): self._compile(py(e)) for c in self.checks for i, e in c.step_bad.items()}
        self._step_condition = {(c.name, i): self._compile(py(e))
                                for c in self.checks for i, e in c.step_condition.items()}
        self._state_bad = {c.name: self._compile(py(c.state_bad)) for c in self.checks}

    def compile(self, expr: s.SExpr) -> Callable[[Config], object]:
        """A Python function evaluating `expr` on a configuration."""
        return self._compile(self._py(expr))

    def _compile(self, source: str) -> Callable[[Config], object]:
        return eval(compile(f"lambda c: {source}", "<wfcheck>", "eval"), self._globals)  # noqa: S307

    def _compile_step(self, step: s.Step, py: _PyTranslator, forced: bool = False) -> Callable[[Config], list]:
        """A function from a configuration to the successor configurations of `step`
        ([] when the step is not enabled or would leave a variable's range). `forced`:
        ignore the guard and the range (a recorded run that left the spec goes on)."""
        assigned: dict[str, s.SExpr | None] = dict(step.assigns)
        for check in self.checks:
            assigned.update(check.monitor_assigns.get(step.index, ()))
        choices: list[str] = []
        slots = [repr(step.target)]
        for var in self.vars:
            if var.name not in assigned:
                slots.append(f"c[{self.index[var.name]}]")
            elif assigned[var.name] is None:
                choices.append(f"v{len(choices)}")
                slots.append(choices[-1])
            else:
                slots.append(py(assigned[var.name]))
        condition = "True" if forced else py(s.conj([step.guard, step.range_ok]))
        tuple_src = "(" + ", ".join(slots) + ",)"
        if choices:
            domains = ", ".join(repr(self._domain(var)) for var in self.vars
                                if var.name in assigned and assigned[var.name] is None)
            body = f"[{tuple_src} for ({', '.join(choices)},) in product({domains})]"
        else:
            body = f"[{tuple_src}]"
        return self._compile(f"({body} if {condition} else [])")

    def _domain(self, var: s.SysVar) -> tuple:
        if isinstance(var.sort, s.LevelSort):
            return tuple(range(len(self.system.lattice(var.sort.dimension).levels)))
        return var.sort.values()

    # ------------------------------------------------------------ queries
    def initial(self) -> Config:
        return (self.system.model.initial,) + tuple(v.init for v in self.vars)

    def enabled(self, config: Config, step: s.Step) -> bool:
        return config[0] == step.source and bool(self._guard[step.index](config))

    def fire(self, config: Config, step: s.Step) -> list[Config]:
        """Successors of `config` by `step` (one per choice of `any` values)."""
        if config[0] != step.source:
            return []
        return self._fire[step.index](config)

    def fire_forced(self, config: Config, step: s.Step) -> list[Config]:
        """Successors by `step` whatever the control state, guard and ranges say."""
        return self._fire_forced[step.index](config)

    def step_condition(self, check: s.Check, config: Config, step: s.Step) -> bool:
        """The check's bad condition for `step`, without the step's guard."""
        fn = self._step_condition.get((check.name, step.index))
        return fn is not None and bool(fn(config))

    def successors(self, config: Config) -> Iterator[tuple[s.Step, Config]]:
        for step in self.steps_from.get(config[0], ()):
            for nxt in self._fire[step.index](config):
                yield step, nxt

    def step_bad(self, check: s.Check, config: Config, step: s.Step) -> bool:
        fn = self._step_bad.get((check.name, step.index))
        return fn is not None and config[0] == step.source and bool(fn(config))

    def state_bad(self, check: s.Check, config: Config) -> bool:
        return bool(self._state_bad[check.name](config))

    def evaluate(self, expr: s.SExpr, config: Config):
        return self.compile(expr)(config)

    def value(self, config: Config, name: str):
        return config[self.index[name]]

    def describe(self, config: Config) -> dict[str, object]:
        """Variables by name, with label levels shown by their names."""
        out: dict[str, object] = {"state": config[0]}
        for var, value in zip(self.vars, config[1:]):
            if isinstance(var.sort, s.LevelSort):
                value = self.system.lattice(var.sort.dimension).levels[value]
            out[var.name] = value
        return out
