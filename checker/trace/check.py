"""`wfcheck trace`: check recorded runs against a spec, one streaming pass per trace.

Each process builds one `Monitor` and runs every trace through it (`check_events` resets it
per trace). Traces are read one at a time and dropped once checked; only the small results
are kept. With `jobs > 1` a pool of processes checks whole files, each worker with its own
monitor; results come back in the same order as with one process: by file (sorted), then
by the trace's position in its file.

Exit-code policy (`TraceReport.exit_code`): 1 if any trace violates the spec (a violation
is a definite finding, whatever else went wrong); otherwise 2 if any input could not be
read completely — a whole file or trace that could not be read (`unreadable`) or a reading
problem inside a trace that was checked (events may be missing, so its pass is not shown);
otherwise 0. Warnings (WF807: values precision read a result as a whole where the spec gives
it fields) are reported with their trace and change neither its status nor the exit code.
"""
from __future__ import annotations

import gc
import json
import multiprocessing
import os
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable

from wfcheck.spec import model as m
from wfcheck.spec.span import NO_SPAN, Span

from .monitor import KIND_NAMES, Monitor, TraceWarning, Violation, check_events
from .readers.events import Handoff, Location, Message, ReadProblem, ToolCall, Trace

EXCERPT_WIDTH = 100
PLACEHOLDER_FILES = ("<start>", "<end>")   # the monitor's addresses for "before/after all events"

#: progress(files_done, files_total, traces_done)
Progress = Callable[[int, int, int], None]


@dataclass(frozen=True)
class Rule:
    """A property of the spec, as reports cite it."""
    name: str
    kind: str          # permission|flow|ordering|counting|invariant|range|termination
    text: str          # the property as written (or, if implicit, what it requires)
    span: Span
    implicit: bool = False

    @classmethod
    def of(cls, prop: m.Property) -> "Rule":
        return cls(prop.name, KIND_NAMES[type(prop.kinds[0])], prop.text, prop.span, prop.implicit)

    def to_json(self) -> dict:
        return {"name": self.name, "kind": self.kind, "text": self.text, "implicit": self.implicit,
                "rule": _span_json(self.span)}


@dataclass(frozen=True)
class TraceResult:
    """One trace checked: its violations in event order (the first is where an online
    monitor could have stopped the run), an excerpt of the event at each violation
    (`excerpts[i]` belongs to `violations[i]`), the reading problems inside it, and the
    monitor's warnings (in event order)."""
    name: str
    file: str
    format: str
    events: int
    violations: tuple[Violation, ...] = ()
    problems: tuple[ReadProblem, ...] = ()
    excerpts: tuple[str, ...] = ()
    warnings: tuple[TraceWarning, ...] = ()
    seconds: float = field(default=0.0, compare=False)   # checking time: JUnit's `time` (not in the JSON)

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def status(self) -> str:
        """`incomplete`: no violation in what could be read, but not all of it could (a
        partial read is never a pass: issue 17)."""
        return "fail" if self.violations else "incomplete" if self.problems else "pass"

    def to_json(self) -> dict:
        return {"name": self.name, "file": self.file, "format": self.format, "status": self.status,
                "events": self.events,
                "violations": [{**v.to_json(), "excerpt": e} for v, e in zip(self.violations, self.excerpts)],
                "problems": [p.to_json() for p in self.problems],
                "warnings": [w.to_json() for w in self.warnings]}


@dataclass(frozen=True)
class TraceReport:
    """All traces checked against one spec. `unreadable` holds the problems that sank a
    whole file or trace (nothing of it was checked)."""
    spec: str
    workflow: str
    precision: str
    rules: tuple[Rule, ...]
    results: tuple[TraceResult, ...]
    unreadable: tuple[ReadProblem, ...] = ()

    @property
    def passed(self) -> int:
        return sum(r.status == "pass" for r in self.results)

    @property
    def failed(self) -> int:
        return sum(not r.ok for r in self.results)

    @property
    def violations(self) -> int:
        return sum(len(r.violations) for r in self.results)

    @property
    def incomplete(self) -> int:
        """Traces that were checked but had reading problems."""
        return sum(bool(r.problems) for r in self.results)

    @property
    def warnings(self) -> int:
        return sum(len(r.warnings) for r in self.results)

    def by_kind(self) -> dict[str, int]:
        counts = Counter(v.kind for r in self.results for v in r.violations)
        return dict(sorted(counts.items()))

    @property
    def exit_code(self) -> int:
        if self.violations:
            return 1
        if self.unreadable or self.incomplete or not self.results:   # no trace checked: never a pass
            return 2
        return 0

    def summary_json(self) -> dict:
        return {"traces": len(self.results) + len(self.unreadable), "checked": len(self.results),
                "passed": self.passed, "failed": self.failed, "unreadable": len(self.unreadable),
                "with_problems": self.incomplete, "violations": self.violations, "by_kind": self.by_kind(),
                "warnings": self.warnings}

    def to_json(self) -> dict:
        return {"spec": self.spec, "workflow": self.workflow, "precision": self.precision,
                "exit_code": self.exit_code, "summary": self.summary_json(),
                "traces": [r.to_json() for r in self.results],
                "unreadable": [p.to_json() for p in self.unreadable],
                "rules": [r.to_json() for r in self.rules]}


def _span_json(span: Span) -> dict | None:
    return None if span == NO_SPAN or span.line == 0 else {"file": span.file, "line": span.line,
                                                           "column": span.column}


# ---------------------------------------------------------------- one trace


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _truncate(text: str, width: int = EXCERPT_WIDTH) -> str:
    text = _one_line(text)
    return text if len(text) <= width else text[:width - 1] + "…"


def excerpt(event, width: int = EXCERPT_WIDTH) -> str:
    """A short, one-line rendering of a traced event: `tool(arg=value, ...)` for a call."""
    if isinstance(event, ToolCall):
        args = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in event.arguments.items()) \
            if isinstance(event.arguments, dict) else json.dumps(event.arguments, ensure_ascii=False)
        return _truncate(f"{event.tool}({args})", width)
    if isinstance(event, Handoff):
        content = json.dumps(event.content, ensure_ascii=False)
        return _truncate(f"hand-off {event.agent} → {event.receiver}: {content}", width)
    if isinstance(event, Message):
        who = event.agent or event.role
        if event.receiver:
            who += f" → {event.receiver}"
        return _truncate(f"{who}: {json.dumps(event.content, ensure_ascii=False)}", width)
    return _truncate(repr(event), width)


def _entry_location(event) -> Location:
    """Where content enters through `event`: a call's result, else the event itself."""
    if isinstance(event, ToolCall) and event.result_location is not None:
        return event.result_location
    return event.location


def _resolve(violation: Violation, trace: Trace, at_end: bool) -> tuple[Violation, str]:
    """Fill in what the monitor cannot know about the trace: the file for violations before
    or after all events, and the location of chain links given only by their step; and an
    excerpt of the event the violation is at."""
    events = trace.events
    location = violation.location
    if violation.at == "start":
        text = "(before the first event)"
    elif at_end:
        text = "(the end of the run)"
    elif 0 <= violation.step < len(events):
        text = excerpt(events[violation.step])
    else:
        text = ""
    if location.file in PLACEHOLDER_FILES:
        location = events[0].location if events else Location(trace.file, 0)
    chain = tuple(replace(link, location=_entry_location(events[link.step]))
                  if link.location is None and 0 <= link.step < len(events) else link
                  for link in violation.chain)
    if location != violation.location or chain != violation.chain:
        violation = replace(violation, location=location, chain=chain)
    return violation, text


def check_trace(monitor: Monitor, trace: Trace) -> TraceResult:
    """Run one trace through `monitor` (reset first) and address its violations."""
    started = time.perf_counter()
    violations = check_events(monitor, trace.events)
    found = [_resolve(v, trace, v.at == "end") for v in violations]
    return TraceResult(trace.name, trace.file, trace.format, len(trace.events),
                       tuple(v for v, _ in found), tuple(trace.problems), tuple(t for _, t in found),
                       tuple(monitor.warnings), time.perf_counter() - started)


# ---------------------------------------------------------------- files


_COLLECTOR_LOCK = threading.Lock()
_collector = {"readers": 0, "threshold": None}     # how many read at once; the threshold before


@contextmanager
def _fewer_collections():
    """Collect young objects less often while reading: a long trace's events live until its
    last line, and the default threshold makes the collector rescan them again and again
    (measured: 5.4-6.8 against 3.9 us/event on 10,000-event traces). The collector is the
    process's: threads reading at once raise it once, and the last one out restores it."""
    with _COLLECTOR_LOCK:
        if _collector["readers"] == 0:
            threshold = _collector["threshold"] = gc.get_threshold()
            gc.set_threshold(max(threshold[0], 50_000), *threshold[1:])
        _collector["readers"] += 1
    try:
        yield
    finally:
        with _COLLECTOR_LOCK:
            _collector["readers"] -= 1
            if _collector["readers"] == 0:
                gc.set_threshold(*_collector["threshold"])


def _check_file(monitor: Monitor, path: str, input_format: str | None,
                on_trace: Callable[[int], None] | None = None) -> tuple[list[TraceResult], list[ReadProblem]]:
    """Check the traces of one file (a path or an fsspec URL); `on_trace(n)` after each, with
    the number so far."""
    from .readers.reader import read_file

    results: list[TraceResult] = []
    unreadable: list[ReadProblem] = []
    with _fewer_collections():
        for item in read_file(path, input_format):
            if isinstance(item, ReadProblem):
                unreadable.append(item)
            else:
                results.append(check_trace(monitor, item))
                if on_trace is not None:
                    on_trace(len(results) + len(unreadable))
    return results, unreadable


_WORKER_MONITOR: Monitor | None = None


def _init_worker(spec, precision: str | None) -> None:
    global _WORKER_MONITOR
    _WORKER_MONITOR = Monitor(spec, precision)


def _worker(task: tuple[str, str | None]) -> tuple[list[TraceResult], list[ReadProblem]]:
    assert _WORKER_MONITOR is not None
    return _check_file(_WORKER_MONITOR, *task)


def trace_files(paths: Iterable[str]) -> tuple[list[str], list[ReadProblem]]:
    """The files to read, sorted and each once (directories and glob patterns expanded as
    the reader does), and WF801 for the paths that name nothing."""
    from .readers.reader import trace_files as found

    files: list[str] = []
    problems: list[ReadProblem] = []
    for item in found(paths):
        (problems if isinstance(item, ReadProblem) else files).append(item)
    return sorted(files), problems


def check_traces(spec, paths: Iterable[str], precision: str | None = None, input_format: str | None = None,
                 jobs: int = 1, progress: Progress | None = None) -> TraceReport:
    """Check every trace in `paths` (files or directories) against `spec` (a path or a
    checked Model; raises InvalidWorkflow if the path does not check). `input_format`
    None detects each file's format. `progress`, if given, is called as traces and files
    are done. See the module docstring for the order of results and the exit code."""
    from .readers.reader import FORMATS

    if input_format == "auto":
        input_format = None
    if input_format is not None and input_format not in FORMATS:
        raise ValueError(f"unknown trace format {input_format!r}; expected one of {', '.join(FORMATS)}")
    monitor = Monitor(spec, precision)
    model = monitor.model
    files, missing = trace_files(paths)
    results: list[TraceResult] = []
    unreadable: list[ReadProblem] = []

    def tick(done_files: int, in_file: int = 0) -> None:
        if progress is not None:
            progress(done_files, len(files), len(results) + len(unreadable) + in_file)

    if jobs == 0:
        jobs = os.cpu_count() or 1
    if jobs > 1 and len(files) > 1:
        tasks = [(path, input_format) for path in files]
        with multiprocessing.Pool(min(jobs, len(files)), _init_worker, (spec, monitor.precision)) as pool:
            chunk = max(1, len(tasks) // (jobs * 8))
            for done, (file_results, file_problems) in enumerate(pool.imap(_worker, tasks, chunk), 1):
                results.extend(file_results)
                unreadable.extend(file_problems)
                tick(done)
    else:
        for done, path in enumerate(files):
            file_results, file_problems = _check_file(
                monitor, path, input_format, (lambda n, done=done: tick(done, n)) if progress else None)
            results.extend(file_results)
            unreadable.extend(file_problems)
            tick(done + 1)
    return assemble_report(spec, model, monitor.precision, results, unreadable, missing)


def assemble_report(spec, model: m.Model, precision: str, results: list[TraceResult],
                    unreadable: list[ReadProblem], missing: list[ReadProblem]) -> TraceReport:
    """The report of traces checked file by file (`results` and `unreadable` in file order),
    with `missing`, the paths that named nothing (WF801), among them."""
    # a path that names nothing takes its place among the files (the sort is stable)
    unreadable = sorted(unreadable + missing, key=lambda p: p.location.file)
    spec_path = model.span.file if isinstance(spec, m.Model) else os.fspath(spec)
    return TraceReport(str(spec_path), model.name, precision,
                       tuple(Rule.of(p) for p in model.properties), tuple(results), tuple(unreadable))
