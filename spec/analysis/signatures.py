"""What a tool declares about the data of a call: its parameters with their kinds, the labels
of its result (by field), and the argument lists that narrow a bound or a flow sink to some
parameters (`sink L on p`, `needs L on p`, `TOOL(p)` in a flow property)."""
from __future__ import annotations

import re

from .. import ast
from .. import model as m
from ..span import Span
from .diagnose import Sink, suggest
from .labels import Labels

_KINDS_HELP = ("kinds are " + ", ".join(f"`{k}`" for k in m.PARAM_KINDS)
               + ', or a regular expression in quotes like `"ord-[0-9]+"`')


def parameters(d: ast.ToolDecl, sink: Sink) -> tuple[m.Param, ...]:
    """The parameters, each once (WF102 for a second one), with a known kind (WF208) or a
    regular expression that compiles (WF209)."""
    result = []
    first: dict[str, Span] = {}
    for p in d.params:
        if p.name in first:
            sink.error("WF102", f"parameter `{p.name}` of `{d.name.name}` is declared twice", p.span,
                       "rename or remove one of the parameters", (("first declared here", first[p.name]),))
            continue
        first[p.name] = p.span
        result.append(m.Param(p.name, *_kind(p, sink), span=p.span))
    return tuple(result)


def _kind(p: ast.Param, sink: Sink) -> tuple[str | None, str | None]:
    """(kind, pattern) of a parameter; (None, None) when untyped or wrongly typed."""
    if p.kind is not None:
        if p.kind.name in m.PARAM_KINDS:
            return p.kind.name, None
        hint = suggest(p.kind.name, m.PARAM_KINDS)
        sink.error("WF208", f"unknown parameter kind `{p.kind.name}`", p.kind.span,
                   (f"{hint} " if hint else "") + _KINDS_HELP)
        return None, None
    if p.pattern is not None:
        try:
            re.compile(p.pattern.text)
        except (re.error, OverflowError) as exc:
            sink.error("WF209", f"the pattern of `{p.name}` is not a regular expression: {exc}",
                       p.pattern.span, "write it in the syntax of Python's `re` module, e.g. `\"ord-[0-9]+\"`")
            return None, None
        return "pattern", p.pattern.text
    return None, None


def result_labels(d: ast.ToolDecl, labels: Labels,
                  sink: Sink) -> tuple[m.Label, m.Label | None, tuple[m.FieldLabel, ...]]:
    """(returns, default, fields) of a tool. Without fields, `returns` is the written label
    and there is no default. With fields, the written label is the default, each field's
    label takes the default's level in a dimension it does not name, and `returns` is the join
    of the default and every field (confidentiality up, integrity down)."""
    conf, integ = labels.conf, labels.integ
    c, i = _named_levels(d.returns, labels, "`returns`", "`returns secret, untrusted`", sink)
    default = m.Label(conf.bottom if c is None else c, integ.top if i is None else i)
    if not d.fields:
        return default, None, ()
    from ..fmt import format_path  # here: only tools with field lists need it (start-up, issue 17)

    fields = []
    first: dict[tuple[str, ...], Span] = {}
    for f in d.fields:
        path = format_path(f.path)
        if f.path in first:
            sink.error("WF306", f"field `{path}` of `{d.name.name}` is labelled twice", f.span,
                       "give each field one label", (("first labelled here", first[f.path]),))
            continue
        first[f.path] = f.span
        c, i = _named_levels(f.label, labels, f"the label of `{path}`",
                             f"`{path}: (secret, untrusted)`", sink)
        fields.append(m.FieldLabel(f.path, m.Label(default.conf if c is None else c,
                                                   default.integ if i is None else i), span=f.span))
    joined = default
    for f in fields:
        joined = m.Label(conf.join(joined.conf, f.label.conf), integ.meet(joined.integ, f.label.integ))
    return joined, default, tuple(fields)


def _named_levels(idents: tuple[ast.Ident, ...], labels: Labels, where: str, example: str,
                  sink: Sink) -> tuple[int | None, int | None]:
    """The confidentiality and the integrity level a written label names (None: not named).
    WF101 for a name that is no level, WF304 for two levels of one dimension."""
    found: dict[str, int] = {}
    for ident in idents:
        if ident.name in labels.conf.levels:
            dimension, level = "confidentiality", labels.conf.index(ident.name)
        elif ident.name in labels.integ.levels:
            dimension, level = "integrity", labels.integ.index(ident.name)
        else:
            sink.unknown("label level", ident.name, ident.span, labels.conf.levels + labels.integ.levels)
            continue
        if dimension in found:
            sink.error("WF304", f"{where} names two {dimension} levels", ident.span,
                       f"give at most one level per dimension: {example}")
        found[dimension] = level
    return found.get("confidentiality"), found.get("integrity")


def argument_list(idents: tuple[ast.Ident, ...] | None, tool: str, params: tuple[m.Param, ...],
                  sink: Sink) -> tuple[str, ...] | None:
    """The parameter names of `on p, q` or `TOOL(p, q)`, each a parameter of `tool` (WF101)
    and listed once (WF412); None (every argument) when no list is written."""
    if idents is None:
        return None
    declared = [p.name for p in params]
    result: list[str] = []
    for ident in idents:
        if ident.name not in declared:
            listed = ", ".join(f"`{name}`" for name in declared)
            sink.error("WF101", f"unknown parameter `{ident.name}` of `{tool}`", ident.span,
                       suggest(ident.name, declared)
                       or (f"the parameters of `{tool}` are {listed}" if declared else f"`{tool}` has no parameters"))
        elif ident.name in result:
            sink.error("WF412", f"parameter `{ident.name}` is listed twice", ident.span,
                       "list each argument once")
        else:
            result.append(ident.name)
    return tuple(result)
