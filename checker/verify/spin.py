"""SPIN as a peer engine: run `spin -a`, `cc` and `./pan` on the Promela translation of one
property (wfcheck/export/promela.py) and read `errors: N` into a `PropertyResult` (engine
"spin"): violated, proved (SPIN does not tell vacuity), or unknown when SPIN ran out of depth,
memory or time.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass

from wfcheck.export.promela import is_liveness, to_promela
from wfcheck.spec.system import Check, System

from .result import PROVED, UNKNOWN, VIOLATED, PropertyResult

ENGINE = "spin"


@dataclass(frozen=True)
class SpinTimes:
    """Seconds spent in each stage of one SPIN run."""
    translate: float = 0.0
    spin: float = 0.0
    compile: float = 0.0
    search: float = 0.0

    @property
    def total(self) -> float:
        return self.translate + self.spin + self.compile + self.search


def spin_available() -> bool:
    return shutil.which("spin") is not None and shutil.which("cc") is not None


FIRST_DEPTH = 100_000   # pan's DFS stack, tried first
MAX_DEPTH = 10_000_000  # and grown tenfold up to this when the search needs it
HASH_BITS = 21          # pan's hash table: 2^21 slots (chained, so more states still fit)


def spin_check(system: System, check: Check, timeout: float = 120.0, workdir: str | None = None,
               max_depth: int = MAX_DEPTH, optimize: str = "-O2") -> PropertyResult:
    """Decide `check` with SPIN. `timeout` bounds each external command (seconds);
    `workdir` keeps the files (model.pml, pan.c, pan, pan.out) for inspection; `optimize`
    is the C compiler's optimisation flag (`-O0` compiles pan.c about 4x faster, for
    models whose search is short)."""
    started = time.perf_counter()
    text = to_promela(system, check)
    translate = time.perf_counter() - started
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="wfcheck-spin-") as tmp:
            return _run(system, check, text, translate, timeout, tmp, max_depth, optimize, started)
    os.makedirs(workdir, exist_ok=True)
    return _run(system, check, text, translate, timeout, workdir, max_depth, optimize, started)


def _run(system, check, text, translate, timeout, cwd, max_depth, optimize, started) -> PropertyResult:
    liveness = is_liveness(check)

    def search(depth: int) -> list[str]:
        return ["./pan", "-n", f"-m{depth}", f"-w{HASH_BITS}"] + (["-a"] if liveness else [])

    with open(os.path.join(cwd, "model.pml"), "w", encoding="utf-8") as handle:
        handle.write(text)
    stages = [("spin", ["spin", "-a", "model.pml"]),
              ("compile", ["cc", optimize, "-w", "-DVECTORSZ=4096", "-DMEMLIM=4096"]
               + ([] if liveness else ["-DSAFETY"]) + ["-o", "pan", "pan.c"]),
              ("search", search(min(FIRST_DEPTH, max_depth)))]
    times: dict[str, float] = {"translate": translate}
    output = ""

    def done(status, reason=None, **details) -> PropertyResult:
        return PropertyResult(check.name, status, ENGINE, reason=reason,
                              seconds=time.perf_counter() - started,
                              details={**details, "times": SpinTimes(**times)})

    depth = min(FIRST_DEPTH, max_depth)
    while True:
        for stage, command in stages:
            t0 = time.perf_counter()
            try:
                proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                times[stage] = times.get(stage, 0.0) + time.perf_counter() - t0
                return done(UNKNOWN, f"`{command[0]}` ran out of time ({timeout:g} s)")
            times[stage] = times.get(stage, 0.0) + time.perf_counter() - t0
            output = proc.stdout + proc.stderr
            if stage == "search":
                with open(os.path.join(cwd, "pan.out"), "w", encoding="utf-8") as handle:
                    handle.write(output)
            elif proc.returncode != 0:
                raise RuntimeError(f"`{' '.join(command)}` failed:\n{output[-2000:]}")
        # A small DFS stack costs little to allocate; a search that needs more is rerun deeper.
        if "max search depth too small" not in output or "errors: 0" not in output or depth >= max_depth:
            break
        depth = min(depth * 10, max_depth)
        stages = [("search", search(depth))]
    errors = re.search(r"errors: (\d+)", output)
    stored = re.search(r"(\d+) states, stored", output)
    details = {"states": int(stored.group(1)) if stored else None}
    if errors is None:
        return done(UNKNOWN, "pan did not finish: " + (output.strip().splitlines() or ["no output"])[-1], **details)
    if int(errors.group(1)) > 0:
        kind = re.search(r"^pan:\d+: ([a-z ]+)", output, re.M)
        return done(VIOLATED, None, error=kind.group(1).strip() if kind else "error", **details)
    if "max search depth too small" in output:
        return done(UNKNOWN, f"the search went deeper than {depth} steps", **details)
    if "out of memory" in output or "MEMLIM" in output:
        return done(UNKNOWN, "pan ran out of memory", **details)
    if "Search not completed" in output:
        return done(UNKNOWN, "pan did not complete the search", **details)
    return done(PROVED, None, **details)
