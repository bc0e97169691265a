"""Read a `.wf` file and, transitively, the files it imports."""
from __future__ import annotations

import os
from dataclasses import dataclass

from . import ast
from .diagnostics import Diagnostic, SourceMap, error
from .parser import parse_text
from .span import Span


@dataclass(frozen=True, slots=True)
class Loaded:
    """The root file first, then every imported file once, in the order first imported."""
    files: tuple[ast.Workflow, ...]
    sources: SourceMap
    diagnostics: tuple[Diagnostic, ...]


def _read(path: str, at: Span | None) -> tuple[str | None, Diagnostic | None]:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read(), None
    except FileNotFoundError:
        return None, error("WF407", f"cannot find `{path}`", at or Span(path, 0, 0, 0, 0),
                           "check the path; imports are relative to the importing file")
    except (OSError, UnicodeDecodeError) as exc:
        return None, error("WF407", f"cannot read `{path}`: {exc}", at or Span(path, 0, 0, 0, 0),
                           "the file must be readable UTF-8 text")


def load_text(text: str, file: str = "<input>") -> Loaded:
    """Parse source text whose imports are resolved relative to `file`."""
    return _load(file, text)


def load_file(path: str) -> Loaded:
    return _load(path, None)


def _load(root: str, root_text: str | None) -> Loaded:
    sources = SourceMap()
    diagnostics: list[Diagnostic] = []
    files: list[ast.Workflow] = []
    seen: set[str] = set()

    def visit(path: str, text: str | None, at: Span | None, stack: tuple[str, ...]) -> None:
        key = os.path.normpath(os.path.abspath(path))
        if key in stack:
            diagnostics.append(error("WF408", f"import cycle through `{path}`", at,
                                     "remove one of the imports in the cycle"))
            return
        if key in seen:
            return
        seen.add(key)
        if text is None:
            text, problem = _read(path, at)
            if problem is not None:
                diagnostics.append(problem)
                return
        sources.add(path, text)
        workflow, parse_diags = parse_text(text, path)
        diagnostics.extend(parse_diags)
        files.append(workflow)
        base = os.path.dirname(path)
        for decl in workflow.decls:
            if isinstance(decl, ast.Import):
                visit(os.path.join(base, decl.path), None, decl.span, stack + (key,))

    visit(root, root_text, None, ())
    return Loaded(tuple(files), sources, tuple(diagnostics))
