"""Source locations. Every AST/IR node carries one; equality ignores it."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open region of a source file, 1-based lines and columns."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        if self.line == 0:  # the file as a whole (cannot be read, import cycle, ...)
            return self.file
        return f"{self.file}:{self.line}:{self.column}"

    def to_json(self) -> dict:
        return {"file": self.file, "line": self.line, "column": self.column,
                "end_line": self.end_line, "end_column": self.end_column}


NO_SPAN = Span("<generated>", 0, 0, 0, 0)


def span_field():
    """A dataclass field for a span: defaulted, and left out of ==, hash and repr."""
    return field(default=NO_SPAN, compare=False, hash=False, repr=False)


def spans_field():
    """Like `span_field`, for a tuple of spans (one per declared item)."""
    return field(default=(), compare=False, hash=False, repr=False)
