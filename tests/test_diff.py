"""`wfcheck diff`: the product search against a brute-force enumeration of bounded runs on
random workflows and random mutations of them, label changes, lost properties, renderings
and the CLI."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from wfcheck.checker.diff.compare import diff_models
from wfcheck.checker.diff.labels import label_changes
from wfcheck.checker.diff.runs import EQUIVALENT, EXTRA, action_key, extra_run
from wfcheck.cli import main
from wfcheck.spec.frontend import check_text, load_model
from wfcheck.spec.semantics import Interpreter
from wfcheck.spec.system import lower

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workflow_gen import workflows  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EMAIL = ROOT / "examples" / "email_assistant.wf"
DEPTH = 4
SETTINGS = dict(deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PAIRS = given(workflows(), st.integers(0, 20))  # a workflow, and which transition to drop


def _traces(system, depth: int) -> set[tuple]:
    """Every action sequence of at most `depth` steps the system can take (brute force)."""
    interp = Interpreter(system, ())
    frontier = {(interp.initial(), ())}
    seen = {()}
    for _ in range(depth):
        nxt = set()
        for config, seq in frontier:
            for step, after in interp.successors(config):
                longer = seq + (action_key(step.edge.action),)
                seen.add(longer)
                nxt.add((after, longer))
        frontier = nxt
    return seen


def _mutate(text: str, index: int) -> str:
    """Drop one transition line (the mutation that takes behaviour away)."""
    lines = text.splitlines(True)
    transitions = [i for i, line in enumerate(lines) if " -> " in line and not line.lstrip().startswith("#")]
    assume(transitions)
    del lines[transitions[index % len(transitions)]]
    return "".join(lines)


def _both_ways(source: str, index: int):
    """(workflow, mutation) and (mutation, workflow), lowered; invalid mutations are skipped."""
    first, second = check_text(source), check_text(_mutate(source, index))
    assume(first.ok and second.ok)
    big, small = lower(first.model), lower(second.model)
    return ((big, small), (small, big))


@settings(max_examples=40, **SETTINGS)
@PAIRS
def test_product_search_agrees_with_brute_force(source, index):
    for a, b in _both_ways(source, index):
        found = extra_run(a, b)
        extra = _traces(a, DEPTH) - _traces(b, DEPTH)
        if found.status == EQUIVALENT:
            assert not extra
        else:
            assert found.status == EXTRA
            seq = tuple(action_key(next(s for s in a.steps if s.index == e).edge.action) for e in found.run.edges)
            if len(seq) <= DEPTH:
                assert seq in extra and min(map(len, extra)) == len(seq)
            else:
                assert not extra


def test_a_workflow_equals_itself():
    model = load_model(str(EMAIL))
    report = diff_models(model, model)
    assert report.added.status == report.removed.status == EQUIVALENT
    assert report.exit_code == 0 and not report.changes and not report.regressions


def _loosened(tmp_path) -> tuple[Path, Path]:
    """The bundled email assistant, and a version that sends straight from the inbox."""
    text = EMAIL.read_text().replace('import "catalog/', f'import "{ROOT / "examples" / "catalog"}/')
    old = tmp_path / "old.wf"
    old.write_text(text)
    new = tmp_path / "new.wf"
    new.write_text(text.replace("sending -> done on send_email by assistant\n",
                                "sending -> done on send_email by assistant\ninbox -> sending on send_email by assistant\n"))
    return old, new


def test_an_opened_injection_path_is_found_with_its_witness_and_lost_properties(tmp_path):
    old, new = _loosened(tmp_path)
    report = diff_models(load_model(str(old)), load_model(str(new)))
    assert report.added.status == EXTRA
    edges = {s.index: s.edge for s in report.new_system.steps}
    assert [str(edges[e].action) for e in report.added.run.edges] == ["message user to assistant",
                                                                    "send_email by assistant"]
    assert report.removed.status == EQUIVALENT
    lost = {g.name for g in report.regressions}
    assert {"replies_confirmed", "replies_not_injected", "send_email.needs"} <= lost
    assert report.exit_code == 1


def test_label_changes(tmp_path):
    old = load_model(str(EMAIL))
    text = EMAIL.read_text()
    catalog = (ROOT / "examples" / "catalog" / "mail_tools.wf").read_text()
    assert "needs" in catalog
    new_catalog = tmp_path / "mail_tools.wf"
    import re
    new_catalog.write_text(re.sub(r" needs \w+", "", catalog))
    new = tmp_path / "new.wf"
    new.write_text(text.replace('import "catalog/mail_tools.wf"', f'import "{new_catalog}"'))
    kinds = {(c.kind, c.name) for c in label_changes(old, load_model(str(new)))}
    assert ("needs-removed", "send_email") in kinds


def test_renames_match_declarations(tmp_path):
    old, _ = _loosened(tmp_path)
    renamed = tmp_path / "renamed.wf"
    renamed.write_text(old.read_text().replace("confirm_send", "approve_send"))
    plain = diff_models(load_model(str(old)), load_model(str(renamed)))
    assert plain.added.status == EXTRA
    mapped = diff_models(load_model(str(old)), load_model(str(renamed)), {"confirm_send": "approve_send"})
    assert mapped.added.status == mapped.removed.status == EQUIVALENT and not mapped.regressions


def test_cli_formats_and_exit_codes(tmp_path):
    old, new = _loosened(tmp_path)
    runner = CliRunner()
    same = runner.invoke(main, ["diff", str(old), str(old)])
    assert same.exit_code == 0, same.output
    text = runner.invoke(main, ["diff", str(old), str(new)])
    assert text.exit_code == 1 and "error[new-run]" in text.output and f"{new}:" in text.output
    sarif = json.loads(runner.invoke(main, ["diff", str(old), str(new), "--format", "sarif"]).output)
    lines = {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in sarif["runs"][0]["results"]
             if r["ruleId"] == "new-run"}
    added_line = next(i for i, l in enumerate(new.read_text().splitlines(), 1) if l.startswith("inbox -> sending"))
    assert lines == {added_line}
    github = runner.invoke(main, ["diff", str(old), str(new), "--format", "github"]).output
    assert f"::error file={new},line={added_line}" in github
    body = json.loads(runner.invoke(main, ["diff", str(old), str(new), "--format", "json"]).output)
    assert body["added"]["status"] == "extra" and body["exit_code"] == 1
    bad = runner.invoke(main, ["diff", str(old), str(tmp_path / "missing.wf")])
    assert bad.exit_code == 2 and "WF407" in bad.output
    assert runner.invoke(main, ["diff", str(old), str(old), "--rename", "x"]).exit_code == 2
    assert "WF702" in runner.invoke(main, ["diff", str(old), str(old), "--rename", "x"]).output


@settings(max_examples=15, **SETTINGS)
@PAIRS
def test_z3_agrees_with_the_product_search(source, index):
    from wfcheck.checker.diff.smt import extra_run_smt

    for a, b in _both_ways(source, index):
        explicit = extra_run(a, b)
        bounded = extra_run_smt(a, b, bound=3, timeout=20)
        assume(bounded.status != "unknown" or bounded.depth == 3)
        if explicit.status == EXTRA and len(explicit.run) <= 3:
            assert bounded.status == EXTRA and len(bounded.run) == len(explicit.run)
            seq = [action_key(next(s for s in a.steps if s.index == e).edge.action) for e in bounded.run.edges]
            assert tuple(seq) in _traces(a, 3) - _traces(b, 3)
        else:
            assert bounded.status != EXTRA


SMALL = """workflow w
labels confidentiality: public < private
labels integrity: trusted > untrusted
agent user, bot
tool fetch(url) by bot returns public, trusted
tool post(body) by bot sends sink public needs trusted
state a initial
state b final
a -> b on fetch
b -> b on post
property p: no untrusted influence on post
"""


def test_each_kind_of_label_change():
    old = check_text(SMALL).model
    new = check_text(SMALL.replace("returns public, trusted", "returns private, untrusted")
                     .replace("sends sink public needs trusted", "sends")
                     .replace("tool fetch(url) by bot", "tool fetch(url) by bot, user")
                     .replace("property p: no untrusted influence on post\n", "")).model
    kinds = {c.kind for c in label_changes(old, new)}
    assert kinds == {"result-more-secret", "result-less-trusted", "sink-removed", "needs-removed",
                     "tool-widened", "property-dropped"}
    assert label_changes(old, old) == ()
    looser = check_text(SMALL.replace("returns public, trusted", "returns private, untrusted")).model
    assert label_changes(looser, old) == ()  # a result made less secret and more trusted tightens
