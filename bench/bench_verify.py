"""Verification benchmark: wfcheck's SMT and explicit-state engines against SPIN.

    python bench/bench_verify.py              # a table on stdout
    python bench/bench_verify.py --markdown   # the same, as the Markdown of docs/benchmarks.md

For each size, a synthetic workflow from bench/gen_workflow.py (seed 0, 3 agents) is checked
for every property (written and implicit) by

- SMT: `verify_model(model, engine="smt", timeout=...)` (z3; a timeout per property), on
  one core, and again with one process per core (`jobs=0`, what `wfcheck verify` does);
- explicit: the explicit-state checker, property by property, capped at `--max-states`
  configurations and at `--explicit-budget` seconds in all (a capped row shows "—");
- portfolio: `verify_model(model, jobs=0)`, the default engine of `wfcheck verify`, with how many
  of its safety counterexamples are shortest and which engines decided;
- SPIN: end to end per property — the Promela translation, `spin -a`, `cc -O2`, `./pan` —
  summed over the properties (export/promela.py, checker/verify/spin.py).

Times are wall-clock seconds, with CPU seconds (this process, plus child processes for SPIN
and the parallel SMT run) in parentheses: the machine may be shared, and CPU time is what load does not inflate. The
ratios are of wall times. Then every bundled example is verified through the CLI
(`python -m wfcheck verify FILE`, wall and CPU time including Python start-up; median of 3)
against the 1 s target.

Every property's verdicts are compared across the engines (vacuous counts as proved, since
SPIN does not tell vacuity; unknown and not-run verdicts are left out). Any disagreement is
printed loudly with a reproducer and makes the exit code 1.
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import gen_workflow  # noqa: E402
from tables import table  # noqa: E402

import wfcheck  # noqa: E402
from wfcheck.checker.verify.explicit import check_property  # noqa: E402
from wfcheck.checker.verify.spin import spin_available, spin_check  # noqa: E402
from wfcheck.checker.verify.result import PROVED, UNKNOWN, VACUOUS, VIOLATED  # noqa: E402
from wfcheck.checker.verify.run import verify_model  # noqa: E402
from wfcheck.spec.system import lower  # noqa: E402

# (states, tools, variables, properties)
SIZES = ((10, 4, 2, 3), (25, 8, 3, 5), (50, 15, 5, 10), (100, 25, 8, 15), (200, 40, 10, 20))
NOT_RUN = "not run"
JOBS = os.cpu_count() or 1   # the SMT engine again with one process per core (`verify --jobs 0`)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class EngineRun:
    wall: float = 0.0
    cpu: float = 0.0
    verdicts: dict = field(default_factory=dict)   # property -> status
    capped: str | None = None                      # why the time is not comparable

    def counts(self) -> tuple[int, int, int]:
        values = list(self.verdicts.values())
        return (sum(v in (PROVED, VACUOUS) for v in values), values.count(VIOLATED),
                sum(v in (UNKNOWN, NOT_RUN) for v in values))


@dataclass
class Row:
    size: tuple
    checks: int
    steps: int
    smt: EngineRun
    smt_jobs: EngineRun       # the same with one process per core
    explicit: EngineRun
    spin: EngineRun | None
    spin_search: float = 0.0
    portfolio: EngineRun | None = None   # `wfcheck verify`'s default engine
    shortest: str = ""                   # violations with a shortest counterexample / safety violations
    disagreements: list = field(default_factory=list)


def run_smt(model, timeout: float, jobs: int = 1) -> EngineRun:
    """`verify_model` with the SMT engine; with `jobs` > 1 (as `wfcheck verify` does by
    default) the CPU time includes the worker processes'."""
    wall, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    report = verify_model(model, engine="smt", timeout=timeout, jobs=jobs)
    return EngineRun(time.perf_counter() - wall, time.process_time() - cpu + _children_cpu() - children,
                     {r.name: r.status for r in report.results})


def run_portfolio(model) -> tuple[EngineRun, str]:
    """`verify_model` with its default engine, as `wfcheck verify` runs it (`jobs=0`); and how
    many of its safety counterexamples are shortest, of how many."""
    wall, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    report = verify_model(model, jobs=0)
    run = EngineRun(time.perf_counter() - wall, time.process_time() - cpu + _children_cpu() - children,
                    {r.name: r.status for r in report.results})
    safety = [r for r in report.results if r.shortest is not None]
    engines = "+".join(sorted({r.engine for r in report.results}))
    return run, f"{sum(r.shortest for r in safety)}/{len(safety)} ({engines})"


def run_explicit(system, max_states: int, budget: float) -> EngineRun:
    run = EngineRun()
    wall, cpu = time.perf_counter(), time.process_time()
    for check in system.checks:
        if time.perf_counter() - wall > budget:
            run.verdicts[check.name] = NOT_RUN
            run.capped = f"over the {budget:g} s budget"
            continue
        result = check_property(system, check, max_states=max_states)
        run.verdicts[check.name] = result.status
        if result.status == UNKNOWN:
            run.capped = result.reason
    run.wall, run.cpu = time.perf_counter() - wall, time.process_time() - cpu
    return run


def run_spin(system, timeout: float) -> tuple[EngineRun, float]:
    run, search = EngineRun(), 0.0
    wall, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    for check in system.checks:
        result = spin_check(system, check, timeout=timeout)
        run.verdicts[check.name] = result.status
        search += result.details["times"].search
    run.wall = time.perf_counter() - wall
    run.cpu = time.process_time() - cpu + _children_cpu() - children
    return run, search


def _norm(status: str) -> str | None:
    return {PROVED: PROVED, VACUOUS: PROVED, VIOLATED: VIOLATED}.get(status)


def compare(row: Row, text: str, outdir: Path) -> None:
    engines = {"smt": row.smt, f"smt -j{JOBS}": row.smt_jobs, "explicit": row.explicit,
               "portfolio": row.portfolio}
    if row.spin is not None:
        engines["spin"] = row.spin
    for name in row.smt_jobs.verdicts:
        decided = {e: _norm(run.verdicts.get(name, NOT_RUN)) for e, run in engines.items()}
        decided = {e: v for e, v in decided.items() if v is not None}
        if len(set(decided.values())) > 1:
            outdir.mkdir(parents=True, exist_ok=True)
            path = outdir / ("disagree-" + "-".join(map(str, row.size)) + ".wf")
            path.write_text(text, encoding="utf-8")
            row.disagreements.append(
                f"property `{name}`: " + ", ".join(f"{e} {run.verdicts.get(name, NOT_RUN)}" for e, run in engines.items())
                + f"\n    reproduce: python -m wfcheck verify {path} --property {name} --engine explicit"
                + f"   (and --engine smt; python -m wfcheck export {path} --property {name})")


def bench_size(size, args) -> Row:
    states, tools, variables, properties = size
    text = gen_workflow.generate(states, tools, variables, properties, agents=3, seed=args.seed)
    result = wfcheck.check_text(text, "synthetic.wf")
    assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    system = lower(result.model)
    _progress(f"size {size}: {len(system.checks)} properties, {len(system.steps)} steps")
    smt = run_smt(result.model, args.smt_timeout) if not args.no_serial_smt else EngineRun(capped="not run")
    _progress(f"  smt {smt.wall:.1f} s")
    smt_jobs = run_smt(result.model, args.smt_timeout, JOBS)
    _progress(f"  smt -j{JOBS} {smt_jobs.wall:.1f} s")
    explicit = run_explicit(system, args.max_states, args.explicit_budget)
    _progress(f"  explicit {explicit.wall:.1f} s")
    spin, search = (run_spin(system, args.spin_timeout) if not args.no_spin else (None, 0.0))
    if spin is not None:
        _progress(f"  spin {spin.wall:.1f} s")
    portfolio, shortest = run_portfolio(result.model)
    _progress(f"  portfolio {portfolio.wall:.1f} s, shortest {shortest}")
    row = Row(size, len(system.checks), len(system.steps), smt, smt_jobs, explicit, spin, search, portfolio, shortest)
    compare(row, text, Path(args.outdir))
    for line in row.disagreements:
        _progress("  DISAGREEMENT " + line)
    return row


def bench_examples(repeat: int = 3) -> list[tuple[str, float, float, int]]:
    """(example, median wall s, median CPU s, exit code) of `python -m wfcheck verify`."""
    paths = sorted(ROOT.glob("examples/*.wf")) + sorted(ROOT.glob("examples/*/*.wf"))
    rows = []
    for path in paths:
        check = wfcheck.check_file(str(path))
        if not check.ok or not check.model.properties:
            continue  # an imported catalog, not a workflow
        walls, cpus, code = [], [], None
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), _children_cpu()
            proc = subprocess.run([sys.executable, "-m", "wfcheck", "verify", str(path)], cwd=ROOT,
                                  capture_output=True, text=True)
            walls.append(time.perf_counter() - t0)
            cpus.append(_children_cpu() - c0)
            code = proc.returncode
        rows.append((str(path.relative_to(ROOT)), statistics.median(walls), statistics.median(cpus), code))
        _progress(f"  {path.name}: {rows[-1][1]:.2f} s (exit {code})")
    return rows


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- rendering


def _cell(run: EngineRun | None) -> str:
    if run is None:
        return "n/a"
    if run.capped:
        return "—"
    return f"{run.wall:.2f} ({run.cpu:.2f})"


def _ratio(a: EngineRun, b: EngineRun | None) -> str:
    if b is None or a.capped or b.capped or b.wall == 0:
        return "—"
    return f"{a.wall / b.wall:.2f}"


def _counts(run: EngineRun | None) -> str:
    return "n/a" if run is None else "/".join(map(str, run.counts()))


def render(rows: list[Row], examples, markdown: bool) -> str:
    head = ["size (states/tools/vars/props)", "checks", "steps", "SMT s", f"SMT -j{JOBS} s", "explicit s", "SPIN s",
            "SPIN search s", "SMT/SPIN", "SMT/explicit", "SMT P/V/U", "explicit P/V/U", "SPIN P/V/U", "agree"]
    body = []
    for r in rows:
        body.append(["/".join(map(str, r.size)), str(r.checks), str(r.steps), _cell(r.smt), _cell(r.smt_jobs),
                     _cell(r.explicit),
                     _cell(r.spin), f"{r.spin_search:.2f}" if r.spin else "n/a", _ratio(r.smt, r.spin),
                     _ratio(r.smt, r.explicit), _counts(r.smt), _counts(r.explicit), _counts(r.spin),
                     "yes" if not r.disagreements else f"NO ({len(r.disagreements)})"])
    pf_head = ["size", "portfolio s", "SPIN search s", "SPIN s", "portfolio/SPIN search", "portfolio/SPIN",
               "portfolio/SMT -j", "portfolio P/V/U", "shortest (engines)", "agree"]
    pf_body = [["/".join(map(str, r.size)), _cell(r.portfolio), f"{r.spin_search:.2f}" if r.spin else "n/a",
                _cell(r.spin), f"{r.portfolio.wall / r.spin_search:.2f}" if r.spin and r.spin_search else "—",
                _ratio(r.portfolio, r.spin), _ratio(r.portfolio, r.smt_jobs), _counts(r.portfolio), r.shortest,
                "yes" if not r.disagreements else f"NO ({len(r.disagreements)})"] for r in rows]
    ex_head = ["example", "wall s (median of 3)", "CPU s", "exit", "< 1 s (wall)"]
    ex_body = [[name, f"{t:.2f}", f"{c:.2f}", str(code), "yes" if t < 1.0 else "NO"] for name, t, c, code in examples]
    out = [table(head, body, markdown), "", table(pf_head, pf_body, markdown), "", table(ex_head, ex_body, markdown)]
    bad = [(r, d) for r in rows for d in r.disagreements]
    if bad:
        out.append("")
        out.append("!!! ENGINES DISAGREE !!!")
        out += [f"- size {'/'.join(map(str, r.size))}: {d}" for r, d in bad]
    return "\n".join(out) + "\n"


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    import z3
    spin = subprocess.run(["spin", "-V"], capture_output=True, text=True).stdout.strip() if spin_available() else "absent"
    cc = subprocess.run(["cc", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    return (f"{os.cpu_count()} cores, {cpu}; Python {platform.python_version()}; z3 {z3.get_version_string()}; "
            f"{spin}; {cc}; load average at the end {os.getloadavg()[0]:.1f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument("--sizes", type=int, default=len(SIZES), help="how many of the sizes to run, smallest first")
    parser.add_argument("--skip", type=int, default=0, help="leave out this many of the smallest sizes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smt-timeout", type=float, default=10.0, help="seconds per property (as `verify`)")
    parser.add_argument("--max-states", type=int, default=300_000, help="explicit: configurations per property")
    parser.add_argument("--explicit-budget", type=float, default=600.0, help="explicit: seconds per size")
    parser.add_argument("--spin-timeout", type=float, default=120.0, help="SPIN: seconds per command")
    parser.add_argument("--no-serial-smt", action="store_true", help="leave out the one-core SMT run")
    parser.add_argument("--no-spin", action="store_true", help="leave SPIN out")
    parser.add_argument("--no-examples", action="store_true", help="leave the CLI examples out")
    parser.add_argument("--outdir", default="/tmp/wfcheck-bench", help="where reproducers are written")
    args = parser.parse_args(argv)
    if not args.no_spin and not spin_available():
        _progress("spin or cc not found: SPIN is left out")
        args.no_spin = True
    started = time.perf_counter()
    rows = [bench_size(size, args) for size in SIZES[args.skip:args.sizes]]
    examples = [] if args.no_examples else bench_examples()
    print(render(rows, examples, args.markdown), end="")
    print(("\n" if args.markdown else "") + f"machine: {machine()}; bench wall time {time.perf_counter() - started:.0f} s")
    return 1 if any(r.disagreements for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
