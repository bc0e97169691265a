"""wfcheck: specify, verify and monitor LLM-agent workflows.

The public API; the `wfcheck` command is a thin layer over it.
"""
from __future__ import annotations

from .api import (CheckResult, Formatted, InvalidWorkflow, check_file, check_text, check_traces, format_file,
                  load_model, verify)
from .api import LeanExport, export_lean

__version__ = "0.1.0"

__all__ = ["CheckResult", "Formatted", "InvalidWorkflow", "check_file", "check_text", "check_traces", "format_file",
           "load_model", "verify", "__version__", "LeanExport", "export_lean"]
