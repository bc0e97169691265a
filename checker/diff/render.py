"""`wfcheck diff` reports: text for people, JSON, SARIF 2.1.0 and GitHub annotations. Each
finding points at the line of the version that says it (the new version's transition that
the old one cannot match, the tool whose label moved, the old property that was lost), so a
pull request that loosens a spec is annotated where it changed."""
from __future__ import annotations

import json
from dataclasses import dataclass

from wfcheck.checker.verify.explain import explain
from wfcheck.checker.verify.render import run_lines as verify_run_lines
from wfcheck.checker.verify.result import Run
from wfcheck.checker.verify.run import run_steps_json
from wfcheck.spec.span import NO_SPAN, Span
from wfcheck.spec.system import System
from wfcheck.spec.version import __version__

from .compare import LOOSENING, DiffReport
from .runs import EXTRA, UNKNOWN

FORMATS = ("text", "json", "sarif", "github")
RULES = {
    "new-run": "the new version allows a run the old one forbade",
    "removed-run": "the old version allowed a run the new one forbids",
    "lost-property": "a property of the old version no longer holds",
    "label-change": "a label, sink or permission was loosened",
    "undecided": "the comparison did not finish within its budget",
}


@dataclass(frozen=True)
class Finding:
    rule: str
    level: str         # "error" (exit 1) | "warning" (exit 3) | "note"
    message: str
    span: Span
    detail: tuple[str, ...] = ()
    related: tuple[Span, ...] = ()   # the other lines of its run (SARIF relatedLocations)


def run_lines(system: System, run: Run, prop=None, last_note: str | None = None) -> list[str]:
    """A run as `verify` prints a counterexample (its values at the start, then each step
    with its control states, line, the values it changed and the notes)."""
    start = ", ".join(f"{v.name} = {_show(run.configs[0][v.name])}" for v in system.vars
                      if v.role == "data" and v.name in run.configs[0])
    lines = [f"  initially: {start or 'no variables'} (at `{run.configs[0]['state']}`)"]
    lines += verify_run_lines(explain(system, prop, run), "  ")
    if last_note:
        lines.append(f"       ← {last_note}")
    return lines


def _show(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _place(report: DiffReport, system: System, run: Run) -> tuple[Span, tuple[Span, ...]]:
    """Where a run's finding goes: its last step, unless that line is unchanged and an
    earlier step's line changed (then the latest such step, so a pull request is annotated
    on the lines it changed); the other steps' lines as related."""
    spans = [system.model.edges[i].span for i in run.edges]
    if not spans:
        return system.model.span, ()
    where = spans[-1]
    changed = report.changed
    if where.file in changed and where.line not in changed[where.file]:
        where = next((s for s in reversed(spans) if s.line in changed.get(s.file, ())), where)
    return where, tuple(dict.fromkeys(s for s in spans if s != where))


def _undecided(difference) -> str:
    if difference.method == "bounded":
        return (f"more than {difference.pairs} pairs of configurations and no one-step simulation: "
                f"z3 found no difference in runs of up to {difference.depth} steps (bounded, not proved beyond)")
    return f"more than {difference.pairs} pairs of configurations: no difference in runs of up to {difference.depth} steps"


def findings(report: DiffReport) -> list[Finding]:
    out: list[Finding] = []
    for difference, system, rule, level in ((report.added, report.new_system, "new-run", "error"),
                                            (report.removed, report.old_system, "removed-run", "note")):
        if difference.status == EXTRA:
            run = difference.run
            last = system.model.edges[run.edges[-1]]
            other = "old" if rule == "new-run" else "new"
            where, related = _place(report, system, run)
            at = f" (at {last.span})" if where != last.span else ""
            out.append(Finding(rule, level, f"after {len(run) - 1} matching step(s), the {other} version cannot take "
                                            f"`{last.action}`{at}", where,
                               tuple(run_lines(system, run, last_note=f"the {other} version cannot take this step")),
                               related))
        elif difference.status == UNKNOWN:
            out.append(Finding("undecided", "warning", _undecided(difference), report.new.span))
    for change in report.changes:
        out.append(Finding("label-change", "error" if change.kind in LOOSENING else "note", change.message, change.span))
    for lost in report.regressions:
        out.append(_lost(report, lost))
    return out


def _lost(report: DiffReport, lost) -> Finding:
    if lost.new is None:
        return Finding("lost-property", "error", f"property `{lost.name}` held on the old version and cannot "
                                                 f"be checked on the new one: {lost.reason}", lost.property.span)
    if lost.undecided:
        declared = next((p.span for p in report.new.properties if p.name == lost.name), lost.property.span)
        reason = lost.new.reason or "undecided"
        if lost.new.bound is not None and "steps" not in reason:
            reason += f"; no violation up to {lost.new.bound} steps"
        return Finding("lost-property", "warning", f"property `{lost.name}` ({lost.old.status} on the old version) "
                                                   f"is no longer proved on the new one: {reason}", declared)
    run = lost.new.counterexample
    where, related, detail = report.new.span, (), ()
    if run is not None and run.edges:
        where, related = _place(report, report.new_system, run)
        detail = tuple(run_lines(lost.system, run, lost.property))
    return Finding("lost-property", "error", f"property `{lost.name}` ({lost.old.status} on the old version) "
                                             f"is violated on the new one", where, detail, related)


def render(report: DiffReport, fmt: str, old_path: str, new_path: str) -> str:
    items = findings(report)
    return {"text": _text, "json": _json, "sarif": _sarif, "github": _github}[fmt](report, items, old_path, new_path)


def _summary(report: DiffReport) -> str:
    def side(d):
        if d.status == EXTRA:
            return "yes"
        if d.status == UNKNOWN:
            return f"unknown (none up to {d.depth} steps{', bounded' if d.method == 'bounded' else ''})"
        return "none (proved for every length" + (" by simulation)" if d.method == "simulation" else ")")
    undecided = sum(1 for g in report.regressions if g.undecided)
    lost = f"{len(report.regressions) - undecided} lost property(ies)"
    if undecided:
        lost += f", {undecided} no longer proved (unknown on the new version)"
    return (f"new runs: {side(report.added)}; removed runs: {side(report.removed)}; "
            f"{len(report.changes)} declaration change(s); {lost}")


def _text(report, items, old_path, new_path) -> str:
    lines = [f"{old_path} -> {new_path}: workflow `{report.old.name}` -> `{report.new.name}`"]
    for item in items:
        where = f" at {item.span}" if item.span != NO_SPAN and item.span.line else ""
        lines.append(f"{item.level}[{item.rule}]: {item.message}{where}")
        lines.extend(item.detail)
    lines.append(_summary(report))
    return "\n".join(lines) + "\n"


def _difference_json(difference, model) -> dict:
    run = difference.run
    return {"status": difference.status, "method": difference.method, "pairs": difference.pairs,
            "depth": difference.depth,
            "run": {**run.to_json(), "steps": run_steps_json(model, run)} if run is not None else None}


def _lost_json(report, lost) -> dict:
    status = "not-statable" if lost.new is None else lost.new.status
    new = lost.new.to_json() if lost.new else None
    if new is not None and lost.new.counterexample is not None:
        new["counterexample"]["steps"] = run_steps_json(report.new, lost.new.counterexample)
    return {"name": lost.name, "old": lost.old.status, "status": status, "new": new, "reason": lost.reason}


def _json(report, items, old_path, new_path) -> str:
    body = {
        "old": old_path, "new": new_path, "exit_code": report.exit_code,
        "added": _difference_json(report.added, report.new),
        "removed": _difference_json(report.removed, report.old),
        "changes": [{"kind": c.kind, "name": c.name, "message": c.message, "span": c.span.to_json()}
                    for c in report.changes],
        "lost_properties": [_lost_json(report, g) for g in report.regressions],
        "findings": [{"rule": f.rule, "level": f.level, "message": f.message, "span": f.span.to_json()}
                     for f in items],
    }
    return json.dumps(body, indent=2) + "\n"


def _location(span: Span) -> dict:
    return {"physicalLocation": {"artifactLocation": {"uri": span.file},
                                 "region": {"startLine": span.line, "startColumn": span.column,
                                            "endLine": span.end_line, "endColumn": span.end_column}}}


def _sarif(report, items, old_path, new_path) -> str:
    results = []
    for item in items:
        result = {"ruleId": item.rule, "level": item.level, "message": {"text": "\n".join((item.message,) + item.detail)}}
        if item.span != NO_SPAN and item.span.line:
            result["locations"] = [_location(item.span)]
        if item.related:
            result["relatedLocations"] = [{"id": i, **_location(s)} for i, s in enumerate(item.related)]
        results.append(result)
    doc = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
           "runs": [{"tool": {"driver": {"name": "wfcheck diff", "version": __version__,
                                         "rules": [{"id": k, "shortDescription": {"text": v}} for k, v in RULES.items()]}},
                     "results": results}]}
    return json.dumps(doc, indent=2) + "\n"


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github(report, items, old_path, new_path) -> str:
    lines = []
    for item in items:
        command = {"error": "error", "warning": "warning"}.get(item.level, "notice")
        params = []
        if item.span != NO_SPAN and item.span.line:
            params += [f"file={item.span.file}", f"line={item.span.line}", f"col={item.span.column}"]
        params.append(f"title=wfcheck diff {item.rule}")
        lines.append(f"::{command} {','.join(params)}::{_escape(chr(10).join((item.message,) + item.detail))}")
    lines.append(f"::notice title=wfcheck diff::{_summary(report)}")
    return "\n".join(lines) + "\n"
