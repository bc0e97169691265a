"""What the declaration passes resolved, in one structure that the later passes (edges,
properties, trace mapping, unused declarations) read and none of them changes."""
from __future__ import annotations

from dataclasses import dataclass

from .. import ast
from .. import model as m
from .actions import DeclaredTool, declare_events, declare_tools
from .diagnose import Sink
from .expressions import Typer
from .labels import Labels, label_lattices
from .names import Names, declared_names
from .variables import Variables, declare_variables


@dataclass(frozen=True, slots=True)
class Scope:
    names: Names
    labels: Labels
    variables: Variables
    tools: dict[str, DeclaredTool]
    events: dict[str, m.Event]

    def action_names(self) -> list[str]:
        """The tools and events, as candidates for "did you mean"."""
        return list(self.tools) + list(self.events)


def declare(decls: tuple[ast.Decl, ...], sink: Sink, catalog: bool = False) -> tuple[Scope, Typer]:
    """The declaration passes, in order: label orders, names, variables, tools, events. Also
    the typer that later passes type their expressions with. `catalog`: the root file is a
    catalog, whose tools need no agent of its own."""
    labels = label_lattices(decls, sink)
    names = declared_names(decls, sink)
    variables = declare_variables(decls, names, sink)
    typer = Typer(variables.sorts, variables.enum_values, names.states, sink)
    tools = declare_tools(decls, names, labels, typer, sink, catalog)
    events = declare_events(decls, names, sink)
    return Scope(names, labels, variables, tools, events), typer
