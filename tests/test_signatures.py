"""Typed parameters, result labels by field and argument lists (`on p`, `TOOL(p)`): how analysis
resolves them into the model, each of their diagnostics (code and span), and that `verify`
reads a result with fields as its joined label."""
from __future__ import annotations

import pytest

import wfcheck
from wfcheck.api import check_text
from wfcheck.checker.verify.run import verify_model
from wfcheck.spec import model as m

HEAD = """workflow bank
labels confidentiality: public < internal < secret
labels integrity: trusted > untrusted
agent assistant, planner
state s initial final
"""


def model_of(body: str) -> m.Model:
    result = check_text(HEAD + body, "t.wf")
    assert result.model is not None, [d.message for d in result.diagnostics]
    return result.model


def errors(body: str) -> list[tuple[str, int, int, int]]:
    """(code, line, column, end column) of each error, lines counted from the body."""
    result = wfcheck.check_text(HEAD + body, "t.wf")
    offset = HEAD.count("\n")
    return [(d.code, d.span.line - offset, d.span.column, d.span.end_column)
            for d in result.diagnostics if d.is_error]


def label(model: m.Model, conf: str, integ: str) -> m.Label:
    return m.Label(model.conf.index(conf), model.integ.index(integ))


# ---------------------------------------------------------------- the model


def test_typed_parameters():
    model = model_of('tool send_money(recipient: iban, order: "ord-[0-9]+", memo) by assistant writes\n'
                     "s -> s on send_money\n")
    recipient, order, memo = model.tool("send_money").params
    assert (recipient.name, recipient.kind, recipient.pattern) == ("recipient", "iban", None)
    assert (order.name, order.kind, order.pattern) == ("order", "pattern", "ord-[0-9]+")
    assert (memo.name, memo.kind, memo.pattern) == ("memo", None, None)
    assert recipient.span.line == HEAD.count("\n") + 1


def test_a_tool_without_the_new_clauses_means_what_it_meant():
    model = model_of("tool fetch(url) returns secret sink public needs trusted\ns -> s on fetch\n")
    tool = model.tool("fetch")
    assert tool.params == (m.Param("url"),)
    assert tool.returns == label(model, "secret", "trusted")
    assert (tool.fields, tool.default, tool.sink_params, tool.needs_params) == ((), None, None, None)
    assert model.property("fetch.sink").kinds == (m.SinkBound("fetch", 0),)
    assert model.property("fetch.sink").text == "arguments of `fetch` carry at most `public`"


def test_field_labels_take_the_default_in_a_dimension_they_do_not_name():
    model = model_of("tool search(q) returns internal { description: untrusted, "
                     "participants.*.email: (secret, untrusted), \"start time\": public }\n"
                     "s -> s on search\n")
    tool = model.tool("search")
    assert tool.default == label(model, "internal", "trusted")
    assert [(f.path, f.label) for f in tool.fields] == [
        (("description",), label(model, "internal", "untrusted")),
        (("participants", "*", "email"), label(model, "secret", "untrusted")),
        (("start time",), label(model, "public", "trusted")),
    ]
    # `returns` is the join of the default and every field: what verify and the checkers read.
    assert tool.returns == label(model, "secret", "untrusted")


def test_fields_without_a_default_use_the_usual_one():
    model = model_of("tool recent(n) by assistant returns { subject: untrusted }\ns -> s on recent\n")
    tool = model.tool("recent")
    assert tool.default == label(model, "public", "trusted")
    assert tool.fields[0].label == label(model, "public", "untrusted")
    assert tool.returns == label(model, "public", "untrusted")


def test_argument_level_bounds_and_their_implicit_properties():
    model = model_of("tool send(to, body, amount) sends sink public on to needs trusted on to, amount\n"
                     "s -> s on send\n")
    tool = model.tool("send")
    assert (tool.sink_params, tool.needs_params) == (("to",), ("to", "amount"))
    sink, needs = model.property("send.sink"), model.property("send.needs")
    assert sink.kinds == (m.SinkBound("send", 0, ("to",)),)
    assert needs.kinds == (m.IntegrityNeed("send", 1, ("to", "amount")),)
    assert sink.text == "argument `to` of `send` carries at most `public`"
    assert needs.text == "arguments `to`, `amount` of `send` carry at least `trusted`"


def test_argument_level_flow_sinks():
    model = model_of("tool send_money(recipient, amount) by assistant writes\n"
                     "tool update(recipient) by assistant writes\n"
                     "s -> s on send_money, update\n"
                     "property p: no untrusted influence on send_money(recipient, amount), update(recipient), planner\n"
                     "property q: no flow from secret to send_money\n")
    first, second, agent = model.property("p").kinds
    assert (first.params, second.params) == (("recipient", "amount"), ("recipient",))
    assert isinstance(agent, m.FlowToAgent)
    assert model.property("q").kinds[0].params is None
    assert model.property("p").text == (
        "no untrusted influence on send_money(recipient, amount), update(recipient), planner")


@pytest.mark.parametrize("engine", ["smt", "explicit"])
def test_verify_reads_a_result_with_fields_as_its_joined_label(engine):
    def verdicts(returns):
        model = model_of(f"tool search(q) by assistant returns {returns}\n"
                         "tool send(to) by assistant sends\n"
                         "s -> s on search, send\n"
                         "property steered: no untrusted influence on send(to)\n"
                         "property leak: no flow from internal to send\n")
        return {r.name: r.status for r in verify_model(model, engine, bound=4).results}

    # A field's untrusted integrity reaches the whole context, as the default's confidentiality does.
    assert verdicts("internal { description: untrusted }") == {"steered": "violated", "leak": "violated"}
    assert verdicts("internal") == {"steered": "proved", "leak": "violated"}
    assert verdicts("{ description: untrusted }") == {"steered": "violated", "leak": "proved"}


# ---------------------------------------------------------------- diagnostics


@pytest.mark.parametrize("body,expected", [
    # unknown kind, with "did you mean" and the kinds in help
    ("tool t(amount: numbr)\n", [("WF208", 1, 16, 21)]),
    # a regular expression that does not compile
    ('tool t(order: "ord-(")\n', [("WF209", 1, 15, 22)]),
    # a parameter declared twice: the second one
    ("tool t(to, body, to: email)\n", [("WF102", 1, 18, 27)]),
    # a level name that is no level, in the default and in a field
    ("tool t() returns secrt { a: untrusted }\n", [("WF101", 1, 18, 23)]),
    ("tool t() returns { a: untrustd }\n", [("WF101", 1, 23, 31)]),
    # a field labelled twice (the path as written, quoted or not)
    ('tool t() returns { a.b: secret, "a".b: untrusted }\n', [("WF306", 1, 33, 49)]),
    # two levels of one dimension in a field's pair, or in the default
    ("tool t() returns { a: (secret, internal) }\n", [("WF304", 1, 32, 40)]),
    ("tool t() returns secret, internal { a: untrusted }\n", [("WF304", 1, 26, 34)]),
    # argument lists of `sink` and `needs`
    ("tool t(to) sink public on too\n", [("WF101", 1, 27, 30)]),
    ("tool t(to) needs trusted on to, to\n", [("WF412", 1, 33, 35)]),
    ("tool t() sink public on to\n", [("WF101", 1, 25, 27)]),
    # argument lists of flow sinks
    ("tool t(to) by assistant\nproperty p: no flow from secret to t(ot)\n", [("WF101", 2, 38, 40)]),
    ("tool t(to) by assistant\nproperty p: no flow from secret to t(to, to)\n", [("WF412", 2, 42, 44)]),
    ("property p: no untrusted influence on planner(to)\n", [("WF411", 1, 39, 50)]),
])
def test_diagnostics(body, expected):
    assert errors(body) == expected


def test_unknown_kind_suggests_and_lists_the_kinds():
    result = wfcheck.check_text(HEAD + "tool t(amount: numbr)\n", "t.wf")
    (diag,) = [d for d in result.diagnostics if d.is_error]
    assert diag.message == "unknown parameter kind `numbr`"
    assert diag.help.startswith("did you mean `number`? kinds are `id`, `email`, `url`")


def test_invalid_regex_quotes_the_re_error():
    result = wfcheck.check_text(HEAD + 'tool t(order: "[a-")\n', "t.wf")
    (diag,) = [d for d in result.diagnostics if d.is_error]
    assert diag.message.startswith("the pattern of `order` is not a regular expression: unterminated")


def test_unknown_parameter_suggests_or_lists_the_parameters():
    def help_of(body):
        return next(d.help for d in wfcheck.check_text(HEAD + body, "t.wf").diagnostics if d.code == "WF101")

    assert help_of("tool t(recipient) sink public on recipent\n") == "did you mean `recipient`?"
    assert help_of("tool t(a, b) sink public on zzz\n") == "the parameters of `t` are `a`, `b`"
    assert help_of("tool t() sink public on zzz\n") == "`t` has no parameters"


def test_duplicates_point_back_at_the_first():
    result = wfcheck.check_text(HEAD + 'tool t(to, to) returns { a: secret, a: public }\n', "t.wf")
    related = {d.code: d.related[0][1].column for d in result.diagnostics if d.is_error}
    assert related == {"WF102": 8, "WF306": 26}
