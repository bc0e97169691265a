"""`verify`: decide every property of a model with the chosen engine."""
from __future__ import annotations

import time
from dataclasses import dataclass

from wfcheck.spec.model import Model
from wfcheck.spec.system import System, lower

from .result import PROVED, UNKNOWN, VACUOUS, VIOLATED, PropertyResult

ENGINES = ("smt", "explicit")


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
            "properties": [r.to_json() for r in self.results],
        }


def verify_model(model: Model, engine: str = "smt", bound: int = 50, timeout: float = 10.0,
                 properties: list[str] | None = None) -> Report:
    """Check `properties` (all by default) of `model`. Unknown property names raise KeyError."""
    started = time.perf_counter()
    system = lower(model)
    known = {c.name for c in system.checks}
    for name in properties or ():
        if name not in known:
            raise KeyError(name)
    if engine == "explicit":
        from .explicit import check_system
        results = check_system(system, properties)
    elif engine == "smt":
        from .smt import check_system as smt_check_system
        results = smt_check_system(system, properties, bound=bound, timeout=timeout)
    else:
        raise ValueError(f"unknown engine {engine!r}")
    return Report(model, system, results, engine, time.perf_counter() - started)
