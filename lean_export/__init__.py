"""Lean 4 export of workflows, properties and checker certificates (`wfcheck lean`).

`render_project` turns a lowered system and the checkers' verdicts into the files of a Lake
project; `write_project` writes them. The package reads the spec only: verdicts and traces
come in the neutral forms `Verdict` and `TraceInput`, built by the caller (wfcheck/api.py).
"""
from .certificate import DEFAULT_MAX_CONFIGS, ExportError, Verdict
from .project import LEAN_TOOLCHAIN, LeanFile, render_project, write_project
from .trace import TracedStep, TraceInput

__all__ = ["DEFAULT_MAX_CONFIGS", "ExportError", "LEAN_TOOLCHAIN", "LeanFile", "TraceInput", "TracedStep",
           "Verdict", "render_project", "write_project"]
