"""A verification report for CI, in the formats `trace` writes: JUnit XML (a testcase per
property: a failure when violated, an error when unknown), SARIF 2.1.0 (a result per violated
or unknown property, at its declaration, with a stable partial fingerprint) and GitHub
Actions annotations."""
from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET

from wfcheck.spec.version import __version__

from .result import UNKNOWN, VIOLATED
from .run import Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _findings(report: Report):
    """(result, property, level, message) for each violated or unknown property."""
    for result in report.results:
        if result.status not in (VIOLATED, UNKNOWN):
            continue
        prop = report.model.property(result.name)
        if result.status == VIOLATED:
            n = len(result.counterexample) if result.counterexample is not None else None
            message = f"property `{result.name}` is violated" + (f" by a run of {n} steps" if n else "")
        else:
            message = f"property `{result.name}` is undecided: {result.reason or 'unknown'}"
        yield result, prop, "error" if result.status == VIOLATED else "warning", message


def render_junit(report: Report) -> str:
    failures = report.count(VIOLATED)
    counts = {"tests": str(len(report.results)), "failures": str(failures), "errors": str(report.count(UNKNOWN))}
    root = ET.Element("testsuites", {"name": "wfcheck verify", **counts, "time": f"{report.seconds:.6f}"})
    suite = ET.SubElement(root, "testsuite", {"name": report.model.name, **counts, "skipped": "0",
                                              "time": f"{report.seconds:.6f}"})
    found = {r.name: (level, message) for r, _, level, message in _findings(report)}
    for result in report.results:
        span = report.model.property(result.name).span
        case = ET.SubElement(suite, "testcase", {"name": result.name, "classname": report.model.name,
                                                 "file": span.file, "line": str(span.line),
                                                 "time": f"{result.seconds:.6f}"})
        if result.name in found:
            level, message = found[result.name]
            ET.SubElement(case, "failure" if level == "error" else "error",
                          {"message": message, "type": result.status}).text = message
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render_sarif(report: Report) -> str:
    rules = [{"id": r.name, "shortDescription": {"text": f"property `{r.name}`"}} for r in report.results]
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    results = []
    for result, prop, level, message in _findings(report):
        region = {"startLine": max(prop.span.line, 1), "startColumn": max(prop.span.column, 1)}
        key = json.dumps([result.name, result.status, prop.span.file])
        results.append({"ruleId": result.name, "ruleIndex": index[result.name], "level": level,
                        "message": {"text": message},
                        "locations": [{"physicalLocation": {"artifactLocation": {"uri": prop.span.file},
                                                            "region": region}}],
                        "partialFingerprints": {"wfcheck/v1": hashlib.sha256(key.encode()).hexdigest()[:32]},
                        "properties": {"status": result.status, "engine": result.engine}})
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "wfcheck", "version": __version__, "semanticVersion": __version__,
                            "rules": rules}},
        "properties": {"workflow": report.model.name, "engine": report.engine}, "results": results}]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _escape(text: str, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def render_github(report: Report) -> str:
    lines = [f"::{level} file={_escape(prop.span.file, True)},line={prop.span.line},"
             f"title={_escape('wfcheck: ' + result.name, True)}::{_escape(message)}"
             for result, prop, level, message in _findings(report)]
    summary = ", ".join(f"{report.count(s)} {s}" for s in ("proved", "violated", "vacuous", "unknown") if report.count(s))
    lines.append(f"::notice title=wfcheck verify::{_escape(summary or 'no properties')}")
    return "\n".join(lines) + "\n"


FORMATS = {"junit": render_junit, "sarif": render_sarif, "github": render_github}
