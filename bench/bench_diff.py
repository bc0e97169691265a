"""Benchmark of `wfcheck diff` and `wfcheck repair`.

    python bench/bench_diff.py [--sizes 10,50,100,200]

diff: a generated workflow (bench/gen_workflow.py) against a version with one more
transition (an extra tool call from the first work state that the old version lacks):
the product search both ways, the label comparison and every old property on the new
version (explicit checker). repair: every violated property of every bundled example
(bench/bench_repair.py).
Times are wall-clock seconds of one run; the machine may be loaded (say so with the numbers).
"""
from __future__ import annotations

import argparse
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


def bench_diff(sizes) -> None:
    print("| states | new-version pairs | old-version pairs | diff s | verify-both s (explicit) |")
    print("|---|---|---|---|---|")
    for n in sizes:
        old_text = generate(states=n)
        old = check_text(old_text, f"gen{n}.wf").model
        new = check_text(loosen(old_text), f"gen{n}-new.wf").model
        started = time.perf_counter()
        report = api.diff(old, new)
        diff_s = time.perf_counter() - started
        started = time.perf_counter()
        api.verify(old, "explicit")
        api.verify(new, "explicit")
        verify_s = time.perf_counter() - started
        print(f"| {n} | {report.added.pairs} ({report.added.status}) | {report.removed.pairs} ({report.removed.status}) "
              f"| {diff_s:.2f} | {verify_s:.2f} |")


def bench_repair() -> None:
    from bench_repair import bench_repair as every_example  # bench/bench_repair.py

    every_example()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,50,100,200")
    args = parser.parse_args()
    bench_diff([int(s) for s in args.sizes.split(",")])
    bench_repair()


if __name__ == "__main__":
    main()
