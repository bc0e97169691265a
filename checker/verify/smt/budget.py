"""Time: a deadline per property, slices of it per phase, and z3 calls held to them."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import z3


class Budget:
    """A deadline, and shorter slices of it for one phase."""

    def __init__(self, seconds: float, parent: "Budget | None" = None) -> None:
        deadline = time.perf_counter() + seconds
        self.deadline = min(deadline, parent.deadline) if parent else deadline

    def share(self, fraction: float) -> "Budget":
        return Budget(max(0.0, self.deadline - time.perf_counter()) * fraction, self)

    def within(self, seconds: float) -> "Budget":
        return Budget(seconds, self)

    def left_ms(self) -> int:
        return max(1, int((self.deadline - time.perf_counter()) * 1000))

    @property
    def over(self) -> bool:
        return time.perf_counter() >= self.deadline


@contextmanager
def watchdog(budget: Budget, grace: float = 0.5):
    """Interrupt z3 if a call overruns the deadline (Spacer does not always look at its
    `timeout` in time); the interrupted call answers unknown."""
    timer = threading.Timer(max(0.0, budget.deadline - time.perf_counter()) + grace,
                            z3.main_ctx().interrupt)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def solve(solver: z3.Solver, budget: Budget, *assumptions) -> z3.CheckSatResult:
    solver.set("timeout", budget.left_ms())
    return solver.check(*assumptions)
