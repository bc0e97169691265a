"""`wfcheck mine`: the k-tails learner (every run accepted, the machine reduced), the
property templates (counted as the semantics tracks sources), and the whole command: the
mined spec checks, is formatted, and the trace monitor finds every training run clean."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from wfcheck import api
from wfcheck.checker.mine import automaton, properties
from wfcheck.checker.mine.alphabet import Symbol, identifier
from wfcheck.checker.trace.readers.events import Trace
from wfcheck.checker.trace.readers.reader import read_traces
from wfcheck.cli import main
from wfcheck.spec.fmt import format_workflow
from wfcheck.spec.frontend import check_text
from wfcheck.spec.parser import parse_text

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
TAU = SHARED_DATA / "tau-bench" / "airline" / "gpt-4o"
DOJO = SHARED_DATA / "agentdojo"
needs_data = pytest.mark.skipif(not (SHARED_DATA / "agentdojo" / "index.jsonl").exists(),
                                reason="the shared trajectories are not here")

words = st.lists(st.lists(st.integers(0, 3), max_size=8), min_size=1, max_size=12)


# ---------------------------------------------------------------- the machine

@settings(max_examples=150, deadline=None)
@given(words, st.integers(0, 3))
def test_every_run_is_accepted(runs, k):
    machine, used = automaton.learn(runs, k)
    assert used == k
    assert all(machine.accepts(w) for w in runs)


@settings(max_examples=100, deadline=None)
@given(words, st.integers(0, 3))
def test_the_machine_is_reduced(runs, k):
    """No two states are bisimilar (reducing again changes nothing), and it is no larger
    than the k-tails quotient itself."""
    tree = automaton.PrefixTree()
    for w in runs:
        tree.add(w)
    merged = automaton.quotient(tree, automaton.k_tail_classes(tree, k))
    machine, _ = automaton.learn(runs, k)
    assert automaton.reduce(machine).size == machine.size
    assert machine.size <= merged.size


@settings(max_examples=100, deadline=None)
@given(words)
def test_determinize_keeps_the_language(runs):
    tree = automaton.PrefixTree()
    for w in runs:
        tree.add(w)
    nfa = automaton.reduce(automaton.quotient(tree, automaton.k_tail_classes(tree, 1)))
    dfa = automaton.determinize(nfa)
    assert all(len(ts) == 1 for out in dfa.edges for ts in out.values())
    probes = [w[:i] + w[i + 1:] for w in runs for i in range(len(w))] + [w + [0] for w in runs]
    for w in runs + probes:
        assert dfa.accepts(w) == nfa.accepts(w)


def test_k_tails_generalizes_a_loop():
    """a^n b for n = 1..3: with k = 1 the a's fold into one loop, so a^5 b is accepted
    (a generalization), while b alone and a without b are not."""
    runs = [[0, 1], [0, 0, 1], [0, 0, 0, 1]]
    machine, _ = automaton.learn(runs, 1)
    assert machine.size == 3
    assert machine.accepts([0] * 5 + [1])
    assert not machine.accepts([1]) and not machine.accepts([0, 0])
    exact, _ = automaton.learn(runs, 4)        # deep enough: the prefix tree, minimized
    assert not exact.accepts([0] * 5 + [1])


def test_size_bound_lowers_k_and_fails_clearly():
    runs = [[0, 1], [0, 0, 1], [0, 0, 0, 1], [2, 3, 2]]
    machine, used = automaton.learn(runs, 4, max_states=4)
    assert machine.size <= 4 and used < 4
    with pytest.raises(ValueError, match="more than the bound of 1"):
        automaton.learn(runs, 4, max_states=1)


# ---------------------------------------------------------------- the properties

def _run(*steps):
    return [properties.Step(s) for s in steps]


def tool(name, agent="a"):
    return Symbol("tool", name, agent)


def test_precedence_counts_and_drops_implied_pairs():
    runs = [_run(tool("login"), tool("search"), tool("pay")),
            _run(tool("login"), tool("search"), tool("pay")),
            _run(tool("search"), tool("login"))]
    found = {c.body: (c.held, c.support) for c in properties.precedence(runs, 2)}
    assert found["pay requires earlier search"] == (2, 2)
    assert found["pay requires earlier login"] == (2, 2) or "pay requires earlier login" not in found
    assert found["search requires earlier login"] == (2, 3)
    # login before search before pay: `pay requires earlier login` is implied only if
    # `search requires earlier login` always held, which it did not, so it stays.
    assert "pay requires earlier login" in found


def test_counts_take_the_most_seen():
    runs = [_run(tool("x"), tool("x"), tool("y")), _run(tool("x"))]
    found = {c.body for c in properties.counts(runs)}
    assert found == {"at most 2 x", "at most 1 y"}


def test_flows_follow_messages_between_agents():
    """b never calls `send` after a result of `read`, except when a tells b (message)."""
    msg = Symbol("message", "message", "a", "b")
    runs = [_run(tool("read", "a"), tool("send", "b")),            # b holds nothing: no flow
            _run(tool("read", "a"), msg, tool("send", "b"))]        # a told b: flow
    found = {c.body: (c.held, c.support) for c in properties.flows(runs, 1)}
    assert found["no flow from read to send"] == (1, 2)
    assert found["no flow from send to read"] == (2, 2)


def test_callers_respect_the_catalog():
    runs = [_run(tool("pay", "a"), tool("ask", "b"))]
    found = {c.body for c in properties.callers(runs, ["a", "b"], {"ask": ("b",)})}
    assert found == {"never pay by b"}


def test_identifiers_are_names_of_the_language():
    assert identifier("gmail.send") == "gmail_send"
    assert identifier("state") == "state_"
    assert identifier("2fa") == "_2fa"


# ---------------------------------------------------------------- the command

def _native(tmp_path: Path, runs: list[list[tuple]]) -> Path:
    """Runs as a native JSONL file: (tool, agent, failed) or ("@msg", sender, receiver)."""
    lines = []
    for i, run in enumerate(runs):
        for step in run:
            if step[0] == "@msg":
                lines.append({"trace": f"r{i}", "type": "message", "role": "assistant",
                              "agent": step[1], "to": step[2], "content": "hi"})
            else:
                lines.append({"trace": f"r{i}", "type": "tool_call", "agent": step[1], "tool": step[0],
                              "arguments": {"q": 1}, "result": "r", "error": bool(step[2])})
    path = tmp_path / "runs.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return path


def _assert_sound(text: str, paths: list[str]) -> None:
    result = check_text(text, "<mined>")
    assert result.ok, [d.message for d in result.diagnostics]
    workflow, diagnostics = parse_text(text)
    assert not diagnostics and format_workflow(workflow) == text
    report = api.check_traces(result.model, paths)
    assert report.exit_code == 0, api.render_traces(report)


step = st.one_of(
    st.tuples(st.sampled_from(["search", "gmail.send", "state", "pay"]), st.sampled_from(["bot", "helper"]),
              st.booleans()),
    st.tuples(st.just("@msg"), st.sampled_from(["bot", "helper"]), st.sampled_from(["bot", "helper"])))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(step, min_size=1, max_size=7), min_size=1, max_size=6), st.integers(0, 2))
def test_mined_spec_accepts_its_runs(tmp_path_factory, runs, k):
    """Agreement with the monitor: whatever the runs (several agents, messages, failures,
    names that are not `.wf` names), the mined spec is valid, formatted, and the trace
    monitor finds every training run clean, properties included."""
    runs = [[s for s in r if not (s[0] == "@msg" and s[1] == s[2])] or [("search", "bot", False)]
            for r in runs]
    path = _native(tmp_path_factory.mktemp("mine"), runs)
    mined = api.mine([str(path)], k=k, min_support=1).mined
    _assert_sound(mined.text, [str(path)])


def test_cli_writes_the_spec_and_reports(tmp_path):
    path = _native(tmp_path, [[("search", "bot", False), ("pay", "bot", True)],
                              [("search", "bot", False), ("pay", "bot", False)]])
    out = tmp_path / "shop.wf"
    result = CliRunner().invoke(main, ["mine", str(path), "-o", str(out), "--k", "1"])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "workflow shop" in text and "outcome failed" in text
    assert "property pay_after_search: pay requires earlier search" in text
    assert "# arguments: q (2)" in text
    assert CliRunner().invoke(main, ["fmt", "--check", str(out)]).exit_code == 0
    assert CliRunner().invoke(main, ["trace", str(out), str(path)]).exit_code == 0


def test_cli_bad_input_exits_2(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(main, ["mine", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2 and "WF801" in missing.output
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert runner.invoke(main, ["mine", str(bad)]).exit_code == 2
    path = _native(tmp_path, [[("a", "bot", False)], [("b", "bot", False), ("c", "bot", False)]])
    labels = tmp_path / "labels.wf"
    labels.write_text("tool t( by x\n")
    result = runner.invoke(main, ["mine", str(path), "--labels", str(labels)])
    assert result.exit_code == 2 and "error[" in result.output
    tight = runner.invoke(main, ["mine", str(path), "--max-states", "1"])
    assert tight.exit_code == 2 and "--max-states" in tight.output


def test_labels_keep_the_catalog(tmp_path):
    labels = tmp_path / "catalog.wf"
    labels.write_text('labels confidentiality: public < secret\nagent bot\n'
                      'tool lookup(q) by bot returns secret\nmap "gmail.send" to send\n'
                      'tool send(q) by bot sends sink public\n')
    path = _native(tmp_path, [[("lookup", "bot", False)], [("gmail.send", "bot", False), ("new", "bot", False)]])
    mined = api.mine([str(path)], labels=str(labels)).mined
    assert "tool lookup(q) by bot returns secret" in mined.text
    assert 'map "gmail.send" to send' in mined.text
    assert "tool new(q)" in mined.text and "tool gmail_send" not in mined.text
    _assert_sound(mined.text, [str(path)])


# ---------------------------------------------------------------- real runs

@needs_data
def test_tau_bench_training_runs_are_clean():
    paths = [str(TAU)]
    mined = api.mine(paths, k=1).mined
    assert mined.runs == 100 and mined.states > 2
    assert "property at_most_1_get_user_details: at most 1 get_user_details" in mined.text
    _assert_sound(mined.text, paths)


@needs_data
def test_agentdojo_with_labels_training_runs_are_clean():
    paths = sorted(str(p) for p in (DOJO / "gpt-4o-2024-05-13" / "banking").glob("user_task_*/none/none.json"))
    mined = api.mine(paths, labels=str(ROOT / "examples" / "agentdojo" / "banking.wf")).mined
    assert "tool read_file(file_path: path) by assistant returns untrusted" in mined.text
    _assert_sound(mined.text, paths)


def test_every_reader_format(tmp_path):
    """The example traces of all four formats mine into a spec that accepts them."""
    paths = [str(p) for p in sorted((ROOT / "examples" / "traces" / "email_assistant").iterdir())
             if p.suffix in (".json", ".jsonl")]
    formats = {t.format for t in read_traces(paths) if isinstance(t, Trace)}
    assert formats == {"openai", "anthropic", "otel", "native"}
    _assert_sound(api.mine(paths).mined.text, paths)


def test_no_replies_leaves_text_out_of_the_machine(tmp_path):
    """A run that talks before its tool call is accepted by a spec mined --no-replies from
    one that does not (the monitor takes unmapped replies as context)."""
    quiet = tmp_path / "quiet.jsonl"
    quiet.write_text(json.dumps({"trace": "q", "type": "tool_call", "agent": "bot", "tool": "look",
                                 "arguments": {}, "result": "x"}) + "\n")
    chatty = tmp_path / "chatty.jsonl"
    chatty.write_text("\n".join(json.dumps(x) for x in [
        {"trace": "c", "type": "message", "role": "assistant", "agent": "bot", "content": "let me look"},
        {"trace": "c", "type": "tool_call", "agent": "bot", "tool": "look", "arguments": {}, "result": "x"}]) + "\n")
    text = api.mine([str(quiet)], replies=False).mined.text
    assert "map reply" not in text
    _assert_sound(text, [str(quiet), str(chatty)])


def test_verify_accepts_a_mined_spec(tmp_path):
    """`verify` decides every mined property (the machine generalizes the runs, so some
    may be violated: that is a finding, not an error)."""
    s, p = ("search", "bot", False), ("pay", "bot", False)
    path = _native(tmp_path, [[s, p], [s, s, p], [s, s, s, p]])
    spec = tmp_path / "m.wf"
    spec.write_text(api.mine([str(path)], k=1).mined.text)
    report = api.verify(str(spec), engine="explicit")
    statuses = {r.name: r.status for r in report.results}
    assert statuses["pay_after_search"] == "proved"
    assert statuses["at_most_3_search"] == "violated"     # k = 1 folds the searches into a loop
    result = CliRunner().invoke(main, ["verify", str(spec), "--engine", "explicit"])
    assert result.exit_code == 1, result.output
