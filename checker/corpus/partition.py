"""Partitions of a corpus: a whole file, or, for a large native JSON Lines file, a byte range
that starts at a line where one trace ends and the next begins.

A range starts where a line's `trace` differs from the line before it (both clean event
lines), so no trace is cut in two, and knows the number of its first line, so locations
are those of reading the whole file. What a range cannot know alone (a trace id met again
in a later range, lines of another shape, more than the per-file cap of reading problems)
the merge detects, and then checks the file whole (run.py)."""
from __future__ import annotations

import json
from dataclasses import dataclass

from wfcheck.checker.trace.readers.reader import LINE_EXTENSIONS

from .sources import Source, opener

DEFAULT_PARTITION_BYTES = 32 * 2 ** 20


@dataclass(frozen=True)
class Partition:
    """Bytes [start, end) of `file` whose first line is line `first_line`; `end` None: the
    whole file, read as `--jobs 1` reads it."""
    file: str
    start: int = 0
    end: int | None = None
    first_line: int = 1

    @property
    def whole(self) -> bool:
        return self.end is None

    @property
    def key(self) -> tuple:
        return (self.file, self.start, self.end)


def splittable(source: Source, partition_bytes: int, input_format: str | None) -> bool:
    return (source.size > partition_bytes and source.name.endswith(LINE_EXTENSIONS)
            and input_format in (None, "native"))


def _trace_id(line: bytes) -> str | None:
    """The trace of a clean native event line, else None."""
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    if type(obj) is dict and type(obj.get("trace")) is str and "type" in obj:
        return obj["trace"]
    return None


def plan_file(source: Source, partition_bytes: int) -> list[Partition]:
    """Byte ranges of about `partition_bytes` covering `source` (one line-by-line pass that
    parses only the lines around each cut). One whole-file partition if the first line is
    not a native event or no cut is found."""
    parts: list[Partition] = []
    start, first = 0, 1
    target = partition_bytes
    pos, line_no = 0, 1
    previous: str | None = None
    with opener(source.name)(source.name, "rb") as handle:
        for line in handle:
            if line_no == 1 and _trace_id(line) is None:
                return [Partition(source.name)]
            end = pos + len(line)
            if pos >= target:
                tid = _trace_id(line)
                if tid is not None and previous is not None and tid != previous:
                    parts.append(Partition(source.name, start, pos, first))
                    start, first, target = pos, line_no, pos + partition_bytes
                previous = tid
            elif end >= target:
                previous = _trace_id(line)
            pos, line_no = end, line_no + 1
    if not parts:
        return [Partition(source.name)]
    parts.append(Partition(source.name, start, pos, first))
    return parts
