"""`wfcheck repair`: each candidate kind on a workflow only it repairs, every offered repair
re-checked by the SMT checker (on bundled examples and on random workflows), the runs a
repair removes counted against brute force, layout kept, the empty answer plain, and the
CLI applying one."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from wfcheck.checker.diff.runs import action_key
from wfcheck.checker.repair.behaviour import count_removed
from wfcheck.checker.repair.candidates import ONE_TRANSITION
from wfcheck.checker.repair.edits import Change, Clause, Offsets, apply_all, rewrite
from wfcheck.checker.repair.render import render_text
from wfcheck.checker.repair.search import repair_text
from wfcheck.checker.verify.run import verify_model
from wfcheck.cli import main
from wfcheck.spec import ast
from wfcheck.spec import model as m
from wfcheck.spec.frontend import check_text
from wfcheck.spec.parser import parse_text
from wfcheck.spec.semantics import Interpreter
from wfcheck.spec.system import lower

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workflow_gen import workflows  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EMAIL = ROOT / "examples" / "email_assistant.wf"
BANKING = ROOT / "examples" / "agentdojo" / "banking.wf"
HELD = ("proved", "vacuous")


def _copy(tmp_path, example: Path = EMAIL) -> Path:
    path = tmp_path / example.name
    path.write_text(example.read_text().replace('import "catalog/', f'import "{ROOT / "examples" / "catalog"}/'))
    return path


def _smt(text: str, path: str) -> dict:
    return {r.name: r.status for r in verify_model(check_text(text, path).model, "smt").results}


def _assert_verified(source: str, path: str, found) -> None:
    """Every offered repair, re-checked by the SMT checker: its property proved (or, for a
    `never` without `when`, vacuous: no matching step), every property that held still
    holds; and every comment of the source is kept."""
    before = _smt(source, path)
    model = check_text(source, path).model
    comments = [line for line in source.splitlines() if line.lstrip().startswith("#")]
    for pr in found:
        kinds = model.property(pr.property).kinds
        plain_never = all(isinstance(k, m.Never) and k.condition is None for k in kinds)
        for repair in pr.repairs:
            after = _smt(repair.text, path)
            assert after[pr.property] in (HELD if plain_never else ("proved",)), (pr.property, repair.what)
            assert all(after[n] in HELD for n, s in before.items() if s in HELD), (pr.property, repair.what)
            assert [line for line in repair.text.splitlines() if line.lstrip().startswith("#")] == comments
            assert repair.diff.startswith(f"--- {path}")


def _repairs(text: str, tmp_path, kinds, name: str | None = None):
    path = tmp_path / "w.wf"
    path.write_text(text)
    found = repair_text(text, str(path), [name] if name else None, kinds=kinds)
    _assert_verified(text, str(path), found)
    return found


HEAD = """workflow w
labels integrity: trusted > untrusted
agent bot
"""

# `pay` sits on two transitions: an edit of one leaves the other's untrusted path.
TWO_TRANSITIONS = HEAD + """tool fetch() by bot returns untrusted
tool scrape() by bot returns untrusted
tool pay() by bot writes
event reply by bot
state a initial
state b final
a -> a on fetch, scrape, pay  # the work loop
a -> b on reply
b -> a on fetch,
  scrape, pay
property pay_not_injected: no untrusted influence on pay
"""


def test_everywhere_edits_every_transition_with_the_action(tmp_path):
    (one,) = _repairs(TWO_TRANSITIONS, tmp_path, ONE_TRANSITION)
    assert one.repairs == () and one.tried > 0  # no edit of one transition works
    (pr,) = _repairs(TWO_TRANSITIONS, tmp_path, ("everywhere",))
    (repair,) = pr.repairs
    assert "on all 2 transitions with `pay`" in repair.what and repair.text.count("on pay endorse trusted") == 2
    # the rest of each list keeps its layout (the line break of the wrapped one, the comment)
    assert "a -> a on fetch, scrape  # the work loop\n" in repair.text and "b -> a on fetch,\n  scrape\n" in repair.text
    assert repair.behaviour.removes_none and repair.behaviour.adds is False


def test_after_forbids_the_action_once_the_source_was_read(tmp_path):
    (pr,) = _repairs(TWO_TRANSITIONS, tmp_path, ("after",))
    repair = pr.repairs[0]
    assert repair.what.startswith("forbid `pay` after any of `fetch`, `scrape`")
    assert "var tainted: bool = false\n" in repair.text
    assert len(re.findall(r"on fetch,\s+scrape \{ tainted = true \}", repair.text)) == 2
    assert repair.text.count("on pay when not tainted") == 2
    b = repair.behaviour
    assert b.shortest_removed is not None and b.shortest_removed[-1] == "pay by bot" and b.removed > 0
    assert b.adds is False


LOOKUP = HEAD + """tool lookup() by bot
tool change() by bot writes
event done by bot
state a initial
state b final
a -> a on lookup, change
a -> b on done
b -> a on change, lookup
property change_after_lookup: change requires earlier lookup
"""


def test_earlier_requires_a_step_with_a_new_flag(tmp_path):
    assert not _repairs(LOOKUP, tmp_path, ONE_TRANSITION)[0].repairs
    (pr,) = _repairs(LOOKUP, tmp_path, ("earlier",))
    repair = next(r for r in pr.repairs if "earlier `lookup`" in r.what)
    assert "var did_lookup: bool = false" in repair.text
    assert repair.text.count("on lookup { did_lookup = true }") == 2
    assert repair.text.count("on change when did_lookup") == 2


COUNTER = HEAD + """var n: 0..5 = 0
tool pay() by bot writes { n = n + 1 }
tool look() by bot
event done by bot
state a initial
state b final
a -> a on pay, look
a -> b on done
b -> a on pay
property few: always n < 3
"""


def test_cap_bounds_an_existing_counter_where_it_is_incremented(tmp_path):
    (pr,) = _repairs(COUNTER, tmp_path, ("cap",), "few")
    repair = pr.repairs[0]
    assert repair.what == "cap `n` below 2 on every transition with `pay`"
    assert "a -> a on pay when n < 2" in repair.text and "b -> a on pay when n < 2" in repair.text


def test_cap_adds_a_counter_for_at_most(tmp_path):
    text = COUNTER.replace("property few: always n < 3", "property few: at most 2 look")
    (pr,) = _repairs(text, tmp_path, ("cap",), "few")
    (repair,) = pr.repairs
    assert "var look_count: 0..2 = 0" in repair.text
    assert "a -> a on look when look_count < 2 { look_count = look_count + 1 }" in repair.text


OUTCOMES = HEAD + """tool check() by bot outcome passed outcome failed
tool pay() by bot writes
state a initial
state b
state c final
a -> b on check
b -> c on pay
b -> a on check
property pay_after_pass: pay requires earlier check.passed
"""


def test_narrow_a_call_to_its_other_outcomes(tmp_path):
    (pr,) = _repairs(OUTCOMES, tmp_path, ("narrow",))
    assert any(r.what == "narrow `check` to `passed`" and "a -> b on check.passed\n" in r.text for r in pr.repairs)


AGENTS = """workflow w
labels integrity: trusted > untrusted
agent alice, bob
tool fetch() by alice returns untrusted
tool pay() by alice, bob writes
event done by alice
state a initial
state b final
a -> a on fetch, pay
a -> b on done
property pay_not_injected: no untrusted influence on pay
"""


def test_narrow_a_transition_to_the_other_agents(tmp_path):
    (pr,) = _repairs(AGENTS, tmp_path, ("narrow",))
    (repair,) = pr.repairs
    assert "a -> a on pay by bob\n" in repair.text and "a -> a on fetch\n" in repair.text


def test_permission_narrows_or_moves_a_tool(tmp_path):
    (pr,) = _repairs(AGENTS, tmp_path, ("permission",))
    assert [r.what for r in pr.repairs] == ["`pay` no longer by `alice` (`by bob`)"]
    (pr,) = _repairs(AGENTS.replace("tool pay() by alice, bob", "tool pay() by alice"), tmp_path, ("permission",))
    (repair,) = pr.repairs
    assert repair.what == "move `pay` from `alice` to `bob`" and "tool pay() by bob writes" in repair.text
    assert repair.behaviour.adds is True and repair.behaviour.shortest_added[-1] == "pay by bob"


def test_earlier_sets_its_flag_on_a_tool_outcome(tmp_path):
    (pr,) = _repairs(OUTCOMES, tmp_path, ("earlier",))
    repair = next(r for r in pr.repairs if "earlier `check.passed`" in r.what)
    assert "outcome passed { did_check_passed = true } outcome failed" in repair.text
    assert "b -> c on pay when did_check_passed" in repair.text


def test_a_never_condition_becomes_a_guard_on_every_transition(tmp_path):
    text = COUNTER.replace("property few: always n < 3", "property few: never pay when n > 1")
    (pr,) = _repairs(text, tmp_path, ("everywhere",), "few")
    repair = next(r for r in pr.repairs if r.what == "on every transition with `pay`: add `when not (n > 1)`")
    assert "a -> a on pay when not (n > 1)\n" in repair.text and "b -> a on pay when not (n > 1)\n" in repair.text


def test_never_without_when_is_repaired_by_taking_the_step_away(tmp_path):
    # `never pay by alice` holds exactly when no such step is taken: vacuous counts
    text = AGENTS.replace("no untrusted influence on pay", "never pay by alice")
    (pr,) = _repairs(text, tmp_path, ("permission",))
    assert [r.what for r in pr.repairs] == ["`pay` no longer by `alice` (`by bob`)"]
    (pr,) = _repairs(TWO_TRANSITIONS, tmp_path, ("remove", "everywhere"))
    # a flow property made vacuous by dropping its sink is no repair
    assert pr.repairs and all(r.kind != "remove" and " out of " not in r.what for r in pr.repairs)


LOOPS = """workflow w
agent bot
tool look() by bot
tool work() by bot
event finish by bot
state a initial
state b
state c final
a -> a on look
a -> b on work
b -> a on look  # back to the start
b -> c on finish
property ends: terminates
"""


def test_a_loop_budget_makes_a_workflow_terminate(tmp_path):
    assert not _repairs(LOOPS, tmp_path, ONE_TRANSITION)[0].repairs
    (pr,) = _repairs(LOOPS, tmp_path, ("cap",))
    (repair,) = pr.repairs
    assert repair.what.startswith("a loop budget: at most 3 steps") and "var loop_steps: 0..3 = 0" in repair.text
    # the transitions toward the final state stay free: the way out is kept
    assert "a -> b on work\nb -> a on look when loop_steps < 3 { loop_steps = loop_steps + 1 }  # back" in repair.text
    assert "a -> a on look when loop_steps < 3 { loop_steps = loop_steps + 1 }\n" in repair.text
    assert "b -> c on finish\n" in repair.text


def test_every_repair_is_verified_by_the_smt_checker_too(tmp_path):
    path = _copy(tmp_path)
    source = path.read_text()
    before = _smt(source, str(path))
    found = repair_text(source, str(path))
    assert {pr.property for pr in found} == {n for n, s in before.items() if s == "violated"}
    assert {pr.property for pr in found if pr.repairs} >= {"invites_not_injected", "create_event.needs"}
    _assert_verified(source, str(path), found)


def test_agentdojo_repairs_are_verified_by_the_smt_checker(tmp_path):
    path = _copy(tmp_path, BANKING)
    source = path.read_text()
    found = repair_text(source, str(path), ["send_money_not_injected", "update_after_lookup"], keep=3)
    assert all(pr.repairs for pr in found)
    _assert_verified(source, str(path), found)


def _sequences(system, depth: int) -> set[tuple]:
    """Every action sequence of 1..depth steps the system can take (brute force)."""
    interp = Interpreter(system, ())
    frontier, seen = {(interp.initial(), ())}, set()
    for _ in range(depth):
        frontier = {(after, seq + (action_key(step.edge.action),)) for config, seq in frontier
                    for step, after in interp.successors(config)}
        seen |= {seq for _, seq in frontier}
    return seen


SETTINGS = dict(deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@settings(max_examples=8, **SETTINGS)
@given(workflows())
def test_repairs_of_random_workflows_are_verified_and_their_runs_counted(source):
    checked = check_text(source, "random.wf")
    found = repair_text(source, "random.wf", max_candidates=20, keep=2, timeout=5.0)
    _assert_verified(source, "random.wf", found)
    original = lower(checked.model)
    for pr in found:
        for repair in pr.repairs:
            edited = lower(check_text(repair.text, "random.wf").model)
            counted = count_removed(original, edited, 3)
            if counted is None:
                continue
            first, second = _sequences(original, 3), _sequences(edited, 3)
            assert counted == (len(first - second), len(first))
            assert repair.behaviour.adds is not True or repair.kind == "permission"


def test_rendered_repairs_golden(golden):
    """The text `wfcheck repair` prints: numbered repairs with their kind, what each removes
    and adds, and the unified diff (tests/golden/repair/; `pytest --update-goldens`)."""
    found = repair_text(LOOKUP, "lookup.wf", keep=3)
    golden(ROOT / "tests" / "golden" / "repair" / "lookup.txt", render_text(found, "lookup.wf"))


def test_no_repair_is_said_plainly(tmp_path):
    path = _copy(tmp_path)
    (pr,) = repair_text(path.read_text(), str(path), ["invites_confirmed"])
    # every candidate leaves `create_event` never taken (vacuous) or loses a state
    assert pr.repairs == () and pr.exhausted and pr.tried > 0
    out = CliRunner().invoke(main, ["repair", str(path), "--property", "invites_confirmed"])
    assert out.exit_code == 1 and "no repair found" in out.output


def test_cli_applies_a_repair(tmp_path):
    path = _copy(tmp_path)
    runner = CliRunner()
    shown = runner.invoke(main, ["repair", str(path), "--property", "invites_not_injected"])
    assert shown.exit_code == 0 and "repair 1 [" in shown.output and "removes" in shown.output
    applied = runner.invoke(main, ["repair", str(path), "--property", "invites_not_injected", "--apply", "1"])
    assert applied.exit_code == 0, applied.output
    verified = runner.invoke(main, ["verify", str(path), "--property", "invites_not_injected"])
    assert verified.exit_code == 0, verified.output
    assert runner.invoke(main, ["repair", str(path), "--property", "nope"]).exit_code == 2
    assert runner.invoke(main, ["repair", str(path), "--apply", "99"]).exit_code == 2


@pytest.mark.parametrize("kind", ["earlier", "after"])
def test_cli_applies_an_edit_of_several_transitions(tmp_path, kind):
    path = _copy(tmp_path, BANKING)
    name = "update_after_lookup" if kind == "earlier" else "password_not_injected"
    runner = CliRunner()
    shown = runner.invoke(main, ["repair", str(path), "--property", name])
    assert shown.exit_code == 0, shown.output
    number = re.search(rf"repair (\d+) \[{kind}\]", shown.output).group(1)
    applied = runner.invoke(main, ["repair", str(path), "--property", name, "--apply", number])
    assert applied.exit_code == 0 and f"applied repair {number}" in applied.output
    verified = runner.invoke(main, ["verify", str(path), "--property", name, "--engine", "smt"])
    assert verified.exit_code == 0, verified.output
    assert "# Injection: money, payments and credentials move only on the user's word." in path.read_text()


def test_rewrite_joins_clauses_and_keeps_layout():
    text = "workflow w\nagent bot\nvar x: bool = false\nvar y: bool = false\ntool p() by bot\ntool q() by bot\n" \
           "state a initial final\na -> a on p,\n  q when x or y { x = true }  # note\n"
    workflow, _ = parse_text(text, "w.wf")
    t = next(d for d in workflow.decls if isinstance(d, ast.Transition))
    offsets = Offsets(text)
    change = Change(split=((1, (Clause("when", "not y"), Clause("update", "y = false"), Clause("when", "x"))),))
    edited = apply_all(text, rewrite(t, offsets, change))
    assert edited.endswith("a -> a on p when x or y { x = true }  # note\n"
                           "a -> a on q when (x or y) and not y and x { x = true, y = false }\n")
    assert check_text(edited, "w.wf").ok
    # every action moved: the first new transition takes the old one's place (and its comment)
    both = Change(split=((0, (Clause("endorse", "trusted"),)), (1, (Clause("when", "y"),))))
    edited = apply_all(text, rewrite(t, offsets, both))
    assert edited.endswith("a -> a on p endorse trusted when x or y { x = true }  # note\n"
                           "a -> a on q when (x or y) and y { x = true }\n")
