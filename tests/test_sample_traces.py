"""The sample traces in examples/traces/: each file's verdict and headline (the property and
step of its first violation) are as the README's tables say. The tables are parsed here, so
the README and the checker's behaviour cannot drift apart."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import wfcheck
from wfcheck.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SAMPLES = EXAMPLES / "traces"
README = SAMPLES / "README.md"
WORKFLOWS = ("support", "coding_agent", "email_assistant", "pipeline")
FORMATS = {".openai.json": "openai", ".anthropic.json": "anthropic", ".otel.json": "otel", ".jsonl": "native"}
CELL_SPLIT = re.compile(r"(?<!\\)\|")      # `\|` inside a cell is an escaped pipe


def readme_sections() -> dict[str, dict]:
    """Workflow -> {"command": the `sh` block, "rows": {file: (format, verdict, property, step)}}."""
    sections: dict[str, dict] = {}
    current = None
    in_code = False
    for line in README.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^## (\w+)\s*$", line)
        if heading:
            current = sections.setdefault(heading.group(1), {"command": None, "rows": {}})
            continue
        if line.startswith("```"):
            in_code = not in_code
            continue
        if current is None:
            continue
        if in_code and line.startswith("wfcheck "):
            current["command"] = line.strip()
            continue
        cells = [c.strip() for c in CELL_SPLIT.split(line)[1:-1]]
        if len(cells) < 5 or not cells[0].startswith("`"):
            continue
        name, fmt, verdict, prop, step = cells[:5]
        prop = None if prop == "deviation" else prop.strip("`")
        current["rows"][name.strip("`")] = (fmt, verdict, None if verdict == "conforming" else prop,
                                            None if step == "—" else int(step))
    return sections


SECTIONS = readme_sections()


def format_of(name: str) -> str:
    return next(f for suffix, f in FORMATS.items() if name.endswith(suffix))


def test_readme_has_a_table_for_each_workflow():
    assert sorted(SECTIONS) == sorted(WORKFLOWS)
    for workflow, section in SECTIONS.items():
        assert section["command"] == f"wfcheck trace examples/{workflow}.wf examples/traces/{workflow}/"
        rows = section["rows"]
        assert len(rows) >= 8, workflow
        assert {fmt for fmt, *_ in rows.values()} == set(FORMATS.values()), workflow
        assert {verdict for _, verdict, *_ in rows.values()} == {"conforming", "violating"}, workflow
        for name, (fmt, verdict, prop, step) in rows.items():
            assert fmt == format_of(name), name
            assert (verdict == "conforming") == (step is None), name


def test_every_sample_file_is_in_the_readme():
    on_disk = {(p.parent.name, p.name) for p in SAMPLES.rglob("*") if p.suffix in (".json", ".jsonl")}
    listed = {(w, name) for w, section in SECTIONS.items() for name in section["rows"]}
    assert on_disk == listed


@pytest.fixture(scope="module")
def reports():
    return {w: wfcheck.check_traces(str(EXAMPLES / f"{w}.wf"), [str(SAMPLES / w)]) for w in WORKFLOWS}


@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_verdicts_and_headlines_match_the_readme(workflow, reports):
    report = reports[workflow]
    rows = SECTIONS[workflow]["rows"]
    assert report.unreadable == ()
    assert [Path(r.file).name for r in report.results] == sorted(rows), "one trace per file, in file order"
    for result in report.results:
        name = Path(result.file).name
        fmt, verdict, prop, step = rows[name]
        assert result.format == fmt, name
        assert result.problems == (), (name, result.problems)
        if verdict == "conforming":
            assert result.violations == (), (name, result.violations)
            continue
        assert result.violations, name
        first = result.violations[0]
        assert (first.property, first.step) == (prop, step), (name, first)
        assert (first.kind == "deviation") == (prop is None), (name, first)
        # a violating sample breaks a property of the spec, not only its transitions
        assert any(v.property is not None for v in result.violations), name
    assert report.exit_code == 1


@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_cli_exit_code(workflow):
    rows = SECTIONS[workflow]["rows"]
    failing = sum(verdict == "violating" for _, verdict, *_ in rows.values())
    result = CliRunner().invoke(main, ["trace", str(EXAMPLES / f"{workflow}.wf"), str(SAMPLES / workflow)])
    assert result.exit_code == 1, result.output
    assert f"{len(rows)} traces: {len(rows) - failing} passed, {failing} failed, 0 unreadable" in result.output
