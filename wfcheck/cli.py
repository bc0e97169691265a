"""The `wfcheck` command: a thin layer over the library. Each subcommand is a function
that returns its exit code, so tests and other programs can call it directly.

Exit codes: 0 success; 1 a property is violated (verify) or a file would be reformatted
(fmt --check); 2 invalid input; 3 a property could not be decided (verify).
"""
from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Callable

import click

from wfcheck import __version__
from wfcheck.api import CheckResult, check_file
from wfcheck.spec.diagnostics import render_human

EXIT_OK, EXIT_FAIL, EXIT_INVALID, EXIT_UNKNOWN, EXIT_INTERNAL = 0, 1, 2, 3, 70


def _echo_diagnostics(result: CheckResult, err: bool = True) -> None:
    for diag in result.diagnostics:
        click.echo(render_human(diag, result.sources) + "\n", err=err)


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
    from wfcheck.spec.graph import structural_findings

    outputs, code = [], EXIT_OK
    for path in paths:
        result = check_file(path)
        diagnostics = result.diagnostics
        if result.ok:
            diagnostics = diagnostics + structural_findings(result.model)
        if not result.ok:
            code = EXIT_INVALID
        if fmt == "json":
            outputs.append({"file": path, "ok": result.ok, "diagnostics": [d.to_json() for d in diagnostics]})
            continue
        for diag in diagnostics:
            click.echo(render_human(diag, result.sources) + "\n", err=True)
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
    from wfcheck.spec import export

    result = _load_ok(path, "text")
    if result is None:
        return EXIT_INVALID
    if fmt == "json":
        text = json.dumps(export.to_json(result.model), indent=2) + "\n"
    else:
        text = export.to_dot(result.model) if fmt == "dot" else export.to_mermaid(result.model)
    _write(text, output)
    return EXIT_OK


def _write(text: str, output: str | None) -> None:
    if output is None or output == "-":
        click.echo(text, nl=False)
    else:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)


def run_fmt(paths: tuple[str, ...], check: bool = False, stdout: bool = False) -> int:
    from wfcheck.api import format_file

    code = EXIT_OK
    for path in paths:
        formatted = format_file(path)
        if formatted.diagnostics:
            for diag in formatted.diagnostics:
                click.echo(render_human(diag, formatted.sources) + "\n", err=True)
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
               fmt: str = "text", engine: str = "smt") -> int:
    from wfcheck.checker.render import render_text
    from wfcheck.checker.verify import verify_model

    result = _load_ok(path, fmt)
    if result is None:
        return EXIT_INVALID
    try:
        report = verify_model(result.model, engine, bound, timeout, list(properties) or None)
    except KeyError as exc:
        names = ", ".join(f"`{p.name}`" for p in result.model.properties)
        click.echo(f"error[WF701]: unknown property `{exc.args[0]}`\n  = help: the properties are {names}", err=True)
        return EXIT_INVALID
    if fmt == "json":
        click.echo(json.dumps({"file": path, **report.to_json()}, indent=2))
    else:
        click.echo(render_text(report, path, result.sources), nl=False)
    return report.exit_code


# ---------------------------------------------------------------- click wiring


def _guarded(fn: Callable[..., int]) -> Callable[..., None]:
    """Exit with the subcommand's code; an unexpected exception is an internal error with a
    short message (set WFCHECK_DEBUG=1 for the traceback), never a bare traceback."""
    def wrapper(**kwargs) -> None:
        try:
            code = fn(**kwargs)
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
@click.version_option(__version__, prog_name="wfcheck")
def main() -> None:
    """Specify, verify and monitor LLM-agent workflows.

    \b
    Exit codes: 0 ok; 1 violated (verify) or would reformat (fmt --check);
    2 invalid input; 3 undecided property (verify); 70 internal error.
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
@click.option("--format", "fmt", type=FORMAT_TEXT_JSON, default="text", show_default=True)
@click.option("--engine", type=click.Choice(["smt", "explicit"]), default="smt", show_default=True,
              help="z3 (proofs for all run lengths) or the explicit-state reference checker.")
def verify_cmd(file, bound, timeout, properties, fmt, engine):
    """Prove or refute every property of a workflow.

    Exit 0 all proved (or vacuous), 1 some violated, 2 invalid input, 3 some unknown.
    """
    _guarded(run_verify)(path=file, bound=bound, timeout=timeout, properties=properties, fmt=fmt, engine=engine)


if __name__ == "__main__":  # pragma: no cover
    main()
