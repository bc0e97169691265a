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
