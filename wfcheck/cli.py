"""The `wfcheck` command: a thin layer over the library. Each subcommand is a function
that returns its exit code, so tests and other programs can call it directly.

Exit codes: 0 success; 1 a property is violated (verify), a trace violates the spec
(trace) or a file would be reformatted (fmt --check); 2 invalid input; 3 a property could
not be decided (verify); 70 an internal error.
"""
from __future__ import annotations

import json
import os
import sys
import traceback
from typing import TYPE_CHECKING, Callable

import click

from wfcheck import api
from wfcheck.api import check_file

if TYPE_CHECKING:
    from wfcheck.api import CheckResult

EXIT_OK, EXIT_FAIL, EXIT_INVALID, EXIT_UNKNOWN, EXIT_INTERNAL = 0, 1, 2, 3, 70


def _echo_diagnostics(result: CheckResult, err: bool = True) -> None:
    for diag in result.diagnostics:
        click.echo(api.render_diagnostic(diag, result.sources) + "\n", err=err)


def _load_ok(path: str, fmt: str) -> CheckResult | None:
    """Check the workflow `path` (a catalog is an error); on errors print them (text) and
    return None."""
    result = api.check_workflow_file(path)
    if not result.ok:
        if fmt == "json":
            click.echo(json.dumps({"file": path, "ok": False,
                                   "diagnostics": [d.to_json() for d in result.diagnostics]}, indent=2))
        else:
            _echo_diagnostics(result)
        return None
    return result


def run_check(paths: tuple[str, ...], fmt: str = "text") -> int:
    outputs, code = [], EXIT_OK
    for path in paths:
        result = check_file(path)
        diagnostics = result.diagnostics
        if result.ok:
            diagnostics = diagnostics + api.structural_findings(result.model)
        if not result.ok:
            code = EXIT_INVALID
        if fmt == "json":
            outputs.append({"file": path, "ok": result.ok, "diagnostics": [d.to_json() for d in diagnostics]})
            continue
        for diag in diagnostics:
            click.echo(api.render_diagnostic(diag, result.sources) + "\n", err=True)
        errors = sum(d.is_error for d in diagnostics)
        warnings = len(diagnostics) - errors
        if result.ok:
            click.echo(f"{path}: ok — {_summary(result.model)}" + (f", {_count(warnings, 'warning')}" if warnings else ""))
        else:
            click.echo(f"{path}: {_count(errors, 'error')}", err=True)
    if fmt == "json":
        click.echo(json.dumps(outputs, indent=2))
    return code


def _count(n: int, one: str, many: str | None = None) -> str:
    """`1 state`, `2 states`; `many` for an irregular plural (`properties`)."""
    return f"{n} {one if n == 1 else many or one + 's'}"


def _summary(m) -> str:
    """What `check` found in a valid workflow or catalog, in one line."""
    if m.catalog:
        return (f"catalog `{m.name}`: {_count(len(m.tools), 'tool')}, {_count(len(m.events), 'event')}, "
                f"{_count(len(m.agents), 'agent')}, {_count(len(m.variables), 'variable')}")
    return (f"workflow `{m.name}`: {_count(len(m.states), 'state')}, {_count(len(m.edges), 'edge')}, "
            f"{_count(len(m.agents), 'agent')}, {_count(len(m.tools), 'tool')}, "
            f"{_count(len(m.properties), 'property', 'properties')}")


def run_graph(path: str, fmt: str = "dot", output: str | None = None) -> int:
    result = _load_ok(path, "text")
    if result is None:
        return EXIT_INVALID
    _write(api.graph(result.model, fmt), output)
    return EXIT_OK


def _write(text: str, output: str | None) -> None:
    if output is None or output == "-":
        click.echo(text, nl=False)
    else:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)


def run_fmt(paths: tuple[str, ...], check: bool = False, stdout: bool = False) -> int:
    code = EXIT_OK
    for path in paths:
        formatted = api.format_file(path)
        if formatted.diagnostics:
            for diag in formatted.diagnostics:
                click.echo(api.render_diagnostic(diag, formatted.sources) + "\n", err=True)
            code = EXIT_INVALID
            continue
        if stdout:
            click.echo(formatted.text, nl=False)
        elif formatted.text != formatted.original:
            if check:
                click.echo(f"would reformat {path}", err=True)
                code = max(code, EXIT_FAIL)
            else:
                with open(path, "w", encoding="utf-8") as handle:
                    handle.write(formatted.text)
                click.echo(f"reformatted {path}", err=True)
    return code


def run_verify(path: str, bound: int = 50, timeout: float = 10.0, properties: tuple[str, ...] = (),
               fmt: str = "text", engine: str = "portfolio", jobs: int = 0, output: str | None = None) -> int:
    result = _load_ok(path, fmt)
    if result is None:
        return EXIT_INVALID
    try:
        report = api.verify(result.model, engine, bound, timeout, list(properties) or None, jobs)
    except KeyError as exc:
        _unknown_property(exc.args[0], result)
        return EXIT_INVALID
    _write(api.render_verification_as(report, fmt, path, result.sources), output)
    return report.exit_code


def run_diff(old: str, new: str, renames: tuple[str, ...] = (), fmt: str = "text", engine: str = "portfolio",
             bound: int = 50, timeout: float = 10.0, output: str | None = None, jobs: int = 0) -> int:
    pairs = {}
    for item in renames:
        before, sep, after = item.partition("=")
        if not sep or not before.strip() or not after.strip():
            click.echo(f"error[WF702]: `--rename {item}` is not OLD=NEW\n  = help: e.g. --rename fetch=fetch_url", err=True)
            return EXIT_INVALID
        pairs[before.strip()] = after.strip()
    loaded = [_load_ok(path, "json" if fmt == "json" else "text") for path in (old, new)]
    if any(r is None for r in loaded):
        return EXIT_INVALID
    report = api.diff(loaded[0].model, loaded[1].model, pairs, engine, bound, timeout, jobs)
    _write(api.render_diff(report, fmt, old, new), output)
    return report.exit_code


def run_repair(path: str, properties: tuple[str, ...] = (), apply: int | None = None,
               allow_unreachable: bool = False, max_candidates: int = 240, timeout: float = 8.0) -> int:
    result = _load_ok(path, "text")
    if result is None:
        return EXIT_INVALID
    try:
        found = api.repair(path, list(properties) or None, allow_unreachable=allow_unreachable,
                           max_candidates=max_candidates, timeout=timeout)
    except KeyError as exc:
        _unknown_property(exc.args[0], result)
        return EXIT_INVALID
    numbered = [(pr, r) for pr in found for r in pr.repairs]
    if apply is not None:
        if not 1 <= apply <= len(numbered):
            click.echo(f"error[WF703]: there is no repair {apply}\n  = help: there are {len(numbered)} repairs; "
                       "run without --apply to see them", err=True)
            return EXIT_INVALID
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(numbered[apply - 1][1].text)
        click.echo(f"applied repair {apply} to {path}: {numbered[apply - 1][1].what}")
        return EXIT_OK
    click.echo(api.render_repairs(found, path), nl=False)
    return EXIT_FAIL if any(not pr.repairs for pr in found) else EXIT_OK


def _unknown_property(name: str, result: CheckResult) -> None:
    names = ", ".join(f"`{p.name}`" for p in result.model.properties)
    click.echo(f"error[WF701]: unknown property `{name}`\n  = help: the properties are {names}", err=True)


class _TraceProgress:
    """A progress bar on stderr, shown only on a terminal and once there are more than 20
    traces (a small batch finishes before a bar would help)."""

    def __init__(self) -> None:
        self.bar = None
        self.files_done = 0

    def __call__(self, files_done: int, files_total: int, traces_done: int) -> None:
        if self.bar is None:
            if traces_done <= 20 or not sys.stderr.isatty():
                return
            self.bar = click.progressbar(length=files_total, label="checking traces", file=sys.stderr,
                                         item_show_func=lambda n: f"{n} traces" if n else None)
            self.bar.__enter__()
        self.bar.update(files_done - self.files_done, traces_done)
        self.files_done = files_done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


def run_trace(spec: str, traces: tuple[str, ...], fmt: str = "text", precision: str | None = None,
              input_format: str = "auto", jobs: int = 1, output: str | None = None,
              cluster: str | None = None, workers: int | None = None, partition_mib: float | None = None,
              checkpoint: str | None = None, resume: bool = False, quiet: bool = False) -> int:
    result = _load_ok(spec, "json" if fmt == "json" else "text")
    if result is None:
        return EXIT_INVALID
    if cluster is not None or checkpoint is not None or resume:
        return _run_trace_cluster(result, traces, fmt, precision, input_format, output, cluster or "local",
                                  workers, partition_mib, checkpoint, resume, quiet)
    if quiet:
        report = api.check_traces(result.model, list(traces), precision,
                                  None if input_format == "auto" else input_format, jobs)
        _write(api.render_traces(report, fmt), output)
        return report.exit_code
    progress = _TraceProgress()
    try:
        report = api.check_traces(result.model, list(traces), precision,
                              None if input_format == "auto" else input_format, jobs, progress)
    finally:
        progress.close()
    if fmt == "html":
        _write(api.render_traces_html(report, result.model, list(traces),
                                      None if input_format == "auto" else input_format), output)
    else:
        _write(api.render_traces(report, fmt), output)
    return report.exit_code


def _run_trace_cluster(result: CheckResult, traces, fmt, precision, input_format, output, cluster, workers,
                       partition_mib, checkpoint, resume, quiet) -> int:
    """`wfcheck trace --cluster`: the corpus on Dask, with a progress bar and a checkpoint."""
    if resume and checkpoint is None:
        click.echo("error[WF809]: --resume needs --checkpoint FILE\n"
                   "  = help: give the checkpoint the interrupted run wrote", err=True)
        return EXIT_INVALID
    progress = api.corpus_progress_bar(enabled=not quiet)
    try:
        report = api.check_traces(result.model, list(traces), precision,
                                  None if input_format == "auto" else input_format, cluster=cluster,
                                  workers=workers, checkpoint=checkpoint, resume=resume, progress=progress,
                                  partition_bytes=int(partition_mib * 2 ** 20) if partition_mib else None)
    except api.cluster_errors() as error:
        progress.close()
        code = "WF809" if type(error).__name__ == "CheckpointMismatch" else "WF808"
        hint = "start afresh without --resume, or give this run's checkpoint" if code == "WF809" else error.hint
        click.echo(f"error[{code}]: {error}\n  = help: {hint}", err=True)
        return EXIT_INVALID
    progress.close()
    _write(api.render_traces(report, fmt), output)
    return report.exit_code


def run_export(path: str, fmt: str = "promela", output: str | None = None, prop: str | None = None) -> int:
    """Write the workflow for another model checker: one Promela model per property (SPIN
    checks one property per run). Several models need `output`, a directory that gets
    `PROPERTY.pml` for each (stdout takes one model: pick it with `prop`)."""
    result = _load_ok(path, "text")
    if result is None:
        return EXIT_INVALID
    try:
        models = api.export_promela(result.model, None if prop is None else [prop])
    except KeyError:
        _unknown_property(prop, result)
        return EXIT_INVALID
    if not models:
        click.echo(f"error: workflow `{result.model.name}` has no properties to export", err=True)
        return EXIT_INVALID
    if len(models) > 1 and (output is None or output == "-"):   # several models are not one valid file
        names = ", ".join(f"`{name}`" for name, _ in models)
        click.echo(f"error: workflow `{result.model.name}` has {len(models)} properties ({names}), one Promela "
                   "model each\n  = help: write them to a directory with `-o DIR`, or pick one with "
                   "`--property P`", err=True)
        return EXIT_INVALID
    if len(models) == 1 and not (output and os.path.isdir(output)):
        _write(models[0][1], output)
    else:
        os.makedirs(output, exist_ok=True)
        for name, text in models:
            with open(os.path.join(output, f"{name}.pml"), "w", encoding="utf-8") as handle:
                handle.write(text)
        click.echo(f"wrote {_count(len(models), 'model')} to {output}/", err=True)
    return EXIT_OK


def run_lean(path: str, output: str, trace: tuple[str, ...] = (), engine: str = "smt", bound: int = 50,
             timeout: float = 10.0, max_configs: int | None = None, trace_format: str = "auto",
             jobs: int = 0) -> int:
    """Verify the workflow and write it with its proofs as a Lean 4 project in `output`."""
    result = _load_ok(path, "text")
    if result is None:
        return EXIT_INVALID
    try:
        export = api.export_lean(path, output, engine=engine, bound=bound, timeout=timeout,
                             traces=tuple(trace), trace_format=None if trace_format == "auto" else trace_format,
                             max_configs=max_configs, jobs=jobs)
    except api.ExportError as exc:
        click.echo(f"internal error: {exc}\n  = help: the checkers disagree with the semantics; this is a bug "
                   "in wfcheck, please report it", err=True)
        return EXIT_INTERNAL
    if export.problems:   # as `trace`: a trace that cannot be read fails the command
        for problem in export.problems:
            click.echo(f"error[{problem.code}]: {problem.message} ({problem.location})", err=True)
        click.echo(f"error: nothing written to {output}/: the traces could not be read in full", err=True)
        return EXIT_INVALID
    counts = {s: export.report.count(s) for s in ("proved", "vacuous", "violated", "unknown")}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    click.echo(f"wrote {len(export.files)} files to {output}/ (workflow `{result.model.name}`: {summary or 'no properties'}); "
               f"build with: cd {output} && lake build", err=True)
    return EXIT_OK


def _needs_extra(what: str, extra: str, exc: ImportError) -> int:
    """A command whose optional dependencies are absent: say which, and how to install them."""
    click.echo(f"error: {what} needs the `{extra}` extra ({exc.name} is not installed)\n"
               f"  = help: pip install 'wfcheck[{extra}]'", err=True)
    return EXIT_INVALID


def run_lsp() -> int:
    """Serve the language server over stdio; without the `lsp` extra, say how to get it."""
    try:
        api.serve_lsp()
    except ImportError as exc:
        return _needs_extra("the language server", "lsp", exc)
    return EXIT_OK


# ---------------------------------------------------------------- click wiring


def _guarded(fn: Callable[..., int]) -> Callable[..., None]:
    """Exit with the subcommand's code; an unexpected exception is an internal error with a
    short message (set WFCHECK_DEBUG=1 for the traceback), never a bare traceback."""
    def wrapper(**kwargs) -> None:
        try:
            code = fn(**kwargs)
        except OSError as exc:   # e.g. an output that cannot be written (a directory, no permission, a full disk)
            where = f" `{exc.filename}`" if exc.filename else ""
            click.echo(f"error: {exc.strerror or exc}{where}", err=True)
            code = EXIT_INVALID
        except Exception as exc:  # noqa: BLE001
            if os.environ.get("WFCHECK_DEBUG"):
                traceback.print_exc()
            click.echo(f"internal error: {type(exc).__name__}: {exc}\n  = help: this is a bug in wfcheck; "
                       "rerun with WFCHECK_DEBUG=1 and report the traceback", err=True)
            code = EXIT_INTERNAL
        sys.exit(code)
    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(api.__version__, prog_name="wfcheck")
def main() -> None:
    """Specify, verify and monitor LLM-agent workflows.

    \b
    Exit codes: 0 ok; 1 a property is violated (verify, trace) or a file
    would be reformatted (fmt --check); 2 invalid input; 3 undecided
    property (verify); 70 internal error.
    """


FORMAT_TEXT_JSON = click.Choice(["text", "json"])


@main.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=FORMAT_TEXT_JSON, default="text", show_default=True,
              help="Diagnostics for people (text) or machines (json).")
def check_cmd(files, fmt):
    """Parse and validate workflows and report structural findings.

    Exit 0 when every file is valid (warnings allowed), 2 when any has an error.
    """
    _guarded(run_check)(paths=files, fmt=fmt)


@main.command("graph")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["dot", "mermaid", "json"]), default="dot", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to a file instead of stdout.")
def graph_cmd(file, fmt, output):
    """Print the workflow's state machine as Graphviz dot, Mermaid, or JSON."""
    _guarded(run_graph)(path=file, fmt=fmt, output=output)


@main.command("fmt")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if a file would be reformatted.")
@click.option("--stdout", is_flag=True, help="Print the formatted text instead of rewriting files.")
def fmt_cmd(files, check, stdout):
    """Rewrite workflows in the canonical layout (comments kept)."""
    _guarded(run_fmt)(paths=files, check=check, stdout=stdout)


@main.command("verify")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--bound", type=click.IntRange(0), default=50, show_default=True,
              help="Longest counterexample searched for.")
@click.option("--timeout", type=click.FloatRange(0, min_open=True), default=10.0, show_default=True,
              help="Seconds per property.")
@click.option("--property", "properties", multiple=True, help="Check only this property (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit", "sarif", "github", "html"]),
              default="text", show_default=True,
              help="For people (text; html: one self-contained page with the state diagram), machines (json) "
                   "or CI (junit, sarif, github).")
@click.option("--engine", type=click.Choice(["portfolio", "smt", "explicit"]), default="portfolio",
              show_default=True, help="portfolio: the explicit-state checker where the configurations "
              "fit in memory, z3 where not, both side by side where unsure; or force z3 or the explicit checker.")
@click.option("-j", "--jobs", type=click.IntRange(0), default=0, show_default=True,
              help="Processes deciding properties side by side (0: one per CPU).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to a file instead of stdout.")
def verify_cmd(file, bound, timeout, properties, fmt, engine, jobs, output):
    """Prove or refute every property of a workflow.

    Exit 0 all proved (or vacuous), 1 some violated, 2 invalid input, 3 some unknown.
    """
    _guarded(run_verify)(path=file, bound=bound, timeout=timeout, properties=properties, fmt=fmt,
                         engine=engine, jobs=jobs, output=output)


@main.command("trace")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.argument("traces", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit", "sarif", "github", "html"]),
              default="text", show_default=True,
              help="For people (text; html: a self-contained page), machines (json) or CI (junit, sarif, github).")
@click.option("--precision", type=click.Choice(["conservative", "values"]), default=None,
              help="What an agent's writing carries: its whole context label (conservative, as verify) "
                   "or the labels of the values in it. Default: the spec's `precision`, else conservative.")
@click.option("--input-format", type=click.Choice(["auto", "openai", "anthropic", "otel", "native"]),
              default="auto", show_default=True, help="How the trace files are written (auto: detect per file).")
@click.option("-j", "--jobs", type=click.IntRange(0), default=1, show_default=True,
              help="Processes to check files in parallel (0: one per CPU).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to a file instead of stdout.")
@click.option("--cluster", is_flag=False, flag_value="local", default=None, metavar="[ADDRESS]",
              help="Check on Dask: alone, a local cluster; or a scheduler's address (tcp://HOST:8786). "
                   "Needs the `cluster` extra.")
@click.option("--workers", type=click.IntRange(1), default=None,
              help="Worker processes of the local cluster (default: one per CPU).")
@click.option("--partition-size", "partition_mib", type=click.FloatRange(min=0, min_open=True), default=None,
              help="MiB of a large JSON Lines file per partition (default 32).")
@click.option("--checkpoint", type=click.Path(dir_okay=False),
              help="Record each partition done in this file (implies --cluster).")
@click.option("--resume", is_flag=True, help="Go on from --checkpoint after an interruption.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def trace_cmd(spec, traces, fmt, precision, input_format, jobs, output, cluster, workers, partition_mib,
              checkpoint, resume, quiet):
    """Check recorded agent runs (files or directories of traces) against a workflow.

    TRACES are files, directories, globs or fsspec URLs (s3://bucket/runs/*.jsonl,
    gs://...: the `s3` or `gcs` extra).

    Every trace is reported as passing or failing, with each violation's address: the
    trace file and line, the event's index, the property and where the spec declares it.

    \b
    Exit codes:
      0  every trace was read completely and none violates the spec
      1  some trace violates the spec (even if other input was unreadable)
      2  invalid input: the spec has errors, or no violation was found but some trace
         could not be read, in whole or in part
      70 internal error
    """
    _guarded(run_trace)(spec=spec, traces=traces, fmt=fmt, precision=precision, input_format=input_format,
                        jobs=jobs, output=output, cluster=cluster, workers=workers, partition_mib=partition_mib,
                        checkpoint=checkpoint, resume=resume, quiet=quiet)


def run_mine(traces: tuple[str, ...], output: str | None = None, k: int = 2,
             max_states: int | None = None, labels: str | None = None, input_format: str = "auto",
             min_support: int = 2, replies: bool = True) -> int:
    name = os.path.splitext(os.path.basename(output))[0] if output and output != "-" else "mined"
    try:
        result = api.mine(list(traces), k, max_states, labels,
                          None if input_format == "auto" else input_format, min_support, name, replies)
    except api.InvalidWorkflow as exc:
        _echo_diagnostics(exc.result)
        return EXIT_INVALID
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        click.echo("  = help: raise --max-states, or mine fewer kinds of runs at once", err=True)
        return EXIT_INVALID
    for problem in result.problems:
        where = problem.location
        click.echo(f"{where.file}:{where.line}: error[{problem.code}]: {problem.message}"
                   + (f" ({where.pointer})" if where.pointer else ""), err=True)
    if result.mined is None or result.problems:
        click.echo("error: nothing written: " + ("no trace could be read" if result.mined is None
                                                 else "fix the unreadable input first"), err=True)
        return EXIT_INVALID
    mined = result.mined
    _write(mined.text, output)
    click.echo(f"mined {_count(mined.runs, 'run')} ({_count(mined.events, 'event')}): {_count(mined.states, 'state')}, "
               f"{_count(mined.transitions, 'transition')} (k = {mined.k}), "
               f"{_count(len(mined.properties), 'property', 'properties')}, "
               f"{_count(len(mined.candidates), 'candidate')} as comments", err=True)
    return EXIT_OK


@main.command("mine")
@click.argument("traces", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the spec to a file instead of stdout.")
@click.option("--k", "k", type=click.IntRange(0), default=2, show_default=True,
              help="k-tails depth: states are merged when the next K steps can be the same.")
@click.option("--max-states", type=click.IntRange(1), default=None,
              help="Size bound: lower k until the machine has at most this many states.")
@click.option("--labels", type=click.Path(dir_okay=False),
              help="A spec or catalog whose labels, agents, tools, events and map lines are used "
                   "as they are; only the control structure and properties are mined.")
@click.option("--input-format", type=click.Choice(["auto", "openai", "anthropic", "otel", "native"]),
              default="auto", show_default=True, help="How the trace files are written (auto: detect per file).")
@click.option("--min-support", type=click.IntRange(1), default=2, show_default=True,
              help="Runs a property must apply to before it is written as a property.")
@click.option("--replies/--no-replies", default=True, show_default=True,
              help="Whether agents' text replies are steps of the machine (--no-replies: context, "
                   "for agents that talk between tool calls).")
def mine_cmd(traces, output, k, max_states, labels, input_format, min_support, replies):
    """Learn a workflow spec from recorded runs (files or directories of traces).

    The state machine is a prefix tree of the runs merged by k-tails; the properties are
    those that held in every run (`requires earlier`, `at most`, `never ... by`,
    `no flow from`), the close misses are comments with their counts. Tools come with
    what was seen of them; their labels are left for you to fill in (or give --labels).

    \b
    Exit codes:
      0  the spec was written
      2  invalid input: a trace could not be read, the --labels file has errors, or no
         machine fits --max-states
      70 internal error
    """
    _guarded(run_mine)(traces=traces, output=output, k=k, max_states=max_states, labels=labels,
                       input_format=input_format, min_support=min_support, replies=replies)


@main.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["promela"]), default="promela", show_default=True,
              help="The target language (promela: for the SPIN model checker).")
@click.option("-o", "--output", type=click.Path(),
              help="Write to this file (a directory, one PROPERTY.pml each, when several properties are exported).")
@click.option("--property", "prop", help="Export only the model for this property.")
def export_cmd(file, fmt, output, prop):
    """Translate a workflow for another model checker, one model per property.

    \b
    For SPIN: spin -a M.pml && cc -O2 -DSAFETY -o pan pan.c && ./pan
    (`terminates` properties: without -DSAFETY, and ./pan -a). Each model's header says how.
    Several properties need -o DIR (one PROPERTY.pml each) or --property P.
    Exit 0 written, 2 invalid input (or unknown property), 70 internal error.
    """
    _guarded(run_export)(path=file, fmt=fmt, output=output, prop=prop)


@main.command("lean")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              help="The directory to write the Lake project to (created if needed).")
@click.option("--trace", "trace", multiple=True, type=click.Path(),
              help="A recorded trace (file or directory) to export as a run (repeatable).")
@click.option("--trace-format", type=click.Choice(["auto", "openai", "anthropic", "otel", "native"]),
              default="auto", show_default=True, help="How the trace files are written.")
@click.option("--engine", type=click.Choice(["portfolio", "smt", "explicit"]), default="smt", show_default=True,
              help="The checker whose verdicts the proofs follow.")
@click.option("--bound", type=click.IntRange(0), default=50, show_default=True,
              help="Longest counterexample searched for.")
@click.option("--timeout", type=click.FloatRange(0, min_open=True), default=10.0, show_default=True,
              help="Seconds per property.")
@click.option("--max-configs", type=click.IntRange(1), default=None,
              help="Largest reachable set emitted as a kernel-checked certificate (default 2000).")
@click.option("-j", "--jobs", type=click.IntRange(0), default=0, show_default=True,
              help="Processes deciding properties side by side (0: one per CPU).")
def lean_cmd(file, output, trace, trace_format, engine, bound, timeout, max_configs, jobs):
    """Export a workflow, its properties and their proofs as a Lean 4 project.

    Proved properties get certificates checked by the Lean kernel, violated ones their
    counterexample; build with `cd OUTPUT && lake build` (see docs/lean.md).

    \b
    Exit codes: 0 written (whatever the verdicts), 2 invalid input (also a --trace
    that cannot be read in full; nothing is written then), 70 internal error.
    """
    _guarded(run_lean)(path=file, output=output, trace=trace, engine=engine, bound=bound, timeout=timeout,
                       max_configs=max_configs, trace_format=trace_format, jobs=jobs)


def run_gate_mcp(spec: str, command: tuple[str, ...], url: tuple[str, ...] = (), audit: str | None = None,
                 timeout: float = 60.0, agent: str | None = None, fsync: str = "flush") -> int:
    return _run_proxy(spec, command, url, "", lambda model: api.gate_mcp(model, command, url, audit, timeout, agent,
                                                                         fsync))


def run_gate_mcp_http(spec: str, command: tuple[str, ...], url: tuple[str, ...], listen: str,
                      audit: str | None = None, audit_dir: str | None = None, tokens: tuple[str, ...] = (),
                      timeout: float = 60.0, agent: str | None = None, fsync: str = "flush") -> int:
    """`wfcheck gate mcp SPEC --listen HOST:PORT`: the proxy over streamable HTTP."""
    if audit is not None:
        click.echo("error: --audit is one run's log; with --listen each MCP session has its own\n"
                   "  = help: --audit-dir DIR", err=True)
        return EXIT_INVALID
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or int(port) > 65535:
        click.echo(f"error: --listen `{listen}` is not HOST:PORT\n  = help: --listen 127.0.0.1:8701", err=True)
        return EXIT_INVALID

    def ready(bound: int) -> None:
        click.echo(f"wfcheck gate: MCP proxy on http://{host}:{bound}/mcp", err=True)

    return _run_proxy(spec, command, url, " --listen HOST:PORT", lambda model: api.gate_mcp_http(
        model, command, url, host.strip("[]"), int(port), audit_dir, tokens, timeout, agent, fsync, ready=ready))


def _run_proxy(spec: str, command: tuple[str, ...], url: tuple[str, ...], how: str, serve) -> int:
    """Check SPEC and that there is an upstream, then `serve(model)` until it ends."""
    result = _load_ok(spec, "text")
    if result is None:
        return EXIT_INVALID
    if not command and not url:
        click.echo(f"error: no MCP server to proxy\n  = help: wfcheck gate mcp SPEC{how} -- COMMAND... "
                   "or --url URL", err=True)
        return EXIT_INVALID
    try:
        serve(result.model)
    except ModuleNotFoundError as exc:
        return _needs_extra("`wfcheck gate`", "gate", exc)
    except ConnectionError as exc:
        click.echo(f"error: {exc}", err=True)
        return EXIT_INVALID
    return EXIT_OK


def run_gate_serve(specs: tuple[str, ...], tokens: tuple[str, ...], host: str = "127.0.0.1", port: int = 8700,
                   audit_dir: str | None = None, fsync: str = "flush", max_events: int | None = None,
                   max_sessions: int | None = None, max_body: int | None = None,
                   idle_timeout: float | None = None) -> int:
    for item in specs:
        if _load_ok(item.partition("=")[2] if "=" in item else item, "text") is None:
            return EXIT_INVALID
    if not tokens:
        click.echo("error: no bearer token\n  = help: --token SECRET (every spec) or --token SECRET=spec1,spec2",
                   err=True)
        return EXIT_INVALID
    try:
        gate = api.gate_service(specs, tokens, audit_dir, fsync, max_events, max_sessions, max_body, idle_timeout)
        click.echo(f"wfcheck gate: serving {len(specs)} spec(s) on http://{host}:{port}", err=True)
        api.gate_serve(gate, host, port)
    except ModuleNotFoundError as exc:
        return _needs_extra("`wfcheck gate`", "gate", exc)
    return EXIT_OK


@main.group("gate")
def gate_group() -> None:
    """Enforce a spec on a live agent: an MCP proxy or an HTTP policy service (docs/gate.md)."""


FSYNC = click.Choice(["always", "flush", "never"])


@gate_group.command("mcp", context_settings={"ignore_unknown_options": True})
@click.argument("spec", type=click.Path(dir_okay=False))
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
@click.option("--url", multiple=True, help="A streamable-HTTP MCP server to proxy too (repeatable).")
@click.option("--audit", type=click.Path(dir_okay=False), help="Append every decision to this JSONL audit log.")
@click.option("--fsync", type=FSYNC, default="flush", show_default=True, help="When the audit log reaches the disk.")
@click.option("--timeout", type=click.FloatRange(0, min_open=True), default=60.0, show_default=True,
              help="Seconds an upstream tool call may take.")
@click.option("--agent", help="The agent's name in the spec, for the calls through this proxy.")
@click.option("--listen", metavar="HOST:PORT", help="Serve the proxy over streamable HTTP at http://HOST:PORT/mcp "
              "instead of stdio: one gated run per MCP session.")
@click.option("--audit-dir", type=click.Path(file_okay=False), help="With --listen: one JSONL audit log per MCP "
              "session here.")
@click.option("--token", "tokens", multiple=True, envvar="WFCHECK_GATE_TOKENS", help="With --listen: a bearer token "
              "every request must carry (repeatable; none: no check).")
def gate_mcp_cmd(spec, command, url, audit, fsync, timeout, agent, listen, audit_dir, tokens):
    """Proxy MCP servers over stdio (or streamable HTTP), refusing tool calls that break SPEC.

    \b
    wfcheck gate mcp banking.wf -- python bank_server.py
    wfcheck gate mcp banking.wf --listen 127.0.0.1:8701 --audit-dir audit/ -- python bank_server.py
    Exit codes: 0 the client closed the session (or the server was stopped), 2 invalid input,
    70 internal error.
    """
    if listen is not None:
        _guarded(run_gate_mcp_http)(spec=spec, command=command, url=url, listen=listen, audit=audit,
                                    audit_dir=audit_dir, tokens=tokens, timeout=timeout, agent=agent, fsync=fsync)
    _guarded(run_gate_mcp)(spec=spec, command=command, url=url, audit=audit, timeout=timeout, agent=agent,
                           fsync=fsync)


@gate_group.command("serve")
@click.argument("specs", nargs=-1, required=True)
@click.option("--token", "tokens", multiple=True, envvar="WFCHECK_GATE_TOKENS", help="A bearer token: SECRET "
              "(every spec) or SECRET=spec1,spec2 (repeatable).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8700, show_default=True)
@click.option("--audit-dir", type=click.Path(file_okay=False), help="Write one JSONL audit log per session here.")
@click.option("--fsync", type=FSYNC, default="flush", show_default=True, help="When audit logs reach the disk.")
@click.option("--max-events", type=click.IntRange(1), help="Events per session (default 100000).")
@click.option("--max-sessions", type=click.IntRange(1), help="Open sessions (default 10000).")
@click.option("--max-body", type=click.IntRange(1), help="Bytes per request (default 1 MiB).")
@click.option("--idle-timeout", type=click.FloatRange(0, min_open=True), help="Seconds before an idle session "
              "is closed (default 600).")
def gate_serve_cmd(specs, tokens, host, port, audit_dir, fsync, max_events, max_sessions, max_body, idle_timeout):
    """Serve SPECS (PATH or NAME=PATH) as an HTTP policy service (docs/gate.md).

    \b
    Exit codes: 0 stopped, 2 invalid input, 70 internal error.
    """
    _guarded(run_gate_serve)(specs=specs, tokens=tokens, host=host, port=port, audit_dir=audit_dir, fsync=fsync,
                             max_events=max_events, max_sessions=max_sessions, max_body=max_body,
                             idle_timeout=idle_timeout)


@main.command("lsp")
def lsp_cmd():
    """Run the language server for `.wf` files on stdin/stdout (for editors; needs the
    `lsp` extra): diagnostics, hover, definitions, references, completion, symbols, formatting.
    """
    _guarded(run_lsp)()


@main.command("diff")
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", type=click.Path(dir_okay=False))
@click.option("--rename", "renames", multiple=True, metavar="OLD=NEW",
              help="A declaration (tool, event, agent, variable) renamed in NEW (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "github"]), default="text",
              show_default=True, help="For people (text), machines (json) or CI (sarif, github).")
@click.option("--engine", type=click.Choice(["portfolio", "explicit", "smt"]), default="portfolio", show_default=True,
              help="The checker that decides the old properties on both versions (as verify's).")
@click.option("--bound", type=click.IntRange(0), default=50, show_default=True)
@click.option("--timeout", type=click.FloatRange(0, min_open=True), default=10.0, show_default=True,
              help="Seconds per property.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to a file.")
@click.option("-j", "--jobs", type=click.IntRange(0), default=0, show_default=True,
              help="Processes (0: one per CPU): the runs are compared beside the property checks.")
def diff_cmd(old, new, renames, fmt, engine, bound, timeout, output, jobs):
    """Compare two versions of a workflow: the shortest runs NEW allows that OLD forbade (and
    the reverse), loosened labels, sinks and permissions, and OLD's properties that fail on NEW.

    \b
    Exit codes: 0 no new behaviour; 1 new runs, loosened declarations or a
    property of OLD violated on NEW; 2 invalid input; 3 otherwise undecided (the
    runs NEW adds, or a property proved on OLD and unknown on NEW, as verify's 3);
    70 internal error.
    """
    _guarded(run_diff)(old=old, new=new, renames=renames, fmt=fmt, engine=engine, bound=bound,
                       timeout=timeout, output=output, jobs=jobs)


@main.command("repair")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--property", "properties", multiple=True, help="Repair only this property (repeatable).")
@click.option("--apply", type=click.IntRange(1), default=None, help="Write repair N (as numbered) to FILE.")
@click.option("--allow-unreachable", is_flag=True, help="Accept repairs that make a control state unreachable.")
@click.option("--max-candidates", type=click.IntRange(1), default=240, show_default=True,
              help="Candidate edits tried per property.")
@click.option("--timeout", type=click.FloatRange(0, min_open=True), default=8.0, show_default=True,
              help="Seconds for each property's search (no candidate is started after it).")
def repair_cmd(file, properties, apply, allow_unreachable, max_candidates, timeout):
    """Propose verified edits that make each violated property hold, keeping every property
    that held and every reachable state, each as a unified diff of FILE.

    \b
    Exit codes: 0 every violated property has a repair (or none is violated), 1 some
    property has none within the budget, 2 invalid input, 70 internal error.
    """
    _guarded(run_repair)(path=file, properties=properties, apply=apply, allow_unreachable=allow_unreachable,
                         max_candidates=max_candidates, timeout=timeout)


if __name__ == "__main__":  # pragma: no cover
    main()
