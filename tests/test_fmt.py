"""The canonical formatter: round-trip, idempotence, precedence, and golden layouts.

Regenerate the golden outputs with `pytest tests/test_fmt.py --update-goldens` (or
`WFCHECK_UPDATE_GOLDENS=1`) and review the diff.
"""
from __future__ import annotations

from dataclasses import fields, is_dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from ast_strategies import KEYWORDS, workflows
from wfcheck.spec import ast
from wfcheck.spec.fmt import format_expr, format_property_body, format_workflow
from wfcheck.spec.parser import parse_text

GOLDEN_DIR = Path(__file__).parent / "golden" / "fmt"


def parse_ok(text: str) -> ast.Workflow:
    workflow, diagnostics = parse_text(text, "<fmt>")
    assert diagnostics == (), f"{[d.message for d in diagnostics]} in:\n{text}"
    return workflow


# ---------------------------------------------------------------- round trip

@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workflows)
def test_round_trip(wf: ast.Workflow) -> None:
    text = format_workflow(wf)
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert parse_ok(text) == wf


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workflows)
def test_idempotent(wf: ast.Workflow) -> None:
    once = format_workflow(wf)
    assert format_workflow(parse_ok(once)) == once


def _walk(node):
    yield node
    if isinstance(node, tuple):
        for child in node:
            yield from _walk(child)
    elif is_dataclass(node):
        for f in fields(node):
            yield from _walk(getattr(node, f.name))


_NODE_TYPES = [
    ast.Header, ast.Import, ast.LabelsDecl, ast.AgentDecl, ast.VarDecl, ast.ToolDecl,
    ast.EventDecl, ast.StateDecl, ast.Transition, ast.PropertyDecl, ast.Outcome, ast.Update,
    ast.AnyValue, ast.BoolType, ast.RangeType, ast.EnumType, ast.NamedAction,
    ast.MessageAction, ast.BoolLit, ast.IntLit, ast.Ref, ast.AtState, ast.Not, ast.BoolOp,
    ast.Compare, ast.Arith, ast.Never, ast.Flow, ast.Order, ast.Count, ast.Always,
    ast.Terminates, ast.NoDeadlock, ast.Param, ast.Regex, ast.ResultField, ast.FlowSink,
]


class _AllSeen(Exception):
    """Every node type has been generated: stop early."""


def test_strategies_reach_every_node_type() -> None:
    """Generation goes on until every node type has appeared (at most 5,000 workflows), so the
    verdict does not hang on one lucky seed: a derandomized seed differs between checkouts."""
    seen: set[type] = set()

    @settings(max_examples=5000, derandomize=True, database=None, phases=[Phase.generate], deadline=None)
    @given(workflows)
    def collect(wf: ast.Workflow) -> None:
        seen.update(type(n) for n in _walk(wf))
        if seen.issuperset(_NODE_TYPES):
            raise _AllSeen

    try:
        collect()
    except _AllSeen:
        pass
    assert [t.__name__ for t in _NODE_TYPES if t not in seen] == []


def test_strategies_avoid_every_keyword() -> None:
    expected = set("""workflow import labels confidentiality integrity agent var bool tool
        reads writes sends by returns sink needs declassify endorse when outcome any event
        state initial final on message to handoff property never no flow from influence
        requires earlier at most always terminates deadlock or and not true false""".split())
    assert expected <= KEYWORDS


# ---------------------------------------------------------------- expressions

a, b, c, d = (ast.Ref(n) for n in "abcd")
one, minus_one, minus_two = ast.IntLit(1), ast.IntLit(-1), ast.IntLit(-2)
at_s = ast.AtState(ast.Ident("s"))


def And(*xs):
    return ast.BoolOp("and", xs)


def Or(*xs):
    return ast.BoolOp("or", xs)


def Cmp(op, left, right):
    return ast.Compare(op, left, right)


def Add(left, right):
    return ast.Arith("+", left, right)


def Sub(left, right):
    return ast.Arith("-", left, right)


PRECEDENCE_CASES = [
    (And(a, And(b, c)), "a and (b and c)"),
    (And(And(a, b), c), "(a and b) and c"),
    (And(a, b, c), "a and b and c"),
    (Or(a, Or(b, c), d), "a or (b or c) or d"),
    (Or(a, And(b, c)), "a or b and c"),
    (And(Or(a, b), c), "(a or b) and c"),
    (ast.Not(Or(a, b)), "not (a or b)"),
    (ast.Not(And(a, b)), "not (a and b)"),
    (ast.Not(ast.Not(a)), "not not a"),
    (ast.Not(Cmp("==", a, b)), "not a == b"),
    (And(ast.Not(a), at_s), "not a and at s"),
    (ast.Not(at_s), "not at s"),
    (Cmp("==", ast.Not(a), b), "(not a) == b"),
    (Cmp("==", And(a, b), c), "(a and b) == c"),
    (Cmp("==", Cmp("<", a, b), c), "(a < b) == c"),
    (Cmp("<", a, Cmp("<", b, c)), "a < (b < c)"),
    (Cmp("<=", Add(a, one), Sub(b, minus_one)), "a + 1 <= b - -1"),
    (Sub(Sub(a, b), c), "a - b - c"),
    (Sub(a, Sub(b, c)), "a - (b - c)"),
    (Add(a, Add(b, c)), "a + (b + c)"),
    (Add(a, Cmp("==", b, c)), "a + (b == c)"),
    (Sub(ast.Not(a), b), "(not a) - b"),
    (Sub(minus_one, minus_two), "-1 - -2"),
    (Add(at_s, minus_one), "at s + -1"),
    (ast.BoolLit(False), "false"),
]


@pytest.mark.parametrize("expr, expected", PRECEDENCE_CASES, ids=[e for _, e in PRECEDENCE_CASES])
def test_precedence(expr, expected) -> None:
    assert format_expr(expr) == expected
    body = parse_ok(f"property p: always {expected}").decls[0].body
    assert body == ast.Always(expr)


@pytest.mark.parametrize("text", [
    "never a, b.ok by x, y when not z",
    "never message a to b",
    "no flow from secret to public, internal",
    "no untrusted influence on trusted",
    "a, handoff x to y by x requires earlier b.ok",
    "at most -1 a by x",
    "always at s or n == 1",
    "terminates",
    "no deadlock",
])
def test_property_body(text) -> None:
    body = parse_ok(f"property p: {text}").decls[0].body
    assert format_property_body(body) == text


def test_layout_blank_lines_and_comments() -> None:
    wf = ast.Workflow((
        ast.Header(ast.Ident("w"), comments=("# top",)),
        ast.AgentDecl((ast.Ident("a"),)),
        ast.AgentDecl((ast.Ident("b"),)),
        ast.AgentDecl((ast.Ident("c"),), comments=("# c", "#")),
        ast.LabelsDecl("integrity", ((ast.Ident("lo"), ast.Ident("hi")),)),
    ), trailing_comments=("# end",))
    assert format_workflow(wf) == (
        "# top\nworkflow w\n\nagent a\nagent b\n\n# c\n#\nagent c\n\n"
        "labels integrity: hi > lo\n\n# end\n")


def test_empty_workflow() -> None:
    assert format_workflow(ast.Workflow(())) == "\n"
    assert parse_ok("\n") == ast.Workflow(())


# ---------------------------------------------------------------- goldens

GOLDEN_INPUTS = sorted(p for p in GOLDEN_DIR.glob("*.wf") if not p.name.endswith(".expected.wf"))


def test_goldens_exist() -> None:
    assert len(GOLDEN_INPUTS) >= 3


@pytest.mark.parametrize("source", GOLDEN_INPUTS, ids=lambda p: p.stem)
def test_golden(source: Path, golden) -> None:
    actual = format_workflow(parse_ok(source.read_text(encoding="utf-8")))
    golden(source.with_name(source.stem + ".expected.wf"), actual)
    # The expected output is itself canonical.
    assert format_workflow(parse_ok(actual)) == actual
