"""`verify`'s default engine: the explicit checker where the reachable configurations fit a
memory budget, z3 where they do not, and both side by side where that is not known ahead.

The estimate is the model's own bound on its configurations (control states × every
variable's range × monitor ranges). Within the budget the shared explicit exploration
decides alone. Otherwise it runs alone for a short probe (small models are done by then);
past the probe z3 decides the properties in forked worker processes while this process
explores on. The explicit verdicts win when the exploration completes (its counterexamples
are shortest); the exploration stops once z3 has decided every property; z3's verdicts fill
in where the exploration ran past the budget. The losing side is stopped (the pool
terminated, the exploration cut off). Each `PropertyResult.engine` says which engine decided.
"""
from __future__ import annotations

import math
import multiprocessing
import os
import threading

from wfcheck.spec.system import Check, LevelSort, System

from . import run as run_module
from .result import UNKNOWN, VIOLATED, PropertyResult
from .shared import check_all

ENGINE = "portfolio"
MAX_STATES = 1_000_000   # the explicit engine's memory budget, in configurations
PROBE_STATES = 150_000   # configurations explored alone before z3 starts side by side


def configuration_bound(system: System, checks: list[Check]) -> int:
    """How many configurations the product of the system and the checks' monitors can have
    at most: control states × the size of every variable's range."""
    sizes = [len(system.model.states)]
    for var in system.vars + tuple(v for c in checks for v in c.monitors):
        if isinstance(var.sort, LevelSort):
            sizes.append(len(system.lattice(var.sort.dimension).levels))
        else:
            sizes.append(len(var.sort.values()))
    return math.prod(sizes)


def plan(system: System, checks: list[Check], max_states: int = MAX_STATES) -> str:
    """"explicit" when the configurations surely fit the budget, else "both"."""
    return "explicit" if configuration_bound(system, checks) <= max_states else "both"


def _decided(result: PropertyResult | None) -> bool:
    """A z3 verdict that the explicit engine could not improve on."""
    return result is not None and result.status != UNKNOWN and not (
        result.status == VIOLATED and result.details.get("shortest") is False)


def check_portfolio(system: System, checks: list[Check], bound: int = 50, timeout: float = 10.0,
                    jobs: int = 1, max_states: int = MAX_STATES,
                    probe_states: int = PROBE_STATES) -> tuple[PropertyResult, ...]:
    """Decide `checks` by the portfolio (see the module docstring), in their order."""
    if plan(system, checks, max_states) == "explicit" or "fork" not in multiprocessing.get_all_start_methods():
        explicit = check_all(system, checks, max_states, timeout=timeout)
        if any(r.status == UNKNOWN for r in explicit):
            decide = run_module._decider(system, "smt", bound, timeout)
            return _fill(explicit, {r.name: decide(system.check(r.name)) for r in explicit if r.status == UNKNOWN})
        return explicit
    names = [c.name for c in checks]
    smt: dict[str, PropertyResult] = {}
    every_decided = threading.Event()
    pool, pending = None, []

    def arrived(result: PropertyResult) -> None:
        smt[result.name] = result
        if all(_decided(smt.get(n)) for n in names):
            every_decided.set()

    def progress(found: int) -> bool:
        """Past the probe, z3 starts side by side; the exploration stops once z3 has decided all."""
        nonlocal pool
        if pool is None and found > probe_states:
            context = multiprocessing.get_context("fork")
            workers = max(1, min(jobs or os.cpu_count() or 1, len(names)))
            pool = context.Pool(workers, run_module._init_worker, (system, "smt", bound, timeout))
            pending.extend(pool.apply_async(run_module._work, (n,), callback=arrived) for n in names)
        return every_decided.is_set()

    try:
        explicit = check_all(system, checks, max_states, progress, timeout)
        if all(r.status != UNKNOWN for r in explicit):
            return explicit
        if pool is None:
            progress(probe_states + 1)
        for task in pending:
            task.get()   # a worker's error is raised here, not lost
        return _fill(explicit, smt)
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()


def _fill(explicit: tuple[PropertyResult, ...], smt: dict[str, PropertyResult]) -> tuple[PropertyResult, ...]:
    """The explicit verdicts, z3's where the explicit one is unknown."""
    return tuple(smt[r.name] if r.status == UNKNOWN and r.name in smt else r for r in explicit)
