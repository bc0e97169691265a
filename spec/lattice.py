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


def _bound(above: dict[str, set[str]], a: str, b: str) -> str | None:
    """The least upper bound of a and b when `above` maps each level to those at or above it
    (the greatest lower bound when it maps to those at or below), or None if there is no
    unique one."""
    common = above[a] & above[b]
    # The bound is the common element that every other common element lies beyond.
    return next((c for c in common if common <= above[c]), None)


def _at_or_beyond(levels: tuple[str, ...], step: dict[str, set[str]]) -> dict[str, set[str]]:
    """Each level with every level `step` leads to from it, in reverse topological order."""
    reach: dict[str, set[str]] = {}
    for level in reversed(levels):
        reach[level] = {level}.union(*(reach[n] for n in step[level]))
    return reach


def _upward_cycle(cycle: list[str], up: dict[str, set[str]], first_seen: dict[str, int]) -> tuple[str, ...]:
    """The cycle graphlib found, going up the order from its level written first."""
    if len(cycle) > 1 and cycle[1] not in up[cycle[0]]:
        cycle = cycle[::-1]
    start = min(range(len(cycle)), key=lambda i: first_seen[cycle[i]])
    return tuple(cycle[start:] + cycle[:start])


def build_lattice(dimension: str, chains: list[tuple[str, ...]], spans: dict[str, Span]) -> Lattice:
    """Build a lattice from chains written lowest first. Raises LatticeError.

    The order is a handful of levels: the standard library's `graphlib` sorts it, instead of
    networkx, whose import costs `check` a tenth of a second (issue 17)."""
    from graphlib import CycleError, TopologicalSorter

    first_seen = {name: i for i, name in enumerate(n for chain in chains for n in chain)}
    up: dict[str, set[str]] = {name: set() for name in first_seen}
    down: dict[str, set[str]] = {name: set() for name in first_seen}
    for chain in chains:
        for low, high in zip(chain, chain[1:]):
            up[low].add(high)
            down[high].add(low)
    sorter = TopologicalSorter(down)   # a level's predecessors are the levels below it
    try:
        sorter.prepare()
    except CycleError as exc:
        raise LatticeError("cycle", _upward_cycle(exc.args[1][:-1], up, first_seen)) from None
    # Deterministic topological order: ties broken by first appearance in the source.
    ready, order = [], []
    while sorter.is_active():
        ready = sorted(set(ready) | set(sorter.get_ready()), key=first_seen.__getitem__)
        level = ready.pop(0)
        order.append(level)
        sorter.done(level)
    levels = tuple(order)
    n = len(levels)
    above, below = _at_or_beyond(levels, up), _at_or_beyond(levels[::-1], down)
    leq = tuple(tuple(levels[j] in above[levels[i]] for j in range(n)) for i in range(n))
    join = [[0] * n for _ in range(n)]
    meet = [[0] * n for _ in range(n)]
    for i, a in enumerate(levels):
        for j, b in enumerate(levels):
            high, low = _bound(above, a, b), _bound(below, a, b)
            if high is None:
                raise LatticeError("no-join", (a, b))
            if low is None:
                raise LatticeError("no-meet", (a, b))
            join[i][j] = levels.index(high)
            meet[i][j] = levels.index(low)
    return Lattice(dimension, levels, leq, tuple(map(tuple, join)), tuple(map(tuple, meet)),
                   level_spans=tuple(spans.get(level, NO_SPAN) for level in levels))


def single_level(dimension: str, level: str) -> Lattice:
    """The one-point lattice used when a dimension is not declared."""
    return Lattice(dimension, (level,), ((True,),), ((0,),), ((0,),), level_spans=(NO_SPAN,))
