"""Renderings of a trace report (trace_check.py): text for people, JSON, JUnit XML, SARIF
2.1.0 and GitHub Actions workflow commands for CI. All are deterministic and free of
timestamps; the JSON and SARIF shapes are documented in docs/traces.md."""
from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from wfcheck.spec.span import NO_SPAN, Span

from .monitor import UNSTRUCTURED, Link, TraceWarning, Violation
from .readers.events import Location, ReadProblem
from .check import TraceReport, TraceResult

FORMATS = ("text", "json", "junit", "sarif", "github")

HEADLINE = "first violation — the earliest point an online monitor could have stopped the run"

#: reading problems, for SARIF rules (the codes are listed in docs/errors.md)
PROBLEM_RULES = {
    "WF801": "a trace file could not be read",
    "WF802": "malformed JSON in a trace",
    "WF803": "a trace of unknown shape",
    "WF804": "a missing or mistyped field in a trace",
    "WF805": "a tool result with no call",
    "WF806": "a truncated trace",
}
#: the monitor's warnings (docs/errors.md)
WARNING_RULES = {
    UNSTRUCTURED: "a result of a tool with result fields that is not structured",
}


def render(report: TraceReport, fmt: str) -> str:
    return {"text": render_text, "json": render_json, "junit": render_junit,
            "sarif": render_sarif, "github": render_github}[fmt](report)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _has_span(span: Span) -> bool:
    return span != NO_SPAN and span.line > 0


def _rule_title(violation: Violation) -> str:
    if violation.property is None:
        return "deviation from the workflow"
    return f"`{violation.property}` ({violation.kind})"


def _where(location: Location) -> str:
    """`file:line (pointer)`, or the file alone when the line is not known (line 0)."""
    if location.line > 0:
        return str(location)
    return location.file + (f" ({location.pointer})" if location.pointer else "")


def _link_text(link: Link) -> str:
    where = f" {_where(link.location)}" if link.location is not None else ""
    return f"step {link.step}{where}: {link.text}"


# ---------------------------------------------------------------- text


def _violation_lines(violation: Violation, excerpt: str, rule_text: str | None) -> list[str]:
    lines = [f"    {_where(violation.location)}  step {violation.step}  {excerpt}"]
    title = _rule_title(violation)
    if rule_text:
        title += f": {rule_text}"
    if _has_span(violation.span):
        title += f"  --> {violation.span}"
    lines.append(f"    {title}")
    lines.append(f"    {violation.message}")
    lines.extend(f"    ← {_link_text(link)}" for link in violation.chain)
    return lines


def _problem_text(problem: ReadProblem | TraceWarning, severity: str = "error") -> str:
    return f"{severity}[{problem.code}]: {problem.message}"


def _warning_text(warning: TraceWarning) -> str:
    return f"{_problem_text(warning, 'warning')} at {_where(warning.location)} (step {warning.step})"


def render_text(report: TraceReport) -> str:
    """One line per trace (PASS, FAIL or UNREADABLE), each failing trace's violations under
    it with the first one marked, then a summary line."""
    rule_texts = {r.name: r.text for r in report.rules}
    lines = [f"{report.spec}: workflow `{report.workflow}`, precision {report.precision}"]
    for result in report.results:
        lines.append(f"{result.status.upper()}  {result.name}  "
                     f"({_plural(result.events, 'event')}, {_plural(len(result.violations), 'violation')})")
        for problem in result.problems:
            lines.append(f"  {_problem_text(problem)} at {_where(problem.location)}")
        lines.extend(f"  {_warning_text(w)}" for w in result.warnings)
        for i, (violation, excerpt) in enumerate(zip(result.violations, result.excerpts)):
            lines.append(f"  {HEADLINE}:" if i == 0 else "  then:")
            lines.extend(_violation_lines(violation, excerpt, rule_texts.get(violation.property)))
    for problem in report.unreadable:
        lines.append(f"UNREADABLE  {_where(problem.location)}  ({_problem_text(problem)})")
    lines.append(_summary(report))
    return "\n".join(lines) + "\n"


def _summary(report: TraceReport) -> str:
    text = (f"{_plural(len(report.results) + len(report.unreadable), 'trace')}: {report.passed} passed, "
            f"{report.failed} failed, {len(report.unreadable)} unreadable")
    if report.incomplete:
        text += f", {report.incomplete} with reading problems"
    text += f"; {_plural(report.violations, 'violation')}"
    kinds = report.by_kind()
    if kinds:
        text += " (" + ", ".join(f"{n} {kind}" for kind, n in kinds.items()) + ")"
    if report.warnings:
        text += f"; {_plural(report.warnings, 'warning')}"
    return text


# ---------------------------------------------------------------- json


def render_json(report: TraceReport) -> str:
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------- JUnit XML

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """XML 1.0 cannot hold most control characters, even escaped: replace them."""
    return _XML_ILLEGAL.sub("\ufffd", text)


def _result_detail(result: TraceResult, rule_texts: dict) -> str:
    lines = []
    for i, (violation, excerpt) in enumerate(zip(result.violations, result.excerpts)):
        lines.append(f"{HEADLINE}:" if i == 0 else "then:")
        lines.extend(line[2:] for line in _violation_lines(violation, excerpt, rule_texts.get(violation.property)))
    return "\n".join(lines)


def render_junit(report: TraceReport) -> str:
    """JUnit XML as CI servers read it: one <testsuite> for the spec, a <testcase> per trace,
    a <failure> listing a failing trace's violations, an <error> per unreadable input."""
    rule_texts = {r.name: r.text for r in report.rules}
    tests = len(report.results) + len(report.unreadable)
    counts = {"tests": str(tests), "failures": str(report.failed), "errors": str(len(report.unreadable) + sum(r.status == "incomplete" for r in report.results))}
    root = ET.Element("testsuites", {"name": "wfcheck trace", **counts})
    suite = ET.SubElement(root, "testsuite", {"name": report.workflow, **counts, "skipped": "0"})
    props = ET.SubElement(suite, "properties")
    for name, value in (("spec", report.spec), ("precision", report.precision)):
        ET.SubElement(props, "property", {"name": name, "value": _xml_text(value)})
    for result in report.results:
        case = ET.SubElement(suite, "testcase", {"name": _xml_text(result.name), "classname": report.workflow,
                                                 "file": _xml_text(result.file), "time": f"{result.seconds:.6f}"})
        if result.violations:
            first = result.violations[0]
            failure = ET.SubElement(case, "failure", {
                "message": _xml_text(f"{_plural(len(result.violations), 'violation')}; first at step "
                                     f"{first.step}: {first.message}"),
                "type": first.kind})
            failure.text = _xml_text(_result_detail(result, rule_texts))
        if result.problems:   # read in part: an error of the test case, not a pass
            first = result.problems[0]
            err = ET.SubElement(case, "system-err") if result.violations else ET.SubElement(
                case, "error", {"message": _xml_text(f"read in part: {first.message}"), "type": first.code})
            err.text = _xml_text("\n".join(f"{_problem_text(p)} at {p.location}" for p in result.problems))
        if result.warnings:
            out = ET.SubElement(case, "system-out")
            out.text = _xml_text("\n".join(_warning_text(w) for w in result.warnings))
    for problem in report.unreadable:
        case = ET.SubElement(suite, "testcase", {"name": _xml_text(_where(problem.location)),
                                                 "classname": report.workflow,
                                                 "file": _xml_text(problem.location.file)})
        error = ET.SubElement(case, "error", {"message": _xml_text(problem.message), "type": problem.code})
        error.text = _xml_text(f"{_problem_text(problem)} at {_where(problem.location)}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# ---------------------------------------------------------------- SARIF 2.1.0

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _uri(path: str) -> str:
    """A trace or spec file as a SARIF artifact URI: relative to the current directory (a
    URL, `s3://bucket/runs/a.jsonl`, as it is)."""
    if "://" in path:
        return path
    if os.path.isabs(path):
        try:
            path = os.path.relpath(path)
        except ValueError:  # another drive (Windows)
            return Path(path).as_uri()
    return Path(path).as_posix()


def _physical(file: str, line: int, span: Span | None = None) -> dict:
    location: dict = {"artifactLocation": {"uri": _uri(file)}}
    if span is not None and _has_span(span):
        location["region"] = {"startLine": span.line, "startColumn": max(span.column, 1),
                              "endLine": max(span.end_line, span.line), "endColumn": max(span.end_column, 1)}
    elif line > 0:
        location["region"] = {"startLine": line}
    return location


def _trace_location(location: Location, message: str | None = None) -> dict:
    out: dict = {"physicalLocation": _physical(location.file, location.line)}
    if message is not None:
        out["message"] = {"text": message}
    return out


def _rule_ids(report: TraceReport) -> tuple[dict[str, str], str]:
    """Rule ids: a property's name as it is; the deviation and reading-problem rules take
    their plain names unless a property already has one (then `wfcheck-` goes first)."""
    taken = {r.name for r in report.rules}

    def free(name: str) -> str:
        return name if name not in taken else f"wfcheck-{name}"
    return {code: free(code) for code in (*PROBLEM_RULES, *WARNING_RULES)}, free("deviation")


def render_sarif(report: TraceReport) -> str:
    """One SARIF run: rules for the spec's properties, for deviations, for reading problems
    and for warnings; a result per violation (error), per reading problem (error if nothing
    of the input was checked, warning if it was) and per warning (warning)."""
    from wfcheck.spec.version import __version__

    problem_ids, deviation_id = _rule_ids(report)
    rules: list[dict] = []
    for rule in report.rules:
        entry = {"id": rule.name, "name": rule.name,
                 "shortDescription": {"text": rule.text or rule.name},
                 "fullDescription": {"text": f"{rule.kind} property `{rule.name}`"
                                     + (" (implied by the spec)" if rule.implicit else "") + f": {rule.text}"},
                 "help": {"text": f"declared at {rule.span}" if _has_span(rule.span) else "implied by the spec"},
                 "defaultConfiguration": {"level": "error"},
                 "properties": {"kind": rule.kind, "implicit": rule.implicit, "tags": ["wfcheck", rule.kind]}}
        if _has_span(rule.span):
            entry["properties"].update(file=_uri(rule.span.file), line=rule.span.line, column=rule.span.column)
        rules.append(entry)
    rules.append({"id": deviation_id, "name": "deviation",
                  "shortDescription": {"text": "a recorded event the workflow does not allow"},
                  "fullDescription": {"text": "the trace takes an action that no transition of the workflow "
                                              "allows in the current state"},
                  "help": {"text": "the message names the transition (and its guard) the event broke"},
                  "defaultConfiguration": {"level": "error"},
                  "properties": {"kind": "deviation", "tags": ["wfcheck", "deviation"]}})
    for code, text in PROBLEM_RULES.items():
        rules.append({"id": problem_ids[code], "name": code, "shortDescription": {"text": text},
                      "fullDescription": {"text": f"{code}: {text}"},
                      "help": {"text": "see docs/errors.md and docs/traces.md"},
                      "defaultConfiguration": {"level": "error"},
                      "properties": {"kind": "reading", "tags": ["wfcheck", "reading"]}})
    for code, text in WARNING_RULES.items():
        rules.append({"id": problem_ids[code], "name": code, "shortDescription": {"text": text},
                      "fullDescription": {"text": f"{code}: {text}"},
                      "help": {"text": "see docs/errors.md and docs/traces.md"},
                      "defaultConfiguration": {"level": "warning"},
                      "properties": {"kind": "warning", "tags": ["wfcheck", "warning"]}})
    index = {r["id"]: i for i, r in enumerate(rules)}

    results: list[dict] = []
    for result in report.results:
        for i, (violation, excerpt) in enumerate(zip(result.violations, result.excerpts)):
            rule_id = violation.property if violation.property is not None else deviation_id
            located = [link for link in violation.chain if link.location is not None]
            related = [{"id": n, **_trace_location(link.location, _link_text(link))}
                       for n, link in enumerate(located, 1)]
            if _has_span(violation.span):
                what = f"the rule `{violation.property}`" if violation.property else "the transition"
                related.append({"id": len(related) + 1,
                                "physicalLocation": _physical(violation.span.file, 0, violation.span),
                                "message": {"text": f"{what} in the spec"}})
            entry = {"ruleId": rule_id, "ruleIndex": index[rule_id], "level": "error",
                     "message": {"text": f"{violation.message} (trace {result.name}, step {violation.step})"},
                     "locations": [_trace_location(violation.location)],
                     "properties": {"trace": result.name, "step": violation.step,
                                    "pointer": violation.location.pointer, "kind": violation.kind,
                                    "excerpt": excerpt, "first": i == 0, "value": violation.value}}
            if related:
                entry["relatedLocations"] = related
            if located:
                entry["codeFlows"] = [{"threadFlows": [{"locations": [
                    {"location": _trace_location(link.location, _link_text(link))} for link in located]}]}]
            results.append(entry)
        for problem in result.problems:
            results.append(_problem_result(problem, problem_ids, index, "error"))
        for warning in result.warnings:
            entry = _problem_result(warning, problem_ids, index, "warning")
            entry["properties"].update(trace=result.name, step=warning.step)
            results.append(entry)
    for problem in report.unreadable:
        results.append(_problem_result(problem, problem_ids, index, "error"))

    for entry in results:
        entry["partialFingerprints"] = {"wfcheck/v1": _fingerprint(entry)}
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "wfcheck", "version": __version__, "semanticVersion": __version__,
                            "rules": rules}},
        "properties": {"spec": _uri(report.spec), "workflow": report.workflow, "precision": report.precision},
        "results": results}]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _fingerprint(entry: dict) -> str:
    """A result's identity across runs, so that code scanning tracks it rather than opening
    it anew: the rule, the message, the trace file and the place in it (line and pointer)."""
    import hashlib

    where = entry["locations"][0]["physicalLocation"] if entry.get("locations") else {}
    key = json.dumps([entry["ruleId"], entry["message"]["text"], where.get("artifactLocation", {}).get("uri"),
                      where.get("region", {}).get("startLine"), entry.get("properties", {}).get("pointer")])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _problem_result(problem: ReadProblem | TraceWarning, ids: dict, index: dict, level: str) -> dict:
    rule_id = ids.get(problem.code, ids["WF801"])
    return {"ruleId": rule_id, "ruleIndex": index[rule_id], "level": level,
            "message": {"text": f"{problem.message} ({problem.code})"},
            "locations": [_trace_location(problem.location)],
            "properties": {"pointer": problem.location.pointer}}


# ---------------------------------------------------------------- GitHub Actions


def escape_data(text: str) -> str:
    """The message of a workflow command (as in @actions/core: % CR LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value of a workflow command: also `:` and `,`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(level: str, file: str, line: int, title: str, message: str) -> str:
    props = [f"file={escape_property(_uri(file))}"]
    if line > 0:
        props.append(f"line={line}")
    props.append(f"title={escape_property(title)}")
    return f"::{level} {','.join(props)}::{escape_data(message)}"


def render_github(report: TraceReport) -> str:
    """One `::error` per violation and per unreadable input (a `::warning` per reading
    problem inside a trace that was checked and per warning), then the summary as a
    `::notice`."""
    lines = []
    for result in report.results:
        for i, (violation, excerpt) in enumerate(zip(result.violations, result.excerpts)):
            title = f"wfcheck: {violation.property} ({violation.kind})" if violation.property else "wfcheck: deviation"
            if i == 0:
                title += ", first violation"
            body = [f"{result.name} step {violation.step}: {violation.message}", f"event: {excerpt}"]
            if _has_span(violation.span):
                body.append(f"rule: {violation.span}")
            body.extend(f"← {_link_text(link)}" for link in violation.chain)
            lines.append(_command("error", violation.location.file, violation.location.line, title, "\n".join(body)))
        for problem in result.problems:
            lines.append(_command("error", problem.location.file, problem.location.line,
                                  f"wfcheck: {problem.code}", problem.message))
        for warning in result.warnings:
            lines.append(_command("warning", warning.location.file, warning.location.line,
                                  f"wfcheck: {warning.code}", f"{result.name} step {warning.step}: {warning.message}"))
    for problem in report.unreadable:
        lines.append(_command("error", problem.location.file, problem.location.line,
                              f"wfcheck: {problem.code} unreadable trace", problem.message))
    lines.append(f"::notice title=wfcheck trace::{escape_data(_summary(report))}")
    return "\n".join(lines) + "\n"
