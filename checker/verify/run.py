"""`verify`: decide every property of a model with the chosen engine."""
from __future__ import annotations

import multiprocessing
import os
import time
from dataclasses import dataclass
from typing import Callable

from wfcheck.spec.model import Model
from wfcheck.spec.system import Check, System, lower

from .result import PROVED, UNKNOWN, VACUOUS, VIOLATED, PropertyResult

ENGINES = ("portfolio", "smt", "explicit")


@dataclass(frozen=True)
class Report:
    """The verdict on every selected property of one workflow."""
    model: Model
    system: System
    results: tuple[PropertyResult, ...]
    engine: str
    seconds: float

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def exit_code(self) -> int:
        """0 all proved (or vacuous), 1 some violated, 3 some unknown."""
        if self.count(VIOLATED):
            return 1
        if self.count(UNKNOWN):
            return 3
        return 0

    def to_json(self) -> dict:
        return {
            "workflow": self.model.name,
            "engine": self.engine,
            "summary": {s: self.count(s) for s in (PROVED, VIOLATED, VACUOUS, UNKNOWN)},
            "properties": [self._property_json(r) for r in self.results],
        }

    def _property_json(self, result: PropertyResult) -> dict:
        """A result that stands alone (issue 17): where the property is declared, and each
        counterexample step with its transition, agent, action, the values after it and
        the `.wf` span, beside the bare edge indices."""
        out = result.to_json()
        span = self.model.property(result.name).span
        out.update(file=span.file, line=span.line, column=span.column)
        run = result.counterexample
        if run is not None:
            steps = []
            for i, index in enumerate(run.edges):
                edge = self.model.edges[index]
                after = run.configs[i + 1] if i + 1 < len(run.configs) else None
                steps.append({"step": i + 1, "edge": index, "from": edge.source, "to": edge.target,
                              "agent": edge.action.agent, "action": str(edge.action),
                              "values": dict(after) if after is not None else None,
                              "violation": run.bad_step and i == len(run.edges) - 1,
                              "span": {"file": edge.span.file, "line": edge.span.line, "column": edge.span.column}})
            out["counterexample"]["steps"] = steps
        return out


def verify_model(model: Model, engine: str = "portfolio", bound: int = 50, timeout: float = 10.0,
                 properties: list[str] | None = None, jobs: int = 1) -> Report:
    """Check `properties` (all by default) of `model`. Unknown property names raise KeyError.
    `jobs` processes decide properties side by side (0: one per core); each property is
    decided by one process, as it would be alone, so the verdicts do not depend on it.
    The explicit engine decides all properties in one shared exploration; the portfolio
    (the default) picks or races the engines (portfolio.py)."""
    started = time.perf_counter()
    system = lower(model)
    known = {c.name for c in system.checks}
    for name in properties or ():
        if name not in known:
            raise KeyError(name)
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}")
    checks = [c for c in system.checks if properties is None or c.name in properties]
    if jobs == 0:
        jobs = os.cpu_count() or 1
    if engine == "explicit":
        from .shared import check_all
        results = check_all(system, checks, timeout=timeout)
    elif engine == "portfolio":
        from .portfolio import check_portfolio
        results = check_portfolio(system, checks, bound, timeout, jobs)
    elif jobs > 1 and len(checks) > 1 and "fork" in multiprocessing.get_all_start_methods():
        results = _in_parallel(system, engine, bound, timeout, [c.name for c in checks], jobs)
    else:
        decide = _decider(system, engine, bound, timeout)
        results = tuple(decide(c) for c in checks)
    return Report(model, system, results, engine, time.perf_counter() - started)


def _decider(system: System, engine: str, bound: int, timeout: float) -> Callable[[Check], PropertyResult]:
    if engine == "explicit":
        from .explicit import check_property
        return lambda check: check_property(system, check, timeout=timeout)
    from .smt import property_checker
    return property_checker(system, bound, timeout)


_WORKER: tuple[System, Callable[[Check], PropertyResult]] | None = None


def _init_worker(system: System, engine: str, bound: int, timeout: float) -> None:
    global _WORKER
    _WORKER = (system, _decider(system, engine, bound, timeout))


def _work(name: str) -> PropertyResult:
    assert _WORKER is not None
    system, decide = _WORKER
    return decide(system.check(name))


def _in_parallel(system: System, engine: str, bound: int, timeout: float, names: list[str],
                 jobs: int) -> tuple[PropertyResult, ...]:
    """Decide `names` in a pool of forked processes (they inherit the system instead of
    unpickling it), one property per task, taken as workers come free; the results in the
    order of `names`. Where processes cannot fork (Windows), `verify_model` stays serial."""
    context = multiprocessing.get_context("fork")
    with context.Pool(min(jobs, len(names)), _init_worker, (system, engine, bound, timeout)) as pool:
        found = {r.name: r for r in pool.imap_unordered(_work, names)}
    return tuple(found[name] for name in names)
