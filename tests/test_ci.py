"""The CI integrations run the command lines they are written with: the GitHub Action's
scripts (action.yml, with its inputs and step outputs filled in as the runner does), the
pre-commit hooks' entries (.pre-commit-hooks.yaml) and the GitLab job in docs/ci.md."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "examples"
BIN = Path(sys.executable).parent
BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(BASH is None or not (BIN / "wfcheck").exists(), reason="needs bash and the wfcheck script")


def _env(**extra) -> dict:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **extra}


def _expression(text: str, inputs: dict, outputs: dict) -> str:
    """`${{ inputs.x }}` and `${{ steps.id.outputs.k }}`, the only expressions the scripts' env uses."""
    def value(match):
        path = match.group(1).strip().split(".")
        if path[0] == "inputs":
            return inputs[path[1]]
        if path[0] == "steps" and path[2] == "outputs":
            return outputs.get(path[1], {}).get(path[3], "")
        raise AssertionError(f"unexpected expression {match.group(0)}")
    return re.sub(r"\$\{\{(.*?)\}\}", value, text)


def _run_action(tmp_path, **given) -> tuple[list[tuple[str, int]], dict]:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    inputs = {k: str(v.get("default", "")) for k, v in action["inputs"].items()} | given
    outputs: dict[str, dict] = {}
    codes = []
    for step in action["runs"]["steps"]:
        if "run" not in step:
            assert step["uses"].split("@")[0] in ("github/codeql-action/upload-sarif", "actions/upload-artifact")
            continue
        if step["name"] == "Install wfcheck":  # this test runs the installed wfcheck
            assert step["run"] == 'python -m pip install --quiet "$PACKAGE"'
            continue
        assert "${{" not in step["run"], "a script reads its inputs from env"
        out_file = tmp_path / f"output-{len(codes)}"
        out_file.write_text("")
        env = {k: _expression(str(v), inputs, outputs) for k, v in step.get("env", {}).items()}
        done = subprocess.run([BASH, "-e", "-c", step["run"]], cwd=tmp_path, capture_output=True, text=True,
                              env=_env(GITHUB_OUTPUT=str(out_file), **env), timeout=300)
        codes.append((step["name"], done.returncode))
        if "id" in step:
            outputs[step["id"]] = dict(line.split("=", 1) for line in out_file.read_text().splitlines())
    return codes, outputs


def test_action_reports_violations_as_sarif_and_html_and_fails(tmp_path):
    codes, outputs = _run_action(tmp_path, spec=str(EX / "support.wf"), traces=str(EX / "traces" / "support"))
    assert outputs["verify"]["exit"] == "1" and outputs["trace"]["exit"] == "1"
    assert codes[-1] == ("Fail on findings", 1) and all(c == 0 for _, c in codes[:-1])
    sarif = json.loads((tmp_path / "wfcheck.sarif").read_text())
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    for page in ("verify.html", "traces.html"):
        assert "<svg" in (tmp_path / "wfcheck-report" / page).read_text()


def test_action_passes_on_a_conforming_trace(tmp_path):
    codes, outputs = _run_action(tmp_path, spec=str(EX / "support.wf"), verify="false",
                                 traces=str(EX / "traces" / "support" / "refund_approved.openai.json"))
    assert outputs["trace"]["exit"] == "0" and codes[-1] == ("Fail on findings", 0)


def _hooks():
    return {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}


def test_precommit_hooks_pass_on_the_examples_and_catch_problems(tmp_path):
    hooks = _hooks()
    assert set(hooks) == {"wfcheck-check", "wfcheck-fmt"}
    files = [str(p) for p in sorted(EX.glob("*.wf")) if re.search(hooks["wfcheck-fmt"]["files"], p.name)]
    assert len(files) >= 4
    for hook in hooks.values():
        done = subprocess.run(hook["entry"].split() + files, capture_output=True, text=True, env=_env(), timeout=300)
        assert done.returncode == 0, (hook["id"], done.stderr)
    messy = tmp_path / "messy.wf"
    messy.write_text((EX / "support.wf").read_text().replace("state waiting initial", "state  waiting initial"))
    done = subprocess.run(hooks["wfcheck-fmt"]["entry"].split() + [str(messy)], capture_output=True, text=True, env=_env())
    assert done.returncode == 1 and "would reformat" in done.stderr
    bad = str(ROOT / "tests" / "golden" / "diagnostics" / "syntax.wf")
    done = subprocess.run(hooks["wfcheck-check"]["entry"].split() + [bad], capture_output=True, text=True, env=_env())
    assert done.returncode == 2 and "error[WF" in done.stderr


def test_gitlab_job_in_the_docs(tmp_path):
    docs = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", docs, re.S) if b.startswith("wfcheck:"))
    job = yaml.safe_load(block)["wfcheck"]
    variables = {k: str(EX.parent / v) for k, v in job["variables"].items()}
    codes = []
    for line in job["script"]:
        if line.startswith("pip install"):  # this test runs the installed wfcheck
            continue
        done = subprocess.run([BASH, "-c", line], cwd=tmp_path, capture_output=True, text=True,
                              env=_env(**variables), timeout=300)
        codes.append(done.returncode)
    assert codes[:-1] == [0] * (len(codes) - 1) and codes[-1] == 1  # the last line fails on the violations
    assert "<testsuite" in (tmp_path / "wfcheck-junit.xml").read_text()
    assert (tmp_path / "wfcheck-report" / "traces.html").exists() and (tmp_path / "wfcheck-report" / "verify.html").exists()
