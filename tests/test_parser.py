"""Parser: AST shape, spans, comments, syntax errors with hints, recovery."""
from __future__ import annotations

import pytest

from wfcheck.spec import ast
from wfcheck.spec.parser import SYNTAX_EXAMPLES, parse_text


def parse_ok(text: str) -> ast.Workflow:
    workflow, diagnostics = parse_text(text, "t.wf")
    assert diagnostics == ()
    return workflow


def test_tool_clauses_and_outcomes():
    wf = parse_ok("tool verify(user) by a, b writes returns internal, untrusted sink public needs trusted "
                  "declassify public endorse trusted when x < 3\n  outcome ok { v = true, n = any }\n  outcome failed\n")
    tool = wf.decls[0]
    assert isinstance(tool, ast.ToolDecl)
    assert [p.name for p in tool.params] == ["user"]
    assert [a.name for a in tool.agents] == ["a", "b"]
    assert tool.effect == "writes"
    assert [lv.name for lv in tool.returns] == ["internal", "untrusted"]
    assert (tool.sink.name, tool.needs.name, tool.declassify.name, tool.endorse.name) == (
        "public", "trusted", "public", "trusted")
    assert tool.guard == ast.Compare("<", ast.Ref("x"), ast.IntLit(3))
    assert [o.name.name for o in tool.outcomes] == ["ok", "failed"]
    assert tool.outcomes[0].updates == (ast.Update(ast.Ident("v"), ast.BoolLit(True)),
                                        ast.Update(ast.Ident("n"), ast.AnyValue()))


def test_integrity_chain_is_stored_lowest_first_either_way():
    down = parse_ok("labels integrity: trusted > untrusted").decls[0]
    up = parse_ok("labels integrity: untrusted < trusted").decls[0]
    assert down == up
    assert [i.name for i in down.chains[0]] == ["untrusted", "trusted"]


def test_keywords_are_names_where_no_keyword_fits():
    tool = parse_ok("tool send_email(to, body) by a sends").decls[0]
    assert [p.name for p in tool.params] == ["to", "body"]


def test_expression_precedence():
    prop = parse_ok("property p: always not a and b or c == 1 + 2 - 3").decls[0]
    expr = prop.body.condition
    assert isinstance(expr, ast.BoolOp) and expr.op == "or"
    left, right = expr.operands
    assert left == ast.BoolOp("and", (ast.Not(ast.Ref("a")), ast.Ref("b")))
    assert right == ast.Compare("==", ast.Ref("c"),
                                ast.Arith("-", ast.Arith("+", ast.IntLit(1), ast.IntLit(2)), ast.IntLit(3)))


def test_all_property_forms():
    text = """
property a: never t, message x to y by x when at s
property b: no flow from secret to t, reviewer
property c: no untrusted influence on t
property d: t.ok by x requires earlier u, handoff x to y
property e: at most 2 t by x
property f: always v
property g: terminates
property h: no deadlock
"""
    bodies = [d.body for d in parse_ok(text).decls]
    assert [type(b).__name__ for b in bodies] == ["Never", "Flow", "Flow", "Order", "Count", "Always",
                                                  "Terminates", "NoDeadlock"]
    assert bodies[1].form == "flow" and bodies[2].form == "influence"
    assert bodies[3].actions[0].outcome.name == "ok"
    assert bodies[3].earlier[1] == ast.MessageAction("handoff", ast.Ident("x"), ast.Ident("y"))
    assert bodies[4].limit == 2


def test_spans_point_at_source():
    wf = parse_ok("workflow w\n\nstate  start initial\n")
    state = wf.decls[1]
    assert (state.span.line, state.span.column) == (3, 1)
    assert (state.names[0].span.line, state.names[0].span.column) == (3, 8)
    assert state.span.file == "t.wf"


def test_spans_are_ignored_by_equality():
    assert parse_ok("state s initial") == parse_ok("\n\n   state   s   initial")


def test_comments_attach_to_the_next_declaration():
    wf = parse_ok("# about a\nagent a  # inline\n# about s\nstate s initial\n# the end\n")
    assert wf.decls[0].comments == ("# about a", "# inline")
    assert wf.decls[1].comments == ("# about s",)
    assert wf.trailing_comments == ("# the end",)


@pytest.mark.parametrize("hint,example", [(h, e) for h, examples in SYNTAX_EXAMPLES.items() for e in examples])
def test_bad_examples_get_their_hint(hint, example):
    _, diagnostics = parse_text(example, "t.wf")
    assert diagnostics, example
    assert diagnostics[0].help == hint


def test_hint_does_not_depend_on_what_came_before():
    _, diagnostics = parse_text("agent a\nstate s initial\nproperty p never x\n", "t.wf")
    assert diagnostics[0].help == "write `property NAME: BODY`, with a colon after the name"


def test_recovery_reports_every_broken_statement_and_keeps_the_rest():
    text = "agent a\nvar x: int = 0\nstate s initial\nproperty p never x\nstate t final\n"
    wf, diagnostics = parse_text(text, "t.wf")
    assert [(d.code, d.span.line) for d in diagnostics] == [("WF003", 2), ("WF003", 4)]
    assert [type(d).__name__ for d in wf.decls] == ["AgentDecl", "StateDecl", "StateDecl"]


def test_unfinished_statement_is_blamed_not_the_next_one():
    text = "state s initial\nproperty p: never\nstate t final\n"
    wf, diagnostics = parse_text(text, "t.wf")
    assert len(diagnostics) == 1
    assert diagnostics[0].span.line == 3  # where the parser noticed, at `state`
    assert [d.names[0].name for d in wf.decls] == ["s", "t"]


def test_unexpected_character_and_end_of_file():
    _, diagnostics = parse_text("state s initial\nstate $x", "t.wf")
    assert diagnostics[0].code == "WF001"
    assert (diagnostics[0].span.line, diagnostics[0].span.column) == (2, 7)
    _, diagnostics = parse_text("var x: bool =", "t.wf")
    assert diagnostics[0].code == "WF002"
    assert "a number" in diagnostics[0].message and "`true`" in diagnostics[0].message


def test_expected_tokens_are_described_in_words():
    _, diagnostics = parse_text("a -> b", "t.wf")
    assert diagnostics[0].code == "WF002"
    assert diagnostics[0].message == "unexpected end of file; expected `on`"
