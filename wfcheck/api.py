"""Library entry points: load a `.wf` file into a checked model with its diagnostics."""
from __future__ import annotations

from dataclasses import dataclass

from wfcheck.spec.analysis import analyze
from wfcheck.spec.diagnostics import Diagnostic, SourceMap, error, render_plain
from wfcheck.spec.loader import Loaded, load_file, load_text
from wfcheck.spec.model import Model
from wfcheck.spec.span import Span


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


@dataclass(frozen=True)
class Formatted:
    path: str
    original: str
    text: str                         # the canonical text ("" when there are errors)
    diagnostics: tuple[Diagnostic, ...]
    sources: SourceMap


def format_file(path: str) -> Formatted:
    """The canonical layout of one file (syntax errors are returned, nothing is written)."""
    from wfcheck.spec.fmt import format_workflow
    from wfcheck.spec.parser import parse_text

    sources = SourceMap()
    try:
        with open(path, encoding="utf-8") as handle:
            original = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        diag = error("WF407", f"cannot read `{path}`: {exc}", Span(path, 0, 0, 0, 0))
        return Formatted(path, "", "", (diag,), sources)
    sources.add(path, original)
    workflow, diagnostics = parse_text(original, path)
    if diagnostics:
        return Formatted(path, original, "", diagnostics, sources)
    return Formatted(path, original, format_workflow(workflow), (), sources)


def verify(target: str | Model, engine: str = "smt", bound: int = 50, timeout: float = 10.0,
           properties: list[str] | None = None):
    """Prove or refute the properties of a workflow (a path or a Model) -> checker Report."""
    from wfcheck.checker.verify import verify_model

    return verify_model(load_model(target), engine, bound, timeout, properties)
