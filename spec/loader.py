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


def read_source(path: str, at: Span | None = None) -> tuple[str | None, Diagnostic | None]:
    """The text of a `.wf` file, or a WF407 diagnostic: a missing file, an OS error in words
    (not Python's `[Errno 2]`), or the line and column of the first byte that is not UTF-8.
    `at`: where the file is imported, if it is."""
    whole = at or Span(path, 0, 0, 0, 0)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return None, error("WF407", f"cannot find `{path}`", whole,
                           "check the path; imports are relative to the importing file")
    except OSError as exc:
        return None, error("WF407", f"cannot read `{path}`: {exc.strerror or exc}", whole,
                           "the file must be readable UTF-8 text")
    except ValueError:   # a NUL byte in the path: no file can have that name
        return None, error("WF407", f"cannot find `{path!r}`: a path cannot hold a NUL byte", whole,
                           "check the path; imports are relative to the importing file")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = len(data[line_start:exc.start].decode("utf-8", "replace")) + 1
        return None, error("WF407", f"`{path}` is not UTF-8 text: byte 0x{data[exc.start]:02x} cannot be decoded",
                           Span(path, line, column, line, column + 1),
                           "save the file as UTF-8 (the only encoding `.wf` files may have)")


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
            text, problem = read_source(path, at)
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
