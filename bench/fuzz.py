"""Fuzz every command at scale (issue 17): `--n` inputs per command, counting exits, internal
errors (exit 70) and tracebacks. The same inputs and oracle as tests/test_fuzz.py, seeded so
that a run can be repeated. Two sources (`--source`): `mutation`, byte-level mutations of the
examples, their traces and, when present, the real trajectories in ../shared/data; `grammar`,
random derivations from the rules of spec/grammar.lark (tests/fuzzing.py `Derivation`; for
the commands that read a `.wf` file: check, fmt, export, verify).

    python bench/fuzz.py --n 10000                  # all commands, mutated inputs
    python bench/fuzz.py --n 10000 --source grammar --commands check,fmt,export,verify
    python bench/fuzz.py --n 500 --commands check,fmt --seed 3

Each breaking input is written to --findings DIR for reproduction; exit 1 if there is any."""
from __future__ import annotations

import argparse
import collections
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fuzzing import COMMANDS, Derivation, mutate, run_command, trace_seeds, workflow_seeds  # noqa: E402

WORKFLOW_COMMANDS = ("check", "fmt", "export", "verify")


def fuzz(command: str, n: int, seed: int, findings_dir: Path | None, source: str = "mutation") -> dict:
    rnd = random.Random(f"{command}:{seed}")
    exits: collections.Counter = collections.Counter()
    broken = []
    derive = Derivation() if source == "grammar" else None
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for i in range(n):
            if derive is not None:
                case = derive(rnd).encode()
                finding = run_command(command, case, tmp, name=f"<derivation {i}>")
            elif command in ("trace", "lean"):
                spec, name, data = rnd.choice(trace_seeds())
                case = mutate(data, rnd)
                finding = run_command(command, Path(spec).read_bytes(), tmp, case, spec, name)
            else:
                name, data = rnd.choice(workflow_seeds())
                case = mutate(data, rnd)
                finding = run_command(command, case, tmp, name=name)
            if finding is None:
                exits["ok"] += 1
                continue
            exits[finding.exit_code] += 1
            broken.append(finding)
            if findings_dir is not None:
                findings_dir.mkdir(parents=True, exist_ok=True)
                (findings_dir / f"{command}-{i}.bin").write_bytes(case)
                (findings_dir / f"{command}-{i}.txt").write_text(str(finding))
    return {"command": command, "inputs": n, "broken": len(broken), "seconds": time.perf_counter() - started,
            "exits": dict(exits), "first": str(broken[0]) if broken else None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="inputs per command")
    parser.add_argument("--commands", default=",".join(COMMANDS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--findings", type=Path, default=None, help="directory for breaking inputs")
    parser.add_argument("--source", choices=("mutation", "grammar"), default="mutation",
                        help="mutated examples and traces, or text derived from the grammar")
    args = parser.parse_args()
    commands = args.commands.split(",")
    if args.source == "grammar" and set(commands) - set(WORKFLOW_COMMANDS):
        parser.error(f"--source grammar makes `.wf` text: for {', '.join(WORKFLOW_COMMANDS)} only")
    total_broken = 0
    print(f"source: {args.source}, seed {args.seed}")
    print(f"{'command':8} {'inputs':>7} {'exit 70/traceback':>18} {'seconds':>8} {'inputs/s':>8}")
    for command in commands:
        row = fuzz(command, args.n, args.seed, args.findings, args.source)
        total_broken += row["broken"]
        print(f"{command:8} {row['inputs']:7d} {row['broken']:18d} {row['seconds']:8.1f} "
              f"{row['inputs'] / row['seconds']:8.1f}", flush=True)
        if row["first"]:
            print("  first:", row["first"].splitlines()[0], flush=True)
    return 1 if total_broken else 0


if __name__ == "__main__":
    sys.exit(main())
