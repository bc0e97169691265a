"""Benchmark of `wfcheck repair` on every bundled example.

    python bench/bench_repair.py [FILE.wf ...]

Every violated property of every bundled example (or of the files given), each property's
search timed alone, once with every candidate kind ("all kinds") and once with the first
version's one-transition kinds (guard, clause, remove, split), side by side in one run.
Times are wall-clock seconds; the machine may be loaded (say so with the numbers).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from wfcheck import api  # noqa: E402
from wfcheck.checker.repair.candidates import ALL_KINDS, ONE_TRANSITION  # noqa: E402
from wfcheck.checker.repair.search import repair_text  # noqa: E402


def bench_repair(paths=None) -> None:
    print("\n| example | violated | repaired, one-transition kinds | repaired, all kinds | slowest property s "
          "(all kinds) | total s (all kinds) | total s (one-transition) |")
    print("|---|---|---|---|---|---|---|")
    paths = paths or sorted(p for p in (ROOT / "examples").rglob("*.wf") if "catalog" not in p.parts)
    for path in paths:
        source = path.read_text()
        names = [r.name for r in api.verify(str(path), "explicit").results if r.status == "violated"]
        row = {}
        for label, kinds in (("one", ONE_TRANSITION), ("all", ALL_KINDS)):
            slowest = total = 0.0
            repaired = 0
            for name in names:
                started = time.perf_counter()
                (found,) = repair_text(source, str(path), [name], kinds=kinds)
                took = time.perf_counter() - started
                slowest, total = max(slowest, took), total + took
                repaired += bool(found.repairs)
            row[label] = (repaired, slowest, total)
        name = path.relative_to(ROOT / "examples") if path.is_relative_to(ROOT / "examples") else path
        print(f"| {name} | {len(names)} | {row['one'][0]} | {row['all'][0]} | {row['all'][1]:.2f} "
              f"| {row['all'][2]:.2f} | {row['one'][2]:.2f} |", flush=True)


if __name__ == "__main__":
    bench_repair([Path(p).resolve() for p in sys.argv[1:]] or None)
