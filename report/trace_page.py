"""`wfcheck trace --format html`: a corpus summary (per property, per file; sortable) with
a drill-down to each trace: its violations, each with its causal chain (where the data
entered, hand-offs, the sink), and its events drawn as a path on the state diagram."""
from __future__ import annotations

from collections import Counter
from html import escape

from .diagram import render_svg
from .page import config_text, page, source_link, status_badge
from .source import render_source

SRC = "src"
DEVIATION = "deviation"


def chain_role(link: dict, last: bool) -> str:
    if last:
        return "sink"
    return "hand-off" if "hand" in link["text"] else "source"


def _violation(v: dict, n: int, edges_upto, spec: str) -> str:
    links = v.get("chain") or []
    chain = "".join(f'<li class="{chain_role(c, i == len(links) - 1).replace("-", "")}"><span class=role>'
                    f'{chain_role(c, i == len(links) - 1)}</span> step {c["step"]}: {escape(c["text"])} '
                    f'<small>{escape(c["location"])}</small></li>' for i, c in enumerate(links))
    rule = v.get("rule") or {}
    where = f'{v["file"]}:{v["line"]}' if v.get("line") else str(v.get("file") or "")
    link = source_link(SRC, rule["line"], "rule") if rule.get("line") and rule.get("file") == spec else ""
    return (f'<div class="finding violation" id="violation-{n}" data-edges="{edges_upto(v["step"])}">'
            f'<p><b>{escape(v["property"] or v["kind"])}</b> at step {v["step"]} ({escape(where)}): '
            f'{escape(v["message"])} {link}</p>'
            f'<ol class="chain">{chain}</ol>'
            + (f'<pre class="excerpt">{escape(v["excerpt"])}</pre>' if v.get("excerpt") else "") + "</div>")


def _steps(steps, violations) -> str:
    """The trace's events that are steps of the spec, each marked with the part it plays
    in a violation's chain (source, hand-off, sink)."""
    roles: dict[int, str] = {}
    for v in violations:
        links = v.get("chain") or []
        for i, link in enumerate(links):
            roles.setdefault(link["step"], chain_role(link, i == len(links) - 1))
        roles[v["step"]] = "sink"
    rows = []
    for s in steps:
        variables, labels = config_text(s.config) if s.config else ("", "")
        rows.append(f'<tr class="step {roles.get(s.event, "").replace("-", "")}" data-edges="{" ".join(map(str, s.edges))}">'
                    f'<td>{s.event}</td><td>{escape(" or ".join(s.states))}</td><td>{escape(s.text)}</td>'
                    f'<td>{escape(", ".join(map(str, s.edges)) or (s.problem or ""))}</td>'
                    f'<td><code>{escape(variables)}</code></td><td><code>{escape(labels)}</code></td>'
                    f'<td>{f"<span class=role>{roles[s.event]}</span>" if s.event in roles else ""}</td>'
                    f'<td><small>{escape(s.location)}</small></td></tr>')
    return ('<table class="steps"><thead><tr><th>event</th><th>state after</th><th>action</th><th>edges</th>'
            "<th>variables</th><th>context labels</th><th>role</th><th>where</th>"
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def render_trace(data: dict, model, source_text: str, steps_of: dict) -> str:
    """`data`: the trace report's JSON form; `steps_of`: trace name -> its events as steps
    of the spec (checker/trace/steps.py's TraceStep)."""
    per_property: Counter = Counter()
    failing: dict[str, set] = {}
    for trace in data["traces"]:
        for v in trace["violations"]:  # a deviation from the state machine breaks no property
            per_property[v["property"] or DEVIATION] += 1
            failing.setdefault(v["property"] or DEVIATION, set()).add(trace["name"])
    prop_rows = "".join(
        f'<tr><td>{escape(p.name)}</td><td data-sort="{per_property[p.name]}">{per_property[p.name]}</td>'
        f'<td data-sort="{len(failing.get(p.name, ()))}">{len(failing.get(p.name, ()))}</td>'
        f"<td>{source_link(SRC, p.span.line)}</td></tr>" for p in model.properties)
    if per_property[DEVIATION]:
        prop_rows += (f'<tr><td><i>{DEVIATION}s</i> (steps the state machine does not allow)</td>'
                      f'<td data-sort="{per_property[DEVIATION]}">{per_property[DEVIATION]}</td>'
                      f'<td data-sort="{len(failing[DEVIATION])}">{len(failing[DEVIATION])}</td><td></td></tr>')
    file_rows, sections, vcount = [], [], 0
    for n, trace in enumerate(data["traces"]):
        steps = steps_of.get(trace["name"], ())

        def edges_upto(step, steps=steps):
            return " ".join(str(e) for s in steps if s.event <= step for e in s.edges)

        all_edges = " ".join(str(e) for s in steps for e in s.edges)
        file_rows.append(f'<tr class="finding" data-target="trace-{n}" data-edges="{all_edges}">'
                         f'<td>{escape(trace["name"])}</td><td>{status_badge(trace["status"])}</td>'
                         f'<td data-sort="{trace["events"]}">{trace["events"]}</td>'
                         f'<td data-sort="{len(trace["violations"])}">{len(trace["violations"])}</td></tr>')
        violations = []
        for v in trace["violations"]:
            violations.append(_violation(v, vcount, edges_upto, data["spec"]))
            vcount += 1
        problems = "".join(f"<li>{escape(str(p))}</li>" for p in trace.get("problems", []) + trace.get("warnings", []))
        sections.append(f'<section class="detail" id="trace-{n}" hidden><h3>{escape(trace["name"])} '
                        f'{status_badge(trace["status"])}</h3>{"".join(violations)}'
                        + (f"<ul class='problems'>{problems}</ul>" if problems else "") + _steps(steps, trace["violations"]) + "</section>")
    unreadable = "".join(f"<li>{escape(str(u))}</li>" for u in data.get("unreadable", []))
    s = data["summary"]
    body = (f"<header><h1>{escape(data['spec'])}: traces of <code>{escape(data['workflow'])}</code></h1>"
            f"<p class='summary'>{s['traces']} traces: {s['passed']} passed, {s['failed']} failed, "
            f"{s['violations']} violations, {s['unreadable']} unreadable ({escape(data['precision'])} precision)</p></header>"
            f"<main><div class='left'><h2>State diagram</h2>{render_svg(model)}"
            "<h2>By property</h2><table class='sortable by-property'><thead><tr><th>property</th><th>violations</th>"
            f"<th>traces failing</th><th>source</th></tr></thead><tbody>{prop_rows}</tbody></table>"
            "<h2>By trace</h2><table class='findings sortable by-file'><thead><tr><th>trace</th><th>status</th>"
            f"<th>events</th><th>violations</th></tr></thead><tbody>{''.join(file_rows)}</tbody></table>"
            + (f"<h2>Unreadable</h2><ul>{unreadable}</ul>" if unreadable else "")
            + f"{''.join(sections)}</div><div class='right'><h2>{escape(data['spec'])}</h2>"
            f"{render_source(source_text, SRC)}</div></main>")
    return page(f"wfcheck trace: {data['spec']}", body)
