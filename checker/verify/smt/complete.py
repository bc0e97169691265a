"""Completing a run: the engines find runs over the in-cone variables only; the
variables outside the cone follow their updates concretely, to full configurations
shaped like the interpreter's (`Interpreter.describe`)."""
from __future__ import annotations

from wfcheck.spec import system as s

from .translate import evaluate
from .values import PC, Values


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
