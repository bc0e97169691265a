"""The bundled examples: valid, canonical, and their `# expect:` comments match `verify`."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import wfcheck
from replay import replay
from wfcheck.spec.fmt import format_workflow
from wfcheck.spec.parser import parse_text

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
WORKFLOWS = sorted(EXAMPLES.glob("*.wf"))
EXPECT = re.compile(r"#\s*expect:\s*(holds|violated)")
PROPERTY = re.compile(r"^property\s+([A-Za-z_][A-Za-z0-9_]*)\s*:", re.M)


def expectations(path: Path) -> dict[str, str]:
    """Property name -> "proved" | "violated", from the comment just above each property."""
    expected, pending = {}, None
    for line in path.read_text().splitlines():
        found = EXPECT.search(line)
        if found:
            pending = found.group(1)
            continue
        prop = PROPERTY.match(line)
        if prop and pending:
            expected[prop.group(1)] = "proved" if pending == "holds" else "violated"
            pending = None
    return expected


def test_there_are_four_examples():
    assert len(WORKFLOWS) >= 4


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_example_is_valid_without_warnings(path):
    from wfcheck.spec.graph import structural_findings

    result = wfcheck.check_file(str(path))
    assert result.ok, result.diagnostics
    assert result.diagnostics == () and structural_findings(result.model) == ()


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_example_is_canonically_formatted(path):
    text = path.read_text()
    workflow, diagnostics = parse_text(text, str(path))
    assert diagnostics == ()
    assert format_workflow(workflow) == text


@pytest.mark.parametrize("engine", ["explicit", "smt"])
@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.stem)
def test_example_verdicts_match_expectations(path, engine):
    if engine == "smt":
        pytest.importorskip("wfcheck.checker.verify.smt")
    expected = expectations(path)
    assert len(expected) >= 5
    report = wfcheck.verify(str(path), engine=engine)
    actual = {r.name: r.status for r in report.results if r.name in expected}
    assert actual == expected
    for result in report.results:
        if result.counterexample is not None:
            replay(report.system, report.system.check(result.name), result.counterexample)
