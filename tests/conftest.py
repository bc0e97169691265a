"""Shared test set-up: `pytest --update-goldens` rewrites golden files instead of comparing."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHARED_DATA = ROOT.parent / "shared" / "data"


def pytest_addoption(parser):
    parser.addoption("--update-goldens", action="store_true", default=False,
                     help="rewrite golden files with the current output")


def pytest_configure(config):
    if config.getoption("--update-goldens"):
        os.environ["WFCHECK_UPDATE_GOLDENS"] = "1"


def compare_golden(path: Path, actual: str) -> None:
    """Assert `actual` equals the golden file (or rewrite it under --update-goldens)."""
    if os.environ.get("WFCHECK_UPDATE_GOLDENS"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"missing golden file {path}; run pytest --update-goldens"
    assert actual == path.read_text(encoding="utf-8"), f"output differs from {path}"


@pytest.fixture
def golden():
    return compare_golden


def pytest_report_header(config):
    import wfcheck

    return f"wfcheck {wfcheck.__version__} imported from {Path(wfcheck.__file__).parent}"
