"""Finding trace files, detecting their format, and reading them into `Trace`s.

`read_traces` never raises for bad input: what cannot be read is a `ReadProblem` in the
stream, at its place (WF801 unreadable file, WF802 malformed JSON, WF803 unknown shape);
problems inside a trace (WF804–WF806) are in `Trace.problems`.
"""
from __future__ import annotations

import glob
import json
import os
from typing import Iterable, Iterator

from . import anthropic, native, openai, otel, urls
from .common import TOO_DEEP, parse_line
from .events import Location, ReadProblem, Trace
from .locate import Locator, container_lines

FORMATS = ("openai", "anthropic", "otel", "native")
EXTENSIONS = (".json", ".jsonl")
LINE_EXTENSIONS = (".jsonl", ".ndjson")
MAX_REPORTED = 10        # per file and code, WF802/WF803 beyond this are counted, not listed
_READERS = {"openai": openai.read_trace, "anthropic": anthropic.read_trace,
            "native": native.read_trace}
_ACCEPTED = ("expected OpenAI or Anthropic chat messages (a list of messages, or an object with "
             "a `messages` or `traj` list), an OTLP JSON export (`resourceSpans`), or a native "
             "trace (`{\"trace\", \"events\"}`, or JSON lines with `trace` and `type`)")


def read_traces(paths: Iterable[str], input_format: str | None = None
                ) -> Iterator[Trace | ReadProblem]:
    """The traces in `paths` (files, directories searched recursively for `*.json` and
    `*.jsonl` in sorted order, and glob patterns), with the problems met on the way, in
    file order. `input_format` (one of `FORMATS`) skips detection."""
    if input_format == "auto":
        input_format = None
    if input_format is not None and input_format not in FORMATS:
        raise ValueError(f"unknown trace format {input_format!r}; expected one of "
                         + ", ".join(FORMATS))
    return _read_all(list(paths), input_format)


def _read_all(paths: list[str], input_format: str | None) -> Iterator[Trace | ReadProblem]:
    for item in trace_files(paths):
        if type(item) is ReadProblem:
            yield item
        else:
            yield from read_file(item, input_format)


def trace_files(paths: Iterable[str]) -> Iterator[str | ReadProblem]:
    """Files to read, each once, in order: a directory gives its `*.json` and `*.jsonl`
    files (recursively, hidden ones left out, sorted); a pattern gives its matches, sorted;
    an fsspec URL (`s3://bucket/runs/*.jsonl`) the same, by the file names it lists."""
    seen: set[str] = set()
    for path in paths:
        if urls.is_url(path):
            listed, problem = urls.url_files(path)
            if problem is not None:
                yield problem
            found = sorted(listed)
        elif os.path.isdir(path):
            found = _directory(path)
            if not found:
                yield ReadProblem("WF801", f"no `.json` or `.jsonl` files in directory `{path}`",
                                  Location(path, 0))
        elif os.path.exists(path):
            found = [path]
        elif glob.has_magic(path):
            found = []
            for match in sorted(glob.glob(path, recursive=True)):
                found.extend(_directory(match) if os.path.isdir(match) else [match])
            if not found:
                yield ReadProblem("WF801", f"no file matches `{path}`", Location(path, 0))
        else:
            yield ReadProblem("WF801", f"no such file or directory `{path}`", Location(path, 0))
            continue
        for file in found:
            key = file if urls.is_url(file) else os.path.normpath(file)
            if key not in seen:
                seen.add(key)
                yield file


def _directory(path: str) -> list[str]:
    found = []
    for root, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(os.path.join(root, f) for f in files
                     if f.endswith(EXTENSIONS) and not f.startswith("."))
    return sorted(found)


def read_file(file: str, input_format: str | None = None, opener=None) -> Iterator[Trace | ReadProblem]:
    """The traces of one file: `.jsonl`/`.ndjson` line by line, anything else as one JSON
    document (or line by line, when it turns out to hold several). `opener(file, "rb")`
    opens it (by default `open`, or fsspec's for a URL)."""
    opener = opener or urls.opener(file)
    return _capped(_not_empty(_read_file(file, input_format, opener), file), file)


def _not_empty(items: Iterator[Trace | ReadProblem], file: str) -> Iterator[Trace | ReadProblem]:
    """The items, or WF802 when a file gives none (an empty or blank `.jsonl`): checking no
    data must never pass (issue 17)."""
    empty = True
    for item in items:
        empty = False
        yield item
    if empty:
        yield ReadProblem("WF802", "the file is empty: no trace in it", Location(file, 1))


def _read_file(file: str, input_format: str | None, opener) -> Iterator[Trace | ReadProblem]:
    if file.endswith(LINE_EXTENSIONS):
        try:
            handle = opener(file, "rb")
        except OSError as error:
            yield ReadProblem("WF801", f"cannot read the file: {error.strerror or error}",
                              Location(file, 0))
            return
        with handle:
            try:
                yield from read_lines(handle, file, input_format)
            except OSError as error:
                yield ReadProblem("WF801", f"cannot read the file: {error.strerror or error}",
                                  Location(file, 0))
        return
    try:
        with opener(file, "rb") as handle:
            data = handle.read()
    except OSError as error:
        yield ReadProblem("WF801", f"cannot read the file: {error.strerror or error}",
                          Location(file, 0))
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        yield ReadProblem("WF801", f"the file is not UTF-8 text (byte {error.start + 1})",
                          Location(file, line))
        return
    yield from read_text(text, file, input_format)


def read_text(text: str, file: str, input_format: str | None = None
              ) -> Iterator[Trace | ReadProblem]:
    """One JSON document (a trace, or a list of traces) held in `text`."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as error:
        if error.msg == "Extra data":              # several documents: JSON lines after all
            yield from read_lines(text.splitlines(), file, input_format)
            return
        if not text.strip():
            message = "the file is empty"
        elif error.pos >= len(text.rstrip()):
            message = f"the JSON document is truncated: {error.msg}"
        else:
            message = f"malformed JSON: {error.msg}"
        yield ReadProblem("WF802", f"{message} (line {error.lineno}, column {error.colno})",
                          Location(file, error.lineno))
        return
    except RecursionError:
        yield ReadProblem("WF802", f"unreadable JSON: {TOO_DEEP}", Location(file, 1))
        return
    body = text.strip()
    lines = container_lines(text) if "\n" in body else None
    yield from read_document(doc, file, file, Locator(file, 1, lines), input_format)


class MixedLines(Exception):
    """A range of a file read with `only` holds a line of another kind (or, among documents,
    a malformed one): only reading the whole file reads it right."""


def line_kind(obj, input_format: str | None) -> str:
    """How `read_lines` reads one JSON line: "event" (a native event, grouped with the lines
    around it by `trace`), "otel" (a batch of spans, gathered over the whole file) or
    "document" (a whole trace or a list of them, named by its number among the file's
    documents)."""
    if input_format in (None, "native") and (
            type(obj) is dict and "trace" in obj and "type" in obj or native.is_event(obj)):
        return "event"
    if input_format in (None, "otel") and otel.is_document(obj):
        return "otel"
    return "document"


def read_lines(lines: Iterable[str | bytes], file: str, input_format: str | None = None, *,
               start: int = 1, first_document: int = 0, only: str | None = None,
               spans: otel.SpanRange | None = None) -> Iterator[Trace | ReadProblem]:
    """JSON lines: native events (grouped into traces by `trace`), or one trace per line
    in any format; OTLP lines are gathered over the whole file, then split by `traceId`.

    A byte range of a file (checker/corpus/) is read with `start`, the number of its first
    line, `first_document`, the number of documents before it, and `only`, the kind of
    line (`line_kind`, "otel" or "document") it must hold, else MixedLines is raised; an
    OTLP range with `spans`, what it keeps (from its `own_until` line on, a malformed line
    is the next range's to report)."""
    own_until = spans.own_until if spans else None
    collector: otel.SpanCollector | None = None
    count = first_document

    def other(obj, lineno: int) -> Iterator[Trace | ReadProblem]:
        nonlocal collector, count
        kind = line_kind(obj, input_format)
        if only is not None and kind != only:
            raise MixedLines(lineno)
        locate = Locator(file, lineno)
        if kind == "otel":
            if collector is None:
                collector = otel.SpanCollector(file, spans)
            yield from collector.add(obj, locate)
            return
        if kind == "event":      # in `native.read_lines`: an event line without `trace`
            yield ReadProblem("WF804", "missing field `trace`", Location(file, lineno, "/trace"))
            return
        name = f"{file}#{count}"
        count += 1
        yield from read_document(obj, name, file, locate, input_format)

    if input_format in (None, "native") and only is None:
        yield from native.read_lines(lines, file, other, start)
    else:
        for lineno, line in enumerate(lines, start):
            obj, why = parse_line(line)
            if why is None:
                yield from other(obj, lineno)
            elif why and (own_until is None or lineno < own_until):
                if only == "document":             # it would have shifted the numbers
                    raise MixedLines(lineno)
                yield ReadProblem("WF802", why, Location(file, lineno))
    if collector is not None:
        yield from collector.traces()


def detect(doc) -> str | None:
    """The format of one trace object, or None when it is none of the accepted shapes."""
    if type(doc) is dict:
        if "resourceSpans" in doc:
            return "otel"
        if type(doc.get("events")) is list:
            return "native"
        for key in openai.CONTAINER_KEYS:
            messages = doc.get(key)
            if type(messages) is list:
                return _chat_format(messages, doc)
        return None
    if type(doc) is list and doc and _is_message(doc[0]):
        return _chat_format(doc, None)
    return None


def _is_message(item) -> bool:
    return type(item) is dict and "role" in item and "trace" not in item


def _chat_format(messages: list, container: dict | None) -> str:
    """OpenAI if a message has OpenAI's tool fields (a `tool` or `function` role,
    `tool_calls`, `function_call`); else Anthropic if a message has Anthropic's blocks
    (`tool_use`, `tool_result`, `thinking`, …) or the object has a `system` prompt beside
    its `messages`; else OpenAI (plain text conversations read the same either way)."""
    blocks = False
    for message in messages:
        if type(message) is not dict:
            continue
        if message.get("role") in ("tool", "function") or "tool_calls" in message \
                or "function_call" in message:
            return "openai"
        content = message.get("content")
        if not blocks and type(content) is list:
            for block in content:
                if type(block) is dict and anthropic.is_signature_block(block.get("type")):
                    blocks = True
                    break
    if blocks or (container is not None and "system" in container and "messages" in container):
        return "anthropic"
    return "openai"


def read_document(doc, name: str, file: str, locate: Locator, input_format: str | None = None
                  ) -> Iterator[Trace | ReadProblem]:
    """A trace object, or a list of them (named `name#0`, `name#1`, …), or a list of native
    events."""
    if type(doc) is list:
        if not doc:
            yield ReadProblem("WF803", "the document is an empty list: no trace in it", locate(""))
            return
        first = doc[0]
        if type(first) is dict and "trace" in first and "events" not in first \
                and input_format in (None, "native"):
            yield from native.read_event_list(doc, file, locate)
            return
        if not any(type(item) is dict for item in doc):
            yield ReadProblem("WF803", f"unrecognized trace (a list with no object in it; the first item is {_describe(first)}): "
                              f"{_ACCEPTED}", locate(""))
            return
        if not _is_message(first):
            for k, item in enumerate(doc):
                yield from _read_one(item, f"{name}#{k}", file, locate.child(f"/{k}"),
                                     input_format)
            return
    yield from _read_one(doc, name, file, locate, input_format)


def _read_one(doc, name: str, file: str, locate: Locator, input_format: str | None
              ) -> Iterator[Trace | ReadProblem]:
    fmt = input_format or detect(doc)
    if fmt is None:
        yield ReadProblem("WF803", f"unrecognized trace ({_describe(doc)}): {_ACCEPTED}",
                          locate(""))
    elif fmt == "otel":
        yield from otel.read_document(doc, file, locate)
    else:
        yield _READERS[fmt](doc, name, file, locate)


def _describe(doc) -> str:
    if type(doc) is dict:
        keys = list(doc)
        shown = ", ".join(f"`{k}`" for k in keys[:6]) + (", …" if len(keys) > 6 else "")
        return f"an object with keys {shown}" if keys else "an empty object"
    if type(doc) is list:
        return "a list"
    return f"a JSON {'string' if type(doc) is str else 'value'}"


def _capped(items: Iterator[Trace | ReadProblem], file: str) -> Iterator[Trace | ReadProblem]:
    """At most MAX_REPORTED WF802 and WF803 problems per code from one file, then a count."""
    counts: dict[str, int] = {}
    hidden: dict[str, list] = {}
    for item in items:
        if type(item) is ReadProblem and item.code in ("WF802", "WF803"):
            n = counts[item.code] = counts.get(item.code, 0) + 1
            if n > MAX_REPORTED:
                entry = hidden.setdefault(item.code, [0, 0])
                entry[0] += 1
                entry[1] = item.location.line
                continue
        yield item
    for code, (n, last) in hidden.items():
        what = "malformed" if code == "WF802" else "unrecognized"
        yield ReadProblem(code, f"{n} more {what} lines or documents not listed (the last at "
                          f"line {last})", Location(file, last))
