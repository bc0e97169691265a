"""The Promela translation (export/promela.py): well-formed text for every property, and —
when `spin` and `cc` are installed — SPIN's verdict equals the explicit checker's for every
property of the bundled examples and of small workflows aimed at the translation's corners
(simultaneous updates, `any`, negative and wide ranges, a non-chain lattice, a step that
would leave a range, deadlocks and non-final cycles, `terminates` after a final state).

pan.c is compiled with -O0 here: the verdict does not depend on the optimisation level, and
-O2 costs about 3 s of compiling per property (bench/bench_verify.py uses -O2).
"""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import pytest

import wfcheck
from wfcheck.checker.verify.explicit import check_property
from wfcheck.checker.verify.spin import spin_available, spin_check
from wfcheck.export.promela import to_promela
from wfcheck.checker.verify.result import PROVED, UNKNOWN, VACUOUS, VIOLATED
from wfcheck.cli import EXIT_INVALID, EXIT_OK, run_export
from wfcheck.spec.system import System, lower

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
WORKFLOWS = sorted(EXAMPLES.glob("*.wf"))

INLINE = {
    # Read-before-write: a swap keeps the sum; a sequential translation would break it.
    "swap": """
workflow swap
agent a
var x: -40..40 = -3
var y: -40..40 = 5
tool swap() by a { x = y, y = x }
tool shift() by a when x < 40 { x = x + 1, y = y - 1 }
event stop by a
state s initial
state f final
s -> s on swap, shift
s -> f on stop
property sum_kept: always x + y == 2
property never_equal: always x != y
property shift_cap: at most 3 shift
""",
    # `any` over a bool, an enum and a wide negative range (select), read by a simultaneous
    # update of the same step; enums sharing their values.
    "choice": """
workflow choice
agent a
var b: bool = false
var m: {red, green, blue} = red
var n: {red, green, blue} = green
var w: -20..20 = 0
tool pick() by a { b = any, w = any }
tool shade() by a { m = any, n = m }
event stop by a
state s initial
state f final
s -> s on pick, shade
s -> f on stop when b
property w_small: always w < 17
property w_low: always w >= -20
property no_blue_blue: always not (m == blue and n == blue)
property n_never_blue: always n != blue
property stop_needs_b: never stop when not b
property ends: terminates
""",
    # At k == 2 `bump` is enabled but would leave the range: no successor, yet no deadlock
    # (its guard holds) and no cycle, so `terminates` holds; `k.range` does not.
    "stuck": """
workflow stuck
agent a
var k: 0..2 = 0
tool bump() by a { k = k + 1 }
event done by a
state s initial
state f final
s -> s on bump
s -> f on done when k == 1
property ends: terminates
property no_stuck: no deadlock
""",
    # A non-final cycle entered after a final state, and a real deadlock.
    "loops": """
workflow loops
agent a
var c: 0..1 = 0
event go by a
event idle by a
event fall by a
state s initial final
state t, u
s -> t on go
t -> t on idle
t -> u on fall when c == 1
u -> s on go when c == 0
property ends: terminates
property no_stuck: no deadlock
""",
    "deadlock": """
workflow deadlock
agent a
var c: 0..2 = 0
event go by a
event tick by a
state s initial
state t
state f final
s -> t on go
t -> t on tick when c < 2 { c = c + 1 }
t -> f on go when c == 1
property ends: terminates
property no_stuck: no deadlock
""",
    # A diamond (non-chain) confidentiality lattice: join(left, right) = high.
    "diamond": """
workflow diamond
labels confidentiality: low < left < high, low < right < high
labels integrity: trusted > untrusted
agent a, b
var phase: {idle, busy, closed} = idle
var mode: {idle, busy, closed} = busy
tool read_left() by a returns left
tool read_right() by b returns right
tool web() by a returns untrusted
tool post() by a, b sends sink left
tool scrub() by a declassify low endorse trusted
event switch by a
state s initial final
s -> s on read_left, read_right, web, post, scrub
s -> s on switch { phase = mode, mode = phase }
s -> s on message b to a
property no_high: no flow from high to post
property right_to_a: no flow from read_right to a
property left_only: no flow from right to b
property switch_cap: at most 2 switch
property scrub_first: post requires earlier scrub
property never_closed: always phase != closed
property b_quiet: never post by b when mode == idle
property not_injected: no untrusted influence on post
""",
    # A search deeper than the first DFS stack (see test_deep_search_grows_the_stack).
    "deep": """
workflow deep
agent a
var c: 0..250 = 0
tool tick() by a when c < 250 { c = c + 1 }
event stop by a
state s initial
state f final
s -> s on tick
s -> f on stop when c == 250
property capped: always c <= 250
property ends: terminates
""",
}


def load(path_or_name) -> System:
    if isinstance(path_or_name, Path):
        result = wfcheck.check_file(str(path_or_name))
    else:
        result = wfcheck.check_text(INLINE[path_or_name], f"{path_or_name}.wf")
    assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    return lower(result.model)


CASES = [(p.stem, p) for p in WORKFLOWS] + [(name, name) for name in INLINE]

# ---------------------------------------------------------------- the text (no SPIN needed)

IDENT = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")
KEYWORDS = {"active", "proctype", "inline", "do", "od", "if", "fi", "else", "break", "goto", "skip",
            "d_step", "atomic", "assert", "true", "false", "never", "bool", "byte", "short", "int",
            "hidden", "select", "define", "check_state", "workflow", "T0_init", "accept_S1", "FINAL"}


def _strip_comments(text: str) -> str:
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


@pytest.mark.parametrize("name,source", CASES, ids=[c[0] for c in CASES])
def test_promela_text_is_well_formed(name, source):
    system = load(source)
    for check in system.checks:
        text = to_promela(system, check)
        code = _strip_comments(text)
        for left, right in ("{}", "()", "[]"):
            depth = 0
            for ch in code:
                depth += (ch == left) - (ch == right)
                assert depth >= 0, f"{check.name}: unbalanced {left}{right}"
            assert depth == 0, f"{check.name}: unbalanced {left}{right}"
        # One option per step, in order.
        assert re.findall(r"/\* step (\d+):", text) == [str(st.index) for st in system.steps]
        # Every name is declared: a global, a #define, a table, or a keyword.
        declared = set(re.findall(r"^#define (\w+)", text, re.M))
        declared |= set(re.findall(r"^(?:hidden )?(?:bool|byte|short|int) (\w+)", text, re.M))
        used = set(IDENT.findall(re.sub(r"^#define.*$", "", code, flags=re.M)))
        undeclared = {u for u in used - declared - KEYWORDS if not u.isdigit()}
        assert not undeclared, f"{check.name}: undeclared {sorted(undeclared)}"
        # The variables: the control state and one per system variable and monitor.
        assert len(re.findall(r"^(?:bool|byte|short|int) v_", text, re.M)) == len(system.vars) + len(check.monitors)
        assert ("never {" in text) == check.liveness
        assert text == to_promela(system, check), "the translation is deterministic"


def test_wide_and_negative_ranges_get_wide_types():
    system = load("choice")
    text = to_promela(system, system.checks[0])
    assert "short v_w = 0;" in text and "select(v_w : (-20) .. 20);" in text
    assert "if :: v_b = false :: v_b = true fi;" in text
    # `n = m` reads m's value before `m = any` changes it.
    assert re.search(r"d_step \{ v_n = v_m \};\s*if :: v_m = E_red", text)


def test_simultaneous_updates_use_temporaries():
    system = load("swap")
    text = to_promela(system, system.checks[0])
    assert "t0 = v_y; t1 = v_x" not in text  # one statement a line
    assert re.search(r"t0 = v_y;\s*t1 = v_x;\s*v_x = t0;\s*v_y = t1;", text)


def test_export_command(tmp_path, capsys):
    path = str(EXAMPLES / "support.wf")
    assert run_export(path, "promela", None, "refund_cap") == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("/* Generated by wfcheck") and "property `refund_cap`" in out
    assert run_export(path, "promela", None, "nope") == EXIT_INVALID
    assert "unknown property `nope`" in capsys.readouterr().err
    target = tmp_path / "models"
    assert run_export(path, "promela", str(target), None) == EXIT_OK
    names = sorted(p.name for p in target.iterdir())
    assert "refund_cap.pml" in names and len(names) == len(load(EXAMPLES / "support.wf").checks)
    single = tmp_path / "one.pml"
    assert run_export(path, "promela", str(single), "no_stuck_state") == EXIT_OK
    assert "property `no_stuck_state`" in single.read_text()


# ---------------------------------------------------------------- SPIN against explicit

needs_spin = pytest.mark.skipif(not spin_available(), reason="spin and cc are not installed")


def _same(explicit: str, spin: str) -> bool:
    # SPIN does not tell vacuity: "proved" stands for proved or vacuous.
    return {PROVED: PROVED, VACUOUS: PROVED}.get(explicit, explicit) == spin


@lru_cache(maxsize=None)
def _verdicts(name: str) -> dict:
    """Property -> (explicit result, SPIN result) for one case (two checks at a time)."""
    system = load(dict(CASES)[name])

    def one(check):
        return check.name, (check_property(system, check), spin_check(system, check, timeout=60, optimize="-O0"))

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, system.checks))


@needs_spin
@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_spin_agrees_with_explicit(name):
    problems = []
    for prop, (expected, got) in _verdicts(name).items():
        assert expected.status != UNKNOWN and got.status != UNKNOWN, (prop, got.reason)
        if not _same(expected.status, got.status):
            problems.append(f"{prop}: explicit {expected.status}, spin {got.status} ({got.details.get('error')})")
    assert problems == []


@needs_spin
def test_inline_verdicts_are_the_intended_ones():
    """The inline workflows do reach the corners they are written for."""
    def verdicts(name):
        return {prop: got.status for prop, (_, got) in _verdicts(name).items()
                if prop in ("sum_kept", "ends", "no_stuck", "k.range", "no_high", "w_small")}

    assert verdicts("swap") == {"sum_kept": PROVED}
    assert verdicts("stuck") == {"ends": PROVED, "no_stuck": PROVED, "k.range": VIOLATED}
    assert verdicts("loops") == {"ends": VIOLATED, "no_stuck": PROVED}
    assert verdicts("deadlock") == {"ends": VIOLATED, "no_stuck": VIOLATED}
    assert verdicts("diamond") == {"no_high": VIOLATED}
    assert verdicts("choice") == {"w_small": VIOLATED, "ends": VIOLATED}


@needs_spin
def test_deep_search_grows_the_stack(monkeypatch):
    from wfcheck.checker.verify import spin

    monkeypatch.setattr(spin, "FIRST_DEPTH", 20)
    system = load("deep")
    result = spin_check(system, system.check("capped"), timeout=60, optimize="-O0")
    assert result.status == PROVED, result.reason
    result = spin_check(system, system.check("capped"), timeout=60, optimize="-O0", max_depth=20)
    assert result.status == UNKNOWN and "deeper than 20" in result.reason
