"""The SMT checker against the explicit-state checker on small inline workflows.

Every verdict must equal the explicit checker's; every counterexample must replay through
the concrete semantics, and a safety counterexample must be as short as the explicit
(breadth-first, hence shortest) one; every proof must carry a certificate whose invariant
holds in every reachable configuration. Then the verdicts that only some workflows show:
a `terminates` violation as a lasso and as a deadlock, a termination proof, vacuity, and
`unknown` when the bound is too small.
"""
from __future__ import annotations

import pickle
from collections import deque

import pytest

import wfcheck
from wfcheck.checker.verify import explicit, smt
from replay import replay
from wfcheck.checker.verify.result import PROVED, UNKNOWN, VACUOUS, VIOLATED
from wfcheck.checker.verify.run import verify_model
from wfcheck.spec.semantics import Interpreter
from wfcheck.spec.system import System, lower

SUPPORT = """workflow support
labels confidentiality: public < internal < secret
labels integrity: trusted > untrusted
agent assistant, customer
var verified: bool = false
var refunds: 0..3 = 0
var ticket: {open, closed} = open
tool verify_identity(user_id) by assistant reads returns internal
  outcome ok { verified = true }
  outcome failed
tool get_card(user_id) by assistant returns secret
tool search_web(query) by assistant returns public, untrusted
tool refund(order, amount) by assistant writes needs trusted when verified and refunds < 3 { refunds = refunds + 1 }
tool send_email(to, body) by assistant sends sink public
event finish by assistant
state start initial
state open
state done final
start -> open on verify_identity.ok
start -> start on verify_identity.failed
open -> open on get_card, search_web, refund, send_email
open -> open on message customer to assistant
open -> done on finish { ticket = closed }
property no_card_leak: no flow from secret to send_email
property verify_first: refund requires earlier verify_identity
property injection_safe: no untrusted influence on refund
property refund_cap: at most 3 refund
property cap_two: at most 2 refund
property inv: always refunds <= 3
property ends: terminates
property nd: no deadlock
property closed_refund: never refund by customer when ticket == closed
"""

# A lattice that is not a chain (hr and finance are incomparable), tool-source flows,
# `any`, enums, and an arithmetic update that can leave its range.
LATTICE = """workflow lattice
labels confidentiality: public < hr < secret, public < finance < secret
labels integrity: trusted > untrusted
agent a, b
var mode: {idle, busy, closed} = idle
var n: 0..2 = 0
tool read_hr() by a returns hr
tool read_fin() by b returns finance
tool web() by a returns untrusted
tool post(x) sends sink hr
tool shuffle() by a { mode = any }
tool bump() by b { n = n + 1 }
event finish by a
state s initial
state t
state done final
s -> s on read_hr, web, shuffle
s -> t on message a to b
t -> t on read_fin, bump
t -> s on handoff b to a
t -> t on post by b
s -> s on post by a when mode != closed
t -> done on finish when mode == closed
property hr_to_b: no flow from hr to b
property fin_post: no flow from finance to post
property web_to_post: no flow from web to post
property secret_a: no flow from secret to a
property bumps: at most 1 bump
property closed_done: always not at done or mode == closed
property ends: terminates
"""

# `terminates` fails by a loop that never has to leave (`spin`).
SPIN = """workflow spin
agent a
var k: 0..3 = 0
tool spin() by a
tool step() by a when k < 3 { k = k + 1 }
event finish by a
state s initial
state done final
s -> s on spin
s -> s on step
s -> done on finish when k == 3
property ends: terminates
property nd: no deadlock
"""

# `terminates` fails by a deadlock: after two steps nothing is enabled.
STUCK = """workflow stuck
agent a
var k: 0..3 = 0
tool step() by a when k < 2 { k = k + 1 }
event finish by a
state s initial
state done final
s -> s on step
s -> done on finish when k == 3
property ends: terminates
property nd: no deadlock
"""

# `terminates` holds: the loop counts up and the count is bounded.
COUNTDOWN = """workflow countdown
agent a
var k: 0..3 = 0
tool step() by a when k < 3 { k = k + 1 }
event finish by a
state s initial
state mid
state done final
s -> mid on step
mid -> s on step
s -> done on finish when k == 3
mid -> done on finish when k == 3
property ends: terminates
property nd: no deadlock
"""

# Steps that can never be taken: properties about them are vacuous.
VACUITY = """workflow vacuity
agent a
var paid: bool = false
var audits: 0..5 = 0
tool pay() by a when not paid { paid = true }
tool refund() by a when paid and not paid
tool audit() by a when audits == 7
tool note() by a when audits < 5 { audits = audits + 1 }
event finish by a
state s initial
state done final
s -> s on pay, refund, audit, note
s -> done on finish
property no_refund: never refund
property refund_after_pay: refund requires earlier pay
property audit_cap: at most 0 audit
property pay_once: at most 1 pay
"""

# `fire` can only be taken after 12 ticks: beyond a bound of 5, so BMC never sees it.
DEEP_TRIGGER = """workflow deep
agent a
var n: 0..12 = 0
var fired: bool = false
tool tick() by a when n < 12 { n = n + 1 }
tool fire() by a when n == 12 and not fired { fired = true }
event finish by a
state s initial
state done final
s -> s on tick, fire
s -> done on finish
property fire_once: at most 1 fire
"""

# The only violation needs 13 steps.
LONG = """workflow long
agent a
var n: 0..12 = 0
tool tick() by a when n < 12 { n = n + 1 }
event finish by a
state s initial
state done final
s -> s on tick
s -> done on finish when n == 12
property never_done: always not at done
property ticks: at most 11 tick
"""

# A combination lock: 30 `right` in a row, where any `wrong` starts over. Random runs
# (one in 2^30) do not open it; BMC with a bound below 31 cannot.
LOCK = """workflow lock
agent a
var k: 0..30 = 0
tool right() by a when k < 30 { k = k + 1 }
tool wrong() by a { k = 0 }
event finish by a
state s initial
state done final
s -> s on right, wrong
s -> done on finish
property stays_locked: always k < 30
"""

WORKFLOWS = {"support": SUPPORT, "lattice": LATTICE, "spin": SPIN, "stuck": STUCK,
             "countdown": COUNTDOWN, "vacuity": VACUITY, "long": LONG}


def load(text: str) -> System:
    result = wfcheck.check_text(text, "inline.wf")
    assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    return lower(result.model)


@pytest.fixture(scope="module")
def verdicts():
    """name -> (system, smt results by property, explicit results by property)."""
    out = {}
    for name, text in WORKFLOWS.items():
        system = load(text)
        ours = {r.name: r for r in smt.check_system(system)}
        theirs = {r.name: r for r in explicit.check_system(system)}
        out[name] = (system, ours, theirs)
    return out


def reachable(system: System, check) -> list[dict]:
    """Every reachable configuration of `system` with `check`'s monitors, described."""
    interp = Interpreter(system, [check])
    seen, queue = {interp.initial()}, deque([interp.initial()])
    while queue:
        config = queue.popleft()
        for _, nxt in interp.successors(config):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return [interp.describe(c) for c in seen]


# ---------------------------------------------------------------- agreement


@pytest.mark.parametrize("workflow", sorted(WORKFLOWS))
def test_verdicts_agree_with_explicit(verdicts, workflow):
    system, ours, theirs = verdicts[workflow]
    assert list(ours) == [c.name for c in system.checks]
    for name, mine in theirs.items():
        assert mine.status != UNKNOWN
        assert (name, ours[name].status) == (name, mine.status)
        assert ours[name].engine == "smt"


@pytest.mark.parametrize("workflow", sorted(WORKFLOWS))
def test_counterexamples_replay_and_are_shortest(verdicts, workflow):
    system, ours, theirs = verdicts[workflow]
    for name, result in ours.items():
        if result.status != VIOLATED:
            assert result.counterexample is None
            continue
        check = system.check(name)
        replay(system, check, result.counterexample)
        assert result.counterexample.configs[0] == Interpreter(system, [check]).describe(
            Interpreter(system, [check]).initial())
        if not check.liveness:
            assert len(result.counterexample) == len(theirs[name].counterexample), name


@pytest.mark.parametrize("workflow", sorted(WORKFLOWS))
def test_proofs_carry_an_invariant_of_every_reachable_configuration(verdicts, workflow):
    system, ours, _ = verdicts[workflow]
    for name, result in ours.items():
        if result.status != PROVED:
            assert result.invariant is None
            continue
        certificate = result.invariant
        assert isinstance(certificate, smt.Certificate)
        assert certificate.method in ("k-induction", "spacer") and certificate.formula
        if certificate.method == "k-induction":
            assert certificate.k in (0, 1)  # then the formula is itself inductive
        check = system.check(name)
        configs = reachable(system, check)
        start = configs[0] if configs else None
        initial = Interpreter(system, [check]).describe(Interpreter(system, [check]).initial())
        # As another process sends it back (`verify --jobs`): the term parsed from `formula`.
        copied = pickle.loads(pickle.dumps(certificate))
        assert copied == certificate and copied.term is not None
        for config in configs:
            extended = dict(config, **{"l2s.saved": False},
                            **{f"l2s.copy.{k}": v for k, v in initial.items()})
            assert certificate.holds(extended), (name, config)
            assert copied.holds(extended), (name, config)
        assert start is not None


def test_the_examples_verdicts_are_decided_quickly(verdicts):
    for system, ours, _ in verdicts.values():
        for result in ours.values():
            assert result.seconds < 2.0, (result.name, result.seconds)


# ---------------------------------------------------------------- termination


def test_terminates_violated_by_a_lasso(verdicts):
    system, ours, _ = verdicts["spin"]
    run = ours["ends"].counterexample
    assert ours["ends"].status == VIOLATED and run.loop_start is not None
    assert run.configs[-1] == run.configs[run.loop_start]
    assert not run.bad_step and len(run.edges) == len(run.configs) - 1
    assert ours["nd"].status == PROVED


def test_terminates_violated_by_a_deadlock(verdicts):
    system, ours, theirs = verdicts["stuck"]
    run = ours["ends"].counterexample
    assert ours["ends"].status == VIOLATED and run.loop_start is None
    assert (run.configs[-1]["state"], run.configs[-1]["k"]) == ("s", 2)
    assert len(run) == len(theirs["ends"].counterexample) == 2
    assert ours["nd"].status == VIOLATED


def test_terminates_proved_when_every_loop_is_bounded(verdicts):
    _, ours, _ = verdicts["countdown"]
    assert ours["ends"].status == PROVED
    assert not ours["ends"].invariant.loop_free  # a proof about the s/mid loop, not the graph


# ---------------------------------------------------------------- vacuity


def test_properties_about_steps_that_never_happen_are_vacuous(verdicts):
    _, ours, _ = verdicts["vacuity"]
    assert {n: ours[n].status for n in ("no_refund", "refund_after_pay", "audit_cap", "pay_once")} == {
        "no_refund": VACUOUS, "refund_after_pay": VACUOUS, "audit_cap": VACUOUS, "pay_once": PROVED}
    assert ours["no_refund"].invariant is None


def test_steps_reachable_only_beyond_the_bound_are_not_vacuous():
    system = load(DEEP_TRIGGER)
    check = system.check("fire_once")
    assert explicit.check_property(system, check).status == PROVED
    result = smt.check_property(system, check, bound=5)
    assert result.status == PROVED and result.invariant is not None


# ---------------------------------------------------------------- the bound


def test_beyond_the_bound_a_random_run_is_the_counterexample():
    system = load(LONG)
    check = system.check("never_done")
    result = smt.check_property(system, check, bound=5)
    assert result.status == VIOLATED and result.details["shortest"] is False
    assert result.bound == 5 and "within 5 steps" in result.reason
    assert len(result.counterexample) > 5
    replay(system, check, result.counterexample)
    # With a bound long enough, BMC's shortest run (no such note).
    full = smt.check_property(system, check, bound=13)
    assert full.status == VIOLATED and len(full.counterexample) == 13
    assert "shortest" not in full.details and full.reason is None


def test_a_random_runs_loops_are_cut_out():
    system = load(LOCK.replace("30", "3"))   # random runs open a 3-step lock, wandering first
    check = system.check("stays_locked")
    result = smt.check_property(system, check, bound=1)
    assert result.status == VIOLATED and result.details["shortest"] is False
    replay(system, check, result.counterexample)
    configs = [tuple(sorted(c.items())) for c in result.counterexample.configs]
    assert len(configs) == len(set(configs)), "a configuration repeats: a loop was left in"


def test_unknown_when_no_run_within_the_bound_shows_the_violation():
    system = load(LOCK)
    result = smt.check_property(system, system.check("stays_locked"), bound=5, timeout=5.0)
    assert result.status == UNKNOWN and result.counterexample is None
    assert result.bound == 5 and "within 5 steps" in result.reason


def test_a_longer_bound_finds_the_counterexample(verdicts):
    _, ours, theirs = verdicts["long"]
    assert ours["never_done"].status == VIOLATED
    assert len(ours["never_done"].counterexample) == len(theirs["never_done"].counterexample) == 13


def test_check_system_selects_properties_in_system_order():
    system = load(SUPPORT)
    results = smt.check_system(system, ["inv", "no_card_leak"], bound=10, timeout=5.0)
    assert [r.name for r in results] == ["no_card_leak", "inv"]
    assert [r.status for r in results] == [VIOLATED, PROVED]


@pytest.mark.parametrize("engine", ["smt", "explicit"])
def test_properties_decided_in_parallel_get_the_same_verdicts(engine):
    model = wfcheck.check_text(SUPPORT, "inline.wf").model
    alone = verify_model(model, engine, bound=10, jobs=1)
    side_by_side = verify_model(model, engine, bound=10, jobs=2)
    assert [r.name for r in side_by_side.results] == [c.name for c in side_by_side.system.checks]
    assert [(r.name, r.status) for r in side_by_side.results] == [(r.name, r.status) for r in alone.results]
    for result in side_by_side.results:
        if result.counterexample is not None:
            replay(side_by_side.system, side_by_side.system.check(result.name), result.counterexample)
