"""A catalog (`catalog NAME`): tools, labels and kinds for workflows to import, checked as a
library. It has no control states, so what only a workflow may declare is WF413."""
from __future__ import annotations

from .. import ast
from .diagnose import Sink

_WORKFLOW_ONLY = ((ast.StateDecl, "a state"), (ast.Transition, "a transition"), (ast.PropertyDecl, "a property"))


def catalog_header(files: tuple[ast.Workflow, ...]) -> ast.Header | None:
    """The root file's `catalog NAME` header, if it has one."""
    header = next((d for d in files[0].decls if isinstance(d, ast.Header)), None) if files else None
    return header if header is not None and header.kind == "catalog" else None


def report_workflow_only(decls: tuple[ast.Decl, ...], header: ast.Header, sink: Sink) -> None:
    """WF413 for each state, transition or property of a catalog (or of a file it imports)."""
    for d in decls:
        what = next((w for kind, w in _WORKFLOW_ONLY if isinstance(d, kind)), None)
        if what is not None:
            sink.error("WF413", f"catalog `{header.name.name}` declares {what}; a catalog holds only "
                       "tools, labels, kinds, agents, variables, events and `map` lines", d.span,
                       "move it into a workflow that imports the catalog, or make this file a workflow "
                       "(`workflow NAME`)")
