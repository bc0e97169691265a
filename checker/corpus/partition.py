"""Partitions of a corpus: a whole file, or, for a large JSON Lines file, a byte range that
starts at a line where no trace goes on from the line before it.

What a line boundary is depends on the file's kind of line (reader.line_kind, of its
first line):
- native events (`{"trace", "type", ...}` a line): a range starts where a line's `trace`
  differs from the line before it (both clean event lines);
- OTLP batches (`{"resourceSpans": ...}` a line, a trace's spans possibly spread over
  several): where the two lines' spans share no `traceId`;
- documents (a whole OpenAI, Anthropic or native trace a line): at any line; the range
  knows how many documents come before it (every non-blank line before it is one, or its
  reading fails), so its traces are named as in reading the whole file.
Each range knows the number of its first line, so locations are those of reading the whole
file. What a range cannot know alone (a trace id met again in a later range, a line of
another kind, more than the per-file cap of reading problems, a file that gives nothing)
the merge detects, and then checks the file whole (run.py). `.json` files are one document
each (locations come from scanning its whole text): they are never cut."""
from __future__ import annotations

import json
import re
from array import array
from bisect import bisect_right
from dataclasses import dataclass
from itertools import chain
from typing import Iterable, Iterator

from wfcheck.checker.trace.readers.common import parse_line
from wfcheck.checker.trace.readers.reader import LINE_EXTENSIONS, line_kind
from wfcheck.checker.trace.readers.urls import opener

from .sources import Source

DEFAULT_PARTITION_BYTES = 32 * 2 ** 20


@dataclass(frozen=True)
class Partition:
    """Bytes [start, end) of `file` whose first line is line `first_line`, all lines of
    `kind` ("event", "otel" or "document"; `first_document` documents before it); `end`
    None: the whole file, read as `--jobs 1` reads it. An OTLP range owns the traces whose
    first span is in it: it reads on past `end` to `read_end` for their last spans, keeping
    nothing else from there, and leaves out the traces in `ignore`."""
    file: str
    start: int = 0
    end: int | None = None
    first_line: int = 1
    kind: str = "event"
    first_document: int = 0
    read_end: int | None = None          # OTLP: read on to here, for this range's traces' last spans
    own_until: int | None = None         # OTLP: the first line of the next range
    ignore: frozenset = frozenset()      # OTLP: the traces an earlier range reads

    @property
    def whole(self) -> bool:
        return self.end is None

    @property
    def key(self) -> tuple:
        return (self.file, self.start, self.end)


def splittable(source: Source, partition_bytes: int) -> bool:
    return source.size > partition_bytes and source.name.endswith(LINE_EXTENSIONS)


def _event(line: bytes) -> str | None:
    """The trace of a clean native event line, else None."""
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if type(obj) is dict and type(obj.get("trace")) is str and "type" in obj:
        return obj["trace"]
    return None


def _blank(line: bytes) -> bool:
    """As the reader sees it (a line of JSON starts with `{` or `[`: the common case, fast)."""
    return line[:1] not in (b"{", b"[") and parse_line(line)[1] == ""


# a `traceId` member with a string value, at any depth (a span link's too: a cut is only
# missed then); inside a JSON string its quotes would be escaped, so it cannot match there
_TRACE_ID = re.compile(rb'"traceId"\s*:\s*"((?:[^"\\]|\\.)*)"')

Cut = tuple[int, int, int]      # a range's start: (byte, line number, documents before it)


def _event_cuts(lines: Iterable[bytes], size: int) -> Iterator[Cut]:
    """Where a line's `trace` differs from the line before it (parsed near each target only:
    the events of a trace are contiguous lines)."""
    target = size
    pos, line_no = 0, 1
    previous: str | None = None
    for line in lines:
        end = pos + len(line)
        if pos >= target:
            here = _event(line)
            if here is not None and previous is not None and here != previous:
                yield pos, line_no, 0
                target = pos + size
            previous = here
        elif end >= target:
            previous = _event(line)
        pos, line_no = end, line_no + 1


def _document_cuts(lines: Iterable[bytes], size: int) -> Iterator[Cut]:
    """At the first line past each target (each line is a whole trace), with the number of
    non-blank lines before it."""
    target = size
    pos, line_no, documents = 0, 1, 0
    for line in lines:
        if pos >= target:
            yield pos, line_no, documents
            target = pos + size
        documents += not _blank(line)
        pos, line_no = pos + len(line), line_no + 1


def _decoded(raw: bytes) -> str | None:
    try:
        value = json.loads(b'"' + raw + b'"')
    except ValueError:
        return None
    return value if type(value) is str else None


def _batch_plan(name: str, lines: Iterable[bytes], size: int) -> list[Partition]:
    """Ranges of OTLP batches, cut at the first line past each target. A trace's spans may
    be spread over batches, and a batching exporter interleaves the batches of concurrent
    runs, so a line where no run goes on may never come: each range owns the traces whose
    first span is in it and reads on to their last span, and the later ranges those spans
    reach leave them out. One pass finds each `traceId`'s first and last line with a
    regular expression (no JSON parsing)."""
    starts = array("q")
    first: dict[bytes, int] = {}
    last: dict[bytes, int] = {}
    pos = 0
    for i, line in enumerate(lines):
        starts.append(pos)
        pos += len(line)
        for trace_id in _TRACE_ID.findall(line):
            first.setdefault(trace_id, i)
            last[trace_id] = i
    starts.append(pos)
    lines_total = len(starts) - 1
    cuts, target = [], size
    for i in range(1, lines_total):
        if starts[i] >= target:
            cuts.append(i)
            target = starts[i] + size
    if not cuts:
        return [Partition(name)]
    bounds = [0, *cuts, lines_total]
    reach = bounds[1:]
    ignore: list[set] = [set() for _ in reach]
    for trace_id, begin in first.items():
        owner, until = bisect_right(cuts, begin), bisect_right(cuts, last[trace_id])
        if until > owner:
            reach[owner] = max(reach[owner], last[trace_id] + 1)
            decoded = _decoded(trace_id)
            if decoded is not None:     # else the later ranges read it too: the merge sees it twice
                for k in range(owner + 1, until + 1):
                    ignore[k].add(decoded)
    return [Partition(name, starts[b], starts[e], b + 1, "otel", 0, starts[reach[k]], e + 1, frozenset(ignore[k]))
            for k, (b, e) in enumerate(zip(bounds, bounds[1:]))]


_CUTS = {"event": _event_cuts, "document": _document_cuts}


def _kind(line: bytes, input_format) -> str | None:
    """The kind of a file's first line, if its ranges can be read alone."""
    obj, why = parse_line(line)
    if why is not None:
        return None
    kind = line_kind(obj, input_format)
    return None if kind == "event" and _event(line) is None else kind


def plan_file(source: Source, partition_bytes: int, input_format: str | None = None) -> list[Partition]:
    """Byte ranges of about `partition_bytes` covering `source`, in one line-by-line pass
    (see the kinds above). One whole-file partition if the first line is none of the kinds,
    no cut is found or the file cannot be read."""
    try:
        with opener(source.name)(source.name, "rb") as handle:
            lines = iter(handle)
            head = next(lines, b"")
            kind = _kind(head, input_format)
            if kind is None:
                return [Partition(source.name)]
            if kind == "otel":
                return _batch_plan(source.name, chain((head,), lines), partition_bytes)
            cuts = list(_CUTS[kind](chain((head,), lines), partition_bytes))
    except OSError:                      # read whole, it is reported as unreadable (WF801)
        return [Partition(source.name)]
    if not cuts:
        return [Partition(source.name)]
    bounds = [(0, 1, 0)] + cuts
    ends = [pos for pos, _, _ in cuts] + [source.size]
    return [Partition(source.name, pos, end, line_no, kind, documents)
            for (pos, line_no, documents), end in zip(bounds, ends)]
