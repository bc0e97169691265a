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
    restated = check_text(SMALL.replace("no untrusted influence on post", "post requires earlier fetch")).model
    [change] = label_changes(old, restated)
    assert change.kind == "property-changed" and change.span.line == 11
    assert "`no untrusted influence on post` to `post requires earlier fetch`" in change.message


# ------------------------------------------------ z3's one-step simulation proof, renames

def _renamed(text: str) -> tuple[str, dict[str, str]]:
    """`text` with every tool, event, agent and variable of the generator's pools renamed
    (`search` -> `search_v2`, ...), and the map old name -> new name `diff --rename` takes."""
    import re
    from workflow_gen import AGENT_POOL, BOOL_VARS, ENUM_VARS, EVENT_POOL, INT_VARS, TOOL_POOL

    renames = {}
    for name in (*TOOL_POOL, *EVENT_POOL, *AGENT_POOL, *BOOL_VARS, *INT_VARS, *ENUM_VARS):
        if re.search(rf"\b{name}\b", text):
            renames[name] = f"{name}_v2"
            text = re.sub(rf"\b{name}\b", f"{name}_v2", text)
    return text, renames


@settings(max_examples=25, **SETTINGS)
@PAIRS
def test_simulation_proof_is_sound_and_proves_the_obvious(source, index):
    from wfcheck.checker.diff.smt import simulation_proof

    for a, b in _both_ways(source, index):
        assert simulation_proof(a, a, timeout=20) is True    # a version simulates itself
        proved = simulation_proof(a, b, timeout=20)
        found = extra_run(a, b)
        if proved:
            assert found.status == EQUIVALENT               # sound: never a proof where a run differs
        if found.status == EXTRA:
            assert proved is False
    big, small = _both_ways(source, index)[0]
    assert simulation_proof(small, big, timeout=20) is True   # a transition dropped: the old one simulates it


@settings(max_examples=10, **SETTINGS)
@PAIRS
def test_renames_give_the_same_answers_on_both_paths(source, index):
    """The mutation with every declaration renamed, compared through `renames`, gives what
    the mutation gives unrenamed: the product search, z3 bounded and z3's simulation."""
    from wfcheck.checker.diff.smt import extra_run_smt, simulation_proof

    mutated = _mutate(source, index)
    text, renames = _renamed(mutated)
    first, second, third = check_text(source), check_text(mutated), check_text(text)
    assume(first.ok and second.ok)
    assert third.ok, text
    old, new, renamed = lower(first.model), lower(second.model), lower(third.model)
    for plain, mapped in (((new, old, None, None), (renamed, old, None, renames)),
                          ((old, new, None, None), (old, renamed, renames, None))):
        expected, got = extra_run(*plain), extra_run(*mapped)
        assert got.status == expected.status and (got.run is None) == (expected.run is None)
        if got.run is not None:
            assert len(got.run) == len(expected.run)
        bounded, bounded_mapped = extra_run_smt(*plain, bound=3, timeout=20), extra_run_smt(*mapped, bound=3, timeout=20)
        assume(bounded.status != "unknown" or bounded.depth == 3)
        assume(bounded_mapped.status != "unknown" or bounded_mapped.depth == 3)
        assert bounded_mapped.status == bounded.status
        assert simulation_proof(*mapped, timeout=20) == simulation_proof(*plain, timeout=20)


def test_the_z3_path_proves_inclusion_by_simulation_and_finds_the_new_run(tmp_path):
    """With the product search cut off at one pair, z3 decides: the old version simulates
    the new one's removed runs (proved for every length), and the new run is found bounded."""
    old, new = _loosened(tmp_path)
    report = diff_models(load_model(str(old)), load_model(str(new)), max_pairs=1, jobs=1)
    assert report.removed.status == EQUIVALENT and report.removed.method == "simulation"
    assert report.added.status == EXTRA and report.added.method == "bounded"
    edges = {s.index: s.edge for s in report.new_system.steps}
    assert [str(edges[e].action) for e in report.added.run.edges] == ["message user to assistant",
                                                                    "send_email by assistant"]
    same = diff_models(load_model(str(old)), load_model(str(old)), max_pairs=1, jobs=1)
    assert same.added.status == same.removed.status == EQUIVALENT and same.added.method == "simulation"
    assert same.exit_code == 0


UNLOCK = """workflow w
agent bot
var open: bool = false
tool fetch(url) by bot
tool post(body) by bot
state a initial
state b
state c final
a -> b on fetch { open = false }
b -> c on post when open
"""


def test_a_finding_is_placed_on_the_line_that_changed(tmp_path):
    """The new run's last step (`post`) is on an unchanged line; the change that allows it is
    the update of `open` two lines up: SARIF and GitHub point there, the step is related."""
    old, new = tmp_path / "old.wf", tmp_path / "new.wf"
    old.write_text(UNLOCK)
    new.write_text(UNLOCK.replace("{ open = false }", "{ open = true }"))
    runner = CliRunner()
    sarif = json.loads(runner.invoke(main, ["diff", str(old), str(new), "--format", "sarif"]).output)
    [result] = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "new-run"]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 9
    assert {r["physicalLocation"]["region"]["startLine"] for r in result["relatedLocations"]} == {10}
    github = runner.invoke(main, ["diff", str(old), str(new), "--format", "github"]).output
    assert f"::error file={new},line=9" in github
    text = runner.invoke(main, ["diff", str(old), str(new)])
    assert text.exit_code == 1 and f"(at {new}:10:1) at {new}:9:1" in text.output
    assert "1. `bot` calls `fetch`: a -> b" in text.output and "open: false → true" in text.output


def test_a_property_unknown_on_the_new_version_is_no_longer_proved(tmp_path):
    """A property proved on OLD that NEW's check leaves unknown is a lost property with its
    reason, a warning in every format, and exit 3 (as verify's unknown) when nothing else is lost."""
    import dataclasses

    from wfcheck.checker.diff.properties import Regression
    from wfcheck.checker.diff.render import render
    from wfcheck.checker.verify.result import UNKNOWN
    from wfcheck.checker.verify.run import verify_model

    model = load_model(str(EMAIL))
    report = diff_models(model, model, jobs=1)
    old_result = next(r for r in verify_model(model, "explicit").results if r.name == "replies_confirmed")
    new_result = verify_model(model, "smt", bound=1, timeout=0.001, properties=["replies_confirmed"]).results[0]
    assert new_result.status == UNKNOWN
    lost = Regression("replies_confirmed", old_result, new_result, model.property("replies_confirmed"),
                      system=report.new_system)
    undecided = dataclasses.replace(report, regressions=(lost,))
    assert lost.undecided and undecided.exit_code == 3
    text = render(undecided, "text", "old.wf", "new.wf")
    assert "warning[lost-property]: property `replies_confirmed` (proved on the old version) is no longer proved" in text
    assert "1 no longer proved" in text
    body = json.loads(render(undecided, "json", "old.wf", "new.wf"))
    assert body["exit_code"] == 3 and body["lost_properties"][0]["status"] == "unknown"
    sarif = json.loads(render(undecided, "sarif", "old.wf", "new.wf"))
    assert [(r["ruleId"], r["level"]) for r in sarif["runs"][0]["results"]] == [("lost-property", "warning")]
    assert "::warning file=" in render(undecided, "github", "old.wf", "new.wf")
    violated = dataclasses.replace(report, regressions=(lost, dataclasses.replace(lost, new=old_result.__class__(
        "replies_confirmed", "violated", "explicit"))))
    assert violated.exit_code == 1


def test_old_is_checked_only_for_what_fails_on_new(tmp_path, monkeypatch):
    """OLD's verdict is asked only for the properties that do not hold on NEW, and not for
    those OLD violates along NEW's counterexample: comparing a version with itself explores
    it once."""
    from wfcheck.checker.diff import properties

    asked = []
    real = properties.verify_model

    def spy(model, engine, bound, timeout, names=None, jobs=1):
        asked.append(None if names is None else sorted(names))
        return real(model, engine, bound, timeout, names, jobs=jobs)

    monkeypatch.setattr(properties, "verify_model", spy)
    old, new = _loosened(tmp_path)
    lost = properties.lost_properties(load_model(str(old)), load_model(str(new)))
    assert asked == [None, sorted(g.name for g in lost)]          # invites_not_injected: violated on both
    asked.clear()
    same = load_model(str(old))
    assert any(r.status == "violated" for r in real(same, "explicit").results)
    assert properties.lost_properties(same, same) == ()
    assert asked == [None]


@settings(max_examples=30, **SETTINGS)
@PAIRS
def test_replaying_a_counterexample_on_the_other_version_is_sound(source, index):
    """`replay.violated_along` (which spares OLD's exploration) claims a violation on OLD only
    where the shared exploration finds one, and always finds a version's own counterexamples."""
    from wfcheck.checker.diff.replay import violated_along, word_of
    from wfcheck.checker.verify.shared import check_all

    for a, b in _both_ways(source, index):
        runs = {r.name: r.counterexample for r in check_all(a) if r.status == "violated"}
        words = {name: (word_of(a, run), run.loop_start) for name, run in runs.items()}
        if not words:
            continue
        assert violated_along(a, words, None) == set(words)          # its own counterexamples
        verdicts = {r.name: r.status for r in check_all(b)}
        for name in violated_along(b, words, None):
            assert verdicts[name] == "violated"


def test_the_simulation_proof_cuts_the_product_search_short(tmp_path, monkeypatch):
    """Past SIMULATION_FIRST pairs z3's proof is tried; where it fails (the new run), the
    product search goes on and still gives the shortest witness."""
    from wfcheck.checker.diff import compare

    monkeypatch.setattr(compare, "SIMULATION_FIRST", 1)
    old, new = _loosened(tmp_path)
    report = diff_models(load_model(str(old)), load_model(str(new)), jobs=1)
    assert report.removed.status == EQUIVALENT and report.removed.method == "simulation"
    assert report.added.status == EXTRA and report.added.method == "product" and len(report.added.run) == 2
