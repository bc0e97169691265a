"""Whole-process start-up time (issue 17): `wfcheck --help`, `--version`, `check` on an
example and `trace` on an example trace, for this tree and for a baseline commit, side by
side in one run (the machine may be loaded: compare the ratios, not the seconds).

The baseline is `git archive`d and installed with `pip install --target` (no deps: they come
from this interpreter's environment), then run as `python -m wfcheck` with it first on
PYTHONPATH; this tree (the working directory, edits included) is installed and run the same
way. Both are then what a wheel install is: pip writes the bytecode at install time, so a
`PYTHONDONTWRITEBYTECODE` environment (or a read-only checkout) does not make either side
compile its sources on every run, as an editable install there would.

    python bench/startup.py --base main --runs 9

Prints the median of --runs runs per command, and its ratio to `python -c pass`."""
from __future__ import annotations

import argparse
import os
import resource
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
    source = into / "src"
    source.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
    return install(source, into / "site")


def install(source: Path, site: Path) -> Path:
    """`source` installed as a wheel would be (bytecode compiled), into `site`."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(source)],
                   check=True, capture_output=True, env=env)
    return site


def timed(argv: list[str], env: dict, runs: int, cwd: str) -> tuple[float, float]:
    """The median wall time and median CPU time (user + system) of `argv` over `runs` runs
    (after one warm-up run), run in `cwd` (not the checkout, whose `wfcheck/` folder
    `python -m` would put first on the path). CPU time suffers less from a loaded machine."""
    walls, cpus = [], []
    for i in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                       cwd=cwd)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if i:
            walls.append(wall)
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main", help="the baseline commit or branch")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = install_base(args.base, Path(tmp))
        here = install(ROOT, Path(tmp) / "this")
        plain = dict(os.environ)
        plain.pop("PYTHONPATH", None)
        trees = {args.base: {**plain, "PYTHONPATH": str(site)}, "this tree": {**plain, "PYTHONPATH": str(here)}}
        python = [sys.executable]
        nothing, nothing_cpu = timed(python + ["-c", "pass"], plain, args.runs, tmp)
        print(f"python -c pass: {nothing * 1000:.0f} ms wall, {nothing_cpu * 1000:.0f} ms CPU (medians of "
              f"{args.runs}); load average {os.getloadavg()[0]:.1f} (2 cores here: above ~2 the seconds are "
              "inflated, compare ratios)")
        print(f"{'command':10} " + " ".join(f"{name + ' wall (CPU)':>32}" for name in trees) + f" {'speed-up':>9}")
        for label, argv in COMMANDS.items():
            times = {name: timed(python + ["-m", "wfcheck", *argv], env, args.runs, tmp) for name, env in trees.items()}
            cells = " ".join(f"{t * 1000:6.0f} ms ({cpu * 1000:4.0f} ms) {t / nothing:5.1f}x pass"
                             for t, cpu in times.values())
            (base, _), (now, _) = times.values()
            print(f"{label:10} {cells} {base / now:8.1f}x", flush=True)
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
