"""The control graph, its structural findings (WF601-WF604), and expressions printed as text."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wfcheck.api import check_text
from wfcheck.spec import model as m
from wfcheck.spec.diagnostics import Severity
from wfcheck.spec.graph import reachable_states, state_graph, structural_findings
from wfcheck.spec.ir_text import assign_text, expr_text

HEAD = """workflow w
agent a, b
var x: 0..3 = 0
tool t() by a
tool u() by a, b
tool v() by a
  outcome ok
  outcome failed
event finish by a
"""


def model_of(text: str) -> m.Model:
    result = check_text(text, "w.wf")
    assert result.model is not None, [d.message for d in result.diagnostics]
    return result.model


def findings(body: str, code: str | None = None) -> list:
    found = structural_findings(model_of(HEAD + body))
    return [d for d in found if code is None or d.code == code]


def line_of(body: str, needle: str) -> int:
    """The 1-based line of `needle` in HEAD + body."""
    lines = (HEAD + body).splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


# ---------------------------------------------------------------- the graph

def test_state_graph_nodes_and_edges():
    body = """state s initial
state d final
s -> d on u when x < 2 { x = x + 1 }
s -> s on t
"""
    graph = state_graph(model_of(HEAD + body))
    assert dict(graph.nodes(data="initial")) == {"s": True, "d": False}
    assert dict(graph.nodes(data="final")) == {"s": False, "d": True}
    assert graph.nodes["d"]["span"].line == line_of(body, "state d")
    # u by a, u by b, t by a: one edge each, keyed by the model edge index.
    edges = sorted(graph.edges(keys=True, data=True), key=lambda e: e[2])
    assert [(src, dst, key, data["action"]) for src, dst, key, data in edges] == [
        ("s", "d", 0, "u by a"), ("s", "d", 1, "u by b"), ("s", "s", 2, "t by a")]
    assert edges[0][3]["guard"] == "x < 2"
    assert edges[0][3]["assigns"] == ["x = x + 1"]
    assert edges[0][3]["edge"].index == 0
    assert "guard" not in edges[2][3]
    assert edges[2][3]["assigns"] == []


def test_reachable_states_ignore_guards():
    body = """state s initial
state m, d final
state lost
s -> m on t when x > 5 - 3
m -> d on finish
lost -> d on finish
"""
    assert reachable_states(model_of(HEAD + body)) == {"s", "m", "d"}


# ---------------------------------------------------------------- WF601 unreachable

def test_wf601_unreachable_state():
    body = """state s initial
state d final
state orphan
s -> d on finish
orphan -> d on t
"""
    [d] = findings(body)
    assert d.code == "WF601"
    assert d.severity is Severity.WARNING
    assert d.message == "state `orphan` is unreachable from the initial state `s`"
    assert (d.span.line, d.span.column) == (line_of(body, "state orphan"), 7)
    assert "orphan" in d.help


def test_wf601_not_reported_when_every_state_is_reachable():
    body = """state s initial
state mid
state d final
s -> mid on t
mid -> d on finish
"""
    assert findings(body) == []


# ---------------------------------------------------------------- WF602 cannot finish

TRAP = """state s initial
state d final
state trap
s -> d on finish
s -> trap on t
trap -> trap on t
"""


def test_wf602_no_final_state_reachable():
    [d] = findings(TRAP)
    assert d.code == "WF602"
    assert d.message == "no final state can be reached from state `trap`"
    assert d.span.line == line_of(TRAP, "state trap")


def test_wf602_not_reported_when_a_final_state_is_reachable():
    assert findings(TRAP + "trap -> d on finish\n") == []


def test_wf602_not_reported_without_final_states():
    result = check_text(HEAD + TRAP.replace("state d final", "state d"), "w.wf")
    assert "WF402" in {d.code for d in result.diagnostics}
    # `trap` cannot finish, but there is nothing to finish in; `d` is still a dead end.
    assert [(d.code, d.message) for d in structural_findings(result.model)] == [
        ("WF603", "state `d` is a dead end: it is not final and has no outgoing transition")]


def test_wf602_when_the_final_state_is_unreachable():
    body = """state s initial
state d final
state loop
s -> loop on t
loop -> s on t
"""
    found = findings(body)
    assert [(d.code, d.message) for d in found] == [
        ("WF602", "no final state can be reached from state `s`"),
        ("WF601", "state `d` is unreachable from the initial state `s`"),
        ("WF602", "no final state can be reached from state `loop`"),
    ]


# ---------------------------------------------------------------- WF603 dead end

STUCK = """state s initial
state d final
state stuck
s -> d on finish
s -> stuck on t
"""


def test_wf603_dead_end_is_reported_once():
    # `stuck` also reaches no final state; the dead end is the one finding for it.
    [d] = findings(STUCK)
    assert d.code == "WF603"
    assert d.message == "state `stuck` is a dead end: it is not final and has no outgoing transition"
    assert d.span.line == line_of(STUCK, "state stuck")


def test_wf603_final_state_without_transitions_is_fine():
    assert findings(STUCK.replace("state stuck", "state stuck final")) == []


def test_wf603_not_reported_for_unreachable_dead_end():
    found = findings(STUCK.replace("s -> stuck on t\n", ""))
    assert [d.code for d in found] == ["WF601"]


# ---------------------------------------------------------------- WF604 nondeterminism

def test_wf604_same_action_two_targets():
    body = """state s initial
state d, e final
s -> d on t
s -> e on t
"""
    [d] = findings(body)
    assert d.code == "WF604"
    assert d.message == "nondeterministic choice in state `s`: `t by a` can lead to `d` or `e`"
    assert d.span.line == line_of(body, "s -> e")
    assert [(text, span.line) for text, span in d.related] == [("the other transition", line_of(body, "s -> d"))]
    assert d.help == "add guards or tool outcomes to tell the cases apart, if this is not intended"


def test_wf604_reported_once_for_a_tool_with_several_agents():
    body = """state s initial
state d, e final
s -> d on u
s -> e on u
"""
    [d] = findings(body)
    assert d.message == ("nondeterministic choice in state `s`: `u by a` can lead to `d` or `e`, "
                         "and so can 1 more action")


def test_wf604_same_target_different_updates():
    body = """state s initial
state d final
s -> s on t { x = 1 }
s -> s on t { x = 2 }
s -> d on finish
"""
    [d] = findings(body)
    assert d.message == "nondeterministic choice in state `s`: `t by a` can lead to `s` with different updates"
    assert d.span.line == line_of(body, "x = 2")


def test_wf604_three_targets_once():
    body = """state s initial
state d, e, f final
s -> d on t
s -> e on t
s -> f on t
"""
    [d] = findings(body)
    assert d.message.endswith("can lead to `d`, `e` or `f`")
    assert d.span.line == line_of(body, "s -> e")


@pytest.mark.parametrize("second", [
    "s -> e on t when x > 0",            # different guards
    "s -> e on v.failed",                # different outcomes (with `s -> d on v.ok` below)
    "s -> d on t",                       # the same step written twice
    "s -> e on u by b",                  # a different agent (with `s -> d on u by a`)
])
def test_wf604_not_reported_when_the_cases_differ(second):
    body = f"""state s initial
state d, e final
s -> d on t
s -> d on v.ok
s -> d on u by a
{second}
"""
    assert findings(body, "WF604") == []


def test_findings_are_sorted_by_position():
    body = """state stuck
state zombie
state s initial
state d final
s -> stuck on t
s -> d on t
"""
    found = findings(body)
    assert [d.code for d in found] == ["WF603", "WF601", "WF604"]
    positions = [(d.span.line, d.span.column) for d in found]
    assert positions == sorted(positions)


# ---------------------------------------------------------------- expressions as text

x, y, b = m.Var("x"), m.Var("y"), m.Var("b")
one, two = m.Const(1), m.Const(2)


@pytest.mark.parametrize("expr, text", [
    (m.Const(True), "true"),
    (m.Const(False), "false"),
    (m.Const(-3), "-3"),
    (m.Const("closed"), "closed"),
    (m.At("done"), "at done"),
    (m.Or((m.And((b, m.At("s"))), m.Not(b))), "b and at s or not b"),
    (m.And((m.Or((b, m.At("s"))), m.Not(b))), "(b or at s) and not b"),
    (m.And((b, m.And((b, b)))), "b and b and b"),
    (m.Not(m.Cmp("<", x, two)), "not x < 2"),
    (m.Not(m.And((b, b))), "not (b and b)"),
    (m.Not(m.Not(b)), "not not b"),
    (m.Cmp("==", m.Not(b), b), "(not b) == b"),
    (m.Cmp("==", m.Cmp("<", x, one), b), "(x < 1) == b"),
    (m.Cmp("!=", b, m.Or((b, b))), "b != (b or b)"),
    (m.Arith("-", m.Arith("-", x, y), one), "x - y - 1"),
    (m.Arith("-", x, m.Arith("-", y, one)), "x - (y - 1)"),
    (m.Arith("+", x, m.Arith("+", y, one)), "x + (y + 1)"),
    (m.Arith("-", x, m.Const(-1)), "x - -1"),
    (m.Cmp(">=", m.Arith("+", x, one), m.Arith("-", y, two)), "x + 1 >= y - 2"),
    (m.And((m.Cmp("<", x, one),)), "x < 1"),
    (m.Not(m.Or((b,))), "not b"),
    (m.And(()), "true"),
    (m.Or(()), "false"),
])
def test_expr_text(expr, text):
    assert expr_text(expr) == text


def test_assign_text():
    assert assign_text(m.Assign("x", m.Arith("+", x, one))) == "x = x + 1"
    assert assign_text(m.Assign("x", None)) == "x = any"
    assert assign_text(m.Assign("b", m.Or((b, m.Not(b))))) == "b = b or not b"


# Round trip: printed text parses back to the same expression (up to flat and/or).

DECLS = """workflow r
var n: 0..9 = 0
var k: 0..9 = 0
var b: bool = false
var c: {red, green} = red
state s initial
state e final
"""

ints = st.recursive(
    st.one_of(st.sampled_from([m.Var("n"), m.Var("k")]), st.integers(-3, 12).map(m.Const)),
    lambda sub: st.builds(m.Arith, st.sampled_from(["+", "-"]), sub, sub), max_leaves=4)


def _bools(sub):
    return st.one_of(
        st.builds(m.Not, sub),
        st.lists(sub, min_size=2, max_size=3).map(lambda xs: m.And(tuple(xs))),
        st.lists(sub, min_size=2, max_size=3).map(lambda xs: m.Or(tuple(xs))),
        st.builds(m.Cmp, st.sampled_from(["==", "!="]), sub, sub))


bools = st.recursive(
    st.one_of(st.sampled_from([m.Var("b"), m.Const(True), m.Const(False), m.At("s"), m.At("e"),
                               m.Cmp("==", m.Var("c"), m.Const("green"))]),
              st.builds(m.Cmp, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), ints, ints)),
    _bools, max_leaves=6)


def flat(e: m.Expr) -> m.Expr:
    """`e` with conjunctions in conjunctions (and disjunctions in disjunctions) merged."""
    if isinstance(e, (m.And, m.Or)):
        parts = []
        for o in map(flat, e.operands):
            parts.extend(o.operands if type(o) is type(e) else (o,))
        return type(e)(tuple(parts))
    if isinstance(e, m.Not):
        return m.Not(flat(e.operand))
    if isinstance(e, (m.Cmp, m.Arith)):
        return type(e)(e.op, flat(e.left), flat(e.right))
    return e


def reparse(text: str) -> m.Expr:
    [always] = model_of(DECLS + f"property p: always {text}\n").property("p").kinds
    return always.condition


@settings(max_examples=60, deadline=None)
@given(bools)
def test_expr_text_parses_back(expr):
    text = expr_text(expr)
    parsed = reparse(text)
    assert flat(parsed) == flat(expr), text
    assert expr_text(parsed) == text


def test_expr_text_parses_back_with_parentheses_kept():
    # A guard that the grammar reads differently without its parentheses.
    expr = m.And((m.Or((m.Var("b"), m.At("s"))), m.Cmp("==", m.Not(m.Var("b")), m.Const(False))))
    assert reparse(expr_text(expr)) == expr
