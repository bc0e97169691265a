"""wfcheck: specify, verify and monitor LLM-agent workflows.

The public API; the `wfcheck` command is a thin layer over it.
"""
from __future__ import annotations

from .api import CheckResult, check_file, check_text

__version__ = "0.1.0"

__all__ = ["CheckResult", "check_file", "check_text", "__version__"]
