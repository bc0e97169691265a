"""wfcheck: specify, verify and monitor LLM-agent workflows.

The public API; the `wfcheck` command is a thin layer over it.
"""
from __future__ import annotations

import importlib.util as _util

if _util.find_spec("wfcheck.spec") is None:  # the source folder `wfcheck/` without an install
    raise ImportError(f"this is the `wfcheck/` folder of a source checkout ({__path__[0]}), which cannot be "
                      "imported by itself: its subpackages live in the checkout's spec/, checker/, export/ and "
                      "lean_export/ folders and are mapped at install time; run `pip install -e .` in the "
                      "checkout, or import an installed wfcheck from another directory")

_API_NAMES = ("CheckResult", "ExportError", "Formatted", "InvalidWorkflow", "LeanExport", "MineResult", "check_file",
              "check_text", "check_traces", "export_lean", "export_promela", "format_file", "graph", "load_model", "mine",
              "render_diagnostic", "render_traces", "render_verification", "structural_findings", "verify")


def __getattr__(name: str):
    """The API's names, imported on first use so that `import wfcheck.cli` stays fast."""
    if name in _API_NAMES:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


from .spec.version import __version__

__all__ = ["CheckResult", "ExportError", "Formatted", "InvalidWorkflow", "LeanExport", "MineResult", "check_file",
           "check_text", "check_traces", "export_lean", "export_promela", "format_file", "graph", "load_model", "mine",
           "render_diagnostic", "render_traces", "render_verification", "structural_findings", "verify",
           "__version__"]
