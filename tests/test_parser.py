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


# ---------------------------------------------------------------- precise information flow

def test_grammar_has_no_lalr_conflicts(caplog):
    """lark resolves a shift/reduce conflict silently as a shift; with debug on it logs one.
    The field list of `returns` and the update block share `{`, which must not need one."""
    import logging
    from importlib import resources

    from lark import Lark, logger

    grammar = resources.files("wfcheck.spec").joinpath("grammar.lark").read_text(encoding="utf-8")
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.DEBUG, logger="lark"):
            Lark(grammar, parser="lalr", maybe_placeholders=True, debug=True)
    finally:
        logger.removeHandler(caplog.handler)
    assert [r.getMessage() for r in caplog.records if "conflict" in r.getMessage().lower()] == []


def test_typed_parameters():
    tool = parse_ok('tool send_money(recipient: iban, order: "ord-[0-9]+", memo) by a writes').decls[0]
    recipient, order, memo = tool.params
    assert (recipient.name, recipient.kind.name, recipient.pattern) == ("recipient", "iban", None)
    assert (order.name, order.kind, order.pattern.text) == ("order", None, "ord-[0-9]+")
    assert memo == ast.Param("memo")
    assert (recipient.span.column, recipient.span.end_column) == (17, 32)
    assert (recipient.kind.span.column, order.pattern.span.column) == (28, 41)


def test_result_fields_with_and_without_a_default():
    first, second = parse_ok(
        "tool get(n) by a returns { subject: untrusted }\n"
        'tool search(q) returns internal { description: untrusted, "start time".*: (secret, untrusted) }\n'
    ).decls
    assert first.returns == () and first.agents == (ast.Ident("a"),)
    assert first.fields == (ast.ResultField(("subject",), (ast.Ident("untrusted"),)),)
    assert second.returns == (ast.Ident("internal"),)
    assert second.fields == (
        ast.ResultField(("description",), (ast.Ident("untrusted"),)),
        ast.ResultField(("start time", "*"), (ast.Ident("secret"), ast.Ident("untrusted"))))
    assert (second.fields[1].span.column, second.fields[1].span.end_column) == (59, 94)


def test_field_list_and_update_block_both_open_with_a_brace():
    fields, updates, both, empty = parse_ok(
        "tool a() returns secret { x: untrusted }\n"
        "tool b() returns secret { x = 1 }\n"
        "tool c() returns secret { x: untrusted } { x = 1 }\n"
        "tool d() returns secret {}\n").decls
    assert fields.fields and fields.updates == ()
    assert updates.fields == () and updates.updates == (ast.Update(ast.Ident("x"), ast.IntLit(1)),)
    assert both.fields == fields.fields and both.updates == updates.updates
    assert empty.returns == (ast.Ident("secret"),) and empty.fields == () and empty.updates == ()


def test_field_list_continues_with_the_other_clauses():
    tool = parse_ok("tool t() returns { x: secret } sink public when ok\n  outcome done\n").decls[0]
    assert tool.sink.name == "public" and tool.guard == ast.Ref("ok")
    assert [o.name.name for o in tool.outcomes] == ["done"]


def test_argument_level_sink_and_needs():
    tool = parse_ok("tool send(to, body, amount) sends sink public on to needs trusted on to, amount").decls[0]
    assert tool.sink.name == "public" and tool.sink_params == (ast.Ident("to"),)
    assert tool.needs.name == "trusted" and tool.needs_params == (ast.Ident("to"), ast.Ident("amount"))
    plain = parse_ok("tool send(to) sink public needs trusted").decls[0]
    assert plain.sink_params is None and plain.needs_params is None


def test_on_after_a_level_starts_the_argument_list_and_is_still_a_name_elsewhere():
    wf = parse_ok("tool t(on) sink public on on\non -> off on t\n")
    assert wf.decls[0].sink_params == (ast.Ident("on"),)
    assert wf.decls[1].source.name == "on"


def test_argument_level_flow_sinks():
    flow = parse_ok("property p: no flow from secret to send_email(to), planner").decls[0].body
    assert flow.sinks == (ast.FlowSink("send_email", (ast.Ident("to"),)), ast.FlowSink("planner"))
    assert (flow.sinks[0].span.column, flow.sinks[0].span.end_column) == (36, 50)
    influence = parse_ok("property p: no untrusted influence on send_money(recipient, amount)").decls[0].body
    assert influence.sinks[0].params == (ast.Ident("recipient"), ast.Ident("amount"))


@pytest.mark.parametrize("text", [
    "tool t() returns {}",
    "tool t() { x: secret }",
    "tool t() returns { x: secret, untrusted }",
    "tool t(a:) by x",
    "property p: no flow from secret to t()",
    "tool t() sink public on\nstate s",
])
def test_malformed_precise_flow_syntax(text):
    _, diagnostics = parse_text(text, "t.wf")
    assert [d.code for d in diagnostics] == ["WF003"]


def test_on_right_after_a_bound_is_the_keyword():
    """Documented in language.md (Lexical structure): where `on` may start an argument list,
    it is not read as the name of a state."""
    _, diagnostics = parse_text("tool t() sink public\non -> off on t\n", "t.wf")
    assert [d.code for d in diagnostics] == ["WF003"]
    assert parse_ok("tool t() sink public\nstate on\non -> on on t\n").decls[2].source.name == "on"
