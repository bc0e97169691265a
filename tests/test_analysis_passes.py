"""The analysis passes one at a time: each pass run on parsed declarations (or hand-built
AST nodes) with a fresh diagnostics sink, without the rest of the pipeline."""
from __future__ import annotations

from wfcheck.spec import ast
from wfcheck.spec import model as m
from wfcheck.spec.analysis.diagnose import Sink, suggest
from wfcheck.spec.analysis.edges import expand_transitions, merge_updates
from wfcheck.spec.analysis.labels import label_lattices
from wfcheck.spec.analysis.mapping import trace_mapping
from wfcheck.spec.analysis.names import declared_names, resolve_agents
from wfcheck.spec.analysis.properties import action_pattern, declared_properties, implicit_properties
from wfcheck.spec.analysis.scope import declare
from wfcheck.spec.analysis.signatures import argument_list, parameters, result_labels
from wfcheck.spec.analysis.states import initial_and_finals
from wfcheck.spec.analysis.unused import report_unused
from wfcheck.spec.loader import load_text
from wfcheck.spec.span import Span


def parsed(text: str) -> tuple[ast.Decl, ...]:
    loaded = load_text(text, "t.wf")
    assert not loaded.diagnostics
    return tuple(d for f in loaded.files for d in f.decls)


def declared(text: str):
    """The declarations of `text`, what the declaration passes made of them, and the sink."""
    sink = Sink()
    decls = parsed(text)
    scope, typer = declare(decls, sink)
    return decls, scope, typer, sink


def reported(sink: Sink) -> list[tuple[str, int]]:
    return [(d.code, d.span.line) for d in sink.diagnostics]


# two agents, a guarded tool with two outcomes (one updates `n`), one state
TOOLS = """agent a, b
var n: 0..3 = 0
tool t() when n < 3
  outcome ok { n = n + 1 }
  outcome failed
state s initial final
"""


# ---------------------------------------------------------------- diagnose


def test_suggest_names_the_closest_candidate_or_nothing():
    assert suggest("serch", ["fetch", "search", "pay"]) == "did you mean `search`?"
    assert suggest("zzz", ["fetch", "search"]) is None


def test_unknown_without_a_close_name_says_to_declare_it():
    sink = Sink()
    sink.unknown("agent", "zzz", Span("t.wf", 3, 1, 3, 4), ["alice"])
    (diag,) = sink.diagnostics
    assert (diag.code, diag.message, diag.help) == ("WF101", "unknown agent `zzz`", "declare the agent first")
    assert sink.has_errors


def test_warnings_alone_are_no_errors():
    sink = Sink()
    sink.warning("WF501", "unused", Span("t.wf", 1, 1, 1, 2))
    assert not sink.has_errors


# ---------------------------------------------------------------- names


def test_names_keep_the_first_declaration_and_point_back_to_it():
    sink = Sink()
    names = declared_names(parsed("agent a\nstate s initial\nagent b, a\n"), sink)
    assert list(names.agents) == ["a", "b"]
    assert names.agents["a"].line == 1
    (diag,) = sink.diagnostics
    assert (diag.code, diag.span.line, diag.related[0][1].line) == ("WF102", 3, 1)


def test_a_tool_and_an_event_share_one_namespace():
    sink = Sink()
    names = declared_names(parsed("event x\ntool x()\n"), sink)
    assert reported(sink) == [("WF102", 2)]
    assert "x" in names.events and "x" in names.tools


def test_resolve_agents_drops_repeats_and_unknown_names():
    sink = Sink()
    names = declared_names(parsed("agent alice, bob\n"), sink)
    idents = (ast.Ident("bob"), ast.Ident("alicee"), ast.Ident("bob"), ast.Ident("alice"))
    assert resolve_agents(idents, names, sink) == ("bob", "alice")
    (diag,) = sink.diagnostics
    assert diag.help == "did you mean `alice`?"


# ---------------------------------------------------------------- labels


def test_labels_default_to_one_level_per_dimension():
    labels = label_lattices((), Sink())
    assert labels.conf.levels == ("public",) and labels.integ.levels == ("trusted",)


def test_an_order_that_is_no_lattice_becomes_one_chain_of_its_levels():
    sink = Sink()
    labels = label_lattices(parsed("labels confidentiality: public < hr, public < finance\n"), sink)
    assert reported(sink) == [("WF302", 1)]
    assert labels.conf.levels == ("public", "hr", "finance") and labels.conf.is_chain


def test_a_level_of_the_other_dimension_is_reported_as_such():
    sink = Sink()
    labels = label_lattices(parsed("labels confidentiality: public < secret\n"
                                   "labels integrity: trusted > untrusted\n"), sink)
    assert labels.conf_level(None, "`sink`", sink) is None and not sink.diagnostics
    assert labels.conf_level(ast.Ident("secret"), "`sink`", sink) == 1
    assert labels.conf_level(ast.Ident("untrusted"), "`sink`", sink) is None
    (diag,) = sink.diagnostics
    assert diag.code == "WF304"
    assert diag.message == "`untrusted` is an integrity level, but `sink` takes a confidentiality level"


# ---------------------------------------------------------------- variables


def test_a_bad_initial_value_falls_back_to_the_first_value():
    _, scope, _, sink = declared("var n: 2..4 = 9\nvar mode: {idle, busy} = busy\n")
    variables = scope.variables
    assert reported(sink) == [("WF204", 1)]
    assert variables.declared["n"].init == 2 and variables.declared["mode"].init == "busy"
    assert variables.enum_values == {"idle": m.EnumSort(("idle", "busy")), "busy": m.EnumSort(("idle", "busy"))}


def test_the_later_of_two_declarations_gives_the_sort():
    _, scope, _, sink = declared("var n: bool = false\nvar n: 0..3 = 0\n")
    assert reported(sink) == [("WF102", 2)]
    assert scope.variables.sorts["n"] == m.IntSort(0, 3)


# ---------------------------------------------------------------- expressions


def test_typer_resolves_variables_and_enum_values():
    _, _, typer, sink = declared("var n: 0..3 = 0\nvar mode: {idle, busy} = idle\n")
    expr, t = typer.expr(ast.Compare("==", ast.Ref("mode"), ast.Ref("busy")))
    assert expr == m.Cmp("==", m.Var("mode"), m.Const("busy")) and t == "bool"
    assert typer.condition(ast.Compare("==", ast.Ref("n"), ast.BoolLit(True))) is None
    (diag,) = sink.diagnostics
    assert (diag.code, diag.message) == ("WF201", "`==` compares an int with a bool")


def test_typer_needs_a_bool_for_a_condition():
    _, _, typer, sink = declared("var n: 0..3 = 0\n")
    assert typer.condition(ast.Arith("+", ast.Ref("n"), ast.IntLit(1))) is None
    (diag,) = sink.diagnostics
    assert diag.message == "a condition needs a bool, found an int"


def test_updates_drop_constants_out_of_range_and_keep_any():
    _, _, typer, sink = declared("var n: 0..3 = 0\n")
    updates = typer.updates((ast.Update(ast.Ident("n"), ast.IntLit(7)), ast.Update(ast.Ident("n"), ast.AnyValue())))
    assert updates == (m.Assign("n", None),)
    assert [d.code for d in sink.diagnostics] == ["WF204"]


# ---------------------------------------------------------------- tools and events


def test_a_second_tool_of_one_name_is_not_resolved():
    _, scope, _, sink = declared("agent a\ntool t() by a\ntool t() by zz\n")
    assert reported(sink) == [("WF102", 3)]
    assert scope.tools["t"].tool.agents == ("a",)


def test_a_tool_keeps_its_guard_and_updates_per_outcome_for_the_edges():
    _, scope, _, sink = declared(TOOLS)
    t = scope.tools["t"]
    assert (t.tool.outcomes, t.tool.agents) == (("ok", "failed"), ("a", "b"))
    assert t.guard == m.Cmp("<", m.Var("n"), m.Const(3))
    assert t.updates == () and t.outcome_updates["failed"] == ()
    assert t.outcome_updates["ok"] == (m.Assign("n", m.Arith("+", m.Var("n"), m.Const(1))),)
    assert not sink.diagnostics


# ---------------------------------------------------------------- tool signatures


def test_result_labels_without_fields_are_the_written_label_and_no_default():
    labels = label_lattices(parsed("labels confidentiality: public < secret\n"), Sink())
    sink = Sink()
    tool = ast.ToolDecl(ast.Ident("t"), returns=(ast.Ident("secret"),))
    assert result_labels(tool, labels, sink) == (m.Label(1, 0), None, ())
    assert not sink.diagnostics


def test_result_labels_keep_the_first_of_two_fields_of_one_path():
    labels = label_lattices(parsed("labels confidentiality: public < secret\n"
                                   "labels integrity: trusted > untrusted\n"), Sink())
    sink = Sink()
    tool = ast.ToolDecl(ast.Ident("t"), fields=(
        ast.ResultField(("a",), (ast.Ident("untrusted"),)), ast.ResultField(("a",), (ast.Ident("secret"),))))
    returns, default, fields = result_labels(tool, labels, sink)
    assert [d.code for d in sink.diagnostics] == ["WF306"]
    assert (default, fields) == (m.Label(0, 1), (m.FieldLabel(("a",), m.Label(0, 0)),))
    assert returns == m.Label(0, 0)


def test_parameters_and_argument_lists():
    sink = Sink()
    params = parameters(ast.ToolDecl(ast.Ident("t"), params=(
        ast.Param("to", ast.Ident("email")), ast.Param("body"))), sink)
    assert params == (m.Param("to", "email"), m.Param("body"))
    assert argument_list(None, "t", params, sink) is None
    assert argument_list((ast.Ident("body"), ast.Ident("to")), "t", params, sink) == ("body", "to")
    assert not sink.diagnostics


# ---------------------------------------------------------------- states


def test_the_first_initial_state_counts_and_a_second_is_reported():
    sink = Sink()
    decls = parsed("state a initial\nstate b initial final\nstate c, d final\n")
    assert initial_and_finals(decls, Span("t.wf", 0, 0, 0, 0), sink) == ("a", ("b", "c", "d"))
    (diag,) = sink.diagnostics
    assert (diag.code, diag.span.line, diag.related[0][1].line) == ("WF401", 2, 1)


def test_without_states_the_anchor_is_reported_and_without_finals_a_warning():
    sink, anchor = Sink(), Span("t.wf", 0, 0, 0, 0)
    assert initial_and_finals((), anchor, sink) == ("", ())
    assert initial_and_finals(parsed("state s initial\n"), anchor, sink) == ("s", ())
    assert [(d.code, d.is_error) for d in sink.diagnostics] == [("WF401", True), ("WF402", False)]
    assert sink.diagnostics[0].span is anchor


# ---------------------------------------------------------------- edges


def test_merge_updates_keeps_the_first_assignment_of_a_variable():
    sink = Sink()
    first, second = m.Assign("n", m.Const(1), span=Span("t.wf", 1, 1, 1, 2)), m.Assign("n", m.Const(2))
    assert merge_updates(sink, (first,), (m.Assign("k", None), second)) == (first, m.Assign("k", None))
    (diag,) = sink.diagnostics
    assert diag.code == "WF206" and diag.related == (("also assigned here", first.span),)


def test_a_tool_action_expands_per_agent_and_outcome_under_both_guards():
    decls, scope, typer, sink = declared(TOOLS + "s -> s on t when n > 0\n")
    edges = expand_transitions(decls, scope, typer, sink)
    assert not sink.diagnostics
    assert [(e.index, str(e.action)) for e in edges] == [
        (0, "t.ok by a"), (1, "t.failed by a"), (2, "t.ok by b"), (3, "t.failed by b")]
    assert edges[0].guard == m.And((m.Cmp("<", m.Var("n"), m.Const(3)), m.Cmp(">", m.Var("n"), m.Const(0))))
    assert edges[0].assigns == (m.Assign("n", m.Arith("+", m.Var("n"), m.Const(1))),)
    assert edges[1].assigns == ()


def test_a_transition_to_an_unknown_state_has_no_edge_but_its_actions_are_checked():
    decls, scope, typer, sink = declared(TOOLS + "s -> nowhere on t, nope\n")
    assert expand_transitions(decls, scope, typer, sink) == ()
    assert [d.message for d in sink.diagnostics] == ["unknown state `nowhere`", "unknown tool or event `nope`"]


# ---------------------------------------------------------------- properties


def test_a_pattern_reports_every_name_that_does_not_resolve():
    decls, scope, typer, sink = declared(TOOLS + "event done\n")
    actions = (ast.NamedAction(ast.Ident("nope")), ast.NamedAction(ast.Ident("t"), ast.Ident("okay")),
               ast.NamedAction(ast.Ident("done")))
    assert action_pattern(actions, (ast.Ident("a"), ast.Ident("c")), scope, sink) is None
    assert [d.message for d in sink.diagnostics] == [
        "unknown tool or event `nope`", "unknown outcome of `t` `okay`", "unknown agent `c`"]
    assert action_pattern((ast.NamedAction(ast.Ident("done")),), (), scope, sink) == m.ActionPattern(
        (("event", "done", None),))


def test_only_computed_updates_of_integers_imply_a_range_property():
    decls, scope, typer, sink = declared(
        "agent a\nvar n: 0..3 = 0\nvar k: 0..3 = 0\ntool t() sink public { n = n + 1, k = 2 }\n"
        "state s initial final\ns -> s on t\n")
    edges = expand_transitions(decls, scope, typer, sink)
    assert [p.name for p in implicit_properties(scope, edges)] == ["t.sink", "n.range"]


def test_a_second_property_of_one_name_is_left_out():
    decls, scope, typer, sink = declared(TOOLS + "property p: terminates\nproperty p: no deadlock\n")
    (prop,) = declared_properties(decls, scope, typer, sink)
    assert prop.kinds == (m.Terminates(),)
    assert reported(sink) == [("WF102", 8)]


# ---------------------------------------------------------------- trace mapping


def test_mapping_keeps_what_resolves_and_defaults_to_conservative():
    decls, scope, _, sink = declared(
        TOOLS + 'event done\nmap "search" to t.ok\nmap "finish" to done.ok\nmap "x" to nope\n'
                'map agent "bot" to a\nmap agent "bot" to b\n')
    mapping = trace_mapping(decls, scope, sink)
    assert mapping.actions == (m.ActionMap("search", "t", "ok", None),)
    assert mapping.agents == (("bot", "a"),) and mapping.precision == "conservative"
    assert [d.code for d in sink.diagnostics] == ["WF404", "WF101", "WF102"]


# ---------------------------------------------------------------- unused declarations


def test_a_variable_read_only_by_an_unused_tool_is_read():
    decls, scope, typer, sink = declared(
        "agent a\nvar n: bool = false\nvar k: bool = false\ntool idle() when n\ntool go()\n"
        "state s initial final\ns -> s on go\n")
    edges = expand_transitions(decls, scope, typer, sink)
    report_unused(scope, edges, (), m.TraceMapping(), sink)
    assert [d.message for d in sink.diagnostics] == [
        "tool `idle` is not used by any transition", "variable `k` is never read"]


def test_a_map_line_uses_its_action_and_a_property_reads_its_variables():
    decls, scope, typer, sink = declared(
        "agent a\nvar n: bool = false\ntool go()\nevent done\nstate s initial final\ns -> s on go\n"
        'map "fin" to done\nproperty p: always not n\n')
    edges = expand_transitions(decls, scope, typer, sink)
    properties = declared_properties(decls, scope, typer, sink)
    report_unused(scope, edges, properties, trace_mapping(decls, scope, sink), sink)
    assert not sink.diagnostics
    report_unused(scope, edges, (), m.TraceMapping(), sink)
    assert [d.code for d in sink.diagnostics] == ["WF501", "WF502"]
