"""Semantic analysis: AST files -> resolved, typed `Model`, or diagnostics.

Checks names (unknown, duplicate, wrong kind, with "did you mean"), types of every
expression and update, that each label order is a lattice, who may perform each action,
and warns about declarations nothing uses. Codes are listed in docs/errors.md.

`analyze` runs one pass per module, each reading what earlier ones resolved and reporting
into one `diagnose.Sink`: the declarations (`labels`, `names`, `variables`, `actions`, run
by `scope.declare` into a `Scope`), then `states`, `edges`, `properties` and `mapping`, and
last, when there is no error, `unused`. A catalog (`catalog.py`) has only the
declarations: no states, transitions or properties, and no unused-declaration warnings. `expressions.Typer` types every expression. The
diagnostics are sorted by position in the end, so the order of the passes shows only among
diagnostics at one position.
"""
from __future__ import annotations

import os

from .. import ast
from .. import model as m
from ..diagnostics import Diagnostic
from ..span import NO_SPAN
from .catalog import catalog_header, report_workflow_only
from .diagnose import Sink
from .edges import expand_transitions
from .mapping import trace_mapping
from .properties import declared_properties, implicit_properties
from .scope import declare
from .states import initial_and_finals
from .unused import report_unused


def analyze(files: tuple[ast.Workflow, ...]) -> tuple[m.Model | None, tuple[Diagnostic, ...]]:
    """Resolve and check parsed files (root first). The model is None if there are errors."""
    sink = Sink()
    decls = tuple(d for f in files for d in f.decls)
    anchor = files[0].span if files else NO_SPAN
    catalog = catalog_header(files)
    scope, typer = declare(decls, sink, catalog is not None)
    if catalog is not None:
        report_workflow_only(decls, catalog, sink)
        (initial, finals), edges, properties = ("", ()), (), ()
    else:
        initial, finals = initial_and_finals(decls, anchor, sink)
        edges = expand_transitions(decls, scope, typer, sink)
        properties = declared_properties(decls, scope, typer, sink)
        properties += implicit_properties(scope, edges)
    mapping = trace_mapping(decls, scope, sink)
    if not sink.has_errors and catalog is None:   # a catalog's declarations are there to be used elsewhere
        report_unused(scope, edges, properties, mapping, sink)
    model = None if sink.has_errors else m.Model(
        name=_workflow_name(files), conf=scope.labels.conf, integ=scope.labels.integ,
        agents=tuple(scope.names.agents),
        variables=tuple(scope.variables.declared[v] for v in scope.names.variables),
        tools=tuple(t.tool for t in scope.tools.values()), events=tuple(scope.events.values()),
        states=tuple(scope.names.states), initial=initial, finals=finals, edges=edges,
        properties=properties, mapping=mapping,
        state_spans=tuple(scope.names.states.values()), span=anchor if catalog is None else catalog.span,
        catalog=catalog is not None)
    root = anchor.file  # the root file's diagnostics come first
    return model, tuple(sorted(sink.diagnostics, key=lambda d: (
        d.span.file != root, d.span.file, d.span.line, d.span.column)))


def _workflow_name(files: tuple[ast.Workflow, ...]) -> str:
    """The root file's `workflow NAME`, else its file name without extension."""
    if not files:
        return "workflow"
    header = next((d for d in files[0].decls if isinstance(d, ast.Header)), None)
    return header.name.name if header else os.path.splitext(os.path.basename(files[0].span.file))[0]
