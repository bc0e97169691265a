"""The two label orders (confidentiality, integrity), each checked to be a lattice, and
level names resolved against them."""
from __future__ import annotations

from dataclasses import dataclass

from .. import ast
from ..lattice import Lattice, LatticeError, build_lattice, single_level
from ..span import Span
from .diagnose import Sink

DEFAULT_LEVEL = {"confidentiality": "public", "integrity": "trusted"}


@dataclass(frozen=True, slots=True)
class Labels:
    conf: Lattice
    integ: Lattice

    def conf_level(self, ident: ast.Ident | None, role: str, sink: Sink) -> int | None:
        """The confidentiality level that `ident` names, where `role` takes one; None when
        there is no `ident` or it names no such level (reported)."""
        return None if ident is None else _level(ident, self.conf, self.integ, role, sink)

    def integ_level(self, ident: ast.Ident | None, role: str, sink: Sink) -> int | None:
        """The integrity level that `ident` names, where `role` takes one; None when there is
        no `ident` or it names no such level (reported)."""
        return None if ident is None else _level(ident, self.integ, self.conf, role, sink)


def _level(ident: ast.Ident, lattice: Lattice, other: Lattice, role: str, sink: Sink) -> int | None:
    if ident.name in lattice.levels:
        return lattice.index(ident.name)
    if ident.name in other.levels:
        sink.error("WF304", f"`{ident.name}` is a{'n' if other.dimension[0] == 'i' else ''} "
                   f"{other.dimension} level, but {role} takes a {lattice.dimension} level",
                   ident.span, "use one of " + ", ".join(f"`{lv}`" for lv in lattice.levels))
    else:
        sink.unknown(f"{lattice.dimension} level", ident.name, ident.span, lattice.levels)
    return None


def label_lattices(decls: tuple[ast.Decl, ...], sink: Sink) -> Labels:
    """The declared orders, or a single default level for a dimension without `labels`.
    An order that is not a lattice is reported and replaced by one chain of its levels, so
    that later uses of those levels resolve without knock-on errors."""
    result = {}
    seen_level: dict[str, tuple[str, Span]] = {}
    for dimension in ("confidentiality", "integrity"):
        declared = [d for d in decls if isinstance(d, ast.LabelsDecl) and d.dimension == dimension]
        for extra in declared[1:]:
            sink.error("WF305", f"labels for {dimension} are declared twice", extra.span,
                       "declare all chains of a dimension in one `labels` line, separated by commas",
                       (("first declared here", declared[0].span),))
        if not declared:
            result[dimension] = single_level(dimension, DEFAULT_LEVEL[dimension])
            continue
        decl = declared[0]
        spans: dict[str, Span] = {}
        for chain in decl.chains:
            for ident in chain:
                other = seen_level.get(ident.name)
                if other and other[0] != dimension:
                    sink.error("WF303", f"level `{ident.name}` is declared in both dimensions",
                               ident.span, "give confidentiality and integrity levels distinct names",
                               (("also declared here", other[1]),))
                seen_level.setdefault(ident.name, (dimension, ident.span))
                spans.setdefault(ident.name, ident.span)
        try:
            result[dimension] = build_lattice(
                dimension, [tuple(i.name for i in chain) for chain in decl.chains], spans)
        except LatticeError as exc:
            if exc.kind == "cycle":
                sink.error("WF301", f"the {dimension} order has a cycle through "
                           + ", ".join(f"`{n}`" for n in exc.levels), decl.span,
                           "a label order must not loop back on itself")
            else:
                bound = "least upper bound" if exc.kind == "no-join" else "greatest lower bound"
                a, b = exc.levels
                sink.error("WF302", f"the {dimension} levels are not a lattice: `{a}` and `{b}` "
                           f"have no unique {bound}", decl.span,
                           f"add an order between `{a}` and `{b}`, or a level above (or below) both")
            names = list(dict.fromkeys(i.name for chain in decl.chains for i in chain))
            result[dimension] = build_lattice(dimension, [tuple(names)], spans)
    return Labels(result["confidentiality"], result["integrity"])
