"""The HTML report (`verify`/`trace --format html`): the words it highlights, the diagram,
the page's self-containment, the CLI, and — in headless Chromium, where the Debian package
is installed — what a person sees and what clicking does."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from wfcheck import api
from wfcheck.cli import main
from wfcheck.report.diagram import layout, render_svg
from wfcheck.report.source import render_source
from wfcheck.spec.tokens import COMMENT, KEYWORD, NAME, NUMBER, words

ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "examples"
SUPPORT = EX / "support.wf"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(list("ab_1 \n#<>:,.=\"@{}()-") + ["state", "tool", "agent"]), max_size=40)
       .map("".join))
def test_words_join_back_to_any_text(text):
    assert "".join(w.text for w in words(text)) == text


def test_words_are_the_grammars():
    kinds = {w.text: w.kind for w in words("state a initial # note\nvar n: 0..3 = 1\n")}
    assert kinds["state"] == KEYWORD and kinds["initial"] == KEYWORD and kinds["a"] == NAME
    assert kinds["# note"] == COMMENT and kinds["3"] == NUMBER and kinds["n"] == NAME


def test_layout_puts_states_by_distance_from_the_initial_state():
    model = api.load_model(str(SUPPORT))
    places = layout(model)
    assert places["waiting"][0] < places["verifying"][0] < places["serving"][0] < places["approved"][0]
    assert len(set(places.values())) == len(model.states)


def test_diagram_has_every_state_and_edge_by_id():
    model = api.load_model(str(SUPPORT))
    svg = render_svg(model)
    assert sorted(int(i) for i in re.findall(r'id="edge-(\d+)"', svg)) == [e.index for e in model.edges]
    assert set(re.findall(r'id="state-(\w+)"', svg)) == set(model.states)


def test_source_lines_are_numbered_and_escaped():
    html = render_source('workflow w\n# <b> & "x"\n', "src")
    assert 'id="src-L1"' in html and 'id="src-L2"' in html and "src-L3" not in html
    assert "&lt;b&gt; &amp;" in html and "<b>" not in html


def _verify_html(tmp_path) -> str:
    out = tmp_path / "v.html"
    result = CliRunner().invoke(main, ["verify", str(SUPPORT), "--format", "html", "-o", str(out)])
    assert result.exit_code == 1, result.output
    return out.read_text(encoding="utf-8")


def _self_contained(html: str) -> None:
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import|url\((?!#)", html), "the page loads something"
    assert not re.search(r"\bhref=\"(?!#)", html)  # links only within the page (text may quote URLs)
    script = html.split("<script>", 1)[1].rsplit("</script>", 1)[0]
    assert "</" not in script


def test_verify_page_draws_each_counterexample(tmp_path):
    html = _verify_html(tmp_path)
    _self_contained(html)
    report = api.verify(str(SUPPORT))
    for result in report.results:
        assert f"<td>{result.name}</td>" in html
        if result.status == "violated":
            edges = " ".join(map(str, result.counterexample.edges))
            assert f'data-edges="{edges}"' in html
    assert html.count('<tr class="step') == sum(len(r.counterexample) for r in report.results if r.counterexample)
    assert "<span class=role>sink</span>" in html and "<span class=role>source</span>" in html


@pytest.mark.parametrize("example", ["support", "email_assistant", "coding_agent", "pipeline"])
def test_trace_page_summarises_the_corpus(tmp_path, example):
    out = tmp_path / "t.html"
    spec, traces = str(EX / f"{example}.wf"), str(EX / "traces" / example)
    result = CliRunner().invoke(main, ["trace", spec, traces, "--format", "html", "-o", str(out)])
    report = api.check_traces(spec, [traces])
    assert result.exit_code == report.exit_code, result.output
    html = out.read_text(encoding="utf-8")
    _self_contained(html)
    assert html.count('class="finding" data-target="trace-') == len(report.results)
    violations = [v for r in report.results for v in r.violations]
    assert html.count('class="finding violation"') == len(violations)
    deviations = sum(v.property is None for v in violations)
    row = re.search(r"<i>deviations</i>[^<]*</td><td data-sort=\"(\d+)\"", html)
    assert (int(row.group(1)) if row else 0) == deviations
    assert 'class="sink"' in html and "by-property" in html


def test_invalid_spec_gets_the_usual_error(tmp_path):
    out = tmp_path / "x.html"
    result = CliRunner().invoke(main, ["verify", str(ROOT / "tests/golden/diagnostics/syntax.wf"), "--format", "html",
                                       "-o", str(out)])
    assert result.exit_code == 2 and "error[WF" in result.output and not out.exists()


def test_trace_steps_follow_the_monitor():
    """Each event that is a step: the edges it may be, and the monitor's states and labels after it."""
    from wfcheck.checker.trace.steps import trace_steps

    model = api.load_model(str(SUPPORT))
    runs, problems = trace_steps(model, [str(EX / "traces" / "support" / "card_emailed.anthropic.json")])
    assert problems == () and len(runs) == 1
    steps = runs[0].steps
    by_action = {s.text.split(" by ")[0]: s for s in steps}
    ok = by_action["verify_identity.ok"]
    assert ok.states == ("serving",) and ok.config["verified"] is True
    assert set(ok.edges) == {e.index for e in model.edges if e.action.name == "verify_identity" and e.action.outcome == "ok"}
    card = by_action["lookup_card"]
    assert card.config["conf.assistant"] == "secret" and card.event > ok.event
    assert [s.event for s in steps] == sorted(s.event for s in steps)
