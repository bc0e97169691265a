"""`wfcheck mine` speed: mining generated runs (10,000 runs of 100 events is the target:
under 60 s), and linearity in the number of events (the same generator at 1/4, 1/2 and
all of the runs, in one process, so the ratios hold on a loaded machine; CPU time beside
wall time, since a loaded machine stretches the wall time).

Runs are drawn from a small random workflow (20 tools, 3 agents, failures and messages),
as `Trace`s in memory: reading is `wfcheck trace`'s reader and is measured there.

    python bench/mine_bench.py [--runs 10000] [--events 100] [--k 2]
"""
from __future__ import annotations

import argparse
import random
import time

from wfcheck.checker.mine.mine import mine
from wfcheck.checker.trace.readers.events import Message, ToolCall, Trace

TOOLS = [f"tool_{i}" for i in range(20)]
AGENTS = ["planner", "executor", "reviewer"]


def generate(runs: int, events: int, seed: int = 7) -> list[Trace]:
    """Runs of a process with phases: each phase prefers a few tools, so there is structure
    to learn, with noise."""
    rng = random.Random(seed)
    out = []
    for r in range(runs):
        evs = []
        phase = 0
        for i in range(events):
            if rng.random() < 0.05:
                phase = min(phase + 1, 4)
            agent = AGENTS[phase % 3]
            if rng.random() < 0.1:
                evs.append(Message("assistant", "note", agent, AGENTS[(phase + 1) % 3]))
                continue
            tool = TOOLS[phase * 4 + rng.randrange(4)] if rng.random() < 0.9 else rng.choice(TOOLS)
            evs.append(ToolCall(tool, {"x": i}, agent, None, "ok", rng.random() < 0.03))
        out.append(Trace(f"run{r}", "gen", "native", tuple(evs)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--k", type=int, default=2)
    args = parser.parse_args()
    traces = generate(args.runs, args.events)
    print(f"{'runs':>7} {'events':>9} {'wall s':>8} {'CPU s':>8} {'CPU us/event':>13} {'states':>7}")
    for share in (4, 2, 1):
        part = traces[: args.runs // share]
        start, cpu = time.perf_counter(), time.process_time()
        mined = mine(part, k=args.k)
        took, used = time.perf_counter() - start, time.process_time() - cpu
        print(f"{len(part):>7} {mined.events:>9} {took:>8.2f} {used:>8.2f} "
              f"{used / mined.events * 1e6:>13.2f} {mined.states:>7}", flush=True)


if __name__ == "__main__":
    main()
