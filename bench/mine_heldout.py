"""`wfcheck mine` on the real runs in ../shared/data: mine from one half, check the other
half against the mined spec. A held-back run is *accepted* when the monitor finds no
deviation from the mined machine (the control structure); property findings are counted
apart (a mined property broken by a new run is a finding, not a rejection).

    python bench/mine_heldout.py [--k 1]
"""
from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from pathlib import Path

from wfcheck import api

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
TAU = DATA / "tau-bench" / "airline" / "gpt-4o"
DOJO = DATA / "agentdojo"
MODELS = ("gpt-4o-2024-05-13", "claude-3-5-sonnet-20240620")


def evaluate(name: str, train: list[str], test: list[str], k: int, labels: str | None = None,
             replies: bool = True) -> None:
    mined = api.mine(train, k=k, labels=labels, replies=replies).mined
    with tempfile.NamedTemporaryFile("w", suffix=".wf", delete=False) as handle:
        handle.write(mined.text)
    own = api.check_traces(handle.name, train)
    held = api.check_traces(handle.name, test)
    deviating = sum(any(v.kind == "deviation" for v in r.violations) for r in held.results)
    kinds = Counter(v.kind for r in held.results for v in r.violations if v.kind != "deviation")
    print(f"| {name} | {len(train)} | {mined.states} | {mined.transitions} | {len(mined.properties)} | "
          f"{own.passed}/{len(own.results)} | {len(held.results) - deviating}/{len(held.results)} | "
          f"{held.passed}/{len(held.results)} | {dict(sorted(kinds.items())) or '-'} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--k", type=int, default=1)
    k = parser.parse_args().k
    print(f"k = {k}")
    print("| data | training runs | states | transitions | properties | training clean | "
          "held-out accepted (no deviation) | held-out clean | held-out property findings |")
    print("|---|---|---|---|---|---|---|---|---|")
    evaluate("τ-bench airline, trial 0 → trial 1", sorted(str(p) for p in TAU.glob("*_trial0.json")),
             sorted(str(p) for p in TAU.glob("*_trial1.json")), k)
    for suite in ("banking", "slack", "travel", "workspace"):
        runs = {m: sorted(str(p) for p in (DOJO / m / suite).glob("user_task_*/none/none.json")) for m in MODELS}
        evaluate(f"AgentDojo {suite}, gpt-4o → claude", runs[MODELS[0]], runs[MODELS[1]], k)
        evaluate(f"AgentDojo {suite} --no-replies, gpt-4o → claude", runs[MODELS[0]], runs[MODELS[1]], k,
                 replies=False)
        evaluate(f"AgentDojo {suite} --labels, gpt-4o → claude", runs[MODELS[0]], runs[MODELS[1]], k,
                 str(ROOT / "examples" / "agentdojo" / f"{suite}.wf"))


if __name__ == "__main__":
    main()
