"""Whole-process start-up time (issue 17): `wfcheck --help`, `--version`, `check` on an
example and `trace` on an example trace, for this tree and for a baseline commit, side by
side in one run (the machine may be loaded: compare the ratios, not the seconds).

The baseline is `git archive`d and installed with `pip install --target` (no deps: they come
from this interpreter's environment), then run as `python -m wfcheck` with it first on
PYTHONPATH; this tree runs the same way from its own checkout's install.

    python bench/startup.py --base main --runs 9

Prints the median of --runs runs per command, and its ratio to `python -c pass`."""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "--help": ["--help"],
    "--version": ["--version"],
    "check": ["check", str(ROOT / "examples" / "support.wf")],
    "trace": ["trace", str(ROOT / "examples" / "support.wf"),
              str(ROOT / "examples" / "traces" / "support" / "verification_failed.jsonl")],
}


def install_base(ref: str, into: Path) -> Path:
    """The baseline's package, installed under `into`/site."""
    source, site = into / "src", into / "site"
    source.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--target", str(site), str(source)], check=True, capture_output=True)
    return site


def timed(argv: list[str], env: dict, runs: int, cwd: str) -> float:
    """The median wall time of `argv` over `runs` runs (after one warm-up run), run in `cwd`
    (not the checkout, whose `wfcheck/` folder `python -m` would put first on the path)."""
    samples = []
    for i in range(runs + 1):
        started = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                       cwd=cwd)
        if i:
            samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main", help="the baseline commit or branch")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = install_base(args.base, Path(tmp))
        plain = dict(os.environ)
        plain.pop("PYTHONPATH", None)
        trees = {args.base: {**plain, "PYTHONPATH": str(site)}, "this tree": plain}
        python = [sys.executable]
        nothing = timed(python + ["-c", "pass"], plain, args.runs, tmp)
        print(f"python -c pass: {nothing * 1000:.0f} ms (median of {args.runs}); machine may be loaded")
        print(f"{'command':10} " + " ".join(f"{name:>22}" for name in trees) + f" {'speed-up':>9}")
        for label, argv in COMMANDS.items():
            times = {name: timed(python + ["-m", "wfcheck", *argv], env, args.runs, tmp) for name, env in trees.items()}
            cells = " ".join(f"{t * 1000:8.0f} ms ({t / nothing:4.1f}x pass)" for t in times.values())
            base, now = times.values()
            print(f"{label:10} {cells} {base / now:8.1f}x", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
