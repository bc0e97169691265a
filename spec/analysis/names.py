"""The first pass over declarations: one table of declared names per namespace (WF102 for a
name declared twice), and agent references resolved against it."""
from __future__ import annotations

from dataclasses import dataclass

from .. import ast
from ..span import Span
from .diagnose import Sink


@dataclass(frozen=True, slots=True)
class Names:
    """Declared names per namespace, each with its first declaration (or that one's span).
    Built once by `declared_names`; later passes only read it."""
    agents: dict[str, Span]
    variables: dict[str, ast.VarDecl]
    tools: dict[str, ast.ToolDecl]
    events: dict[str, ast.EventDecl]
    states: dict[str, Span]
    properties: dict[str, Span]


def _declare(table: dict, ident: ast.Ident, value, what: str, sink: Sink) -> None:
    if ident.name in table:
        previous = table[ident.name]
        prev_span = previous if isinstance(previous, Span) else previous.name.span
        sink.error("WF102", f"{what} `{ident.name}` is declared twice", ident.span,
                   "rename or remove one of the declarations", (("first declared here", prev_span),))
        return
    table[ident.name] = value


def declared_names(decls: tuple[ast.Decl, ...], sink: Sink) -> Names:
    """Every declared name, per namespace in declaration order."""
    names = Names({}, {}, {}, {}, {}, {})
    for decl in decls:
        if isinstance(decl, ast.AgentDecl):
            for ident in decl.names:
                _declare(names.agents, ident, ident.span, "agent", sink)
        elif isinstance(decl, ast.VarDecl):
            _declare(names.variables, decl.name, decl, "variable", sink)
        elif isinstance(decl, ast.ToolDecl):
            if decl.name.name in names.events:
                sink.error("WF102", f"`{decl.name.name}` is declared as an event and a tool", decl.name.span)
            _declare(names.tools, decl.name, decl, "tool", sink)
        elif isinstance(decl, ast.EventDecl):
            if decl.name.name in names.tools:
                sink.error("WF102", f"`{decl.name.name}` is declared as a tool and an event", decl.name.span)
            _declare(names.events, decl.name, decl, "event", sink)
        elif isinstance(decl, ast.StateDecl):
            for ident in decl.names:
                _declare(names.states, ident, ident.span, "state", sink)
        elif isinstance(decl, ast.PropertyDecl):
            _declare(names.properties, decl.name, decl.name.span, "property", sink)
    return names


def resolve_agents(idents: tuple[ast.Ident, ...], names: Names, sink: Sink) -> tuple[str, ...]:
    """The declared agents among `idents`, each once, in order; WF101 for the others."""
    result = []
    for ident in idents:
        if ident.name not in names.agents:
            sink.unknown("agent", ident.name, ident.span, names.agents)
        elif ident.name not in result:
            result.append(ident.name)
    return tuple(result)
