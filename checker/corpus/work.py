"""What a Dask worker runs: check one partition with its thread's monitor, built once per
spec and kept for every later partition of the run (the spec reaches each worker once, as a
task's result that Dask recomputes if the worker holding it dies). A monitor holds the state
of the trace it is checking, so each of a worker's threads has its own."""
from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from typing import Iterator

from wfcheck.checker.trace.check import TraceResult, _check_file, _fewer_collections, check_trace
from wfcheck.checker.trace.monitor import Monitor
from wfcheck.checker.trace.readers import native
from wfcheck.checker.trace.readers.events import ReadProblem, Trace
from wfcheck.checker.trace.readers.otel import SpanRange
from wfcheck.checker.trace.readers.reader import MixedLines, read_lines
from wfcheck.checker.trace.readers.urls import is_url, read_range

from .partition import Partition

_MONITORS = threading.local()       # .key, .monitor: this thread's, for one run's spec at a time


@dataclass(frozen=True)
class PartitionResult:
    """One partition checked. `split_ok` False: the range met a line only a whole-file read
    can place (the merge then checks the file whole). An OTLP range: `dropped`, the traces
    it left out for an earlier range, each with the last line it left out; `last_line`, the
    last line it read."""
    partition: Partition
    results: tuple[TraceResult, ...] = ()
    unreadable: tuple[ReadProblem, ...] = ()
    split_ok: bool = True
    dropped: tuple[tuple[str, int], ...] = ()
    last_line: int = 0

    @property
    def events(self) -> int:
        return sum(r.events for r in self.results)

    @property
    def violations(self) -> int:
        return sum(len(r.violations) for r in self.results)


def monitor_for(spec_key: str, model, precision: str) -> Monitor:
    """This thread's monitor for the run's spec (compiled on first use)."""
    key = (spec_key, precision)
    if getattr(_MONITORS, "key", None) != key:
        _MONITORS.monitor = Monitor(model, precision)
        _MONITORS.key = key
    return _MONITORS.monitor


def check_partition(spec_key: str, model, precision: str, input_format: str | None,
                    part: Partition) -> PartitionResult:
    monitor = monitor_for(spec_key, model, precision)
    if part.whole:
        results, unreadable = _check_file(monitor, part.file, input_format)
        return PartitionResult(part, tuple(results), tuple(unreadable))
    results, unreadable = [], []
    spans = SpanRange(part.ignore, part.own_until) if part.kind == "otel" else None
    read = [0]
    try:
        with _fewer_collections():
            for item in _read_range(part, input_format, spans, read):
                if isinstance(item, ReadProblem):
                    unreadable.append(item)
                else:
                    results.append(check_trace(monitor, item))
    except (MixedLines, OSError):     # the whole file's read reports an unreadable file (WF801)
        return PartitionResult(part, split_ok=False)
    return PartitionResult(part, tuple(results), tuple(unreadable),
                           dropped=tuple(spans.dropped.items()) if spans else (),
                           last_line=part.first_line + read[0] - 1)


def _not_native(obj, line: int):
    raise MixedLines(line)


def _read_range(part: Partition, input_format: str | None, spans: SpanRange | None,
                read: list[int]) -> Iterator[Trace | ReadProblem]:
    lines = _counted(_range_lines(part), read)
    if part.kind == "event":
        yield from native.read_lines(lines, part.file, _not_native, part.first_line)
    else:
        yield from read_lines(lines, part.file, input_format, start=part.first_line,
                              first_document=part.first_document, only=part.kind, spans=spans)


def _counted(lines: Iterator[bytes], read: list[int]) -> Iterator[bytes]:
    for line in lines:
        read[0] += 1
        yield line


def _range_lines(part: Partition) -> Iterator[bytes]:
    """The lines of the range, to its `read_end` (ranges end at line ends): a local file's
    read as they come, a URL's fetched in one request."""
    end = part.read_end or part.end
    if is_url(part.file):
        yield from io.BytesIO(read_range(part.file, part.start, end))
        return
    size = end - part.start
    read = 0
    with open(part.file, "rb") as handle:
        handle.seek(part.start)
        for line in handle:
            yield line
            read += len(line)
            if read >= size:
                return
