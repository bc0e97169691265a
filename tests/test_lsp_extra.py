"""`wfcheck lsp` without the `lsp` extra: a clear error and exit 2, never a traceback."""
from __future__ import annotations

import sys

from click.testing import CliRunner

from wfcheck.cli import main


def test_lsp_without_the_extra_says_how_to_get_it(monkeypatch):
    for name in [n for n in sys.modules if n == "wfcheck.lsp.server" or n.startswith(("pygls", "lsprotocol"))]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pygls", None)  # import pygls -> ImportError
    monkeypatch.setitem(sys.modules, "lsprotocol", None)
    result = CliRunner().invoke(main, ["lsp"])
    assert result.exit_code == 2
    assert "needs the `lsp` extra" in result.output and "pip install 'wfcheck[lsp]'" in result.output
