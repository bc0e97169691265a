"""The whole comparison of two versions, as `wfcheck diff` reports it."""
from __future__ import annotations

import dataclasses
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from wfcheck.spec.model import Model
from wfcheck.spec.system import System, lower

from .changed import changed_lines
from .labels import Change, label_changes
from .properties import Regression, lost_properties
from .runs import DEFAULT_MAX_PAIRS, EQUIVALENT, EXTRA, UNKNOWN, RunDifference, extra_run


SIMULATION_FIRST = 50_000   # product pairs before z3's one-step simulation proof is tried
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
    changed: dict = field(default_factory=dict)   # new file -> lines changed from the old (changed.py)

    @property
    def exit_code(self) -> int:
        """As `verify`'s: 1 new runs, loosened declarations or properties of OLD violated (or
        not statable) on NEW; else 3 when something is undecided (the runs NEW adds, or a
        property proved on OLD that is unknown on NEW: no longer proved); else 0."""
        if self.added.status == EXTRA or any(not g.undecided for g in self.regressions) \
                or any(c.kind in LOOSENING for c in self.changes):
            return 1
        return 3 if self.added.status == UNKNOWN or any(g.undecided for g in self.regressions) else 0


def diff_models(old: Model, new: Model, renames: dict[str, str] | None = None, engine: str = "portfolio",
                bound: int = 50, timeout: float = 10.0, max_pairs: int = DEFAULT_MAX_PAIRS,
                smt_bound: int = 8, jobs: int = 1) -> DiffReport:
    """Compare `old` and `new` (renames: old name -> new name of tools, events, agents,
    variables). The runs are compared by the explicit product search, which z3's one-step
    simulation proof (smt.py) may cut short past SIMULATION_FIRST pairs; where the product
    has more than `max_pairs` pairs and there is no such proof, by z3 bounded up to
    `smt_bound` steps. With `jobs` other than 1 (0: one per core) the runs are compared in
    a forked process while this one checks the properties (`engine`, `jobs` as in `verify`)."""
    started = time.perf_counter()
    renames = dict(renames or {})
    old_system, new_system = lower(old), lower(new)
    args = (new_system, old_system, renames, max_pairs, smt_bound, timeout)
    changes = label_changes(old, new, renames)
    workers = jobs or os.cpu_count() or 1
    if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
            compared = pool.submit(_both_ways, *args)
            regressions = lost_properties(old, new, renames, engine, bound, timeout, jobs)
            added, removed = compared.result()
    else:
        added, removed = _both_ways(*args)
        regressions = lost_properties(old, new, renames, engine, bound, timeout, jobs)
    return DiffReport(old, new, old_system, new_system, added, removed, changes, regressions,
                      time.perf_counter() - started, changed_lines(old, new))


def _both_ways(new_system, old_system, renames, max_pairs, smt_bound, timeout):
    """(runs NEW adds, runs NEW removes)."""
    return (_compare(new_system, old_system, None, renames, max_pairs, smt_bound, timeout),
            _compare(old_system, new_system, renames, None, max_pairs, smt_bound, timeout))


def _compare(first, second, renames_first, renames_second, max_pairs, smt_bound, timeout) -> RunDifference:
    """The product search; past SIMULATION_FIRST pairs z3's simulation proof is tried (a
    second or so where the product runs to hundreds of thousands of pairs), then the search
    goes on to `max_pairs`; past those, the simulation proof or else z3 bounded."""
    early = min(SIMULATION_FIRST, max_pairs)
    found = extra_run(first, second, renames_first, renames_second, early)
    if found.status != UNKNOWN:
        return found
    from .smt import extra_run_smt, simulation_proof

    if simulation_proof(first, second, renames_first, renames_second, timeout):
        return dataclasses.replace(found, status=EQUIVALENT, method="simulation")
    if early < max_pairs:
        found = extra_run(first, second, renames_first, renames_second, max_pairs)
        if found.status != UNKNOWN:
            return found
    if smt_bound <= found.depth:
        return found
    bounded = extra_run_smt(first, second, renames_first, renames_second, smt_bound, timeout)
    if bounded.status == EXTRA or bounded.depth > found.depth:
        return dataclasses.replace(bounded, pairs=found.pairs, method="bounded")
    return found
