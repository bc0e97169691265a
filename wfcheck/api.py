"""Library entry points: load a `.wf` file into a checked model with its diagnostics."""
from __future__ import annotations

from dataclasses import dataclass

from wfcheck.spec.analysis import analyze
from wfcheck.spec.diagnostics import Diagnostic, SourceMap
from wfcheck.spec.loader import Loaded, load_file, load_text
from wfcheck.spec.model import Model


@dataclass(frozen=True)
class CheckResult:
    """A parsed and analysed workflow. `model` is None when there are errors."""
    path: str
    model: Model | None
    diagnostics: tuple[Diagnostic, ...]
    sources: SourceMap

    @property
    def ok(self) -> bool:
        return self.model is not None and not any(d.is_error for d in self.diagnostics)


def _check(path: str, loaded: Loaded) -> CheckResult:
    if any(d.is_error for d in loaded.diagnostics) or not loaded.files:
        return CheckResult(path, None, loaded.diagnostics, loaded.sources)
    model, diagnostics = analyze(loaded.files)
    return CheckResult(path, model, loaded.diagnostics + diagnostics, loaded.sources)


def check_file(path: str) -> CheckResult:
    """Parse `path` and its imports, then resolve and type-check the workflow."""
    return _check(path, load_file(path))


def check_text(text: str, path: str = "<input>") -> CheckResult:
    """Like `check_file`, for source text (imports resolve relative to `path`)."""
    return _check(path, load_text(text, path))
