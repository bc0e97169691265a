"""A finite security lattice built from declared chains, with join/meet tables.

Levels are indexed in a topological order of the declared order (bottom first), so a chain
`public < internal < secret` gets 0, 1, 2 and `max`/`min` are its join/meet.
"""
from __future__ import annotations

from dataclasses import dataclass

from .span import NO_SPAN, Span, spans_field


@dataclass(frozen=True, slots=True)
class Lattice:
    dimension: str                      # "confidentiality" | "integrity"
    levels: tuple[str, ...]             # bottom first
    leq_table: tuple[tuple[bool, ...], ...]
    join_table: tuple[tuple[int, ...], ...]
    meet_table: tuple[tuple[int, ...], ...]
    level_spans: tuple[Span, ...] = spans_field()

    @property
    def bottom(self) -> int:
        return 0

    @property
    def top(self) -> int:
        return len(self.levels) - 1

    @property
    def is_chain(self) -> bool:
        return all(self.leq_table[i][i + 1] for i in range(len(self.levels) - 1))

    def index(self, level: str) -> int:
        return self.levels.index(level)

    def leq(self, a: int, b: int) -> bool:
        return self.leq_table[a][b]

    def join(self, a: int, b: int) -> int:
        return self.join_table[a][b]

    def meet(self, a: int, b: int) -> int:
        return self.meet_table[a][b]


class LatticeError(Exception):
    """The declared order is not a lattice; `kind` is `cycle` or `no-join`/`no-meet`."""

    def __init__(self, kind: str, levels: tuple[str, ...]) -> None:
        super().__init__(kind)
        self.kind = kind
        self.levels = levels


def _bound(order: nx.DiGraph, a: str, b: str, upward: bool) -> str | None:
    """The least upper (or greatest lower) bound of a and b, or None if there is no unique one."""
    import networkx as nx

    reach = nx.descendants if upward else nx.ancestors
    common = ({a} | reach(order, a)) & ({b} | reach(order, b))
    if not common:
        return None
    # The bound is the common element that every other common element lies beyond.
    for candidate in common:
        beyond = reach(order, candidate) | {candidate}
        if common <= beyond:
            return candidate
    return None


def build_lattice(dimension: str, chains: list[tuple[str, ...]], spans: dict[str, Span]) -> Lattice:
    """Build a lattice from chains written lowest first. Raises LatticeError."""
    import networkx as nx  # here, not at module level: start-up time (issue 17)

    order = nx.DiGraph()
    for chain in chains:
        order.add_nodes_from(chain)
        order.add_edges_from(zip(chain, chain[1:]))
    try:
        cycle = nx.find_cycle(order)
        raise LatticeError("cycle", tuple(edge[0] for edge in cycle))
    except nx.NetworkXNoCycle:
        pass
    # Deterministic topological order: ties broken by first appearance in the source.
    first_seen = {name: i for i, name in enumerate(n for chain in chains for n in chain)}
    levels = tuple(nx.lexicographical_topological_sort(order, key=first_seen.__getitem__))
    n = len(levels)
    closure = nx.transitive_closure_dag(order)
    leq = tuple(tuple(i == j or closure.has_edge(levels[i], levels[j]) for j in range(n)) for i in range(n))
    join = [[0] * n for _ in range(n)]
    meet = [[0] * n for _ in range(n)]
    for i, a in enumerate(levels):
        for j, b in enumerate(levels):
            up = _bound(order, a, b, upward=True)
            down = _bound(order, a, b, upward=False)
            if up is None:
                raise LatticeError("no-join", (a, b))
            if down is None:
                raise LatticeError("no-meet", (a, b))
            join[i][j] = levels.index(up)
            meet[i][j] = levels.index(down)
    return Lattice(dimension, levels, leq, tuple(map(tuple, join)), tuple(map(tuple, meet)),
                   level_spans=tuple(spans.get(level, NO_SPAN) for level in levels))


def single_level(dimension: str, level: str) -> Lattice:
    """The one-point lattice used when a dimension is not declared."""
    return Lattice(dimension, (level,), ((True,),), ((0,),), ((0,),), level_spans=(NO_SPAN,))
