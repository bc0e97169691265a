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
                bound: int = 50, timeout: float = 10.0, max_pairs: int = DEFAULT_MAX_PAIRS) -> DiffReport:
    """Compare `old` and `new` (renames: old name -> new name of tools, events, agents,
    variables)."""
    started = time.perf_counter()
    renames = dict(renames or {})
    old_system, new_system = lower(old), lower(new)
    added = extra_run(new_system, old_system, None, renames, max_pairs)
    removed = extra_run(old_system, new_system, renames, None, max_pairs)
    changes = label_changes(old, new, renames)
    regressions = lost_properties(old, new, renames, engine, bound, timeout)
    return DiffReport(old, new, old_system, new_system, added, removed, changes, regressions,
                      time.perf_counter() - started)
