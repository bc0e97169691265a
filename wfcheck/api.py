"""The public API: every command of the `wfcheck` CLI is a call here (the CLI only parses
arguments, prints and picks exit codes)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from wfcheck.spec.diagnostics import Diagnostic, SourceMap
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


def check_workflow_file(path: str) -> CheckResult:
    """As `check_file`, for the commands that run a workflow: a catalog is an error (WF414)."""
    from wfcheck.spec.frontend import check_workflow_file as check

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


def verify(target: str | Model, engine: str = "portfolio", bound: int = 50, timeout: float = 10.0,
           properties: list[str] | None = None, jobs: int = 1):
    """Prove or refute the properties of a workflow (a path or a Model) -> checker Report.
    `jobs` processes decide properties side by side (0: one per CPU). `engine`: "portfolio"
    (the fastest engine decides, see checker/verify/portfolio.py), "smt" or "explicit"."""
    from wfcheck.checker.verify.run import verify_model

    return verify_model(load_model(target), engine, bound, timeout, properties, jobs)


def render_verification(report, path: str, sources: SourceMap | None = None) -> str:
    """A verification report for people: each verdict, each counterexample explained step by
    step with carets into the source (`sources`: the CheckResult's, for the carets)."""
    from wfcheck.checker.verify.render import render_text

    return render_text(report, path, sources)


VERIFY_REPORT_FORMATS = ("text", "json", "junit", "sarif", "github", "html")


def render_verification_as(report, fmt: str, path: str, sources: SourceMap | None = None) -> str:
    """A verification report in one of VERIFY_REPORT_FORMATS (text and json as `wfcheck
    verify` prints them; junit, sarif and github for CI, as `trace` writes them; html, one
    self-contained page with the state diagram)."""
    import json

    if fmt == "text":
        return render_verification(report, path, sources)
    if fmt == "json":
        return json.dumps({"file": path, **report.to_json()}, indent=2) + "\n"
    if fmt == "html":
        return render_verification_html(report, path)
    from wfcheck.checker.verify.ci import FORMATS

    return FORMATS[fmt](report)


def check_traces(spec: str | Model, paths, precision: str | None = None, input_format: str | None = None,
                 jobs: int = 1, progress=None, *, client=None, cluster: str | None = None,
                 workers: int | None = None, partition_bytes: int | None = None,
                 checkpoint: str | None = None, resume: bool = False):
    """Check recorded runs (trace files or directories) against a workflow -> TraceReport
    (see checker/trace/check.py; `report.exit_code` is the command's exit code).

    With `client` (a dask `distributed.Client`) or `cluster` ("local": a LocalCluster of
    `workers` processes; or a scheduler address such as "tcp://host:8786") the corpus is
    checked on Dask (checker/corpus/, extra `cluster`): paths may also be fsspec URLs, large
    JSON Lines files are cut into ranges of about `partition_bytes`, `checkpoint` records
    each partition done and `resume` goes on from it; `progress` then gets a CorpusProgress.
    The report is the same as with `jobs=1`."""
    if client is None and cluster is None:
        from wfcheck.checker.trace.check import check_traces as check

        return check(spec, paths, precision, input_format, jobs, progress)
    from wfcheck.checker.corpus.partition import DEFAULT_PARTITION_BYTES
    from wfcheck.checker.corpus.run import check_corpus

    return check_corpus(spec, paths, precision, input_format, client=client, cluster=cluster or "local",
                        workers=workers, partition_bytes=partition_bytes or DEFAULT_PARTITION_BYTES,
                        checkpoint=checkpoint, resume=resume, progress=progress)


def corpus_progress_bar(enabled: bool = True):
    """A progress bar on stderr for a cluster run of `check_traces` (shown on a terminal)."""
    from wfcheck.checker.corpus.progress import ProgressBar

    return ProgressBar(enabled)


def cluster_errors() -> tuple[type[Exception], ...]:
    """The errors of a cluster run that are the user's to fix (no Dask, no scheduler, a
    checkpoint of another run)."""
    from wfcheck.checker.corpus.checkpoint import CheckpointMismatch
    from wfcheck.checker.corpus.run import ClusterError

    return ClusterError, CheckpointMismatch


def render_verification_html(report, path: str) -> str:
    """A verification report as one self-contained HTML page: the state diagram with each
    counterexample drawn on it, its step table and the highlighted source (`verify --format html`)."""
    from wfcheck.report.verify_page import render_verify

    return render_verify(report, path, _read_text(path))


def render_traces_html(report, model: Model, paths, input_format: str | None = None) -> str:
    """A trace report as one self-contained HTML page: a sortable summary per property and
    per trace, each trace's violations and causal chains, its events drawn on the state
    diagram (`trace --format html`)."""
    import json

    from wfcheck.checker.trace.render import render
    from wfcheck.checker.trace.steps import trace_steps
    from wfcheck.report.trace_page import render_trace

    data = json.loads(render(report, "json"))
    runs, _ = trace_steps(model, paths, input_format, report.precision)
    return render_trace(data, model, _read_text(data["spec"]), {run.name: run.steps for run in runs})


def serve_lsp() -> None:
    """Run the language server on stdin/stdout until the editor ends it (`wfcheck lsp`;
    needs the `lsp` extra). Raises ImportError without it."""
    from wfcheck.lsp.server import serve

    serve()


def _read_text(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


TRACE_REPORT_FORMATS = ("text", "json", "junit", "sarif", "github", "html")


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
        trace_inputs, problems = _lean_traces(model, traces, trace_format)
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


def _lean_traces(model: Model, paths, input_format):
    """Read trace files and map each event to the edges it may be (as the trace monitor
    does: checker/trace/steps.py), for the Lean export."""
    from wfcheck.checker.trace.steps import trace_steps
    from wfcheck.lean_export import TracedStep, TraceInput

    runs, problems = trace_steps(model, paths, input_format)
    inputs = tuple(TraceInput(run.name, tuple(TracedStep(s.event, s.location, s.text, s.edges, s.problem)
                                                for s in run.steps)) for run in runs)
    return inputs, problems


@dataclass(frozen=True)
class MineResult:
    """What `mine` learned (`mined`: a checker.mine.mine.Mined, None when nothing could be
    read) and the reading problems met (ReadProblems: unreadable files, or problems inside
    traces)."""
    mined: object
    problems: tuple = ()


def mine(paths, k: int = 2, max_states: int | None = None, labels: str | None = None,
         input_format: str | None = None, min_support: int = 2, name: str = "mined",
         replies: bool = True) -> MineResult:
    """Learn a spec from recorded runs (`wfcheck mine`): the k-tails state machine over the
    traced actions and the candidate properties, as `.wf` text. `labels`: a spec or catalog
    whose labels, agents, tools, events and `map` lines are kept; `replies` false leaves
    text replies out of the machine. Raises InvalidWorkflow for
    a bad `labels` file and ValueError when no machine fits `max_states`."""
    from wfcheck.checker.mine.mine import Catalog, mine as learn
    from wfcheck.checker.trace.readers.events import ReadProblem
    from wfcheck.checker.trace.readers.reader import read_traces
    from wfcheck.spec.loader import load_file

    catalog = Catalog(load_file(labels), _catalog_model(labels)) if labels else None
    traces, problems = [], []
    for item in read_traces(paths, input_format):
        if isinstance(item, ReadProblem):
            problems.append(item)
        else:
            traces.append(item)
            problems.extend(item.problems)
    if not traces:
        return MineResult(None, tuple(problems))
    return MineResult(learn(traces, k, max_states, catalog, min_support, name,
                                replies=replies), tuple(problems))


def _catalog_model(path: str) -> Model:
    """The model of a spec, or of a catalog (tools and labels but no states: it is checked
    as if imported by a one-state workflow). Raises InvalidWorkflow with the file's own
    diagnostics."""
    import os

    from wfcheck.spec.frontend import InvalidWorkflow

    result = check_file(path)
    if result.ok:
        return result.model
    absolute = os.path.abspath(path)
    if '"' not in absolute:
        wrapper = check_text(f'import "{absolute}"\nstate mined_start initial final\n',
                             os.path.join(os.path.dirname(absolute), "<mine>"))
        if wrapper.ok:
            return wrapper.model
    raise InvalidWorkflow(result)
def gate_session(spec: str | Model, name: str = "run", audit: str | None = None, fsync: str = "flush",
                 precision: str | None = None):
    """An in-process gated run (gate/session.py): `decide(call)` before a tool runs, `step`
    after; its audit log re-checks with `check_traces` to the same verdicts."""
    from wfcheck.gate.session import Session

    return Session(load_model(spec), name, audit, fsync, precision=precision)


def gate_mcp(spec: str | Model, command: tuple[str, ...] = (), urls: tuple[str, ...] = (), audit: str | None = None,
             timeout: float = 60.0, agent: str | None = None, fsync: str = "flush") -> None:
    """Serve the MCP proxy on stdin/stdout in front of the server `command` and/or the
    streamable-HTTP servers at `urls` (gate/mcp_proxy.py), until the client closes it.
    Raises ConnectionError if an upstream cannot be started or reached."""
    from wfcheck.gate.mcp_proxy import Upstream, serve_stdio
    from wfcheck.gate.session import Session

    upstreams = ([Upstream(command=tuple(command))] if command else []) + [Upstream(url=u) for u in urls]
    session = Session(load_model(spec), "mcp", audit, fsync)
    serve_stdio(session, upstreams, timeout, agent)


def gate_service(specs: tuple[str, ...], tokens: tuple[str, ...], audit_dir: str | None = None, fsync: str = "flush",
                 max_events: int | None = None, max_sessions: int | None = None, max_body: int | None = None,
                 idle_timeout: float | None = None):
    """The HTTP policy service's state (gate/service.py) for `specs` (`PATH` or `NAME=PATH`)
    and `tokens` (`TOKEN` or `TOKEN=spec1,spec2`). Raises gate.specs.ReloadFailed if a
    spec does not check. Serve it with `gate_serve` or `gate_app`."""
    from wfcheck.gate.service import Gate, Limits, parse_tokens
    from wfcheck.gate.specs import Specs

    given = {"max_events": max_events, "max_sessions": max_sessions, "max_body": max_body,
             "idle_timeout": idle_timeout}
    limits = Limits(**{k: v for k, v in given.items() if v is not None})
    return Gate(Specs(specs), parse_tokens(tokens), limits, audit_dir, fsync)


def gate_app(gate):
    """The ASGI app of a `gate_service`."""
    from wfcheck.gate.service import build_app

    return build_app(gate)


def gate_serve(gate, host: str = "127.0.0.1", port: int = 8700) -> None:
    """Serve a `gate_service` with uvicorn until stopped."""
    from wfcheck.gate.service import serve

    serve(gate, host, port)


DIFF_FORMATS = ("text", "json", "sarif", "github")


def diff(old: str | Model, new: str | Model, renames: dict[str, str] | None = None, engine: str = "explicit",
         bound: int = 50, timeout: float = 10.0, jobs: int = 1):
    """Compare two versions of a workflow (`wfcheck diff`) -> checker.diff DiffReport: the
    shortest runs each allows that the other forbids, loosened labels and sinks, and the
    old properties that no longer hold on the new one. `renames`: old name -> new name."""
    from wfcheck.checker.diff.compare import diff_models

    return diff_models(load_model(old), load_model(new), renames, engine, bound, timeout, jobs=jobs)


def render_diff(report, fmt: str = "text", old_path: str = "old", new_path: str = "new") -> str:
    """A diff report as text, JSON, SARIF 2.1.0 or GitHub annotations."""
    from wfcheck.checker.diff.render import render

    return render(report, fmt, old_path, new_path)


def repair(path: str, properties: list[str] | None = None, *, allow_unreachable: bool = False,
           max_candidates: int = 240, timeout: float = 8.0):
    """Verified repairs of each violated property of the workflow at `path` (`wfcheck
    repair`) -> tuple of checker.repair PropertyRepairs. Raises InvalidWorkflow, and
    KeyError for an unknown property."""
    from wfcheck.checker.repair.search import repair_text
    from wfcheck.spec.frontend import InvalidWorkflow

    result = check_file(path)
    if not result.ok:
        raise InvalidWorkflow(result)
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    return repair_text(source, path, properties, allow_unreachable=allow_unreachable,
                       max_candidates=max_candidates, timeout=timeout)


def render_repairs(found, path: str) -> str:
    """Repairs for people: per property, its numbered verified repairs as unified diffs, or
    plainly that none within the budget works."""
    from wfcheck.checker.repair.render import render_text

    return render_text(found, path)
