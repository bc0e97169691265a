"""One diagnostic type for every stage, and its three renderings (human, plain, JSON).

Message style (after Cedar): lowercase, user identifiers in backticks, one line; advice goes
into `help`. Codes are stable and listed in docs/errors.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .span import NO_SPAN, Span


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    severity: Severity
    message: str
    span: Span = NO_SPAN
    help: str | None = None
    related: tuple[tuple[str, Span], ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_json(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "span": self.span.to_json() if self.span != NO_SPAN else None,
            "help": self.help,
            "related": [{"message": m, "span": s.to_json()} for m, s in self.related],
        }


def error(code: str, message: str, span: Span = NO_SPAN, help: str | None = None,
          related: tuple[tuple[str, Span], ...] = ()) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, span, help, related)


def warning(code: str, message: str, span: Span = NO_SPAN, help: str | None = None,
            related: tuple[tuple[str, Span], ...] = ()) -> Diagnostic:
    return Diagnostic(code, Severity.WARNING, message, span, help, related)


class SourceMap:
    """Source texts by file name, so that diagnostics can quote the offending line."""

    def __init__(self) -> None:
        self._lines: dict[str, list[str]] = {}

    def add(self, file: str, text: str) -> None:
        self._lines[file] = text.splitlines()

    def line(self, file: str, number: int) -> str | None:
        lines = self._lines.get(file)
        if lines is None or not 1 <= number <= len(lines):
            return None
        return lines[number - 1]


def render_plain(diag: Diagnostic) -> str:
    """`path:line:col: error[WF123]: message` — one line, for editors and grep."""
    where = f"{diag.span}: " if diag.span != NO_SPAN else ""
    text = f"{where}{diag.severity.value}[{diag.code}]: {diag.message}"
    if diag.help:
        text += f" (help: {diag.help})"
    return text


def _caret_block(span: Span, sources: SourceMap, label: str = "") -> list[str]:
    line = sources.line(span.file, span.line)
    if line is None:
        return []
    gutter = " " * len(str(span.line))
    width = (span.end_column - span.column) if span.end_line == span.line else len(line) - span.column + 1
    width = max(1, width)
    marker = " " * (span.column - 1) + "^" * width + (f" {label}" if label else "")
    return [f"{gutter} |", f"{span.line} | {line}", f"{gutter} | {marker.rstrip()}"]


def render_human(diag: Diagnostic, sources: SourceMap) -> str:
    """rustc-style: header, location arrow, the source line with a caret, then help."""
    out = [f"{diag.severity.value}[{diag.code}]: {diag.message}"]
    if diag.span != NO_SPAN:
        out.append(f"  --> {diag.span}")
        out.extend("  " + row for row in _caret_block(diag.span, sources))
    for message, span in diag.related:
        out.append(f"  note: {message} at {span}")
        out.extend("  " + row for row in _caret_block(span, sources))
    if diag.help:
        out.append(f"  = help: {diag.help}")
    return "\n".join(out)
