"""Text and JSON renderings of a verification report."""
from __future__ import annotations

from .explain import explain
from .result import PROVED, UNKNOWN, VACUOUS, VIOLATED
from .run import Report

MARK = {PROVED: "✓", VIOLATED: "✗", UNKNOWN: "?", VACUOUS: "~"}


def _location(span) -> str:
    return f"{span.file}:{span.line}"


def render_text(report: Report, path: str, sources=None) -> str:
    """The report for a terminal; `sources` (a SourceMap) lets it quote each property."""
    model = report.model
    counts = ", ".join(f"{report.count(s)} {s}" for s in (PROVED, VIOLATED, VACUOUS, UNKNOWN) if report.count(s))
    n_props = len(report.results)
    lines = [f"{path}: workflow `{model.name}`, {n_props} propert{'y' if n_props == 1 else 'ies'}: {counts} "
             f"({report.seconds:.2f}s, {report.engine})"]
    width = max((len(r.name) for r in report.results), default=0)
    for result in report.results:
        prop = model.property(result.name)
        head = f"  {MARK[result.status]} {result.name.ljust(width)}  {result.status}"
        if result.status == PROVED:
            head += f" for all runs{_how(result)}"
        elif result.status == VIOLATED and result.counterexample is not None:
            n = len(result.counterexample)
            kind = "a run that never ends" if result.counterexample.loop_start is not None else f"{n} step{'s' * (n != 1)}"
            head += f" by {kind}"
            if result.reason:
                head += f" ({result.reason})"
        elif result.status == UNKNOWN:
            reason = result.reason or "undecided"
            if result.bound is not None and "steps" not in reason:   # say the depth once, not twice
                reason += f"; no violation up to {result.bound} steps"
            head += f": {reason}"
        elif result.status == VACUOUS:
            head += ": the actions it is about can never happen, so it says nothing"
        if report.engine == "portfolio":
            head += f"  [{result.engine}]"
        lines.append(head)
        quoted = sources.line(prop.span.file, prop.span.line) if sources is not None else None
        if prop.implicit:
            lines.append(f"      {prop.text}")
        elif quoted:
            lines.append(f"      {quoted.strip()}")
        lines.append(f"      --> {prop.span}")
        if result.status == VIOLATED and result.counterexample is not None:
            lines.extend(run_lines(explain(report.system, prop, result.counterexample), "      "))
    return "\n".join(lines) + "\n"


def run_lines(steps, indent: str) -> list[str]:
    """Explained steps as `verify` prints a counterexample: the action, the control states
    and the line of each step, then what changed and the notes."""
    lines = []
    for step in steps:
        lines.append(f"{indent}{step.number}. {step.action}: {step.source} -> {step.target}   [{_location(step.span)}]")
        lines.extend(f"{indent}     {c}" for c in step.changes)
        lines.extend(f"{indent}     ← {n}" for n in step.notes)
    return lines


def _how(result) -> str:
    method = result.details.get("method") if result.details else None
    return f" ({method})" if method else ""
