"""`wfcheck diff` reports: text for people, JSON, SARIF 2.1.0 and GitHub annotations. Each
finding points at the line of the version that says it (the new version's transition that
the old one cannot match, the tool whose label moved, the old property that was lost), so a
pull request that loosens a spec is annotated where it changed."""
from __future__ import annotations

import json
from dataclasses import dataclass

from wfcheck.checker.verify.result import Run
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
    level: str         # "error" (exit 1) | "note"
    message: str
    span: Span
    detail: tuple[str, ...] = ()


def run_lines(system: System, run: Run) -> list[str]:
    """A run step by step: the transition and its line, then the variables that changed."""
    edges = {st.index: st.edge for st in system.steps}
    lines = ["  " + _config_text(run.configs[0], None)]
    for i, index in enumerate(run.edges):
        edge = edges[index]
        lines.append(f"  {i + 1}. {edge.source} -> {edge.target} on {edge.action}  ({edge.span})")
        if i + 1 < len(run.configs):
            lines.append("     " + _config_text(run.configs[i + 1], run.configs[i]))
    return lines


def _config_text(config: dict, before: dict | None) -> str:
    shown = {k: v for k, v in config.items() if k != "state" and (before is None or before.get(k) != v)}
    body = ", ".join(f"{k} = {v}" for k, v in shown.items())
    return ("initially: " if before is None else "then: ") + (body or "nothing changes")


def findings(report: DiffReport) -> list[Finding]:
    out: list[Finding] = []
    for difference, system, rule, level in ((report.added, report.new_system, "new-run", "error"),
                                            (report.removed, report.old_system, "removed-run", "note")):
        if difference.status == EXTRA:
            run = difference.run
            last = next(st.edge for st in system.steps if st.index == run.edges[-1])
            other = "old" if rule == "new-run" else "new"
            out.append(Finding(rule, level, f"after {len(run) - 1} matching step(s), the {other} version cannot take "
                                            f"`{last.action}` here", last.span, tuple(run_lines(system, run))))
        elif difference.status == UNKNOWN:
            out.append(Finding("undecided", "warning", f"more than {difference.pairs} pairs of configurations: "
                                                       f"no difference in runs of up to {difference.depth} steps",
                               report.new.span))
    for change in report.changes:
        out.append(Finding("label-change", "error" if change.kind in LOOSENING else "note", change.message, change.span))
    for lost in report.regressions:
        if lost.new is None:
            out.append(Finding("lost-property", "error", f"property `{lost.name}` held on the old version and cannot "
                                                         f"be checked on the new one: {lost.reason}", lost.property.span))
            continue
        run = lost.new.counterexample
        where = report.new.span
        if run is not None and run.edges:
            where = next(st.edge.span for st in report.new_system.steps if st.index == run.edges[-1])
        out.append(Finding("lost-property", "error", f"property `{lost.name}` ({lost.old.status} on the old version) "
                                                     f"is violated on the new one", where,
                           tuple(run_lines(report.new_system, run)) if run is not None else ()))
    return out


def render(report: DiffReport, fmt: str, old_path: str, new_path: str) -> str:
    items = findings(report)
    return {"text": _text, "json": _json, "sarif": _sarif, "github": _github}[fmt](report, items, old_path, new_path)


def _summary(report: DiffReport) -> str:
    def side(d):
        return {EXTRA: "yes", UNKNOWN: "unknown"}.get(d.status, "none (proved for every length)")
    return (f"new runs: {side(report.added)}; removed runs: {side(report.removed)}; "
            f"{len(report.changes)} declaration change(s); {len(report.regressions)} lost property(ies)")


def _text(report, items, old_path, new_path) -> str:
    lines = [f"{old_path} -> {new_path}: workflow `{report.old.name}` -> `{report.new.name}`"]
    for item in items:
        where = f" at {item.span}" if item.span != NO_SPAN and item.span.line else ""
        lines.append(f"{item.level}[{item.rule}]: {item.message}{where}")
        lines.extend(item.detail)
    lines.append(_summary(report))
    return "\n".join(lines) + "\n"


def _json(report, items, old_path, new_path) -> str:
    body = {
        "old": old_path, "new": new_path, "exit_code": report.exit_code,
        "added": {"status": report.added.status, "pairs": report.added.pairs,
                  "run": report.added.run.to_json() if report.added.run else None},
        "removed": {"status": report.removed.status, "pairs": report.removed.pairs,
                    "run": report.removed.run.to_json() if report.removed.run else None},
        "changes": [{"kind": c.kind, "name": c.name, "message": c.message, "span": c.span.to_json()}
                    for c in report.changes],
        "lost_properties": [{"name": g.name, "old": g.old.status, "new": g.new.to_json() if g.new else None,
                             "reason": g.reason} for g in report.regressions],
        "findings": [{"rule": f.rule, "level": f.level, "message": f.message, "span": f.span.to_json()}
                     for f in items],
    }
    return json.dumps(body, indent=2) + "\n"


def _sarif(report, items, old_path, new_path) -> str:
    results = []
    for item in items:
        result = {"ruleId": item.rule, "level": item.level, "message": {"text": "\n".join((item.message,) + item.detail)}}
        if item.span != NO_SPAN and item.span.line:
            result["locations"] = [{"physicalLocation": {
                "artifactLocation": {"uri": item.span.file},
                "region": {"startLine": item.span.line, "startColumn": item.span.column,
                           "endLine": item.span.end_line, "endColumn": item.span.end_column}}}]
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
