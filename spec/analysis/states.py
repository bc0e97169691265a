"""The control states' roles: exactly one initial state (WF401), and final states (WF402)."""
from __future__ import annotations

from .. import ast
from ..span import Span
from .diagnose import Sink


def initial_and_finals(decls: tuple[ast.Decl, ...], anchor: Span, sink: Sink) -> tuple[str, tuple[str, ...]]:
    """The initial state and the final states; `anchor` is where a workflow without any state
    declaration is reported."""
    declared = [d for d in decls if isinstance(d, ast.StateDecl)]
    initial = [i for d in declared if d.initial for i in d.names]
    finals = tuple(dict.fromkeys(i.name for d in declared if d.final for i in d.names))
    if not declared:
        sink.error("WF401", "the workflow declares no states", anchor,
                   "declare control states, e.g. `state start initial` and `state done final`; a file of "
                   "tools and labels for workflows to import starts with `catalog NAME` instead")
        return "", ()
    if not initial:
        sink.error("WF401", "no state is marked `initial`", declared[0].span, "mark exactly one state `initial`")
        return declared[0].names[0].name, finals
    for extra in initial[1:]:
        sink.error("WF401", f"`{extra.name}` is a second initial state", extra.span,
                   "mark exactly one state `initial`", (("the first is here", initial[0].span),))
    if not finals:
        sink.warning("WF402", "no state is marked `final`", declared[0].span,
                     "mark the states where a run may end `final`; termination needs one")
    return initial[0].name, finals
