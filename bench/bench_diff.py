"""Benchmark of `wfcheck diff` and `wfcheck repair`.

    python bench/bench_diff.py [--sizes 10,50,100,200] [--baseline 50,100,200] [--only diff|repair]

diff: a generated workflow (bench/gen_workflow.py) against a version with one more
transition (an extra tool call from the first work state that the old version lacks):
`api.diff` with two processes and with one, beside the previous pipeline (every property
checked in full on both versions, explicit engine, one process) and the runs compared by z3
alone. repair: every violated property of every bundled example (bench/bench_repair.py).
Times are wall-clock seconds of one run; the machine may be loaded (say so with the numbers).
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from gen_workflow import generate  # noqa: E402

from wfcheck import api  # noqa: E402
from wfcheck.spec.frontend import check_text  # noqa: E402


def loosen(text: str) -> str:
    """Add one transition: the first `A -> B on TOOL by X` line again, going back to A."""
    match = re.search(r"^(\w+) -> (\w+) on (\w+) by (\w+)", text, re.M)
    source, _, tool, agent = match.groups()
    return text + f"\n{source} -> {source} on {tool} by {agent}\n"


def previous_diff(old, new) -> float:
    """The pipeline before the shared, parallel one (for the ratio in the same run): the
    product search both ways, then every property of OLD on OLD and, transplanted, on NEW,
    each version checked in full with the explicit engine, all in one process."""
    import dataclasses

    from wfcheck.checker.diff.compare import _both_ways
    from wfcheck.checker.diff.properties import rename_property
    from wfcheck.checker.verify.run import verify_model
    from wfcheck.spec.system import lower

    started = time.perf_counter()
    _both_ways(lower(new), lower(old), {}, 500_000, 8, 10.0)
    verify_model(old, "explicit")
    verify_model(dataclasses.replace(new, properties=tuple(rename_property(p, {}) for p in old.properties)), "explicit")
    return time.perf_counter() - started


def _timed(work) -> tuple[object, float, float]:
    """(result, wall s, CPU s of this process and of the children it waited for)."""
    before, started = os.times(), time.perf_counter()
    result = work()
    after = os.times()
    cpu = sum(getattr(after, f) - getattr(before, f) for f in ("user", "system", "children_user", "children_system"))
    return result, time.perf_counter() - started, cpu


def bench_diff(sizes, baseline: set) -> None:
    """One row per size: `diff` with both cores and with one, the previous pipeline (with
    `--baseline`), and the runs compared by z3 alone (the product search cut off at one pair).
    Wall and CPU seconds: on a loaded machine the CPU time is the steadier figure."""
    from wfcheck.checker.diff.compare import _both_ways
    from wfcheck.spec.system import lower

    print("| states | runs NEW adds (pairs) | runs NEW removes (pairs) | lost | `diff -j 2` wall (CPU) s "
          "| `diff -j 1` wall (CPU) s | previous pipeline wall (CPU) s | CPU previous / -j 1 "
          "| runs by z3 alone wall s (adds; removes) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n in sizes:
        old_text = generate(states=n)
        old = check_text(old_text, f"gen{n}.wf").model
        new = check_text(loosen(old_text), f"gen{n}-new.wf").model
        report, two, two_cpu = _timed(lambda: api.diff(old, new, jobs=2))
        _, one, one_cpu = _timed(lambda: api.diff(old, new, jobs=1))
        shown, ratio = "—", "—"
        if n in baseline:
            _, before, before_cpu = _timed(lambda: previous_diff(old, new))
            shown, ratio = f"{before:.2f} ({before_cpu:.2f})", f"{before_cpu / one_cpu:.1f}"
        (added, removed), by_z3, _ = _timed(lambda: _both_ways(lower(new), lower(old), {}, 1, 8, 10.0))
        print(f"| {n} | {report.added.pairs} ({report.added.status}) | {report.removed.pairs} ({report.removed.status}) "
              f"| {len(report.regressions)} | {two:.2f} ({two_cpu:.2f}) | {one:.2f} ({one_cpu:.2f}) | {shown} | {ratio} "
              f"| {by_z3:.2f} ({added.status} {added.method}; {removed.status} {removed.method}) |", flush=True)


def bench_repair() -> None:
    from bench_repair import bench_repair as every_example  # bench/bench_repair.py

    every_example()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,50,100,200")
    parser.add_argument("--baseline", default="50,100,200", help="Sizes that also run the previous pipeline.")
    parser.add_argument("--only", choices=("diff", "repair"), help="Run one of the two benches.")
    args = parser.parse_args()
    if args.only != "repair":
        bench_diff([int(s) for s in args.sizes.split(",")], {int(s) for s in args.baseline.split(",") if s})
    if args.only != "diff":
        bench_repair()


if __name__ == "__main__":
    main()
