"""`wfcheck verify --format html`: every verdict, and each counterexample as a path on the
state diagram with its step table (the explanation of checker/verify/explain.py)."""
from __future__ import annotations

from html import escape

from wfcheck.checker.verify.explain import ExplainedStep, explain
from wfcheck.checker.verify.result import VIOLATED
from wfcheck.spec.ir_text import describe_action

from .diagram import render_svg
from .page import config_text, page, source_link, status_badge
from .source import render_source

SRC = "src"


def step_role(step: ExplainedStep, kind: str) -> str:
    """The part a step plays in a flow: where the data entered (source), a hand-off that
    carried it, or the step that breaks the property (sink/violation)."""
    if step.violation or any(n.startswith("violation") for n in step.notes):
        return "sink" if any("context holds" in n for n in step.notes) else "violation"
    if kind == "handoff":
        return "hand-off"
    if any("entered the context" in n for n in step.notes):
        return "source"
    return ""


def _steps_table(report, result) -> str:
    model = report.model
    run = result.counterexample
    rows = []
    for i, step in enumerate(explain(report.system, model.property(result.name), run)):
        edge = model.edges[run.edges[i]]
        config = run.configs[min(i + 1, len(run.configs) - 1)]
        variables, labels = config_text(config)
        role = step_role(step, edge.action.kind)
        notes = "".join(f"<li>{escape(n)}</li>" for n in step.changes + step.notes)
        rows.append(f'<tr class="step{" " + role.replace("-", "") if role else ""}" data-edge="{edge.index}">'
                    f"<td>{step.number}</td><td>{escape(step.source)} → {escape(step.target)}</td>"
                    f"<td>{escape(edge.action.agent or 'environment')}</td><td>{escape(describe_action(edge.action))}"
                    f"<ul class='notes'>{notes}</ul></td><td><code>{escape(variables)}</code></td>"
                    f"<td><code>{escape(labels)}</code></td><td>{f'<span class=role>{role}</span>' if role else ''}</td>"
                    f"<td>{source_link(SRC, step.span.line)}</td></tr>")
    return ('<table class="steps"><thead><tr><th>#</th><th>state</th><th>agent</th><th>action</th>'
            "<th>variables</th><th>context labels</th><th>role</th><th>source</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def render_verify(report, path: str, source_text: str) -> str:
    model = report.model
    findings, details = [], []
    for n, result in enumerate(report.results):
        prop = model.property(result.name)
        run = result.counterexample if result.status == VIOLATED else None
        edges = " ".join(str(e) for e in run.edges) if run else ""
        what = escape(prop.text)
        findings.append(f'<tr class="finding" id="finding-{n}" data-target="detail-{n}" data-edges="{edges}">'
                        f"<td>{escape(result.name)}</td><td>{status_badge(result.status)}</td>"
                        f"<td>{len(run) if run else ''}</td><td>{what}</td>"
                        f"<td>{source_link(SRC, prop.span.line)}</td></tr>")
        body = _steps_table(report, result) if run else f"<p>{escape(result.reason or result.status)}</p>"
        details.append(f'<section class="detail" id="detail-{n}" hidden><h3>{escape(result.name)} '
                       f"{status_badge(result.status)}</h3>{body}</section>")
    counts = ", ".join(f"{report.count(s)} {s}" for s in ("proved", "violated", "vacuous", "unknown") if report.count(s))
    body = (f"<header><h1>{escape(path)}: workflow <code>{escape(model.name)}</code></h1>"
            f"<p class='summary'>{len(report.results)} properties: {counts} ({report.engine})</p></header>"
            f"<main><div class='left'><h2>State diagram</h2>{render_svg(model)}"
            "<h2>Properties</h2><table class='findings sortable'><thead><tr><th>property</th><th>verdict</th>"
            f"<th>steps</th><th>meaning</th><th>source</th></tr></thead><tbody>{''.join(findings)}</tbody></table>"
            f"{''.join(details)}</div><div class='right'><h2>{escape(path)}</h2>{render_source(source_text, SRC)}</div></main>")
    return page(f"wfcheck verify: {path}", body)
