"""The front end as one call: parse a `.wf` file and its imports, then resolve and type-check
it into a `Model` with every diagnostic. Every layer above starts here."""
from __future__ import annotations

from dataclasses import dataclass

from .analysis import analyze
from .diagnostics import Diagnostic, SourceMap, render_plain
from .loader import Loaded, load_file, load_text
from .model import Model


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


class InvalidWorkflow(Exception):
    """Raised by API calls that need a valid workflow; carries the diagnostics."""

    def __init__(self, result: CheckResult) -> None:
        errors = [d for d in result.diagnostics if d.is_error]
        super().__init__(f"{result.path}: {len(errors)} error(s); first: "
                         + (render_plain(errors[0]) if errors else "no model"))
        self.result = result


def load_model(target: str | Model) -> Model:
    """A checked model from a path (raising InvalidWorkflow on errors) or a model."""
    if isinstance(target, Model):
        return target
    result = check_file(target)
    if not result.ok:
        raise InvalidWorkflow(result)
    return result.model
