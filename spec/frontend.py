"""The front end as one call: parse a `.wf` file and its imports, then resolve and type-check
it into a `Model` with every diagnostic. Every layer above starts here."""
from __future__ import annotations

from dataclasses import dataclass

from .analysis import analyze
from .diagnostics import Diagnostic, SourceMap, error, render_plain
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


def check_workflow_file(path: str) -> CheckResult:
    """Like `check_file`, for a command that runs the workflow: a catalog has none, which is
    WF414 at its `catalog` header (the result then has no model)."""
    return _require_workflow(check_file(path))


def _require_workflow(result: CheckResult) -> CheckResult:
    if not result.ok or not result.model.catalog:
        return result
    model = result.model
    problem = error("WF414", f"`{model.name}` is a catalog of declarations, not a workflow: it has no states "
                    "to verify, draw, export or check traces against", model.span,
                    "import the catalog from a workflow (`import \"FILE.wf\"`) and run the command on that "
                    "workflow; `check` and `fmt` take a catalog, and so does `mine --labels`")
    return CheckResult(result.path, None, result.diagnostics + (problem,), result.sources)


class InvalidWorkflow(Exception):
    """Raised by API calls that need a valid workflow; carries the diagnostics."""

    def __init__(self, result: CheckResult) -> None:
        errors = [d for d in result.diagnostics if d.is_error]
        super().__init__(f"{result.path}: {len(errors)} error(s); first: "
                         + (render_plain(errors[0]) if errors else "no model"))
        self.result = result


def load_model(target: str | Model) -> Model:
    """A checked workflow's model (not a catalog's) from a path (raising InvalidWorkflow on errors) or a model."""
    if isinstance(target, Model):
        if target.catalog:
            raise InvalidWorkflow(_require_workflow(CheckResult(target.span.file, target, (), SourceMap())))
        return target
    result = check_workflow_file(target)
    if not result.ok:
        raise InvalidWorkflow(result)
    return result.model
