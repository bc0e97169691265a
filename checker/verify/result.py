"""Verdicts and counterexamples, shared by every checker and renderer.

A counterexample is a run: the edge taken at each step and the configuration after it
(as {variable: value}, labels by level name), so that it can be replayed through the
concrete semantics and rendered without re-solving anything. Timestamp-free, so the
JSON form is stable.
"""
from __future__ import annotations

from dataclasses import dataclass, field

PROVED, VIOLATED, UNKNOWN, VACUOUS = "proved", "violated", "unknown", "vacuous"


@dataclass(frozen=True)
class Run:
    """`configs[0]` is the initial configuration; step i takes edge `edges[i]` from
    `configs[i]` to `configs[i + 1]`. A run that ends in a bad step has one more edge than
    the configurations after it (`bad_step`): that step is the violation itself."""
    edges: tuple[int, ...]
    configs: tuple[dict, ...]
    bad_step: bool = False          # the last edge is a violating step (it has no config after)
    loop_start: int | None = None   # a lasso: configs[-1] == configs[loop_start]

    def __len__(self) -> int:
        return len(self.edges)

    def to_json(self) -> dict:
        return {"edges": list(self.edges), "configs": [dict(c) for c in self.configs],
                "bad_step": self.bad_step, "loop_start": self.loop_start}


@dataclass(frozen=True)
class PropertyResult:
    name: str
    status: str                      # proved | violated | unknown | vacuous
    engine: str                      # which checker decided
    counterexample: Run | None = None
    bound: int | None = None         # for unknown (or a violation that is not the shortest):
    reason: str | None = None        # the depth explored without a violation, and why
    invariant: object | None = None  # for proved: the certificate the engine found
    seconds: float = 0.0
    details: dict = field(default_factory=dict)

    @property
    def shortest(self) -> bool | None:
        """Whether a safety counterexample is a shortest one (None: no such counterexample;
        a lasso's loop is not minimised)."""
        run = self.counterexample
        if self.status != VIOLATED or run is None or run.loop_start is not None:
            return None
        return self.details.get("shortest", True) is not False

    def to_json(self) -> dict:
        return {
            "name": self.name, "status": self.status, "engine": self.engine,
            **({"shortest": self.shortest} if self.shortest is not None else {}),
            "counterexample": self.counterexample.to_json() if self.counterexample else None,
            "bound": self.bound, "reason": self.reason, "seconds": round(self.seconds, 4),
            **({"details": self.details} if self.details else {}),
        }
