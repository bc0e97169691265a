"""The diagnostics sink every analysis pass reports into, and "did you mean" for unknown names."""
from __future__ import annotations

import difflib

from ..diagnostics import Diagnostic, error, warning
from ..span import Span


def suggest(name: str, candidates) -> str | None:
    """`did you mean `x`?` for the candidate closest to `name`, if one is close enough."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None


class Sink:
    """The diagnostics of one analysis, in the order the passes report them."""

    __slots__ = ("diagnostics",)

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []

    def error(self, code: str, message: str, span: Span, help: str | None = None,
              related: tuple[tuple[str, Span], ...] = ()) -> None:
        self.diagnostics.append(error(code, message, span, help, related))

    def warning(self, code: str, message: str, span: Span, help: str | None = None) -> None:
        self.diagnostics.append(warning(code, message, span, help))

    def unknown(self, what: str, name: str, span: Span, candidates) -> None:
        """WF101 for a name that is not declared as a `what`, suggesting the closest candidate."""
        self.error("WF101", f"unknown {what} `{name}`", span,
                   suggest(name, candidates) or f"declare the {what} first")

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.diagnostics)
