"""The public API: every command of the `wfcheck` CLI is a call here (the CLI only parses
arguments, prints and picks exit codes)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from wfcheck.spec.diagnostics import Diagnostic, SourceMap, error
from wfcheck.spec.span import Span
from wfcheck.spec.version import __version__

if TYPE_CHECKING:
    from wfcheck.spec.frontend import CheckResult
    from wfcheck.spec.model import Model

# The front end pulls in lark, networkx and every pass; `wfcheck --help` needs none of it, so
# these names are imported on first use (PEP 562), which keeps start-up fast (issue 17).
_LAZY = {"CheckResult": "wfcheck.spec.frontend", "InvalidWorkflow": "wfcheck.spec.frontend",
         "Model": "wfcheck.spec.model", "ExportError": "wfcheck.lean_export"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def check_file(path: str) -> CheckResult:
    """Parse, resolve imports and validate one `.wf` file -> CheckResult."""
    from wfcheck.spec.frontend import check_file as check

    return check(path)


def check_text(text: str, path: str = "<input>") -> CheckResult:
    """As `check_file`, for text in memory (`path` names it in diagnostics)."""
    from wfcheck.spec.frontend import check_text as check

    return check(text, path)


def load_model(target: str | Model) -> Model:
    """The Model of a path (checked; raises InvalidWorkflow on errors), or a Model as is."""
    from wfcheck.spec.frontend import load_model as load

    return load(target)


def render_diagnostic(diag: Diagnostic, sources: SourceMap) -> str:
    """A diagnostic as rustc renders one: code, message, location, the source line with a
    caret, and the help line."""
    from wfcheck.spec.diagnostics import render_human

    return render_human(diag, sources)


def structural_findings(model: Model) -> tuple[Diagnostic, ...]:
    """Warnings about the state machine of a valid model (unreachable states, dead ends,
    ...: WF601-WF604), which `wfcheck check` reports beside the diagnostics."""
    from wfcheck.spec.graph import structural_findings as findings

    return tuple(findings(model))


GRAPH_FORMATS = ("dot", "mermaid", "json")


def graph(target: str | Model, fmt: str = "dot") -> str:
    """The state machine as Graphviz dot, Mermaid or JSON text (`wfcheck graph`)."""
    import json

    from wfcheck.export import graph as export

    model = load_model(target)
    if fmt == "json":
        return json.dumps(export.to_json(model), indent=2) + "\n"
    if fmt not in GRAPH_FORMATS:
        raise ValueError(f"unknown graph format {fmt!r}")
    return export.to_dot(model) if fmt == "dot" else export.to_mermaid(model)


def export_promela(target: str | Model, properties: list[str] | None = None) -> tuple[tuple[str, str], ...]:
    """One Promela model for SPIN per property (SPIN checks one property per run), as
    (property name, text). Unknown property names raise KeyError."""
    from wfcheck.export.promela import to_promela
    from wfcheck.spec.system import lower

    system = lower(load_model(target))
    known = {c.name for c in system.checks}
    for name in properties or ():
        if name not in known:
            raise KeyError(name)
    return tuple((c.name, to_promela(system, c)) for c in system.checks
                 if properties is None or c.name in properties)


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
    from wfcheck.spec.loader import read_source
    from wfcheck.spec.parser import parse_text

    sources = SourceMap()
    original, problem = read_source(path)
    if original is None:
        return Formatted(path, "", "", (problem,), sources)
    sources.add(path, original)
    workflow, diagnostics = parse_text(original, path)
    if diagnostics:
        return Formatted(path, original, "", diagnostics, sources)
    return Formatted(path, original, format_workflow(workflow), (), sources)


def verify(target: str | Model, engine: str = "smt", bound: int = 50, timeout: float = 10.0,
           properties: list[str] | None = None, jobs: int = 1):
    """Prove or refute the properties of a workflow (a path or a Model) -> checker Report.
    `jobs` processes decide properties side by side (0: one per CPU)."""
    from wfcheck.checker.verify.run import verify_model

    return verify_model(load_model(target), engine, bound, timeout, properties, jobs)


def render_verification(report, path: str, sources: SourceMap | None = None) -> str:
    """A verification report for people: each verdict, each counterexample explained step by
    step with carets into the source (`sources`: the CheckResult's, for the carets)."""
    from wfcheck.checker.verify.render import render_text

    return render_text(report, path, sources)


VERIFY_REPORT_FORMATS = ("text", "json", "junit", "sarif", "github")


def render_verification_as(report, fmt: str, path: str, sources: SourceMap | None = None) -> str:
    """A verification report in one of VERIFY_REPORT_FORMATS (text and json as `wfcheck
    verify` prints them; junit, sarif and github for CI, as `trace` writes them)."""
    import json

    if fmt == "text":
        return render_verification(report, path, sources)
    if fmt == "json":
        return json.dumps({"file": path, **report.to_json()}, indent=2) + "\n"
    from wfcheck.checker.verify.ci import FORMATS

    return FORMATS[fmt](report)


def check_traces(spec: str | Model, paths, precision: str | None = None, input_format: str | None = None,
                 jobs: int = 1, progress=None):
    """Check recorded runs (trace files or directories) against a workflow -> TraceReport
    (see checker/trace/check.py; `report.exit_code` is the command's exit code)."""
    from wfcheck.checker.trace.check import check_traces as check

    return check(spec, paths, precision, input_format, jobs, progress)


TRACE_REPORT_FORMATS = ("text", "json", "junit", "sarif", "github")


def render_traces(report, fmt: str = "text") -> str:
    """A trace report as text, JSON, JUnit XML, SARIF 2.1.0 or GitHub annotations."""
    from wfcheck.checker.trace.render import render

    return render(report, fmt)


@dataclass(frozen=True)
class LeanExport:
    """What `export_lean` wrote: the directory, the files in it, the verification report
    the proofs follow, and trace files' reading problems (each a ReadProblem; when there are
    any, nothing is written and `files` is empty)."""
    directory: str
    files: tuple[str, ...]
    report: object
    problems: tuple = ()


def export_lean(target: str | Model, output_dir: str, *, engine: str = "smt", bound: int = 50,
                timeout: float = 10.0, traces: tuple[str, ...] = (), trace_format: str | None = None,
                max_configs: int | None = None, source: str | None = None, jobs: int = 1) -> LeanExport:
    """Verify a workflow and write it, its properties and their proofs as a Lean 4 (Lake)
    project in `output_dir` (see docs/lean.md). `traces`: recorded runs to export too.
    `source` names the workflow in the generated headers (default: the path as given,
    made relative to the working directory if it is absolute). `jobs` as in `verify`. Raises InvalidWorkflow,
    and lean_export.ExportError if a checker's result disagrees with the semantics."""
    import os

    from wfcheck.checker.verify.run import verify_model
    from wfcheck.lean_export import DEFAULT_MAX_CONFIGS, render_project, write_project

    model = load_model(target)
    if source is None:
        if not isinstance(target, str):  # a Model
            source = f"workflow `{model.name}`"
        else:
            source = os.path.relpath(target) if os.path.isabs(target) else os.path.normpath(target)
            source = source.replace(os.sep, "/")
    report = verify_model(model, engine, bound, timeout, jobs=jobs)
    verdicts = {r.name: _lean_verdict(r) for r in report.results}
    trace_inputs, problems, trace_source = (), (), None
    if traces:
        trace_inputs, problems = _lean_traces(model, report.system, traces, trace_format)
        if problems or not trace_inputs:   # as `trace`: input read in part (or not at all) is invalid
            return LeanExport(output_dir, (), report, problems or (_no_trace(traces),))
        trace_source = ", ".join(t.replace(os.sep, "/") for t in traces)
    files = render_project(report.system, verdicts, source, __version__,
                           DEFAULT_MAX_CONFIGS if max_configs is None else max_configs,
                           trace_inputs, trace_source)
    return LeanExport(output_dir, tuple(write_project(files, output_dir)), report, problems)


def _no_trace(paths):
    from wfcheck.checker.trace.readers.events import Location, ReadProblem

    return ReadProblem("WF801", "no trace in " + ", ".join(f"`{p}`" for p in paths), Location(paths[0], 0))


def _lean_verdict(result):
    """A checker's PropertyResult in the exporter's neutral form."""
    from wfcheck.lean_export import Verdict

    run = result.counterexample
    cert = result.invariant
    method = getattr(cert, "method", None)
    if method is not None and getattr(cert, "k", None) is not None:
        method = f"{method}, k = {cert.k}"
    if run is None:
        return Verdict(result.name, result.status, result.engine, reason=result.reason, method=method)
    return Verdict(result.name, result.status, result.engine, tuple(run.edges), tuple(run.configs),
                   run.bad_step, run.loop_start, result.reason, method)


def _lean_traces(model: Model, system, paths, input_format):
    """Read trace files and map each event to the edges it may be (as the trace monitor
    does: checker/trace/mapping.py), for the Lean export."""
    from wfcheck.checker.trace.mapping import ActionResolver
    from wfcheck.checker.trace.readers.events import ReadProblem
    from wfcheck.checker.trace.readers.reader import read_traces
    from wfcheck.lean_export import TracedStep, TraceInput

    resolver = ActionResolver(model)
    edges_of: dict = {}
    for step in system.steps:
        edges_of.setdefault(step.edge.action, []).append(step.index)
    inputs, problems = [], []
    for item in read_traces(list(paths), input_format):
        if isinstance(item, ReadProblem):
            problems.append(item)
            continue
        problems.extend(item.problems)
        steps = []
        for index, event in enumerate(item.events):
            resolved = resolver.resolve(event)
            if resolved is None:  # context only, not a step
                continue
            where = str(event.location)
            if not resolved.actions:
                what = f"call of `{event.tool}`" if hasattr(event, "tool") else type(event).__name__.lower()
                steps.append(TracedStep(index, where, what, (), resolved.problem))
                continue
            edges = tuple(sorted({e for a in resolved.actions for e in edges_of.get(a, ())}))
            text = " or ".join(dict.fromkeys(str(a) for a in resolved.actions))
            steps.append(TracedStep(index, where, text, edges,
                                    None if edges else "no transition of the spec takes this action"))
        inputs.append(TraceInput(item.name, tuple(steps)))
    return tuple(inputs), tuple(problems)
