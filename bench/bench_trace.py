"""Trace-checking benchmark: wfcheck's reader and monitor, and invariant-ai's LocalPolicy.

    python bench/bench_trace.py                  # the tables on stdout
    python bench/bench_trace.py --markdown       # the same, as the Markdown of docs/benchmarks.md
    python bench/bench_trace.py --only ID[,ID]   # only these rows (`throughput`: all of a section)

Four sections, on synthetic runs of `SPEC` (a support assistant: ten tools, two labels,
untrusted and secret reads, two of them with result fields, parameters of five kinds, seven
properties of five kinds) from bench/gen_traces.py:

- throughput: a corpus of `--events` events (default 1,000,000) in native JSON Lines,
  traces of 20 to 300 events in 16 files, 10 % of the runs breaking one property. Rows:
  `json.loads` on every line (the floor: no reader can do less), `read_traces` alone, and
  `check_traces` end to end in both precisions with `jobs=1` and `jobs=2`, each row the
  least CPU time of `--repeat` rounds (3) in which the rows take turns;
- linearity: the same mix in traces of exactly 10, 100, 1,000 and 10,000 events
  (`--linearity-events` events per length): the cost per event, end to end and of the
  monitor alone (traces read beforehand), each the least of `--repeat` runs;
- latency: `Monitor.step` and `Monitor.check` (before the step) timed one event at a time,
  after a warm-up, over `--latency-events` events;
- invariant: the same properties as an Invariant policy (`INVARIANT_POLICY`), run by
  invariant-ai's `LocalPolicy` on the same traces converted to OpenAI messages, for traces
  of 50, 100, 200, 400 and 800 tool calls (each run allowed to break one property) while
  its time allows (`--invariant-budget` wall seconds; each length in a child process, killed
  when the budget is spent; a length is not started when Invariant's growth so far says it
  would not fit). First both run on 60 short traces that may each break any property, and
  the rules each flags are compared per trace (conservative precision: `values` flags
  fewer flows by design).

Times are CPU seconds of this process (plus its child processes for `jobs=2`), with wall
seconds beside them where they are shown: the machine may be shared, and CPU time is what
other load inflates least. Latencies are wall time per call (`perf_counter_ns`), since a
CPU clock per call costs more than the call. Each row prints the command that measures it
alone. The exit code is 1 if wfcheck and Invariant flag different rules on some trace.
"""
from __future__ import annotations

import argparse
import gc
import json
import math
import multiprocessing
import os
import platform
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import gen_traces  # noqa: E402
from tables import table  # noqa: E402

import wfcheck  # noqa: E402
from wfcheck.checker.trace.monitor import Monitor, check_events  # noqa: E402
from wfcheck.checker.trace.check import check_traces  # noqa: E402
from wfcheck.checker.trace.readers import read_traces  # noqa: E402
from wfcheck.checker.trace.readers.reader import read_lines  # noqa: E402

SPEC = """\
# The benchmark's spec: one assistant serving a user. Web pages and mail are untrusted (but
# a mail's sender, which the mail server vouches for), card numbers secret; money moves only
# after the identity is checked, at most three times a run, and never on untrusted input.
# Parameters say what their values are, as in examples/agentdojo/ (a search query is left
# untyped); result fields change no verdict of conservative precision (a result's label is
# the join of its fields), so Invariant's policy below is the same.
workflow support_bench

labels confidentiality: public < secret
labels integrity: trusted > untrusted

agent user, assistant

var verified: bool = false

tool lookup_order(order_id: id) by assistant
tool search_web(query) by assistant returns untrusted
tool read_inbox(folder: id) by assistant returns untrusted { from: trusted }
tool verify_identity(customer: id) by assistant { verified = true }
tool get_card(customer: id) by assistant returns { number: secret }
tool send_email(to: email, subject: text, body: text) by assistant sends
tool post_message(channel: id, text: text) by assistant sends
tool refund(order_id: id, amount: number) by assistant writes
tool transfer(recipient: iban, amount: number) by assistant writes
tool delete_account(customer: id) by assistant writes

event answer by assistant

state idle initial
state working
state answered final

idle -> working on message user to assistant
answered -> working on message user to assistant
working -> working on lookup_order, search_web, read_inbox, verify_identity, get_card, send_email,
  post_message, refund, transfer, delete_account
working -> answered on answer

map reply to answer

property card_not_emailed: no flow from secret to send_email(subject, body)
property transfer_not_injected: no untrusted influence on transfer
property inbox_not_posted: no flow from read_inbox to post_message
property no_delete: never delete_account
property verify_before_transfer: transfer requires earlier verify_identity
property transfer_cap: at most 3 transfer
property refund_verified: never refund when not verified
"""

# The same seven properties in Invariant's rule language. With one agent and no
# declassify/endorse, "the context holds a result of X when Y is called" is "a call of X
# comes before the call of Y", which is Invariant's `->` between tool calls; `verified` is
# set by any `verify_identity`, so `never refund when not verified` is "no `verify_identity`
# before the `refund`". Each rule raises the property's name.
INVARIANT_POLICY = """\
from invariant import count

raise "card_not_emailed" if:
    (c1: ToolCall) -> (c2: ToolCall)
    c1.function.name == "get_card"
    c2.function.name == "send_email"

raise "transfer_not_injected" if:
    (c1: ToolCall) -> (c2: ToolCall)
    c1.function.name in ["search_web", "read_inbox"]
    c2.function.name == "transfer"

raise "inbox_not_posted" if:
    (c1: ToolCall) -> (c2: ToolCall)
    c1.function.name == "read_inbox"
    c2.function.name == "post_message"

raise "no_delete" if:
    (c: ToolCall)
    c.function.name == "delete_account"

raise "verify_before_transfer" if:
    (c: ToolCall)
    c.function.name == "transfer"
    not count(min=1):
        (v: ToolCall)
        v -> c
        v.function.name == "verify_identity"

raise "transfer_cap" if:
    count(min=4):
        (c: ToolCall)
        c.function.name == "transfer"

raise "refund_verified" if:
    (c: ToolCall)
    c.function.name == "refund"
    not count(min=1):
        (v: ToolCall)
        v -> c
        v.function.name == "verify_identity"
"""

# Invariant stops a rule after 100 evaluation steps by default ("Maximum checking cycles
# exceeded"), which a 50-call trace already passes; lifted so that it checks the whole trace.
INVARIANT_MAX_ITERATIONS = str(10 ** 12)

THROUGHPUT_FILES = 16
THROUGHPUT_LENGTHS = (20, 300)
LINEARITY_LENGTHS = (10, 100, 1_000, 10_000)
INVARIANT_CALLS = (50, 100, 200, 400, 800)
INVARIANT_TRACES = {50: 5, 100: 3, 200: 2, 400: 1, 800: 1}
AGREEMENT_TRACES = 60
PRECISIONS = ("conservative", "values")
# events/s per CPU-second on one core, by precision (the issues that set them: conservative
# in the first round, values in issue 11)
TARGET_RATE = {"conservative": 200_000, "values": 150_000}
TARGET_LATENCY_US = 20.0
TARGET_SPEEDUP = 1_000


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass
class Clock:
    """CPU (this process and its reaped children) and wall time of a block."""
    cpu: float = 0.0
    wall: float = 0.0

    def __enter__(self) -> "Clock":
        self._cpu = time.process_time() + _children_cpu()
        self._wall = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.cpu = time.process_time() + _children_cpu() - self._cpu
        self.wall = time.perf_counter() - self._wall


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Section:
    title: str
    head: list[str]
    rows: list[tuple[str, list[str]]] = field(default_factory=list)   # (id, cells)
    notes: list[str] = field(default_factory=list)


class Bench:
    def __init__(self, args) -> None:
        self.args = args
        self.only = [p for p in (args.only or "").split(",") if p]
        self.work = Path(args.workdir or tempfile.mkdtemp(prefix="wfcheck-bench-trace-"))
        self.work.mkdir(parents=True, exist_ok=True)
        self.spec = self.work / "support_bench.wf"
        self.spec.write_text(SPEC)
        self.sections: list[Section] = []
        self.disagreements: list[str] = []

    # -------------------------------------------------------------- helpers
    def wanted(self, row_id: str) -> bool:
        return not self.only or any(row_id == p or row_id.startswith(p + ".") for p in self.only)

    def command(self, row_id: str) -> str:
        extra = []
        defaults = {"events": 1_000_000, "linearity_events": 100_000, "latency_events": 100_000,
                    "invariant_budget": 240.0, "seed": 0, "repeat": 3}
        for name, default in defaults.items():
            value = getattr(self.args, name)
            if value != default:
                extra.append(f"--{name.replace('_', '-')} {value}")
        return " ".join(["python bench/bench_trace.py --only", row_id, *extra])

    # -------------------------------------------------------------- 1. throughput
    def throughput(self) -> None:
        ids = ["throughput.json", "throughput.read"] + [f"throughput.{p}.j{j}" for j in (1, 2) for p in PRECISIONS]
        if not any(self.wanted(i) for i in ids):
            return
        directory = self.work / "corpus"
        _progress(f"throughput: writing {self.args.events:,} events to {directory}")
        with Clock() as gen:
            corpus = gen_traces.write_corpus(str(directory), self.args.events, THROUGHPUT_LENGTHS,
                                             THROUGHPUT_FILES, seed=self.args.seed)
        paths = corpus["paths"]
        events = corpus["events"]
        section = Section(
            "Throughput: native JSON Lines, end to end",
            ["id", "what", "CPU s", "wall s", "cores used (CPU/wall)", "events/s per CPU-s", "events/s wall",
             "× json.loads CPU time", "target per core (" + ", ".join(
                 f"{p} ≥ {rate // 1000}k/s" for p, rate in TARGET_RATE.items()) + ")"])
        section.notes.append(
            f"corpus: {corpus['traces']:,} traces, {events:,} events on {corpus['lines']:,} lines "
            f"({corpus['bytes'] / 1e6:.0f} MB, {corpus['bytes'] / events:.0f} bytes per event) in "
            f"{THROUGHPUT_FILES} files; written in {gen.wall:.0f} s")

        # The floor: json.loads on every line, nothing kept.
        def floor() -> None:
            loads = json.loads
            for path in paths:
                with open(path, "rb") as handle:
                    for line in handle:
                        loads(line)

        def read() -> None:
            n = 0
            for trace in read_traces(paths):
                n += len(trace.events)
            assert n == events, (n, events)

        def check(precision: str, jobs: int):
            def run() -> dict:
                report = check_traces(str(self.spec), paths, precision=precision, jobs=jobs)
                assert sum(r.events for r in report.results) == events
                return report.summary_json()
            return run

        runs = [("throughput.json", "json.loads per line (floor)", floor)]
        if self.wanted("throughput.read"):
            runs.append(("throughput.read", "read_traces (reading only)", read))
        runs += [(f"throughput.{precision}.j{jobs}", f"check_traces, {precision}, jobs={jobs}",
                  check(precision, jobs))
                 for jobs in (1, 2) for precision in PRECISIONS if self.wanted(f"throughput.{precision}.j{jobs}")]
        Monitor(str(self.spec))   # imports and the spec's first load, out of the timings
        best: dict[str, tuple[Clock, dict | None]] = {}
        for round_ in range(1, self.args.repeat + 1):      # rows interleaved: a slow spell hits them all
            for row_id, what, run in runs:
                _progress(f"throughput: {what} (round {round_} of {self.args.repeat})")
                with Clock() as clock:
                    summary = run()
                if row_id not in best or clock.cpu < best[row_id][0].cpu:
                    best[row_id] = (clock, summary)
        base = best["throughput.json"][0]
        rows = [(row_id, what, *best[row_id]) for row_id, what, _ in runs]
        section.notes.append(f"each row: the round of least CPU time of {self.args.repeat} (`--repeat`), "
                             "the rows run in turn in each round")
        for row_id, what, clock, summary in rows:
            is_check = summary is not None
            rate = events / clock.cpu
            target = ""
            precision = row_id.split(".")[1]
            if row_id.endswith(".j1") and precision in TARGET_RATE:
                wanted = TARGET_RATE[precision]
                target = f"{'met' if rate >= wanted else 'NOT met'} ({rate / wanted:.2f}×)"
            section.rows.append((row_id, [what, f"{clock.cpu:.2f}", f"{clock.wall:.2f}",
                                          f"{clock.cpu / clock.wall:.2f}", f"{rate:,.0f}",
                                          f"{events / clock.wall:,.0f}", f"{clock.cpu / base.cpu:.2f}", target]))
            if is_check:
                section.notes.append(
                    f"{row_id}: {summary['failed']:,} of {summary['checked']:,} traces fail, "
                    f"{summary['violations']:,} violations {summary['by_kind']}")
        self.sections.append(section)

    # -------------------------------------------------------------- 2. linearity
    def linearity(self) -> None:
        ids = [f"linearity.{n}" for n in LINEARITY_LENGTHS]
        if not any(self.wanted(i) for i in ids):
            return
        section = Section(
            "Linearity: cost per event by trace length (same mix)",
            ["id", "trace length", "traces", "conservative µs/event end to end", "values µs/event end to end",
             "conservative µs/event monitor only", "values µs/event monitor only",
             "conservative µs/event end to end, GC off"])
        total = self.args.linearity_events
        monitors = {p: Monitor(str(self.spec), p) for p in PRECISIONS}
        measured: dict[int, list[float]] = {}
        for length in LINEARITY_LENGTHS:
            row_id = f"linearity.{length}"
            if not self.wanted(row_id):
                continue
            directory = self.work / f"linear-{length}"
            corpus = gen_traces.write_corpus(str(directory), total, length, 1, seed=self.args.seed + length,
                                             prefix=f"l{length}-")
            _progress(f"linearity: {corpus['traces']:,} traces of {length} events")
            cells = [self._least_cpu(lambda: check_traces(str(self.spec), corpus["paths"], precision=p))
                     for p in PRECISIONS]
            traces = list(read_traces(corpus["paths"], "native"))

            def monitor_only(monitor: Monitor) -> None:
                for trace in traces:
                    check_events(monitor, trace.events)
            cells += [self._least_cpu(lambda: monitor_only(monitors[p])) for p in PRECISIONS]
            traces.clear()
            gc.collect()
            gc.disable()
            try:
                cells.append(self._least_cpu(lambda: check_traces(str(self.spec), corpus["paths"],
                                                                  precision="conservative")))
            finally:
                gc.enable()
            cells = [c / corpus["events"] * 1e6 for c in cells]
            shutil.rmtree(directory, ignore_errors=True)
            measured[length] = cells
            section.rows.append((row_id, [f"{length:,}", f"{corpus['traces']:,}", *(f"{c:.2f}" for c in cells)]))
        if len(measured) > 1:
            lengths = sorted(measured)
            first, last = lengths[0] if lengths[0] >= 100 or len(lengths) < 3 else lengths[1], lengths[-1]
            growth = [measured[last][k] / measured[first][k] for k in range(5)]
            section.rows.append(("", [f"growth {first:,} → {last:,}", "", *(f"{g:.2f}×" for g in growth)]))
            section.notes.append(
                f"events per length: {total:,}; each cell the least CPU time of {self.args.repeat} runs "
                f"(`--repeat`); growth is the cost per event at the longest length over "
                f"that at {first:,} events (flat = 1.00×; the 10-event traces also pay a fixed per-trace "
                "cost: the monitor's reset and the report's objects); GC off: the same run with Python's "
                "cyclic garbage collector disabled")
        self.sections.append(section)

    def _least_cpu(self, run: Callable[[], object]) -> float:
        """The least CPU seconds of `--repeat` runs: other load only ever adds time."""
        times = []
        for _ in range(self.args.repeat):
            with Clock() as clock:
                run()
            times.append(clock.cpu)
        return min(times)

    # -------------------------------------------------------------- 3. latency
    def latency(self) -> None:
        ids = [f"latency.{c}.{p}" for c in ("step", "check") for p in PRECISIONS]
        if not any(self.wanted(i) for i in ids):
            return
        n_events = self.args.latency_events
        warm = max(1_000, n_events // 10)
        rng = random.Random(self.args.seed + 1)
        traces = []
        total = 0
        while total < n_events + warm:
            lines = gen_traces.gen_trace(rng, f"lat{len(traces)}", events=rng.randint(*THROUGHPUT_LENGTHS))
            text = [json.dumps(line) for line in lines]
            trace = next(iter(read_lines(text, "latency.jsonl", "native")))
            traces.append(trace)
            total += len(trace.events)
        section = Section(
            "Online latency: one event at a time",
            ["id", "call", "precision", "events timed", "mean µs", "p50 µs", "p99 µs", "max µs",
             "CPU µs/event", f"target ≤ {TARGET_LATENCY_US:.0f} µs (p99)"])
        clock_cost = _timer_cost()
        for precision in PRECISIONS:
            step_id, check_id = f"latency.step.{precision}", f"latency.check.{precision}"
            if not (self.wanted(step_id) or self.wanted(check_id)):
                continue
            _progress(f"latency: {precision}")
            monitor = Monitor(str(self.spec), precision)
            step_times: list[int] = []
            check_times: list[int] = []
            seen = 0
            with Clock() as clock:
                for trace in traces:
                    monitor.reset()
                    for event in trace.events:
                        t0 = time.perf_counter_ns()
                        monitor.check(event)
                        t1 = time.perf_counter_ns()
                        monitor.step(event)
                        t2 = time.perf_counter_ns()
                        seen += 1
                        if seen > warm:
                            check_times.append(t1 - t0)
                            step_times.append(t2 - t1)
            cpu_per_event = clock.cpu / seen * 1e6     # check + step + the timers, per event
            for call, row_id, times in (("step", step_id, step_times), ("check", check_id, check_times)):
                if not self.wanted(row_id):
                    continue
                times.sort()
                mean = statistics.fmean(times) / 1e3
                p99 = times[int(len(times) * 0.99)] / 1e3
                section.rows.append((row_id, [f"Monitor.{call}", precision, f"{len(times):,}", f"{mean:.2f}",
                                              f"{times[len(times) // 2] / 1e3:.2f}", f"{p99:.2f}",
                                              f"{times[-1] / 1e3:.0f}",
                                              f"{cpu_per_event:.2f} (check+step)",
                                              "met" if p99 <= TARGET_LATENCY_US else "NOT met"]))
        section.notes.append(f"warm-up: the first {warm:,} events untimed; traces of "
                             f"{THROUGHPUT_LENGTHS[0]}–{THROUGHPUT_LENGTHS[1]} events, the monitor reset between "
                             f"traces (untimed); one `perf_counter_ns` pair costs {clock_cost:.2f} µs, included")
        self.sections.append(section)

    # -------------------------------------------------------------- 4. invariant
    def invariant(self) -> None:
        ids = ["invariant.agreement"] + [f"invariant.{n}" for n in INVARIANT_CALLS]
        if not any(self.wanted(i) for i in ids):
            return
        try:
            from importlib import import_module
            from importlib.metadata import version
            import_module("invariant")
            inv_version = version("invariant-ai")
        except ImportError:
            _progress("invariant-ai is not installed (pip install invariant-ai): section left out")
            return
        section = Section(
            "Against invariant-ai's LocalPolicy (same rules, same traces)",
            ["id", "tool calls", "events", "traces", "wfcheck conservative µs/trace", "wfcheck values µs/trace",
             "Invariant s/trace", f"Invariant / wfcheck (target ≥ {TARGET_SPEEDUP:,}× at 200)",
             "growth ×2 calls (wfcheck, Invariant)", "same rules flagged"])
        section.notes.append(f"invariant-ai {inv_version}, `LocalPolicy.from_string(INVARIANT_POLICY).analyze(messages)`, "
                             f"INVARIANT_MAX_ITERATIONS={INVARIANT_MAX_ITERATIONS}; wfcheck: reading the trace's "
                             "JSON lines (already in memory) and `check_events`; Invariant: `analyze` on the "
                             "OpenAI messages (already built); CPU time. The timed runs may each break one property "
                             "(`gen_trace(..., violating=1.0)`)")
        monitors = {p: Monitor(str(self.spec), p) for p in PRECISIONS}

        if self.wanted("invariant.agreement"):
            _progress("invariant: agreement sample")
            rng = random.Random(self.args.seed + 2)
            sample = [gen_traces.gen_trace(rng, f"agree{k}", calls=rng.randint(4, 30), violating=1.0, chaos=0.4)
                      for k in range(AGREEMENT_TRACES)]
            run = self._compare(sample, monitors, timeout=120.0)
            agree, flagged, note = self._agreement(run, sample)
            section.rows.append(("invariant.agreement", [
                "4–30", f"{sum(run['events'])}", f"{len(sample)}", f"{statistics.fmean(run['ours']['conservative']) * 1e6:,.0f}",
                f"{statistics.fmean(run['ours']['values']) * 1e6:,.0f}",
                f"{statistics.fmean(run['invariant']):.3f}" if run["invariant"] else "timeout",
                "", "", f"{agree} ({flagged})"]))
            if note:
                section.notes.append(note)

        budget_end = time.perf_counter() + self.args.invariant_budget
        previous = None
        for calls in INVARIANT_CALLS:
            row_id = f"invariant.{calls}"
            if not self.wanted(row_id):
                continue
            remaining = budget_end - time.perf_counter()
            if remaining < 5:
                section.notes.append(f"{row_id}: not run, the Invariant budget ({self.args.invariant_budget:.0f} s) is spent")
                break
            if previous is not None and previous[1] is not None:
                # the growth seen from the length before (at least quadratic), and wall time
                # up to twice the CPU time on a loaded machine
                growth = max(4.0, previous[3] or 4.0) ** math.log2(calls / previous[0])
                guess = previous[1] * growth * INVARIANT_TRACES[calls]
                if guess * 2 > remaining:
                    section.notes.append(f"{row_id}: not run, Invariant would take about {guess:.0f} CPU-s "
                                         f"({remaining:.0f} s of the budget left)")
                    break
            _progress(f"invariant: {INVARIANT_TRACES[calls]} traces of {calls} tool calls")
            rng = random.Random(self.args.seed + 3 + calls)
            traces = [gen_traces.gen_trace(rng, f"inv{calls}-{k}", calls=calls, violating=1.0)
                      for k in range(INVARIANT_TRACES[calls])]
            run = self._compare(traces, monitors, timeout=remaining)
            ours = statistics.fmean(run["ours"]["conservative"])
            theirs = statistics.fmean(run["invariant"]) if run["invariant"] else None
            agree, flagged, note = self._agreement(run, traces)
            if note:
                section.notes.append(note)
            growth, theirs_growth = "", None
            if previous is not None and previous[0] * 2 == calls:
                theirs_growth = theirs / previous[1] if theirs and previous[1] else None
                growth = f"{ours / previous[2]:.1f}, " + (f"{theirs_growth:.1f}" if theirs_growth else "—")
            ratio = f"{theirs / ours:,.0f}×" if theirs else "—"
            if theirs and calls == 200:
                ratio += " met" if theirs / ours >= TARGET_SPEEDUP else " NOT met"
            timed_out = len(traces) - len(run["invariant"])
            section.rows.append((row_id, [
                f"{calls}", f"{statistics.fmean(run['events']):.0f}", f"{len(traces)}", f"{ours * 1e6:,.0f}",
                f"{statistics.fmean(run['ours']['values']) * 1e6:,.0f}",
                (f"{theirs:.3f}" if theirs else "—") + (f" ({timed_out} timed out)" if timed_out else ""),
                ratio, growth, f"{agree} ({flagged})"]))
            previous = (calls, theirs, ours, theirs_growth)
            if timed_out:
                section.notes.append(f"{row_id}: Invariant timed out; longer traces not run")
                break
        if len([r for r in section.rows if r[0] != "invariant.agreement"]) >= 2:
            section.notes.append("growth: the time per trace over that at half as many tool calls "
                                 "(2.0 = linear, 4.0 = quadratic)")
        self.sections.append(section)

    def _compare(self, raw_traces: list[list[dict]], monitors: dict, timeout: float) -> dict:
        """Time wfcheck (both precisions) and Invariant (in a child process, at most `timeout`
        seconds in all) on the same traces; the rules each flags per trace."""
        texts = [[json.dumps(line) for line in lines] for lines in raw_traces]
        parsed = [next(iter(read_lines(text, "bench.jsonl", "native"))) for text in texts]
        messages = [gen_traces.to_openai(trace) for trace in parsed]
        out = {"events": [len(t.events) for t in parsed], "ours": {}, "ours_flags": [], "invariant": [],
               "invariant_flags": [], "deviations": 0}
        # wfcheck: all the traces in a loop, repeated for about 0.3 s; the median of 3 rounds
        lines = sum(len(text) for text in texts)
        reps = max(1, 60_000 // lines)
        for precision, monitor in monitors.items():
            rounds = []
            for _ in range(3):
                start = time.process_time()
                for _ in range(reps):
                    for text in texts:
                        trace = next(iter(read_lines(text, "bench.jsonl", "native")))
                        check_events(monitor, trace.events)
                rounds.append((time.process_time() - start) / reps / len(texts))
            out["ours"][precision] = [statistics.median(rounds)]
        monitor = monitors["conservative"]
        for trace in parsed:
            found = check_events(monitor, trace.events)
            out["deviations"] += sum(v.property is None for v in found)
            out["ours_flags"].append(sorted({v.property for v in found if v.property}))
        context = multiprocessing.get_context("fork")
        queue = context.Queue()
        child = context.Process(target=_invariant_child, args=(messages, queue), daemon=True)
        child.start()
        deadline = time.perf_counter() + timeout
        for _ in messages:
            try:
                cpu, flags = queue.get(timeout=max(0.1, deadline - time.perf_counter()))
            except Exception:      # queue.Empty: the budget ran out
                break
            out["invariant"].append(cpu)
            out["invariant_flags"].append(flags)
        if child.is_alive():
            child.kill()
        child.join()
        return out

    def _agreement(self, run: dict, raw_traces) -> tuple[str, str, str | None]:
        pairs = list(zip(run["ours_flags"], run["invariant_flags"]))
        same = sum(a == b for a, b in pairs)
        flagged = sum(len(a) for a, _ in pairs)
        note = None
        bad = [(k, a, b) for k, (a, b) in enumerate(pairs) if a != b]
        if bad or run["deviations"]:
            k, a, b = bad[0] if bad else (0, [], [])
            note = (f"DISAGREEMENT on {len(bad)} traces ({run['deviations']} deviations); e.g. trace "
                    f"{raw_traces[k][0]['trace']}: wfcheck {a}, Invariant {b}")
            self.disagreements.append(note)
        return f"{same}/{len(pairs)}", f"{flagged} (trace, rule) flagged", note

    # -------------------------------------------------------------- output
    def render(self, markdown: bool) -> str:
        out = []
        for section in self.sections:
            out.append(f"### {section.title}" if markdown else f"== {section.title}")
            out.append("")
            out.append(table(section.head, [[row_id or "", *cells] for row_id, cells in section.rows], markdown))
            out.append("")
            for note in section.notes:
                out.append(f"- {note}" if markdown else f"  {note}")
            commands = [(row_id, self.command(row_id)) for row_id, _ in section.rows if row_id]
            if commands:
                out.append("")
                out.append("Reproduce a row:" if markdown else "  reproduce a row:")
                if markdown:
                    out.append("")
                    out += [f"- `{row_id}`: `{cmd}`" for row_id, cmd in commands]
                else:
                    out += [f"    {row_id}: {cmd}" for row_id, cmd in commands]
            out.append("")
        if self.disagreements:
            out.append("!!! wfcheck AND INVARIANT DISAGREE !!!")
            out += [f"- {d}" for d in self.disagreements]
            out.append("")
        return "\n".join(out)


def _invariant_child(messages: list, queue) -> None:
    os.environ["INVARIANT_MAX_ITERATIONS"] = INVARIANT_MAX_ITERATIONS
    from invariant.analyzer.policy import LocalPolicy

    policy = LocalPolicy.from_string(INVARIANT_POLICY)
    for trace in messages:
        start = time.process_time()
        result = policy.analyze(trace)
        cpu = time.process_time() - start
        queue.put((cpu, sorted({str(error.args[0]) for error in result.errors})))


def _timer_cost() -> float:
    n = 100_000
    start = time.perf_counter_ns()
    for _ in range(n):
        time.perf_counter_ns()
    return (time.perf_counter_ns() - start) / n / 1e3


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    mhz = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("cpu MHz")), "?")
    try:
        from importlib.metadata import version
        inv = f"invariant-ai {version('invariant-ai')}"
    except Exception:
        inv = "invariant-ai absent"
    return (f"{os.cpu_count()} cores, {cpu} ({float(mhz):.0f} MHz); Python {platform.python_version()}; "
            f"wfcheck {wfcheck.__version__}; {inv}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument("--only", help="comma-separated row ids or prefixes (throughput, linearity, latency, "
                                       "invariant, throughput.values.j2, invariant.200, ...)")
    parser.add_argument("--events", type=int, default=1_000_000, help="events in the throughput corpus")
    parser.add_argument("--linearity-events", type=int, default=100_000, help="events per trace length")
    parser.add_argument("--latency-events", type=int, default=100_000, help="events timed per precision")
    parser.add_argument("--invariant-budget", type=float, default=240.0,
                        help="seconds for all of Invariant's runs; longer traces are left out when it is spent")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3,
                        help="rounds of the throughput rows; each row shows its round of least CPU time")
    parser.add_argument("--workdir", help="where the corpora are written (default: a temporary directory, "
                                          "removed at the end)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    bench = Bench(args)
    try:
        bench.throughput()
        bench.linearity()
        bench.latency()
        bench.invariant()
    finally:
        if not args.workdir:
            shutil.rmtree(bench.work, ignore_errors=True)
    print(bench.render(args.markdown), end="")
    print(f"machine: {machine()}; load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the "
          f"end; bench wall time {time.perf_counter() - started:.0f} s")
    return 1 if bench.disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
