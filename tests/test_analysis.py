"""Semantic analysis: every diagnostic code, and the resolved model."""
from __future__ import annotations

import pytest

import wfcheck
from wfcheck.spec import model as m

BASE = """workflow w
labels confidentiality: public < internal < secret
labels integrity: trusted > untrusted
agent a, b
var n: 0..3 = 0
var mode: {idle, busy} = idle
tool t(x) by a returns secret when n < 3 { n = n + 1 }
tool u() by a, b returns public, untrusted
event done by a
state s initial
state f final
s -> s on t, u
s -> s on message a to b when mode == idle
s -> f on done
"""


def codes(text: str) -> list[tuple[str, int]]:
    result = wfcheck.check_text(text, "t.wf")
    return [(d.code, d.span.line) for d in result.diagnostics]


def test_base_is_clean():
    result = wfcheck.check_text(BASE, "t.wf")
    assert result.ok and result.diagnostics == ()


@pytest.mark.parametrize("extra,code,line", [
    ("s -> s on nope", "WF101", 15),
    ("s -> nowhere on t", "WF101", 15),
    ("property p: never t by c", "WF101", 15),
    ("property p: always m == 1", "WF101", 15),
    ("agent a", "WF102", 15),
    ("state s", "WF102", 15),
    ("property p: always n == true", "WF201", 15),
    ("property p: always n", "WF201", 15),
    ("property p: always mode < busy", "WF207", 15),
    ("var z: bool = 3", "WF202", 15),
    ("var z: 3..1 = 3", "WF203", 15),
    ("var z: 0..2 = 5", "WF204", 15),
    ("s -> s on u { n = 9 }", "WF204", 15),
    ("var z: {idle, other} = other", "WF205", 15),
    ("s -> s on t { n = 0 }", "WF206", 15),
    ("labels integrity: low < high", "WF305", 15),
    ("tool v() sink untrusted", "WF304", 15),
    ("tool v() returns secret, internal", "WF304", 15),
    ("state g initial", "WF401", 15),
    ("s -> s on t by b", "WF403", 15),
    ("s -> s on t.ok", "WF101", 15),
    ("s -> s on done.ok", "WF404", 15),
    ("property p: at most -1 t", "WF406", 15),
    ("s -> s on message a to b by a", "WF409", 15),
    ("property p: no flow from secret to done", "WF101", 15),
    ("property p: no flow from nothing to t", "WF101", 15),
])
def test_error_codes(extra, code, line):
    result = wfcheck.check_text(BASE + extra + "\n", "t.wf")
    assert not result.ok
    assert (code, line) in [(d.code, d.span.line) for d in result.diagnostics if d.is_error]


def test_did_you_mean():
    result = wfcheck.check_text(BASE + "s -> s on tt\n", "t.wf")
    (diag,) = result.diagnostics
    assert diag.message == "unknown tool or event `tt`"
    assert diag.help == "did you mean `t`?"


def test_duplicate_points_at_the_first_declaration():
    (diag,) = wfcheck.check_text(BASE + "agent b\n", "t.wf").diagnostics
    assert diag.related[0][1].line == 4


@pytest.mark.parametrize("labels,code", [
    ("labels confidentiality: a < b < a", "WF301"),
    ("labels confidentiality: bottom < x, bottom < y", "WF302"),   # x, y have no join
    ("labels confidentiality: x < top, y < top", "WF302"),         # x, y have no meet
    ("labels confidentiality: p < q\nlabels integrity: q > r", "WF303"),
])
def test_lattice_errors(labels, code):
    result = wfcheck.check_text(labels + "\nagent a\nstate s initial\n", "t.wf")
    assert code in [d.code for d in result.diagnostics]


def test_diamond_is_a_lattice():
    result = wfcheck.check_text("labels confidentiality: low < a < high, low < b < high\nagent a1\n"
                                "state s initial final\n", "t.wf")
    assert result.ok
    conf = result.model.conf
    assert conf.levels[0] == "low" and conf.levels[-1] == "high"
    a, b = conf.index("a"), conf.index("b")
    assert conf.levels[conf.join(a, b)] == "high"
    assert conf.levels[conf.meet(a, b)] == "low"
    assert not conf.leq(a, b) and not conf.leq(b, a)


def test_unused_declarations_warn():
    result = wfcheck.check_text(BASE + "tool idle_tool()\nvar unused: bool = false\nagent c\n", "t.wf")
    assert result.ok
    assert sorted(d.code for d in result.diagnostics) == ["WF501", "WF502", "WF503"]


def test_no_initial_and_no_final_state():
    assert "WF401" in [c for c, _ in codes("agent a\nstate s\n")]
    result = wfcheck.check_text("agent a\nstate s initial\n", "t.wf")
    assert result.ok and sorted(d.code for d in result.diagnostics) == ["WF402", "WF503"]


def test_several_errors_at_once():
    result = wfcheck.check_text(BASE + "s -> s on nope1\ns -> s on nope2\nproperty p: always zz\n", "t.wf")
    assert [(d.code, d.span.line) for d in result.diagnostics] == [("WF101", 15), ("WF101", 16), ("WF101", 17)]


def test_edges_expand_per_agent_and_outcome():
    text = BASE.replace("tool u() by a, b returns public, untrusted",
                        "tool u() by a, b returns public, untrusted\n  outcome ok { mode = busy }\n  outcome failed")
    model = wfcheck.check_text(text, "t.wf").model
    u_edges = [e for e in model.edges if e.action.name == "u"]
    assert sorted((e.action.agent, e.action.outcome) for e in u_edges) == [
        ("a", "failed"), ("a", "ok"), ("b", "failed"), ("b", "ok")]
    ok = next(e for e in u_edges if e.action.outcome == "ok")
    assert ok.assigns == (m.Assign("mode", m.Const("busy")),)


def test_tool_and_transition_guards_are_conjoined():
    model = wfcheck.check_text(BASE + "s -> s on t when mode == busy\n", "t.wf").model
    edge = model.edges[-1]
    assert edge.guard == m.And((m.Cmp("<", m.Var("n"), m.Const(3)), m.Cmp("==", m.Var("mode"), m.Const("busy"))))


def test_implicit_properties():
    text = BASE.replace("tool u() by a, b returns public, untrusted",
                        "tool u() by a, b sends returns public, untrusted sink internal needs trusted")
    names = [p.name for p in wfcheck.check_text(text, "t.wf").model.properties]
    assert names == ["u.sink", "u.needs", "n.range"]


def test_imports_merge_declarations(tmp_path):
    (tmp_path / "cat.wf").write_text("tool lookup() by a returns secret\n")
    main = tmp_path / "main.wf"
    main.write_text('import "cat.wf"\nlabels confidentiality: public < secret\nagent a\nstate s initial final\ns -> s on lookup\n')
    result = wfcheck.check_file(str(main))
    assert result.ok and result.model.tools[0].name == "lookup"


def test_import_errors(tmp_path):
    (tmp_path / "x.wf").write_text('import "y.wf"\n')
    (tmp_path / "y.wf").write_text('import "x.wf"\n')
    cyc = wfcheck.check_file(str(tmp_path / "x.wf"))
    assert [d.code for d in cyc.diagnostics] == ["WF408"]
    missing = wfcheck.check_text('import "nope.wf"\n', str(tmp_path / "m.wf"))
    assert [d.code for d in missing.diagnostics] == ["WF407"]
    assert missing.diagnostics[0].span.line == 1


def test_no_unused_warnings_when_there_are_errors():
    result = wfcheck.check_text("agent a\nstate s initial final\ns -> s on nope\n", "t.wf")
    assert [d.code for d in result.diagnostics] == ["WF101"]


def test_a_failed_lattice_keeps_its_levels():
    text = ("labels confidentiality: public < hr, public < finance\nagent a\ntool t() by a returns hr\n"
            "state s initial final\ns -> s on t\n")
    assert [d.code for d in wfcheck.check_text(text, "t.wf").diagnostics] == ["WF302"]


def test_repeated_enum_value_is_reported_once_at_the_repeat():
    result = wfcheck.check_text("var v: {a, b, a} = a\n", "t.wf")
    (diag,) = [d for d in result.diagnostics if d.code == "WF205"]
    assert diag.span.column == 15


def test_silent_no_ops_warn():
    env = wfcheck.check_text("agent a\nevent tick\nstate s initial final\ns -> s on tick declassify public\n", "t.wf")
    assert "WF504" in [d.code for d in env.diagnostics]
    influence = wfcheck.check_text(BASE + "property p: no secret influence on t\n", "t.wf")
    assert influence.ok and [d.code for d in influence.diagnostics] == ["WF505"]


def test_uses_count_from_properties_map_lines_and_unused_tools():
    text = ("agent a\nvar n: bool = false\nvar k: bool = false\ntool go()\ntool idle() when k\nevent done\n"
            "state s initial final\ns -> s on go\nmap \"fin\" to done\nproperty p: always not n\n")
    result = wfcheck.check_text(text, "t.wf")
    assert result.ok
    assert [(d.code, d.message) for d in result.diagnostics] == [
        ("WF501", "tool `idle` is not used by any transition")]
