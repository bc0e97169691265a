"""Benchmark of `wfcheck diff` and `wfcheck repair`.

    python bench/bench_diff.py [--sizes 10,50,100,200]

diff: a generated workflow (bench/gen_workflow.py) against a version with one more
transition (an extra tool call from the first work state that the old version lacks):
the product search both ways, the label comparison and every old property on the new
version (explicit checker). repair: every violated property of every bundled example, with
every candidate kind and with the first version's one-transition kinds (`--repair-only`).
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


def bench_repair(paths=None) -> None:
    """Each violated property's search timed alone, with every candidate kind ("after") and
    with the one-transition kinds of the first version ("before"), side by side in one run."""
    from wfcheck.checker.repair.candidates import ALL_KINDS, ONE_TRANSITION
    from wfcheck.checker.repair.search import repair_text

    print("\n| example | violated | repaired before | repaired after | slowest property s (after) | total s (after) "
          "| total s (before) |")
    print("|---|---|---|---|---|---|---|")
    paths = paths or sorted(p for p in (ROOT / "examples").rglob("*.wf") if "catalog" not in p.parts)
    for path in paths:
        source = path.read_text()
        names = [r.name for r in api.verify(str(path), "explicit").results if r.status == "violated"]
        row = {}
        for label, kinds in (("before", ONE_TRANSITION), ("after", ALL_KINDS)):
            slowest = total = 0.0
            repaired = 0
            for name in names:
                one = time.perf_counter()
                (found,) = repair_text(source, str(path), [name], kinds=kinds)
                took = time.perf_counter() - one
                slowest, total = max(slowest, took), total + took
                repaired += bool(found.repairs)
            row[label] = (repaired, slowest, total)
        print(f"| {path.relative_to(ROOT / 'examples')} | {len(names)} | {row['before'][0]} | {row['after'][0]} "
              f"| {row['after'][1]:.2f} | {row['after'][2]:.2f} | {row['before'][2]:.2f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,50,100,200")
    parser.add_argument("--repair-only", action="store_true", help="Only the repair table.")
    args = parser.parse_args()
    if not args.repair_only:
        bench_diff([int(s) for s in args.sizes.split(",")])
    bench_repair()


if __name__ == "__main__":
    main()
