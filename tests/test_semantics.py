"""The semantics contract (spec/system.py, run by spec/semantics.py), construct by construct.

Each test is a tiny inline workflow with concrete expected values. The last test is a
differential one: a reference semantics written here straight from the resolved `Model`
(labels, updates and property monitors, without `system.py`) must produce exactly the
configurations and violations of the interpreter along random paths of random workflows.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wfcheck
from wfcheck.checker.verify.explicit import check_system
from replay import replay
from wfcheck.checker.verify.result import PROVED, VACUOUS, VIOLATED
from wfcheck.spec import model as m
from wfcheck.spec.semantics import Interpreter
from wfcheck.spec.system import System, lower

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workflow_gen import traces, workflows  # noqa: E402

HEADER = """
workflow t
labels confidentiality: public < internal < secret
labels integrity: trusted > vetted > untrusted
agent a, b
"""

DIAMOND = """
workflow d
labels confidentiality: low < left < high, low < right < high
labels integrity: top > p > bottom, top > q > bottom
agent a, b
"""


def lowered(source: str) -> System:
    result = wfcheck.check_text(source, "t.wf")
    assert result.ok, [f"{d.code}: {d.message}" for d in result.diagnostics if d.is_error]
    return lower(result.model)


class Run:
    """Fire named actions one after another on the interpreter (all checks monitored)."""

    def __init__(self, source: str) -> None:
        self.system = lowered(source)
        self.interp = Interpreter(self.system)
        self.config = self.interp.initial()

    def step(self, action: str, source: str | None = None):
        """The one step from the current control state whose action reads `action`."""
        here = source or self.config[0]
        steps = [s for s in self.system.steps if str(s.edge.action) == action and s.source == here]
        assert len(steps) == 1, f"{len(steps)} steps `{action}` from `{here}`: " \
                                f"{[str(s.edge.action) for s in self.system.steps]}"
        return steps[0]

    def successors(self, action: str) -> list:
        return self.interp.fire(self.config, self.step(action))

    def fire(self, *actions: str) -> "Run":
        for action in actions:
            following = self.successors(action)
            assert len(following) == 1, f"`{action}` has {len(following)} successors"
            self.config = following[0]
        return self

    def __getitem__(self, name: str):
        return self.interp.describe(self.config)[name]

    def label(self, agent: str) -> tuple[str, str]:
        return self[f"conf.{agent}"], self[f"integ.{agent}"]

    def step_bad(self, prop: str, action: str) -> bool:
        return self.interp.step_bad(self.system.check(prop), self.config, self.step(action))

    def state_bad(self, prop: str) -> bool:
        return self.interp.state_bad(self.system.check(prop), self.config)


def verdicts(source: str) -> dict:
    system = lowered(source)
    results = {r.name: r for r in check_system(system)}
    for r in results.values():
        if r.status == VIOLATED:
            replay(system, system.check(r.name), r.counterexample)
    return results


# ---------------------------------------------------------------- labels


def test_tool_result_joins_confidentiality():
    run = Run(HEADER + """
tool pub() returns public
tool inner() returns internal
tool sec() returns secret
state s initial
s -> s on pub, inner, sec
""")
    assert run.label("a") == ("public", "trusted")
    run.fire("inner by a")
    assert run.label("a") == ("internal", "trusted")
    run.fire("sec by a", "pub by a", "inner by a")
    assert run.label("a") == ("secret", "trusted")  # a join never lowers
    assert run.label("b") == ("public", "trusted")  # only the caller reads the result


def test_tool_result_join_in_a_diamond():
    run = Run(DIAMOND + """
tool l() by a returns left
tool r() by a returns right
state s initial
s -> s on l, r
""")
    run.fire("l by a")
    assert run["conf.a"] == "left"
    run.fire("r by a")
    assert run["conf.a"] == "high"


def test_tool_result_meets_integrity():
    run = Run(HEADER + """
tool vet() returns vetted
tool tr() returns trusted
tool web() returns secret, untrusted
state s initial
s -> s on vet, tr, web
""")
    run.fire("vet by a")
    assert run.label("a") == ("public", "vetted")
    run.fire("tr by a")
    assert run.label("a") == ("public", "vetted")  # a meet never raises
    run.fire("web by b")
    assert run.label("b") == ("secret", "untrusted")  # both dimensions at once


def test_integrity_meet_in_a_diamond():
    run = Run(DIAMOND + """
tool tp() by a returns p
tool tq() by a returns q
state s initial
s -> s on tp, tq
""")
    run.fire("tp by a", "tq by a")
    assert run["integ.a"] == "bottom"


def test_step_writes_the_label_before_its_own_result():
    """A tool's result labels the caller after the call: the first call of a tool that
    returns secret does not send secret data to itself."""
    source = HEADER + """
tool leak() by a returns secret sink public
state s initial
s -> s on leak
"""
    run = Run(source)
    assert not run.step_bad("leak.sink", "leak by a")
    run.fire("leak by a")
    assert run.step_bad("leak.sink", "leak by a")
    result = verdicts(source)["leak.sink"]
    assert result.status == VIOLATED
    assert result.counterexample.edges == (0, 0) and result.counterexample.bad_step


def test_declassify_meets_the_actor_confidentiality_before_the_write():
    source = HEADER + """
tool sec() by a returns secret
tool post() by a returns internal sink internal
state s initial
s -> s on sec
s -> s on post declassify internal
"""
    run = Run(source).fire("sec by a")
    assert not run.step_bad("post.sink", "post by a")  # written at meet(secret, internal)
    run.fire("post by a")
    assert run.label("a") == ("internal", "trusted")  # then joined with the result
    assert verdicts(source)["post.sink"].status == PROVED


def test_declassify_is_a_meet_not_an_assignment():
    source = DIAMOND + """
tool l() by a returns left
tool to_right() by a
tool to_high() by a
state s initial
s -> s on l
s -> s on to_right declassify right
s -> s on to_high declassify high
"""
    assert Run(source).fire("to_high by a")["conf.a"] == "low"   # never raises
    assert Run(source).fire("l by a", "to_right by a")["conf.a"] == "low"  # meet(left, right)
    assert Run(source).fire("l by a", "to_high by a")["conf.a"] == "left"  # meet(left, high)


def test_tool_and_transition_declassify_combine_by_meet():
    run = Run(HEADER + """
tool sec() by a returns secret
tool summarize() by a declassify internal
state s initial
s -> s on sec
s -> s on summarize declassify public
""").fire("sec by a", "summarize by a")
    assert run["conf.a"] == "public"


def test_endorse_joins_the_actor_integrity_before_the_write():
    source = HEADER + """
tool web() by a returns untrusted
tool run() by a needs vetted
state s initial
s -> s on web
s -> s on run endorse vetted
"""
    run = Run(source).fire("web by a")
    assert run.label("a") == ("public", "untrusted")
    assert not run.step_bad("run.needs", "run by a")
    run.fire("run by a")
    assert run.label("a") == ("public", "vetted")
    assert verdicts(source)["run.needs"].status == PROVED


def test_endorse_is_a_join_not_an_assignment():
    source = DIAMOND + """
tool tp() by a returns p
tool to_bottom() by a
tool to_q() by a
state s initial
s -> s on tp
s -> s on to_bottom endorse bottom
s -> s on to_q endorse q
"""
    assert Run(source).fire("to_bottom by a")["integ.a"] == "top"   # never lowers
    assert Run(source).fire("tp by a", "to_bottom by a")["integ.a"] == "p"
    assert Run(source).fire("tp by a", "to_q by a")["integ.a"] == "top"  # join(p, q)


def test_declassify_and_endorse_clear_source_flags():
    source = HEADER + """
tool card() by a returns secret
tool send() by a
tool mail() by a
tool post() by a
state s initial
s -> s on card, mail
s -> s on send declassify secret
s -> s on post endorse untrusted
property leak_send: no flow from card to send
property leak_mail: no flow from card to mail
property leak_post: no flow from card to post
"""
    run = Run(source).fire("card by a")
    assert run["src.a.card"] is True
    assert run.step_bad("leak_mail", "mail by a")
    # Even a declassify or endorse that changes no level clears the flags.
    assert not run.step_bad("leak_send", "send by a")
    assert not run.step_bad("leak_post", "post by a")
    run.fire("send by a")
    assert run["src.a.card"] is False
    assert run.label("a") == ("secret", "trusted")
    results = verdicts(source)
    assert results["leak_mail"].status == VIOLATED
    assert results["leak_send"].status == PROVED and results["leak_post"].status == PROVED


def test_a_tool_flags_its_own_result_only_after_the_call():
    source = HEADER + """
tool card() by a
state s initial
s -> s on card
property again: no flow from card to card
"""
    result = verdicts(source)["again"]
    assert result.status == VIOLATED and len(result.counterexample) == 2


# ---------------------------------------------------------------- messages and events


@pytest.mark.parametrize("kind", ["message", "handoff"])
def test_message_joins_the_sender_label_into_the_receiver(kind):
    source = HEADER + f"""
tool web() by a returns secret, untrusted
tool vet() by b returns vetted
tool card() by a
state s initial
s -> s on web, vet, card
s -> s on {kind} a to b declassify internal
s -> s on {kind} b to a
property to_b: no flow from card to b
property secret_b: no flow from secret to b
property internal_b: no flow from internal to b
"""
    run = Run(source).fire("vet by b", "web by a", "card by a")
    assert run.label("a") == ("secret", "untrusted")
    assert not run.state_bad("to_b")
    run.fire(f"{kind} a to b")
    assert run.label("a") == ("internal", "untrusted")   # the sender is declassified too
    assert run.label("b") == ("internal", "untrusted")   # join(public, internal), meet(vetted, untrusted)
    assert run["src.b.card"] is False                    # the flags were cleared by declassify
    assert run.state_bad("internal_b") and not run.state_bad("secret_b")
    run = Run(source).fire("card by a", f"{kind} b to a")
    assert run["src.a.card"] is True and run["src.b.card"] is False  # flows go with the message
    run.fire(f"{kind} a to b")
    # ... but `a` declassified first, so the flag stays behind
    assert run["src.b.card"] is False
    results = verdicts(source)
    assert results["secret_b"].status == PROVED
    assert results["internal_b"].status == VIOLATED
    assert results["to_b"].status == PROVED


def test_message_without_declassify_carries_source_flags():
    source = HEADER + """
tool card() by a
state s initial
s -> s on card, message a to b
property to_b: no flow from card to b
"""
    run = Run(source).fire("card by a", "message a to b")
    assert run["src.b.card"] is True and run.state_bad("to_b")
    result = verdicts(source)["to_b"]
    assert result.status == VIOLATED and len(result.counterexample) == 2


def test_a_message_never_lowers_the_receiver():
    run = Run(HEADER + """
tool sec() by b returns secret, untrusted
state s initial
s -> s on sec, message a to b
""").fire("sec by b", "message a to b")
    assert run.label("b") == ("secret", "untrusted")
    assert run.label("a") == ("public", "trusted")


def test_message_to_oneself_only_declassifies():
    run = Run(HEADER + """
tool sec() by a returns secret
state s initial
s -> s on sec
s -> s on message a to a declassify internal
""").fire("sec by a", "message a to a")
    assert run.label("a") == ("internal", "trusted")


def test_environment_events_change_no_label():
    source = HEADER + """
tool sec() by a returns secret, untrusted
event tick
event wipe by a
state s initial
s -> s on sec, tick
s -> s on wipe declassify public endorse trusted
"""
    run = Run(source).fire("sec by a")
    before = run.interp.describe(run.config)
    run.fire("tick")
    assert run.interp.describe(run.config) == before
    run.fire("wipe by a")  # an agent's event moves only that agent's label
    assert run.label("a") == ("public", "trusted")
    assert run.label("b") == ("public", "trusted")


def test_environment_events_by_an_agent_restriction():
    """`by` on a transition makes an environment event an agent's event."""
    system = lowered(HEADER + """
event tick
state s initial
s -> s on tick by b
s -> s on tick
""")
    assert [e.action.agent for e in system.model.edges] == ["b", None]


# ---------------------------------------------------------------- updates


def test_simultaneous_assignment_swaps():
    run = Run(HEADER + """
var x: 0..3 = 1
var y: 0..3 = 2
tool t()
state s initial
s -> s on t by a { x = y, y = x }
s -> s on t by b { x = x + 1, y = x }
""").fire("t by a")
    assert (run["x"], run["y"]) == (2, 1)
    run.fire("t by b")
    assert (run["x"], run["y"]) == (3, 2)  # `y = x` reads the old x


def test_tool_outcome_and_transition_updates_apply_together():
    run = Run(HEADER + """
var ok: bool = false
var n: 0..3 = 0
tool check() by a
  outcome good { ok = true }
  outcome bad
state s initial
s -> s on check { n = n + 1 }
""")
    run.fire("check.good by a")
    assert (run["ok"], run["n"]) == (True, 1)
    run.fire("check.bad by a")
    assert (run["ok"], run["n"]) == (True, 2)


def test_any_yields_every_value():
    run = Run(HEADER + """
var x: 0..3 = 0
var e: {red, green, blue} = red
var f: bool = false
tool t()
state s initial
s -> s on t by a { x = any }
s -> s on t by b { e = any, f = any }
""")
    assert sorted(run.interp.describe(c)["x"] for c in run.successors("t by a")) == [0, 1, 2, 3]
    pairs = {(run.interp.describe(c)["e"], run.interp.describe(c)["f"]) for c in run.successors("t by b")}
    assert pairs == {(e, f) for e in ("red", "green", "blue") for f in (False, True)}


def test_out_of_range_update_has_no_successor_and_violates_the_range():
    source = HEADER + """
var x: 0..2 = 1
var y: 0..5 = 5
tool t() by a
tool u() by a
state s initial
s -> s on t { x = x + 1 }
s -> s on u { x = y }
"""
    run = Run(source)
    step = run.step("t by a")
    run.fire("t by a")
    assert run["x"] == 2
    assert run.interp.enabled(run.config, step)
    assert run.interp.fire(run.config, step) == []  # enabled, but no successor
    assert run.interp.step_bad(run.system.check("x.range"), run.config, step)
    result = verdicts(source)["x.range"]
    assert result.status == VIOLATED and result.counterexample.bad_step
    assert len(result.counterexample) == 1  # `x = y` with y = 5 at once
    assert not any(p.name == "y.range" for p in run.system.model.properties)  # never assigned


# ---------------------------------------------------------------- properties


def test_at_most_fires_on_the_next_call():
    source = HEADER + """
tool t()
state s initial
s -> s on t
property two: at most 2 t
property none: at most 0 t by b
property two_by_a: at most 2 t by a
"""
    run = Run(source)
    for _ in range(2):
        assert not run.step_bad("two", "t by a")
        run.fire("t by a")
    assert run.step_bad("two", "t by a") and run.step_bad("two", "t by b")
    assert not run.step_bad("two_by_a", "t by b") and run.step_bad("two_by_a", "t by a")
    results = verdicts(source)
    assert len(results["two"].counterexample) == 3 and results["two"].counterexample.bad_step
    assert len(results["none"].counterexample) == 1
    assert results["none"].counterexample.edges == (1,)  # the call by b


def test_at_most_counts_outcomes_separately():
    results = verdicts(HEADER + """
tool pay() by a
  outcome done
  outcome failed
state s initial
s -> s on pay
property one_payment: at most 1 pay.done
""")
    run = results["one_payment"].counterexample
    assert len(run) == 2 and run.edges == (0, 0)


def test_requires_earlier_is_strict():
    source = HEADER + """
tool t() by a
tool u() by a
state s initial
state m
s -> m on u, t
m -> m on t
property self: t requires earlier t
property order: t requires earlier u
"""
    run = Run(source)
    assert run.step_bad("self", "t by a")  # the step itself does not count as earlier
    assert run.step_bad("order", "t by a")
    run.fire("u by a")
    assert not run.step_bad("order", "t by a")
    results = verdicts(source)
    assert len(results["self"].counterexample) == 1
    assert len(results["order"].counterexample) == 1


def test_never_with_agent_and_condition():
    source = HEADER + """
var armed: bool = false
tool fire_it()
event arm by b
state s initial
s -> s on fire_it, arm { armed = true }
property never_armed: never fire_it when armed
property never_b: never fire_it by b
property never_both: never fire_it by a when armed and at s
"""
    results = verdicts(source)
    assert results["never_armed"].status == VIOLATED and len(results["never_armed"].counterexample) == 2
    assert results["never_b"].status == VIOLATED and results["never_b"].counterexample.edges == (1,)
    assert [len(results["never_both"].counterexample)] == [2]


def test_always_is_checked_on_the_initial_state():
    results = verdicts(HEADER + """
var x: 0..3 = 0
tool t()
state s initial
s -> s on t { x = 1 }
property one: always x == 1
property elsewhere: always not at s
""")
    for name in ("one", "elsewhere"):
        run = results[name].counterexample
        assert results[name].status == VIOLATED and len(run) == 0 and len(run.configs) == 1


def test_no_deadlock():
    source = """
workflow dl
agent a
var x: 0..1 = 0
tool t()
state s initial
state mid
state stuck
state done final
s -> mid on t
mid -> done on t when x > 0
s -> done on t
property nd: no deadlock
"""
    result = verdicts(source)["nd"]
    assert result.status == VIOLATED
    assert len(result.counterexample) == 1 and result.counterexample.configs[-1]["state"] == "mid"
    # a final state without successors is no deadlock; an unreachable dead end does not count
    assert verdicts(source.replace("state mid", "state mid final"))["nd"].status == PROVED


def test_terminates_on_a_deadlock():
    result = verdicts("""
workflow dl
agent a
tool t()
state s initial
state mid
state done final
s -> mid on t
s -> done on t
property ends: terminates
""")["ends"]
    assert result.status == VIOLATED and result.counterexample.loop_start is None
    assert result.counterexample.configs[-1]["state"] == "mid"


def test_terminates_on_a_non_final_cycle():
    result = verdicts("""
workflow loop
agent a
tool t()
tool u()
state s initial
state w
state done final
s -> w on t
w -> s on t
w -> done on u
property ends: terminates
""")["ends"]
    run = result.counterexample
    assert result.status == VIOLATED and run.loop_start is not None
    assert run.configs[run.loop_start] == run.configs[-1]
    assert {c["state"] for c in run.configs[run.loop_start:]} == {"s", "w"}


def test_terminates_allows_cycles_through_final_states_and_bounded_loops():
    results = verdicts("""
workflow ok
agent a
var x: 0..2 = 0
tool t()
tool u()
state s initial
state done final
s -> s on t when x < 2 { x = x + 1 }
s -> done on u
done -> s on t { x = 0 }
done -> done on u
property ends: terminates
property nd: no deadlock
""")
    assert results["ends"].status == PROVED
    assert results["nd"].status == PROVED


def test_vacuity():
    results = verdicts(HEADER + """
var x: 0..1 = 0
tool t() sink public
tool u()
tool v()
state s initial
state unreachable
s -> s on t when x > 0
unreachable -> s on u
s -> s on v
property never_t: never t
property never_u: never u
property never_v: never v when false
property u_first: u requires earlier v
property count: at most 0 t
property flow: no flow from secret to t
property flow_agent: no flow from secret to a
property inv: always x == 0
""")
    for name in ("never_t", "never_u", "u_first", "count", "flow", "t.sink"):
        assert results[name].status == VACUOUS, name
    for name in ("never_v", "flow_agent", "inv"):  # triggered but not bad; state properties
        assert results[name].status == PROVED, name


# ---------------------------------------------------------------- a reference semantics


class Reference:
    """The semantics contract written again, straight from the resolved model (no system.py)."""

    def __init__(self, model: m.Model) -> None:
        self.model = model
        self.conf, self.integ = model.conf, model.integ
        self.sources = []
        for p in model.properties:
            for k in p.kinds:
                if isinstance(k, (m.FlowToTool, m.FlowToAgent)) and k.source_kind == "tool" \
                        and k.source not in self.sources:
                    self.sources.append(k.source)

    def initial(self) -> dict:
        c = {"state": self.model.initial}
        c.update({v.name: v.init for v in self.model.variables})
        for a in self.model.agents:
            c[f"conf.{a}"] = self.conf.levels[0]
            c[f"integ.{a}"] = self.integ.levels[-1]
            c.update({f"src.{a}.{s}": False for s in self.sources})
        for p in self.model.properties:
            for i, k in enumerate(p.kinds):
                if isinstance(k, m.Order):
                    c[f"mon.{p.name}.{i}"] = False
                elif isinstance(k, m.Count):
                    c[f"mon.{p.name}.{i}"] = 0
        return c

    def eval(self, e, c):
        if isinstance(e, m.Const):
            return e.value
        if isinstance(e, m.Var):
            return c[e.name]
        if isinstance(e, m.At):
            return c["state"] == e.state
        if isinstance(e, m.Not):
            return not self.eval(e.operand, c)
        if isinstance(e, m.And):
            return all(self.eval(o, c) for o in e.operands)
        if isinstance(e, m.Or):
            return any(self.eval(o, c) for o in e.operands)
        left, right = self.eval(e.left, c), self.eval(e.right, c)
        if e.op == "+":
            return left + right
        if e.op == "-":
            return left - right
        return {"==": lambda: left == right, "!=": lambda: left != right, "<": lambda: left < right,
                "<=": lambda: left <= right, ">": lambda: left > right, ">=": lambda: left >= right}[e.op]()

    def written(self, edge: m.Edge, c: dict):
        """(conf index, integ index, source flags of the actor after clearing)."""
        actor = edge.action.agent
        if actor is None:
            return 0, len(self.integ.levels) - 1, {}
        c1 = self.conf.index(c[f"conf.{actor}"])
        i1 = self.integ.index(c[f"integ.{actor}"])
        if edge.declassify is not None:
            c1 = self.conf.meet(c1, edge.declassify)
        if edge.endorse is not None:
            i1 = self.integ.join(i1, edge.endorse)
        cleared = edge.declassify is not None or edge.endorse is not None
        return c1, i1, {s: (not cleared) and c[f"src.{actor}.{s}"] for s in self.sources}

    def successors(self, edge: m.Edge, c: dict) -> list[dict]:
        if c["state"] != edge.source or not self.eval(edge.guard, c):
            return []
        choices = [{}]
        for a in edge.assigns:
            sort = self.model.variable(a.var).sort
            if a.value is None:
                choices = [dict(ch, **{a.var: v}) for ch in choices for v in sort.values()]
            else:
                value = self.eval(a.value, c)
                if isinstance(sort, m.IntSort) and not sort.low <= value <= sort.high:
                    return []
                choices = [dict(ch, **{a.var: value}) for ch in choices]
        n = dict(c, state=edge.target)
        action, actor = edge.action, edge.action.agent
        if actor is not None:
            c1, i1, src = self.written(edge, c)
            n[f"conf.{actor}"], n[f"integ.{actor}"] = self.conf.levels[c1], self.integ.levels[i1]
            for s, flag in src.items():
                n[f"src.{actor}.{s}"] = flag
            if action.kind == "tool":
                ret = self.model.tool(action.name).returns
                n[f"conf.{actor}"] = self.conf.levels[self.conf.join(c1, ret.conf)]
                n[f"integ.{actor}"] = self.integ.levels[self.integ.meet(i1, ret.integ)]
                if action.name in self.sources:
                    n[f"src.{actor}.{action.name}"] = True
            elif action.kind in ("message", "handoff") and action.receiver != actor:
                r = action.receiver
                n[f"conf.{r}"] = self.conf.levels[self.conf.join(self.conf.index(c[f"conf.{r}"]), c1)]
                n[f"integ.{r}"] = self.integ.levels[self.integ.meet(self.integ.index(c[f"integ.{r}"]), i1)]
                for s, flag in src.items():
                    n[f"src.{r}.{s}"] = c[f"src.{r}.{s}"] or flag
        for p in self.model.properties:
            for i, k in enumerate(p.kinds):
                key = f"mon.{p.name}.{i}"
                if isinstance(k, m.Order) and k.earlier.matches(action):
                    n[key] = True
                elif isinstance(k, m.Count) and k.pattern.matches(action):
                    n[key] = min(c[key] + 1, k.limit)
        return [dict(n, **ch) for ch in choices]

    def step_bad(self, prop: m.Property, edge: m.Edge, c: dict) -> bool:
        if c["state"] != edge.source or not self.eval(edge.guard, c):
            return False
        action = edge.action
        c1, i1, src = self.written(edge, c)
        for i, k in enumerate(prop.kinds):
            key = f"mon.{prop.name}.{i}"
            if isinstance(k, m.Never):
                if k.pattern.matches(action) and (k.condition is None or self.eval(k.condition, c)):
                    return True
            elif isinstance(k, m.FlowToTool) and k.pattern.matches(action):
                if k.source_kind == "conf" and self.conf.leq(k.source, c1):
                    return True
                if k.source_kind == "integ" and self.integ.leq(i1, k.source):
                    return True
                if k.source_kind == "tool" and src.get(k.source, False):
                    return True
            elif isinstance(k, m.Order):
                if k.pattern.matches(action) and not c[key]:
                    return True
            elif isinstance(k, m.Count):
                if k.pattern.matches(action) and c[key] == k.limit:
                    return True
            elif isinstance(k, m.SinkBound):
                if action.kind == "tool" and action.name == k.tool and not self.conf.leq(c1, k.level):
                    return True
            elif isinstance(k, m.IntegrityNeed):
                if action.kind == "tool" and action.name == k.tool and not self.integ.leq(k.level, i1):
                    return True
            elif isinstance(k, m.InRange):
                for a in edge.assigns:
                    if a.var == k.var and a.value is not None and not isinstance(a.value, m.Const):
                        sort = self.model.variable(a.var).sort
                        if not sort.low <= self.eval(a.value, c) <= sort.high:
                            return True
        return False

    def state_bad(self, prop: m.Property, c: dict) -> bool:
        for k in prop.kinds:
            if isinstance(k, m.FlowToAgent):
                if k.source_kind == "conf" and self.conf.leq(k.source, self.conf.index(c[f"conf.{k.agent}"])):
                    return True
                if k.source_kind == "integ" and self.integ.leq(self.integ.index(c[f"integ.{k.agent}"]), k.source):
                    return True
                if k.source_kind == "tool" and c[f"src.{k.agent}.{k.source}"]:
                    return True
            elif isinstance(k, m.Always):
                if not self.eval(k.condition, c):
                    return True
            elif isinstance(k, (m.NoDeadlock, m.Terminates)):
                if c["state"] not in self.model.finals and not any(
                        e.source == c["state"] and self.eval(e.guard, c) for e in self.model.edges):
                    return True
        return False


def _key(config: dict) -> frozenset:
    return frozenset(config.items())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(workflows(), st.data())
def test_interpreter_agrees_with_a_reference_semantics(source, data):
    """From every reachable configuration (up to a cap), both semantics have the same
    successors by every edge and the same bad states and bad steps for every property;
    then the same along random paths (`traces`) from the initial configuration."""
    system = lowered(source)
    model = system.model
    interp = Interpreter(system)
    ref = Reference(model)
    steps = {s.index: s for s in system.steps}

    def same_at(config) -> dict:
        rc = interp.describe(config)
        for check in system.checks:
            assert ref.state_bad(check.property, rc) == interp.state_bad(check, config), (check.name, rc)
        following = {}
        for edge in model.edges:
            if edge.source != rc["state"]:
                continue
            step = steps[edge.index]
            for check in system.checks:
                assert ref.step_bad(check.property, edge, rc) == interp.step_bad(check, config, step), \
                    (check.name, str(edge.action), rc)
            theirs = {_key(interp.describe(n)): n for n in interp.fire(config, step)}
            mine = {_key(n) for n in ref.successors(edge, rc)}
            assert set(theirs) == mine, (str(edge.action), rc)
            following[edge.index] = list(theirs.values())
        return following

    init = interp.initial()
    assert interp.describe(init) == ref.initial()
    seen, frontier = {init}, [init]
    while frontier and len(seen) < 3000:
        config = frontier.pop()
        for successors in same_at(config).values():
            for n in successors:
                if n not in seen:
                    seen.add(n)
                    frontier.append(n)
    for _ in range(2):
        configs = {init}  # every run along the path, one per choice of `any` values
        for edge_index in data.draw(traces(model, max_length=20)):
            configs = {n for c in configs for n in same_at(c).get(edge_index, [])}
            if not configs:
                break


def test_a_flow_with_an_agent_sink_is_never_vacuous():
    import wfcheck
    from wfcheck.checker.verify.explicit import check_system
    from wfcheck.spec.system import lower

    source = """workflow multi
labels confidentiality: public < secret
agent a, b
tool card() by a returns secret
tool mail() by a when false
state s initial
s -> s on card, mail
property both: no flow from secret to mail, b
property agent_only: no flow from secret to b
"""
    system = lower(wfcheck.check_text(source, "multi.wf").model)
    statuses = {r.name: r.status for r in check_system(system)}
    assert statuses["both"] == statuses["agent_only"] == "proved"


LABEL_KINDS = (m.FlowToTool, m.FlowToAgent, m.SinkBound, m.IntegrityNeed)


@pytest.mark.parametrize("path", sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.wf")),
                         ids=lambda p: p.name)
def test_context_condition_is_the_check_of_a_step_that_writes_its_agents_whole_context(path):
    from wfcheck.spec.frontend import load_model
    from wfcheck.spec.system import agent_flow_condition, context_condition

    system = lower(load_model(str(path)))
    seen = 0
    for check in system.checks:
        kinds = check.property.kinds
        assert all(context_condition(k, a) is None for k in kinds if not isinstance(k, LABEL_KINDS)
                   for a in system.model.agents)
        if len(kinds) != 1 or not isinstance(kinds[0], LABEL_KINDS):
            continue
        kind = kinds[0]
        if isinstance(kind, m.FlowToAgent):
            assert check.state_bad == agent_flow_condition(kind) == context_condition(kind, kind.agent)
            seen += 1
        for index, condition in check.step_condition.items():
            edge = system.steps[index].edge
            if edge.action.agent is not None and edge.declassify is None and edge.endorse is None:
                assert condition == context_condition(kind, edge.action.agent), (check.name, edge)
                seen += 1
    assert seen or not any(isinstance(k, LABEL_KINDS) for p in system.model.properties for k in p.kinds)
