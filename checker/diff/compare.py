"""The whole comparison of two versions, as `wfcheck diff` reports it."""
from __future__ import annotations

import time
from dataclasses import dataclass

from wfcheck.spec.model import Model
from wfcheck.spec.system import System, lower

from .labels import Change, label_changes
from .properties import Regression, lost_properties
from .runs import DEFAULT_MAX_PAIRS, EXTRA, UNKNOWN, RunDifference, extra_run


LOOSENING = frozenset({"result-more-secret", "result-less-trusted", "sink-removed", "sink-raised",
                       "needs-removed", "needs-lowered", "tool-widened", "property-dropped"})


@dataclass(frozen=True)
class DiffReport:
    old: Model
    new: Model
    old_system: System
    new_system: System
    added: RunDifference     # runs the new version allows that the old one forbade
    removed: RunDifference   # runs the old version allowed that the new one forbids
    changes: tuple[Change, ...]
    regressions: tuple[Regression, ...]
    seconds: float

    @property
    def exit_code(self) -> int:
        """0 no new behaviour, 1 new runs, loosened labels or lost properties, 3 undecided."""
        if self.added.status == EXTRA or self.regressions or any(c.kind in LOOSENING for c in self.changes):
            return 1
        return 3 if self.added.status == UNKNOWN else 0


def diff_models(old: Model, new: Model, renames: dict[str, str] | None = None, engine: str = "explicit",
                bound: int = 50, timeout: float = 10.0, max_pairs: int = DEFAULT_MAX_PAIRS,
                smt_bound: int = 8, jobs: int = 1) -> DiffReport:
    """Compare `old` and `new` (renames: old name -> new name of tools, events, agents,
    variables). The runs are compared by the explicit product search; where the product has
    more than `max_pairs` pairs, by z3 up to `smt_bound` steps instead (smt.py). `jobs`
processes check the properties side by side, as in `verify`."""
    started = time.perf_counter()
    renames = dict(renames or {})
    old_system, new_system = lower(old), lower(new)
    added = _compare(new_system, old_system, None, renames, max_pairs, smt_bound, timeout)
    removed = _compare(old_system, new_system, renames, None, max_pairs, smt_bound, timeout)
    changes = label_changes(old, new, renames)
    regressions = lost_properties(old, new, renames, engine, bound, timeout, jobs)
    return DiffReport(old, new, old_system, new_system, added, removed, changes, regressions,
                      time.perf_counter() - started)


def _compare(first, second, renames_first, renames_second, max_pairs, smt_bound, timeout) -> RunDifference:
    found = extra_run(first, second, renames_first, renames_second, max_pairs)
    if found.status != UNKNOWN or smt_bound <= found.depth:
        return found
    from .smt import extra_run_smt

    bounded = extra_run_smt(first, second, renames_first, renames_second, smt_bound, timeout)
    if bounded.status == EXTRA or bounded.depth > found.depth:
        return bounded
    return found
