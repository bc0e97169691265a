"""The online trace monitor (checker/trace/monitor.py) on small inline specs and hand-built events.

One test (or a few) per behaviour: each property kind is reported at the event that breaks
it, with its kind; deviations are reported and checking goes on; `check` predicts `step`;
trace mapping (`map`, `map agent`, `map reply`, outcomes from errors); nondeterministic
outcomes; values precision; provenance chains; `reset` and `finish`.
"""
from __future__ import annotations

import copy

import pytest

import wfcheck
from wfcheck.checker.trace.monitor import Monitor, Violation, check_events
from wfcheck.checker.trace.readers.events import Handoff, Location, Message, ToolCall
from wfcheck.spec import model as m

# ---------------------------------------------------------------- helpers


def model_of(source: str) -> m.Model:
    result = wfcheck.check_text(source, "x.wf")
    assert result.ok, [f"{d.code}: {d.message}" for d in result.diagnostics]
    return result.model


def monitor(source: str, precision: str | None = None) -> Monitor:
    return Monitor(model_of(source), precision)


def at(i: int) -> Location:
    return Location("trace.json", i + 1, f"/events/{i}")


def call(tool: str, agent: str | None = "a", result: str | None = None, error: bool = False,
         i: int = 0, **arguments) -> ToolCall:
    return ToolCall(tool, arguments, agent=agent, result=result, is_error=error, location=at(i))


def run(mon: Monitor, events) -> list[list[Violation]]:
    """Step through `events`; the violations of each event, in order."""
    return [list(mon.step(e).violations) for e in events]


def keys(violations) -> set[tuple]:
    return {(v.property, v.kind, v.step) for v in violations}


def line_of(source: str, text: str) -> int:
    """The 1-based line of `source` that starts with `text`."""
    return next(i for i, line in enumerate(source.splitlines(), 1) if line.startswith(text))


def located(events):
    """The events with distinct locations (event i at line i + 1)."""
    out = []
    for i, e in enumerate(events):
        fields = {f: getattr(e, f) for f in e.__slots__ if f != "location"}
        out.append(type(e)(**fields, location=at(i)))
    return out


# ---------------------------------------------------------------- property kinds

PERMISSION = """\
workflow x
agent a, b
var approved: bool = false
tool pay(amount)
tool delete(path)
event approve
state s initial
s -> s on pay, delete
s -> s on approve { approved = true }
property guarded: never pay when not approved
property nobody_b: never delete by b
"""


def test_never_when_is_reported_at_the_event_while_the_condition_holds():
    mon = monitor(PERMISSION)
    per_event = run(mon, located([call("pay", amount=5), call("approve", agent=None), call("pay", amount=5)]))
    assert [keys(vs) for vs in per_event] == [{("guarded", "permission", 0)}, set(), set()]
    v = per_event[0][0]
    assert v.location == at(0) and v.at == "event"
    assert v.span.line == line_of(PERMISSION, "property guarded")
    assert "`a` calls `pay`" in v.message and "`guarded`" in v.message


def test_never_by_an_agent_only_concerns_that_agent():
    mon = monitor(PERMISSION)
    per_event = run(mon, located([call("delete", agent="a", path="x"), call("delete", agent="b", path="x")]))
    assert [keys(vs) for vs in per_event] == [set(), {("nobody_b", "permission", 1)}]


FLOWS = """\
workflow x
labels confidentiality: public < secret
labels integrity: trusted > untrusted
agent a
tool read_secret(q) returns secret
tool fetch(url) returns untrusted
tool post(body) sends sink public
tool pay(amount) writes needs trusted
event vet by a
state s initial
s -> s on read_secret, fetch, post, pay
s -> s on vet endorse trusted
property no_leak: no flow from secret to post
property no_injection: no untrusted influence on pay
property no_web_to_post: no flow from fetch to post
"""


def test_confidentiality_flow_and_sink_are_reported_at_the_write():
    mon = monitor(FLOWS)
    per_event = run(mon, located([call("post", body="hi"), call("read_secret", q="k", result="pw: hunter22"),
                                  call("post", body="hi")]))
    assert [keys(vs) for vs in per_event] == [
        set(), set(), {("no_leak", "flow", 2), ("post.sink", "flow", 2)}]
    leak = next(v for v in per_event[2] if v.property == "no_leak")
    assert "`secret`" in leak.message
    assert leak.span.line == line_of(FLOWS, "property no_leak")
    sink = next(v for v in per_event[2] if v.property == "post.sink")
    assert sink.span.line == line_of(FLOWS, "tool post")


def test_integrity_flow_and_needs_are_reported_and_endorsement_clears_them():
    mon = monitor(FLOWS)
    per_event = run(mon, located([call("pay", amount=1), call("fetch", url="u", result="page"),
                                  call("pay", amount=1), call("vet"), call("pay", amount=1)]))
    assert [keys(vs) for vs in per_event] == [
        set(), set(), {("no_injection", "flow", 2), ("pay.needs", "flow", 2)}, set(), set()]


def test_flow_from_a_tool_is_reported_only_after_the_tool_was_read():
    mon = monitor(FLOWS)
    per_event = run(mon, located([call("post", body="x"), call("fetch", url="u", result="page"),
                                  call("post", body="x")]))
    assert [keys(vs) for vs in per_event] == [set(), set(), {("no_web_to_post", "flow", 2)}]


def test_declassification_on_the_step_clears_a_tool_source():
    source = FLOWS.replace("s -> s on vet endorse trusted", "s -> s on vet declassify public")
    mon = monitor(source)
    per_event = run(mon, located([call("fetch", url="u", result="page"), call("vet"), call("post", body="x")]))
    assert per_event[2] == []


ORDER_COUNT = """\
workflow x
agent a
tool pay(amount)
event approve
state s initial
s -> s on pay
s -> s on approve
property approved_first: pay requires earlier approve
property few: at most 2 pay
"""


def test_requires_earlier_is_reported_only_before_the_earlier_action():
    mon = monitor(ORDER_COUNT.replace("property few: at most 2 pay\n", ""))
    per_event = run(mon, located([call("pay", amount=1), call("approve", agent=None), call("pay", amount=1)]))
    assert [keys(vs) for vs in per_event] == [{("approved_first", "ordering", 0)}, set(), set()]


def test_at_most_n_is_reported_from_the_n_plus_first_occurrence_on():
    mon = monitor(ORDER_COUNT.replace("property approved_first: pay requires earlier approve\n", ""))
    per_event = run(mon, located([call("approve", agent=None)] + [call("pay", amount=1)] * 4))
    assert [keys(vs) for vs in per_event] == [set(), set(), set(), {("few", "counting", 3)}, {("few", "counting", 4)}]


STATE_PROPS = """\
workflow x
agent a
var n: 0..2 = 0
event tick
event go
state s initial
state stuck
state done final
s -> s on tick { n = n + 1 }
s -> stuck on go when n == 1
s -> done on go when n == 0
"""


def test_invariant_is_reported_where_it_begins_to_fail_not_again_while_it_stays_failed():
    mon = monitor(STATE_PROPS + "property low: always n <= 0\n")
    assert mon.start_violations == ()
    per_event = run(mon, located([call("tick", agent=None), call("tick", agent=None)]))
    assert [keys(vs) for vs in per_event] == [{("low", "invariant", 0)}, set()]
    assert per_event[0][0].location == at(0)


def test_invariant_that_recovers_and_fails_again_is_reported_twice():
    source = STATE_PROPS.replace("s -> s on tick { n = n + 1 }", "s -> s on tick { n = n + 1 }\ns -> s on reset { n = 0 }")
    source = source.replace("event go", "event reset\nevent go")
    mon = monitor(source + "property low: always n <= 0\n")
    per_event = run(mon, located([call("tick", agent=None), call("reset", agent=None), call("tick", agent=None)]))
    assert [keys(vs) for vs in per_event] == [{("low", "invariant", 0)}, set(), {("low", "invariant", 2)}]


def test_invariant_broken_initially_is_a_start_violation_at_step_zero():
    mon = monitor(STATE_PROPS + "property high: always n >= 1\n")
    assert keys(mon.start_violations) == {("high", "invariant", 0)}
    assert [v.at for v in mon.start_violations] == ["start"]
    violations = check_events(mon, located([call("tick", agent=None)]))
    assert keys(violations) == {("high", "invariant", 0)}
    assert violations[0].location.file == "<start>"


def test_range_is_reported_at_the_update_that_leaves_it_and_checking_goes_on():
    mon = monitor(STATE_PROPS + "property low: always n <= 1\n")
    per_event = run(mon, located([call("tick", agent=None)] * 3))
    assert [keys(vs) for vs in per_event] == [set(), {("low", "invariant", 1)}, {("n.range", "range", 2)}]
    # the run left the spec's ranges but is followed on: n is now 3
    assert mon.interp.value(mon.configs[0], "n") == 3


def test_deadlock_is_reported_when_the_run_enters_a_dead_state():
    mon = monitor(STATE_PROPS + "property live: no deadlock\n")
    per_event = run(mon, located([call("tick", agent=None), call("go", agent=None)]))
    assert [keys(vs) for vs in per_event] == [set(), {("live", "termination", 1)}]
    assert mon.states == ("stuck",)
    assert mon.finish().violations == ()  # `no deadlock` is not about where the run stops


def test_terminates_is_reported_at_finish_for_a_run_outside_the_final_states():
    mon = monitor(STATE_PROPS + "property ends: terminates\n")
    run(mon, located([call("tick", agent=None), call("tick", agent=None)]))
    end = Location("trace.json", 99)
    verdict = mon.finish(end)
    assert keys(verdict.violations) == {("ends", "termination", 1)}
    assert verdict.violations[0].location == end
    assert verdict.violations[0].at == "end"
    assert "`s`" in verdict.violations[0].message


def test_terminates_holds_for_a_run_that_reaches_a_final_state():
    mon = monitor(STATE_PROPS + "property ends: terminates\n")
    assert run(mon, located([call("go", agent=None)])) == [[]]
    assert mon.states == ("done",)
    assert mon.finish().ok


def test_finish_of_an_empty_run_reports_termination_at_step_zero():
    mon = monitor(STATE_PROPS + "property ends: terminates\n")
    verdict = mon.finish()
    assert keys(verdict.violations) == {("ends", "termination", 0)}
    assert verdict.violations[0].location == Location("<end>", 0)


def test_check_events_lists_violations_in_event_order_the_first_is_the_earliest():
    source = ORDER_COUNT + "property ends: terminates\n"
    events = located([call("approve", agent=None)] + [call("pay", amount=1)] * 3 + [call("nope")])
    violations = check_events(monitor(source), events)
    assert [(v.property, v.step) for v in violations] == [
        ("few", 3), (None, 4), ("ends", 4)]
    assert violations[0].kind == "counting"
    assert [v.step for v in violations] == sorted(v.step for v in violations)


# ---------------------------------------------------------------- deviations

DEVIATIONS = """\
workflow x
labels confidentiality: public < secret
agent a, b
var ready: bool = false
tool read_secret() by a returns secret
tool post(body)
tool unused()
event prepare
state s initial
state t
s -> s on prepare { ready = true }
s -> t on read_secret when ready
t -> t on post
property no_leak: no flow from secret to post
"""


def test_an_unknown_tool_is_a_deviation_and_changes_nothing():
    mon = monitor(DEVIATIONS)
    before = list(mon.configs)
    [vs] = run(mon, [call("rm_rf", i=0)])
    assert keys(vs) == {(None, "deviation", 0)}
    assert "`rm_rf`" in vs[0].message and vs[0].location == at(0)
    assert list(mon.configs) == before and mon.index == 1


def test_a_tool_no_transition_takes_is_a_deviation():
    [vs] = run(monitor(DEVIATIONS), [call("unused")])
    assert keys(vs) == {(None, "deviation", 0)}
    assert "no transition" in vs[0].message


def test_an_agent_the_tool_does_not_allow_is_a_deviation():
    [vs] = run(monitor(DEVIATIONS), [call("read_secret", agent="b")])
    assert keys(vs) == {(None, "deviation", 0)}
    assert "`b`" in vs[0].message and "`read_secret`" in vs[0].message


def test_a_false_guard_is_a_deviation_then_the_run_goes_on_and_a_later_flow_is_found():
    mon = monitor(DEVIATIONS)
    per_event = run(mon, located([call("read_secret", result="s3cret"), call("post", body="x")]))
    assert keys(per_event[0]) == {(None, "deviation", 0)}
    deviation = per_event[0][0]
    assert "guard" in deviation.message and "`ready`" in deviation.message
    assert deviation.span.line == line_of(DEVIATIONS, "s -> t on read_secret")
    assert mon.states == ("t",)
    assert keys(per_event[1]) == {("no_leak", "flow", 1)}


def test_a_step_from_the_wrong_state_is_a_deviation_then_the_run_goes_on():
    # `post` is taken from `s` anyway (to `t`); then `read_secret` from `t` anyway; the leak
    # that follows is still found.
    mon = monitor(DEVIATIONS)
    per_event = run(mon, located([call("post", body="x"), call("read_secret", result="s3cret"),
                                  call("post", body="x")]))
    assert [keys(vs) for vs in per_event] == [
        {(None, "deviation", 0)}, {(None, "deviation", 1)}, {("no_leak", "flow", 2)}]
    assert "not allowed in state `s` (only from `t`)" in per_event[0][0].message
    assert "not allowed in state `t` (only from `s`)" in per_event[1][0].message
    assert mon.states == ("t",)


def test_a_deviation_does_not_hide_a_violation_of_the_same_event():
    # `prepare` is forced from `t` (back to `s`), then `post` is forced from `s` while `a`'s
    # context is secret: that event is both a deviation and a leak.
    mon = monitor(DEVIATIONS)
    per_event = run(mon, located([call("prepare", agent=None), call("read_secret", result="k"),
                                  call("prepare", agent=None), call("post", body="x")]))
    assert [keys(vs) for vs in per_event] == [
        set(), set(), {(None, "deviation", 2)}, {(None, "deviation", 3), ("no_leak", "flow", 3)}]
    assert per_event[3][0].kind == "deviation"


# ---------------------------------------------------------------- check = step without the state change

CHECK_SPEC = """\
workflow x
labels confidentiality: public < secret
labels integrity: trusted > untrusted
agent a, b
var n: 0..3 = 0
tool read_secret() by a returns secret
tool fetch(url) returns untrusted
tool post(body) sends
event tick
state s initial
state done final
s -> s on read_secret, fetch, post
s -> s on handoff a to b
s -> s on tick { n = n + 1 }
s -> done on post when n >= 2
property no_leak: no flow from secret to post
property few: at most 1 tick
property ends: terminates
"""

CHECK_EVENTS = [
    Message("user", "my account is ACC-12345"),
    call("post", body="hello"),
    call("fetch", url="u", result="page with ACC-77777"),
    call("nope"),
    call("post", body="ACC-77777"),
    call("read_secret", result="key SK-99999"),
    Handoff("a", "b", "here: SK-99999"),
    call("post", agent="b", body="SK-99999"),
    call("tick", agent=None),
    call("tick", agent=None),
    call("post", body="ACC-12345"),
    call("read_secret", agent="b"),
]


def _snapshot(mon: Monitor):
    mon.values._sort()
    kinds = list(mon.values._kinds.values())
    for kind in kinds:   # a look-up may index a kind's texts sooner: bring all up to date
        mon.values._index(kind)
    return (list(mon.configs), mon.index, copy.deepcopy(mon.history),
            mon.values.parts(),
            # postings, less the empty lists a look-up leaves to watch for a value's keys
            [{k: list(v) for k, v in kind.postings.items() if v} for kind in kinds])


@pytest.mark.parametrize("precision", ["conservative", "values"])
def test_check_predicts_exactly_what_step_reports_and_changes_nothing(precision):
    mon = monitor(CHECK_SPEC, precision)
    total = 0
    for event in located(CHECK_EVENTS):
        before = _snapshot(mon)
        predicted = mon.check(event)
        assert _snapshot(mon) == before
        assert mon.check(event) == predicted  # twice: still nothing changed
        taken = mon.step(event)
        assert taken == predicted
        total += len(taken.violations)
    assert total >= 4  # the sequence does break things: the comparison is not vacuous


# ---------------------------------------------------------------- trace mapping

MAPPING = """\
workflow x
labels confidentiality: public < internal < secret
agent a, b
tool web(url) returns internal
tool intranet(url) returns secret
tool post(body)
tool verify(id)
  outcome ok
  outcome failed
event close by a
state s initial
state checked
state closed final
s -> s on web, intranet, post
s -> checked on verify.ok
s -> s on verify.failed
checked -> closed on close
property no_secret_post: no flow from secret to post
property a_only: never post by b
map fetch_url to intranet when arg url matches "https://intranet.*"
map fetch_url to web
map check_id to verify.failed when error or output contains "mismatch"
map "support-bot" to post
map agent "helper-bot" to b
map reply to close when output contains "goodbye"
"""


def test_map_by_argument_glob_chooses_the_tool_and_so_the_label():
    mon = monitor(MAPPING)
    inside = call("fetch_url", url="https://intranet.corp/hr", result="salaries")
    outside = call("fetch_url", url="https://example.com", result="news")
    assert [a.name for a in mon.resolver.resolve(inside).actions] == ["intranet"]
    assert [a.name for a in mon.resolver.resolve(outside).actions] == ["web"]
    per_event = run(mon, located([outside, call("post", body="x"), inside, call("post", body="x")]))
    assert [keys(vs) for vs in per_event] == [set(), set(), set(), {("no_secret_post", "flow", 3)}]


def test_map_to_an_outcome_when_error_and_the_success_outcome_otherwise():
    mon = monitor(MAPPING)
    failed = call("check_id", error=True, result="boom", id="1")
    mismatch = call("check_id", result="id mismatch", id="1")
    ok = call("check_id", result="fine", id="1")
    assert [a.outcome for a in mon.resolver.resolve(failed).actions] == ["failed"]
    assert [a.outcome for a in mon.resolver.resolve(mismatch).actions] == ["failed"]
    # no `map` of `check_id` applies, and `check_id` is no tool or event of the spec
    assert mon.resolver.resolve(ok).actions == ()
    # the tool's own name: no error picks `ok`, an error picks `failed`
    assert [a.outcome for a in mon.resolver.resolve(call("verify", id="1")).actions] == ["ok"]
    assert [a.outcome for a in mon.resolver.resolve(call("verify", error=True, id="1")).actions] == ["failed"]
    run(mon, [failed, mismatch])
    assert mon.states == ("s",)
    run(mon, [call("verify", id="1")])
    assert mon.states == ("checked",)


def test_map_agent_names_the_acting_agent():
    mon = monitor(MAPPING)
    by_helper = call("post", agent="helper-bot", body="x")
    [action] = mon.resolver.resolve(by_helper).actions
    assert action.agent == "b"
    per_event = run(mon, located([call("post", agent="a", body="x"), by_helper]))
    assert [keys(vs) for vs in per_event] == [set(), {("a_only", "permission", 1)}]


def test_map_a_quoted_trace_name_to_a_tool():
    mon = monitor(MAPPING)
    [action] = mon.resolver.resolve(call("support-bot", body="x")).actions
    assert (action.kind, action.name, action.agent) == ("tool", "post", "a")


def test_map_reply_makes_a_matching_reply_a_step_and_other_replies_context():
    mon = monitor(MAPPING)
    run(mon, [call("verify", id="1")])
    assert run(mon, [Message("assistant", "let me look", agent="a")]) == [[]]
    assert mon.states == ("checked",)
    assert run(mon, [Message("assistant", "goodbye!", agent="a")]) == [[]]
    assert mon.states == ("closed",)
    assert mon.finish().ok


def test_an_environment_event_is_traced_without_an_agent():
    source = """\
workflow x
agent a
event timeout
state s initial
state t final
s -> t on timeout
"""
    mon = monitor(source)
    assert run(mon, [call("timeout", agent=None)]) == [[]]
    assert mon.states == ("t",)


def test_an_environment_event_performed_by_the_transitions_by_agent():
    source = """\
workflow x
agent planner
event timeout
state s initial
state t final
s -> t on timeout by planner
"""
    mon = monitor(source)
    assert run(mon, [call("timeout", agent="planner")]) == [[]]
    assert mon.states == ("t",)


def test_an_environment_event_stays_one_when_another_transition_gives_it_to_an_agent():
    source = """\
workflow x
agent planner
event timeout
state s initial
state t
state u final
t -> u on timeout by planner
s -> t on timeout
"""
    mon = monitor(source)
    assert run(mon, [call("timeout", agent=None)]) == [[]]
    assert mon.states == ("t",)
    assert run(mon, [call("timeout", agent="planner")]) == [[]]
    assert mon.states == ("u",)


def test_messages_and_handoffs_between_agents_are_steps():
    source = """\
workflow x
agent a, b
state s initial
state t
state u final
s -> t on message a to b
t -> u on handoff b to a
"""
    mon = monitor(source)
    assert run(mon, [Message("assistant", "hi", agent="a", receiver="b")]) == [[]]
    assert mon.states == ("t",)
    assert run(mon, [Handoff("b", "a", "over to you")]) == [[]]
    assert mon.states == ("u",)
    [vs] = run(mon, [Handoff("a", "b")])
    assert keys(vs) == {(None, "deviation", 2)}


# ---------------------------------------------------------------- nondeterminism

BRANCHES = """\
workflow x
agent a
var approved: bool = false
tool check()
  outcome yes { approved = true }
  outcome no
tool pay(amount)
event ship
event retry
state s initial
state p
state q
state done final
s -> p on check.yes
s -> q on check.no
p -> p on pay
q -> q on pay
p -> done on ship
q -> s on retry
property guarded: never pay when not approved
"""


def test_an_open_outcome_is_followed_both_ways():
    mon = monitor(BRANCHES)
    assert {a.outcome for a in mon.resolver.resolve(call("check")).actions} == {"yes", "no"}
    assert run(mon, [call("check")]) == [[]]
    assert set(mon.states) == {"p", "q"}
    # either branch's next step is allowed, and it settles the branch
    assert run(mon, [call("ship", agent=None)]) == [[]]
    assert mon.states == ("done",)
    mon.reset()
    run(mon, [call("check")])
    assert run(mon, [call("retry", agent=None)]) == [[]]
    assert mon.states == ("s",)


def test_a_violation_in_only_one_consistent_configuration_is_reported():
    mon = monitor(BRANCHES)
    per_event = run(mon, located([call("check"), call("pay", amount=1)]))
    assert [keys(vs) for vs in per_event] == [set(), {("guarded", "permission", 1)}]
    assert len(mon.configs) == 2


# ---------------------------------------------------------------- values precision

VALUES = """\
workflow x
labels integrity: trusted > untrusted
agent a
tool fetch(url) returns untrusted
tool write(path, body) writes
state s initial
s -> s on fetch, write
property clean_writes: no untrusted influence on write
precision values
"""


def test_precision_comes_from_the_spec_unless_given():
    assert monitor(VALUES).precision == "values"
    assert monitor(VALUES, "conservative").precision == "conservative"
    assert monitor(VALUES.replace("precision values\n", "")).precision == "conservative"
    with pytest.raises(ValueError):
        monitor(VALUES, "exact")


def test_values_a_value_from_an_untrusted_result_in_a_write_is_flagged_with_where_it_entered():
    mon = monitor(VALUES)
    per_event = run(mon, located([call("fetch", url="u", result="wire to IBAN DE89370400440532013000"),
                                  call("write", path="notes.txt", body="pay DE89370400440532013000")]))
    assert [keys(vs) for vs in per_event] == [set(), {("clean_writes", "flow", 1)}]
    v = per_event[1][0]
    assert v.value == "de89370400440532013000"
    assert "`de89370400440532013000`" in v.message and "entered at event 0" in v.message
    assert [link.step for link in v.chain] == [0, 1]
    assert [link.location for link in v.chain] == [at(0), at(1)]


def test_values_the_same_value_first_given_by_the_user_is_not_flagged():
    mon = monitor(VALUES)
    per_event = run(mon, located([Message("user", "my IBAN is DE89370400440532013000"),
                                  call("fetch", url="u", result="wire to IBAN DE89370400440532013000"),
                                  call("write", path="notes.txt", body="pay DE89370400440532013000")]))
    assert per_event == [[], [], []]


def test_values_a_value_seen_nowhere_is_not_flagged():
    mon = monitor(VALUES)
    per_event = run(mon, located([call("fetch", url="u", result="wire to IBAN DE89370400440532013000"),
                                  call("write", path="report-2024.txt", body="quarterly total 88231")]))
    assert per_event == [[], []]


def test_conservative_precision_flags_every_write_after_an_untrusted_read():
    mon = monitor(VALUES, "conservative")
    per_event = run(mon, located([call("write", path="report-2024.txt", body="x"),
                                  call("fetch", url="u", result="wire to IBAN DE89370400440532013000"),
                                  call("write", path="report-2024.txt", body="quarterly total 88231"),
                                  call("write", path="a.txt", body="nothing")]))
    assert [keys(vs) for vs in per_event] == [
        set(), set(), {("clean_writes", "flow", 2)}, {("clean_writes", "flow", 3)}]
    assert per_event[2][0].value is None


def test_values_a_value_from_a_read_tool_source_is_flagged():
    source = """\
workflow x
labels integrity: trusted > untrusted
agent a
tool fetch(url) returns untrusted
tool post(body)
state s initial
s -> s on fetch, post
property no_web_to_post: no flow from fetch to post
precision values
"""
    mon = monitor(source)
    per_event = run(mon, located([call("fetch", url="u", result="token AB-12345"), call("post", body="x"),
                                  call("post", body="AB-12345")]))
    assert [keys(vs) for vs in per_event] == [set(), set(), {("no_web_to_post", "flow", 2)}]
    assert per_event[2][0].value == "ab-12345"


TOOL_SOURCE = """\
workflow x
agent a, b
tool fetch(url)
tool post(body)
state s initial
s -> s on fetch, post, handoff a to b
property no_web_to_post: no flow from fetch to post
precision values
"""


@pytest.mark.parametrize("precision", ["conservative", "values"])
def test_a_value_from_a_default_label_tool_source_is_flagged(precision):
    # `fetch` returns the lowest label: only its being a flow source makes the value tainted
    mon = monitor(TOOL_SOURCE, precision)
    per_event = run(mon, located([call("fetch", url="u", result="token AB-12345"), call("post", body="AB-12345")]))
    assert [keys(vs) for vs in per_event] == [set(), {("no_web_to_post", "flow", 1)}]


def test_values_a_tool_source_value_the_user_gave_first_is_not_flagged():
    mon = monitor(TOOL_SOURCE)
    per_event = run(mon, located([Message("user", "use token AB-12345"),
                                  call("fetch", url="u", result="token AB-12345"), call("post", body="AB-12345")]))
    assert per_event == [[], [], []]


@pytest.mark.parametrize("echo", [Message("assistant", "I found AB-12345 on the page", agent="a"),
                                  Handoff("a", "b", "I found AB-12345 on the page")],
                         ids=["reply", "handoff"])
def test_values_an_agent_repeating_a_tool_value_does_not_launder_it(echo):
    mon = monitor(TOOL_SOURCE)
    poster = "b" if isinstance(echo, Handoff) else "a"
    per_event = run(mon, located([call("fetch", url="u", result="token AB-12345"), echo,
                                  call("post", agent=poster, body="AB-12345")]))
    assert [keys(vs) for vs in per_event] == [set(), set(), {("no_web_to_post", "flow", 2)}]


# ---------------------------------------------------------------- provenance chains

CHAIN = """\
workflow x
labels confidentiality: public < secret
agent a, b
tool read_secret() by a returns secret
tool send(body) by b sends
state s initial
s -> s on read_secret
s -> s on handoff a to b
s -> s on send
property no_leak: no flow from secret to send
property b_clean: no flow from secret to b
"""


def test_a_chain_lists_the_read_the_handoff_and_the_send():
    mon = monitor(CHAIN)
    per_event = run(mon, located([call("read_secret", result="k"), Handoff("a", "b", "see above"),
                                  call("send", agent="b", body="x")]))
    # `b_clean` is a state property: reported at the hand-off, where it began to fail
    assert keys(per_event[1]) == {("b_clean", "flow", 1)}
    assert keys(per_event[2]) == {("no_leak", "flow", 2)}
    [leak] = [v for v in per_event[2] if v.property == "no_leak"]
    chain = leak.chain
    assert [link.step for link in chain] == [0, 1, 2]
    assert [link.location for link in chain] == [at(0), at(1), at(2)]
    assert "`read_secret`" in chain[0].text and "`a`" in chain[0].text
    assert "hands off to `b`" in chain[1].text
    assert "`send`" in chain[2].text


def test_a_flow_to_an_agent_is_reported_with_its_chain_at_the_handoff_that_carries_it():
    mon = monitor(CHAIN)
    per_event = run(mon, located([call("read_secret", result="k"), Handoff("a", "b", "see above"),
                                  call("read_secret", result="k")]))
    assert [keys(vs) for vs in per_event] == [set(), {("b_clean", "flow", 1)}, set()]
    assert "`b`" in per_event[1][0].message
    assert [link.step for link in per_event[1][0].chain] == [0, 1]


def test_a_repeated_move_reports_its_own_event_step_and_chain():
    # The same action from the same configurations (a memoized move) at other events, after
    # another history: index, location and chain are those of the event.
    mon = monitor(CHAIN)
    check_events(mon, located([call("read_secret"), Handoff("a", "b"), call("send", agent="b")]))
    violations = check_events(mon, located([call("nope"), call("read_secret"), Handoff("a", "b"),
                                            call("send", agent="b"), call("send", agent="b")]))
    leaks = [v for v in violations if v.property == "no_leak"]
    assert [(v.step, v.location) for v in leaks] == [(3, at(3)), (4, at(4))]
    assert [[link.step for link in v.chain] for v in leaks] == [[1, 2, 3], [1, 2, 4]]


def test_a_multi_sink_flow_to_an_agent_names_the_agent_and_has_a_chain():
    source = CHAIN.replace("property b_clean: no flow from secret to b\n", "").replace(
        "no flow from secret to send", "no flow from secret to send, b")
    mon = monitor(source)
    per_event = run(mon, located([call("read_secret", result="k"), Handoff("a", "b", "see above"),
                                  call("read_secret", result="k")]))
    assert [keys(vs) for vs in per_event] == [set(), {("no_leak", "flow", 1)}, set()]
    assert "`b`" in per_event[1][0].message
    assert [link.step for link in per_event[1][0].chain] == [0, 1]


def test_a_tool_source_chain_names_the_read_of_the_tool():
    mon = monitor(FLOWS)
    per_event = run(mon, located([call("fetch", url="u", result="page"), call("post", body="x")]))
    assert keys(per_event[1]) == {("no_web_to_post", "flow", 1)}
    assert [link.step for link in per_event[1][0].chain] == [0, 1]


# ---------------------------------------------------------------- reset and finish


def test_reset_clears_configurations_index_history_and_values():
    source = """\
workflow x
labels integrity: trusted > untrusted
agent a
tool fetch(url) returns untrusted
tool write(path, body) writes
state s initial
state t final
s -> s on fetch
s -> t on write
t -> t on write
property clean_writes: no untrusted influence on write
precision values
"""
    mon = monitor(source)
    initial = list(mon.configs)
    per_event = run(mon, [call("fetch", url="u", result="ACC-55555"), call("write", path="p", body="ACC-55555")])
    assert keys(per_event[1]) == {("clean_writes", "flow", 1)}
    assert mon.index == 2 and list(mon.configs) != initial and mon.history != {}
    mon.reset()
    assert list(mon.configs) == initial and mon.index == 0 and mon.history == {}
    # what was read before the reset no longer counts
    [vs] = run(mon, [call("write", path="p", body="ACC-55555")])
    assert vs == []


def test_check_events_resets_the_monitor_first():
    mon = monitor(ORDER_COUNT)
    events = located([call("approve", agent=None), call("pay", amount=1)])
    run(mon, [call("pay", amount=1)] * 3)
    assert check_events(mon, events) == []


def test_finish_reports_termination_if_the_run_may_have_stopped_outside_a_final_state():
    source = """\
workflow x
agent a
tool t()
  outcome yes
  outcome no
state s initial
state done final
s -> done on t.yes
s -> s on t.no
property ends: terminates
"""
    mon = monitor(source)
    run(mon, [call("t")])
    assert set(mon.states) == {"s", "done"}
    assert keys(mon.finish().violations) == {("ends", "termination", 0)}


def test_map_user_turns_a_matching_user_message_into_an_action():
    spec = """agent assistant, user
var confirmed: bool = false
tool pay(amount) by assistant writes
event confirm by user
state s initial final
s -> s on confirm { confirmed = true }
s -> s on message user to assistant
s -> s on pay { confirmed = false }
property confirmed_first: never pay when not confirmed
map user to confirm when output matches "*[Yy]es*"
"""
    mon = Monitor(wfcheck.check_text(spec, "x.wf").model)
    at = Location("t.jsonl", 1)
    events = [Message("user", "pay the bill", location=at), ToolCall("pay", {"amount": 5}, location=at),
              Message("user", "Yes, go ahead", location=at), ToolCall("pay", {"amount": 5}, location=at)]
    assert [(v.property, v.step) for v in check_events(mon, events)] == [("confirmed_first", 1)]
