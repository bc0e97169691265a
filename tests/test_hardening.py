"""Regression tests for issue 17: no internal error on any input, self-contained outputs,
fast start-up. Each test fails on the code before its fix."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from wfcheck.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def run(*args: str):
    return CliRunner().invoke(main, list(args))


# ---------------------------------------------------------------- start-up


def test_cli_import_loads_no_heavy_module():
    """`wfcheck --help` must not pay for the front end, lark, networkx or z3."""
    code = ("import sys, wfcheck.cli; heavy = [m for m in ('networkx', 'z3', 'lark', 'wfcheck.spec.frontend', "
            "'wfcheck.lean_export') if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""


def test_check_loads_neither_networkx_nor_z3():
    """`wfcheck check` needs the front end only: networkx (~0.12 s) and z3 stay unloaded."""
    code = ("import sys; from wfcheck.cli import main\n"
            "try:\n    main(['check', sys.argv[1]])\nexcept SystemExit as exit:\n    code = exit.code\n"
            "print(code, [m for m in ('networkx', 'z3') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code, str(EXAMPLES / "agentdojo" / "travel.wf")],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "0 []"


def test_the_parser_tables_stay_small():
    """lark writes out every combination of a rule's `[...]`: with the tool's ten optional
    clauses in one rule that was 2267 rules and 2414 LALR states, ~0.18 s to load."""
    from wfcheck.spec.parser import _lark

    parser = _lark()
    assert len(parser.rules) < 400
    assert len(parser.parser.parser.parser.parse_table.states) < 600


def test_the_cached_parser_follows_the_grammar():
    """The parser tables come from lark's cache, keyed by the grammar text: a changed
    grammar gets its own tables (never the stale ones), and the same grammar the cached ones."""
    from importlib import resources

    from lark.exceptions import UnexpectedInput

    from wfcheck.spec.parser import _lark, build_lark

    grammar = resources.files("wfcheck.spec").joinpath("grammar.lark").read_text(encoding="utf-8")
    changed = grammar.replace('header: "workflow" NAME', 'header: "flow" NAME')
    assert changed != grammar
    build_lark(grammar).parse("workflow w")
    with pytest.raises(UnexpectedInput):
        build_lark(grammar).parse("flow w")
    build_lark(changed).parse("flow w")          # the edit is seen at once
    with pytest.raises(UnexpectedInput):
        build_lark(changed).parse("workflow w")
    assert build_lark(grammar).parse("workflow w") == _lark().parse("workflow w")


def test_lazy_api_names_still_resolve():
    import wfcheck
    from wfcheck import api

    assert wfcheck.CheckResult is api.CheckResult
    assert issubclass(api.InvalidWorkflow, Exception)
    assert api.Model.__name__ == "Model"
    with pytest.raises(AttributeError):
        api.no_such_name  # noqa: B018


# ---------------------------------------------------------------- 1. large numbers

BIG = """workflow big
agent a
var n: 0..100000000000000000000 = 0
tool t() by a
state x initial final
x -> x on t { n = n + 1 }
property cap: at most 99999999999999999999999 t
"""


def test_huge_range_and_count_are_located_errors(tmp_path):
    path = tmp_path / "big.wf"
    path.write_text(BIG)
    for command in (("check",), ("verify", "--timeout", "2", "-j", "1")):
        result = run(*command, str(path))
        assert result.exit_code == 2, result.output
        assert "error[WF210]: the range `0..100000000000000000000`" in result.output
        assert "big.wf:3:8" in result.output
        assert "error[WF210]: `at most 99999999999999999999999`" in result.output
        assert "internal error" not in result.output


# ---------------------------------------------------------------- 2. a huge --bound


def test_huge_bound_costs_nothing_before_the_search():
    """`reachable_sources(bound)` used to allocate per step: 33 s and 2 GB at 10^7, a
    MemoryError at 10^9. The proof found at the default bound must stand."""
    import time

    started = time.perf_counter()
    result = run("verify", "--bound", "1000000000", str(EXAMPLES / "support.wf"), "--property", "refund_cap",
                 "-j", "1", "--timeout", "20")
    assert result.exit_code == 0, result.output
    assert "1 property: 1 proved" in result.output
    assert time.perf_counter() - started < 20


WIDE = """workflow wide
agent a
var n: 0..9999 = 0
var m: 0..9999 = 0
tool t() by a
tool u() by a
state x initial final
x -> x on t when n < 9999 { n = n + 1 }
x -> x on u when m < 9999 { m = m + 1 }
property r: always n + m < 19998
"""


@pytest.mark.parametrize("engine", ["explicit", "portfolio"])
def test_the_timeout_holds_for_the_explicit_search(engine, tmp_path):
    """10^8 configurations within WF210's limits: the explicit search used to run to its
    2,000,000-configuration cap (~27 s, 0.5 GB) whatever `--timeout` said."""
    import time

    path = tmp_path / "wide.wf"
    path.write_text(WIDE)
    started = time.perf_counter()
    result = run("verify", str(path), "--property", "r", "--engine", engine, "--timeout", "0.5", "-j", "1")
    assert time.perf_counter() - started < 20
    if engine == "explicit":
        assert result.exit_code == 3 and "unknown: timeout after 0.5 s" in result.output, result.output
    else:   # z3's verdict within its 0.5 s, whatever it is (the violation is 19998 steps deep)
        assert result.exit_code in (1, 3) and "Traceback" not in result.output, result.output


def test_unknown_verdict_states_the_depth_once():
    from wfcheck.checker.verify.render import render_text
    from wfcheck.checker.verify.result import UNKNOWN
    from wfcheck.checker.verify.run import Report

    from wfcheck import api

    report = api.verify(str(EXAMPLES / "support.wf"), "explicit", properties=["refund_cap"])
    result = report.results[0]
    fields = {f: getattr(result, f) for f in result.__dataclass_fields__}
    fields.update(status=UNKNOWN, reason="no violation within 50 steps, and no proof (timeout)", bound=50)
    unknown = type(result)(**fields)
    text = render_text(Report(report.model, report.system, (unknown,), "smt", 1.0), "support.wf")
    assert text.splitlines()[1].endswith("unknown: no violation within 50 steps, and no proof (timeout)")


# ---------------------------------------------------------------- 3.-6. traces, lean, export

SUPPORT = str(EXAMPLES / "support.wf")


def test_empty_jsonl_and_folder_of_them_never_pass(tmp_path):
    (tmp_path / "empty.jsonl").write_text("")
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "a.jsonl").write_text("\n\n")
    for target in ("empty.jsonl", "runs"):
        result = run("trace", SUPPORT, str(tmp_path / target))
        assert result.exit_code == 2, result.output
        assert "error[WF802]: the file is empty: no trace in it" in result.output


def test_list_of_non_objects_is_one_located_error(tmp_path):
    (tmp_path / "list.json").write_text("[1, 2, 3]")
    result = run("trace", SUPPORT, str(tmp_path / "list.json"), "--format", "json")
    assert result.exit_code == 2
    data = json.loads(result.output)
    assert data["summary"]["traces"] == 1
    (problem,) = data["unreadable"]
    assert problem["code"] == "WF803" and "no object in it" in problem["message"]


def test_trace_read_in_part_is_an_error_in_every_format(tmp_path):
    # a call whose result never comes: checked, but not shown complete (WF806)
    (tmp_path / "w.wf").write_text("workflow w\nagent a\ntool t(q) by a\nstate s initial final\ns -> s on t\n")
    (tmp_path / "cut.jsonl").write_text(json.dumps({"trace": "cut", "type": "tool_call", "tool": "t",
                                                    "arguments": {"q": "x"}}) + "\n")
    spec, path = str(tmp_path / "w.wf"), str(tmp_path / "cut.jsonl")
    text = run("trace", spec, path)
    assert text.exit_code == 2
    assert "INCOMPLETE  " in text.output and "PASS" not in text.output and "error[WF806]" in text.output
    data = json.loads(run("trace", spec, path, "--format", "json").output)
    assert [t["status"] for t in data["traces"]] == ["incomplete"]
    junit = run("trace", spec, path, "--format", "junit").output
    assert '<error message="read in part: ' in junit and 'errors="1"' in junit
    sarif = json.loads(run("trace", spec, path, "--format", "sarif").output)
    assert [r["level"] for r in sarif["runs"][0]["results"]] == ["error"]
    assert run("trace", spec, path, "--format", "github").output.startswith("::error ")


def test_lean_with_an_unreadable_trace_fails_and_writes_nothing(tmp_path):
    (tmp_path / "bad.json").write_text("{bad")
    out = tmp_path / "lean"
    result = run("lean", SUPPORT, "-o", str(out), "--trace", str(tmp_path / "bad.json"), "-j", "1",
                 "--engine", "explicit")
    assert result.exit_code == 2, result.output
    assert "error[WF802]" in result.output and "warning[" not in result.output
    assert not out.exists()


def test_export_of_several_models_needs_a_directory_or_a_property(tmp_path):
    result = run("export", SUPPORT)
    assert result.exit_code == 2
    assert "`-o DIR`" in result.output and "/* Generated" not in result.output
    one = run("export", SUPPORT, "--property", "refund_cap")
    assert one.exit_code == 0 and one.output.count("/* Generated by wfcheck") == 1
    many = run("export", SUPPORT, "-o", str(tmp_path / "pml"))
    assert many.exit_code == 0 and len(list((tmp_path / "pml").glob("*.pml"))) == 10


def test_export_of_one_model_into_an_existing_directory(tmp_path):
    (tmp_path / "one.wf").write_text("workflow w\nagent a\ntool t() by a\nstate s initial final\ns -> s on t\n"
                                     "property p: never t\n")
    (tmp_path / "out").mkdir()
    result = run("export", str(tmp_path / "one.wf"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output     # was IsADirectoryError, exit 70 (found by the fuzzer)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["p.pml"]


def test_an_output_that_cannot_be_written_is_exit_2(tmp_path):
    result = run("graph", SUPPORT, "-o", str(tmp_path / "missing" / "g.dot"))
    assert result.exit_code == 2 and "internal error" not in result.output
    assert result.output.startswith("error: No such file or directory `")


# ---------------------------------------------------------------- rough edges: reading sources


def test_non_utf8_source_is_located_at_the_bad_byte(tmp_path):
    (tmp_path / "latin.wf").write_bytes(b"workflow x\nagent a\n# caf\xe9\n")
    for command in ("check", "fmt"):
        result = run(command, str(tmp_path / "latin.wf"))
        assert result.exit_code == 2
        assert "error[WF407]: `" in result.output and "is not UTF-8 text: byte 0xe9" in result.output
        assert "latin.wf:3:6" in result.output and "codec" not in result.output


def test_an_import_path_with_a_nul_byte_is_a_located_error(tmp_path):
    # Found by `bench/fuzz.py --n 10000 --commands export` (open() raises ValueError, not OSError).
    (tmp_path / "nul.wf").write_bytes(b'workflow x\nimport "cat\x00alog.wf"\nagent a\nstate s initial final\n')
    for command in (("check",), ("export", "--format", "promela", "-o", str(tmp_path / "out"))):
        result = run(*command[:1], str(tmp_path / "nul.wf"), *command[1:])
        assert result.exit_code == 2, result.output
        assert "error[WF407]: cannot find" in result.output and "NUL byte" in result.output
        assert "nul.wf:2:1" in result.output and "internal error" not in result.output


def test_fmt_of_a_missing_file_says_so_in_words(tmp_path):
    result = run("fmt", str(tmp_path / "nope.wf"))
    assert result.exit_code == 2
    assert "error[WF407]: cannot find" in result.output and "Errno" not in result.output


# ---------------------------------------------------------------- rough edges: messages


def _check_text(tmp_path, text: str):
    (tmp_path / "w.wf").write_text(text)
    return run("check", str(tmp_path / "w.wf"))


def test_unterminated_string_is_named(tmp_path):
    result = _check_text(tmp_path, 'workflow x\nimport "abc\nagent a\n')
    assert "error[WF001]: unterminated string" in result.output and "w.wf:2:8" in result.output


def test_chained_comparison_gets_the_documented_help(tmp_path):
    result = _check_text(tmp_path, "workflow w\nagent a\nvar x: 0..5 = 0\ntool t() by a\nstate s initial final\n"
                                   "s -> s on t\nproperty p: always 0 < x < 3\n")
    assert "help: a comparison has exactly two operands: write `0 < x and x < 3`" in result.output


def test_integrity_level_without_an_integrity_lattice_suggests_declaring_one(tmp_path):
    result = _check_text(tmp_path, "workflow w\nagent a\ntool t() by a\nstate s initial final\ns -> s on t\n"
                                   "property q: no untrusted influence on t\n")
    assert "did you mean `trusted`" not in result.output
    assert "declare one, e.g. `labels integrity: trusted > untrusted`" in result.output


def test_check_counts_in_the_singular_where_there_is_one(tmp_path):
    path = tmp_path / "one.wf"
    path.write_text("agent a\ntool t() by a\nstate s initial final\ns -> s on t\n")
    assert run("check", str(path)).output.strip().endswith("ok — workflow `one`: 1 state, 1 edge, 1 agent, 1 tool, "
                                                           "0 properties")


def test_one_property_is_singular():
    result = run("verify", SUPPORT, "--property", "refund_cap", "-j", "1", "--engine", "explicit")
    assert "1 property: 1 proved" in result.output and "1 properties" not in result.output


def test_verify_json_is_self_contained():
    result = run("verify", SUPPORT, "--property", "card_not_emailed", "--format", "json", "-j", "1",
                 "--engine", "explicit")
    prop = json.loads(result.output)["properties"][0]
    assert prop["file"].endswith("support.wf") and prop["line"] > 0
    steps = prop["counterexample"]["steps"]
    assert [s["step"] for s in steps] == list(range(1, len(steps) + 1))
    last = steps[-1]
    assert last["violation"] and last["action"] == "send_email by assistant" and last["agent"] == "assistant"
    assert last["span"]["file"].endswith("support.wf") and last["span"]["line"] > 0
    assert steps[0]["values"]["state"] == steps[0]["to"]


# ---------------------------------------------------------------- rough edges: catalogs

CATALOG = EXAMPLES / "catalog" / "mail_tools.wf"


def test_every_bundled_file_checks_on_its_own():
    paths = sorted(str(p) for p in EXAMPLES.rglob("*.wf"))
    result = run("check", *paths)
    assert result.exit_code == 0, result.output
    assert f"{CATALOG}: ok — catalog `mail_tools`: 3 tools" in result.output


def test_a_catalog_is_checked_as_a_library(tmp_path):
    """Its tools need no agent of its own and nothing is unused, but names, levels and kinds
    are checked as in a workflow."""
    path = tmp_path / "tools.wf"
    path.write_text('catalog tools\nlabels integrity: trusted > untrusted\n'
                    'tool send(to: emial) sends needs trustd\nevent done\nvar n: 0..3 = 0\n')
    result = run("check", str(path))
    assert result.exit_code == 2
    assert "error[WF101]: unknown integrity level `trustd`" in result.output and "did you mean `trusted`?" in result.output
    assert "error[WF208]: unknown parameter kind `emial`" in result.output
    assert "WF410" not in result.output and "WF501" not in result.output and "WF401" not in result.output


def test_a_catalog_declares_no_states_transitions_or_properties(tmp_path):
    path = tmp_path / "c.wf"
    path.write_text("catalog c\nagent a\ntool t() by a\nstate s initial final\ns -> s on t\nproperty p: never t\n")
    result = run("check", str(path))
    assert result.exit_code == 2
    found = [line for line in result.output.splitlines() if line.startswith(("error", "  -->"))]
    assert found == ["error[WF413]: catalog `c` declares a state; a catalog holds only tools, labels, kinds, agents, "
                     "variables, events and `map` lines", f"  --> {path}:4:1",
                     "error[WF413]: catalog `c` declares a transition; a catalog holds only tools, labels, kinds, "
                     "agents, variables, events and `map` lines", f"  --> {path}:5:1",
                     "error[WF413]: catalog `c` declares a property; a catalog holds only tools, labels, kinds, "
                     "agents, variables, events and `map` lines", f"  --> {path}:6:1"]


@pytest.mark.parametrize("command", [("verify",), ("graph",), ("export", "-o", "{tmp}/pml"),
                                     ("lean", "-o", "{tmp}/lean"), ("trace", "{catalog}", str(EXAMPLES / "traces" / "support")),
                                     ("diff", "{catalog}", str(EXAMPLES / "email_assistant.wf")), ("repair",)])
def test_commands_that_run_a_workflow_reject_a_catalog_at_its_header(command, tmp_path):
    name, *rest = command
    rest = [a.format(tmp=tmp_path, catalog=CATALOG) for a in rest]
    args = [name, *rest] if str(CATALOG) in rest else [name, str(CATALOG), *rest]
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert "error[WF414]: `mail_tools` is a catalog of declarations, not a workflow" in result.output
    assert f"--> {CATALOG}:5:1" in result.output and "= help: import the catalog from a workflow" in result.output
    assert "Traceback" not in result.output


def test_the_api_rejects_a_catalog_for_a_workflow():
    from wfcheck import api

    result = api.check_file(str(CATALOG))
    assert result.ok and result.model.catalog and result.model.states == ()
    for target in (str(CATALOG), result.model):
        with pytest.raises(api.InvalidWorkflow) as caught:
            api.verify(target)
        assert [d.code for d in caught.value.result.diagnostics] == ["WF414"]
    assert api.structural_findings(result.model) == ()


def test_the_language_server_index_names_the_catalog():
    from wfcheck.lsp.index import index

    first = index(CATALOG.read_text()).declarations[0]
    assert (first.name, first.kind, first.at.line) == ("mail_tools", "workflow", 5)


def test_a_workflow_importing_the_catalog_is_a_workflow():
    from wfcheck import api

    model = api.load_model(str(EXAMPLES / "email_assistant.wf"))
    assert not model.catalog and {"read_inbox", "send_email"} <= {t.name for t in model.tools}


def test_a_file_without_states_is_pointed_to_the_catalog_header(tmp_path):
    path = tmp_path / "tools.wf"
    path.write_text("tool t()\n")
    result = run("check", str(path))
    assert result.exit_code == 2 and "error[WF401]" in result.output
    assert "starts with `catalog NAME` instead" in result.output


def test_catalog_header_round_trips_through_fmt(tmp_path):
    from wfcheck import api

    path = tmp_path / "c.wf"
    path.write_text("# shared tools\ncatalog   shared\ntool t(x: email)   reads\n")
    formatted = api.format_file(str(path))
    assert formatted.text.startswith("# shared tools\ncatalog shared\n")
    path.write_text(formatted.text)
    assert api.format_file(str(path)).text == formatted.text and api.check_file(str(path)).model.catalog


def test_catalog_is_a_reserved_word(tmp_path):
    path = tmp_path / "w.wf"
    path.write_text("agent a\ntool t() by a\nstate catalog initial final\n")
    result = run("check", str(path))
    assert result.exit_code == 2 and "error[WF003]: unexpected `catalog`; expected a name" in result.output


# ---------------------------------------------------------------- rough edges: fmt


def test_every_bundled_workflow_is_canonical():
    from wfcheck import api

    for path in sorted(EXAMPLES.rglob("*.wf")):
        formatted = api.format_file(str(path))
        assert not formatted.diagnostics, path
        assert formatted.text == formatted.original, f"{path} is not in the canonical layout (run wfcheck fmt)"


def test_long_lists_wrap_at_the_documented_width():
    from wfcheck.spec.fmt import WIDTH, wrap

    line = "s -> s on " + ", ".join(f"tool_number_{i}" for i in range(20))
    pieces = wrap(line)
    assert len(pieces) > 1 and all(len(p) <= WIDTH for p in pieces)
    assert all(p.startswith("  ") for p in pieces[1:]) and " ".join(p.strip() for p in pieces) == line
    assert wrap('tool t(q: "' + "x" * 120 + ' y") by a') [0].count('"') == 2   # strings are never broken
    assert WIDTH == 100


def test_fmt_check_over_the_examples_exits_0():
    paths = sorted(str(p) for p in EXAMPLES.rglob("*.wf"))
    result = run("fmt", "--check", *paths)
    assert result.exit_code == 0, result.output


def test_an_update_block_moves_to_the_next_line_whole():
    from wfcheck.spec.fmt import wrap

    head = "tool write_file(path, content) by coder writes when edits < 5 and attempts < 3 and ready"
    assert wrap(head + " { edits = edits + 1, tests_passed = false }") == [
        head, "  { edits = edits + 1, tests_passed = false }"]
    long_block = "{ " + ", ".join(f"variable_{i} = false" for i in range(8)) + " }"
    pieces = wrap(head + " " + long_block)      # too long for one line: broken after its commas
    assert len(pieces) > 2 and all(len(p) <= 100 for p in pieces)
    assert wrap("property p: " + "a" * 50 + " requires earlier " + "b" * 50)[1] == "  requires earlier " + "b" * 50


def test_sarif_results_carry_stable_partial_fingerprints(tmp_path):
    traces = str(EXAMPLES / "traces" / "support")
    first = json.loads(run("trace", SUPPORT, traces, "--format", "sarif").output)["runs"][0]["results"]
    again = json.loads(run("trace", SUPPORT, traces, "--format", "sarif").output)["runs"][0]["results"]
    prints = [r["partialFingerprints"]["wfcheck/v1"] for r in first]
    assert first and prints == [r["partialFingerprints"]["wfcheck/v1"] for r in again]
    assert len(set(prints)) == len(prints)


def test_junit_testcases_have_a_time():
    import xml.etree.ElementTree as ET

    out = run("trace", SUPPORT, str(EXAMPLES / "traces" / "support"), "--format", "junit").output
    cases = ET.fromstring(out.encode()).findall("testsuite/testcase")
    checked = [c for c in cases if c.find("error") is None or c.get("time")]
    assert checked and all(float(c.get("time")) >= 0 for c in checked)


@pytest.mark.parametrize("fmt", ["junit", "sarif", "github"])
def test_verify_writes_the_ci_formats(fmt):
    import xml.etree.ElementTree as ET

    result = run("verify", SUPPORT, "--format", fmt, "-j", "1", "--engine", "explicit")
    assert result.exit_code == 1, result.output
    out = result.output
    if fmt == "junit":
        suite = ET.fromstring(out.encode()).find("testsuite")
        assert suite.get("tests") == "10" and suite.get("failures") == "4"
        assert all(c.get("time") is not None for c in suite.findall("testcase"))
    elif fmt == "sarif":
        results = json.loads(out)["runs"][0]["results"]
        assert len(results) == 4 and all(r["partialFingerprints"]["wfcheck/v1"] for r in results)
        assert all(r["locations"][0]["physicalLocation"]["region"]["startLine"] > 0 for r in results)
    else:
        assert sum(line.startswith("::error file=") for line in out.splitlines()) == 4
