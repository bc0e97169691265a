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
    """Check `path`; on errors print them (text) and return None."""
    result = check_file(path)
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
            m = result.model
            click.echo(f"{path}: ok — workflow `{m.name}`: {len(m.states)} states, {len(m.edges)} edges, "
                       f"{len(m.agents)} agents, {len(m.tools)} tools, {len(m.properties)} properties"
                       + (f", {warnings} warning{'s' * (warnings != 1)}" if warnings else ""))
        else:
            click.echo(f"{path}: {errors} error{'s' * (errors != 1)}", err=True)
    if fmt == "json":
        click.echo(json.dumps(outputs, indent=2))
    return code


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
               fmt: str = "text", engine: str = "smt", jobs: int = 0) -> int:
    result = _load_ok(path, fmt)
    if result is None:
        return EXIT_INVALID
    try:
        report = api.verify(result.model, engine, bound, timeout, list(properties) or None, jobs)
    except KeyError as exc:
        _unknown_property(exc.args[0], result)
        return EXIT_INVALID
    click.echo(api.render_verification_as(report, fmt, path, result.sources), nl=False)
    return report.exit_code


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
              input_format: str = "auto", jobs: int = 1, output: str | None = None) -> int:
    result = _load_ok(spec, "json" if fmt == "json" else "text")
    if result is None:
        return EXIT_INVALID
    progress = _TraceProgress()
    try:
        report = api.check_traces(result.model, list(traces), precision,
                              None if input_format == "auto" else input_format, jobs, progress)
    finally:
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
        click.echo(f"wrote {len(models)} models to {output}/", err=True)
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
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit", "sarif", "github"]), default="text",
              show_default=True, help="For people (text), machines (json) or CI (junit, sarif, github).")
@click.option("--engine", type=click.Choice(["smt", "explicit"]), default="smt", show_default=True,
              help="z3 (proofs for all run lengths) or the explicit-state reference checker.")
@click.option("-j", "--jobs", type=click.IntRange(0), default=0, show_default=True,
              help="Processes deciding properties side by side (0: one per CPU).")
def verify_cmd(file, bound, timeout, properties, fmt, engine, jobs):
    """Prove or refute every property of a workflow.

    Exit 0 all proved (or vacuous), 1 some violated, 2 invalid input, 3 some unknown.
    """
    _guarded(run_verify)(path=file, bound=bound, timeout=timeout, properties=properties, fmt=fmt,
                         engine=engine, jobs=jobs)


@main.command("trace")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.argument("traces", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit", "sarif", "github"]), default="text",
              show_default=True, help="For people (text), machines (json) or CI (junit, sarif, github).")
@click.option("--precision", type=click.Choice(["conservative", "values"]), default=None,
              help="What an agent's writing carries: its whole context label (conservative, as verify) "
                   "or the labels of the values in it. Default: the spec's `precision`, else conservative.")
@click.option("--input-format", type=click.Choice(["auto", "openai", "anthropic", "otel", "native"]),
              default="auto", show_default=True, help="How the trace files are written (auto: detect per file).")
@click.option("-j", "--jobs", type=click.IntRange(0), default=1, show_default=True,
              help="Processes to check files in parallel (0: one per CPU).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to a file instead of stdout.")
def trace_cmd(spec, traces, fmt, precision, input_format, jobs, output):
    """Check recorded agent runs (files or directories of traces) against a workflow.

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
                        jobs=jobs, output=output)


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
@click.option("--engine", type=click.Choice(["smt", "explicit"]), default="smt", show_default=True,
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


if __name__ == "__main__":  # pragma: no cover
    main()
