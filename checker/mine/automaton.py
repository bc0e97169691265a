"""The control structure: a prefix-tree acceptor of the runs, merged by k-tails (Biermann and
Feldman 1972), then reduced by bisimulation (partition refinement).

Two prefix-tree states are merged when they have the same k-tails: the same sets of symbol
strings of length at most k that can follow them, each marked with whether a run may end
there. The merged machine accepts every run it was built from (a quotient of the prefix
tree accepts a superset of its language), and the reduction keeps that language. Like
Synoptic's and AgentLens's machines, it may be nondeterministic; the trace monitor follows
every configuration a run may be in.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Machine:
    """A machine over symbol ids, possibly nondeterministic (as k-tails makes it, and as a
    `.wf` state machine may be): state 0 is initial; `edges[s]` maps a symbol to the next
    states; `final` holds the states where some run ended."""
    edges: tuple[dict[int, frozenset[int]], ...]
    final: frozenset[int]

    @property
    def size(self) -> int:
        return len(self.edges)

    @property
    def transitions(self) -> int:
        return sum(len(ts) for out in self.edges for ts in out.values())

    def accepts(self, word) -> bool:
        current = {0}
        for symbol in word:
            current = {t for s in current for t in self.edges[s].get(symbol, ())}
            if not current:
                return False
        return bool(current & self.final)


class PrefixTree:
    """The prefix-tree acceptor, built one run at a time (a run is a sequence of symbol ids)."""

    def __init__(self) -> None:
        self.edges: list[dict[int, int]] = [{}]
        self.final: set[int] = set()

    def add(self, word) -> None:
        edges = self.edges
        state = 0
        for symbol in word:
            out = edges[state]
            nxt = out.get(symbol)
            if nxt is None:
                nxt = out[symbol] = len(edges)
                edges.append({})
            state = nxt
        self.final.add(state)


def k_tail_classes(tree: PrefixTree, k: int) -> list[int]:
    """For each prefix-tree state, the id of its k-tail class. In a deterministic tree two
    states have the same k-tails exactly when both are or are not final and, symbol by
    symbol, their successors have the same (k-1)-tails, so the classes are interned level
    by level: k passes over the tree."""
    final = tree.final
    n = len(tree.edges)
    classes = [1 if s in final else 0 for s in range(n)]
    for _ in range(k):
        intern: dict = {}
        nxt = [0] * n
        for s, out in enumerate(tree.edges):
            key = (s in final, frozenset([(a, classes[t]) for a, t in out.items()])) if out else (s in final,)
            nxt[s] = intern.setdefault(key, len(intern))
        classes = nxt
    return classes


def quotient(tree: PrefixTree, classes: list[int]) -> Machine:
    """The tree with the states of each class merged into one."""
    edges: dict[int, dict[int, set[int]]] = {}
    for s, out in enumerate(tree.edges):
        block = edges.setdefault(classes[s], {})
        for a, t in out.items():
            block.setdefault(a, set()).add(classes[t])
    return _renumber(classes[0], edges, {classes[s] for s in tree.final})


def reduce(machine: Machine) -> Machine:
    """The smallest machine bisimilar to `machine` (same language): states split by
    finality, then by the blocks their successors are in on each symbol, until stable (for
    a deterministic machine this is Moore's minimization)."""
    n = machine.size
    block = [1 if s in machine.final else 0 for s in range(n)]
    count = len(set(block))
    while True:
        intern: dict = {}
        nxt = [intern.setdefault((block[s], frozenset((a, frozenset(block[t] for t in ts))
                                                      for a, ts in machine.edges[s].items())),
                                 len(intern)) for s in range(n)]
        if len(intern) == count:
            break
        block, count = nxt, len(intern)
    merged: dict[int, dict[int, set[int]]] = {}
    for s in range(n):
        if block[s] not in merged:
            merged[block[s]] = {a: {block[t] for t in ts} for a, ts in machine.edges[s].items()}
    return _renumber(block[0], merged, {block[s] for s in machine.final})


def _renumber(start: int, edges: dict[int, dict[int, set[int]]], final: set[int]) -> Machine:
    """States renumbered in breadth-first order from `start` (symbols in id order), so the
    output does not depend on how the states were found; unreachable ones dropped."""
    order = {start: 0}
    queue = [start]
    for s in queue:
        out = edges.get(s, {})
        for a in sorted(out):
            for t in sorted(out[a]):
                if t not in order:
                    order[t] = len(order)
                    queue.append(t)
    table = tuple({a: frozenset(order[t] for t in ts) for a, ts in edges.get(s, {}).items()}
                  for s in queue)
    return Machine(table, frozenset(order[s] for s in final if s in order))


def learn(words, k: int, max_states: int | None = None) -> tuple[Machine, int]:
    """The k-tails machine of `words` (lists of symbol ids), reduced, and the k used: the
    minimal deterministic machine of its language, unless the reduced nondeterministic one
    has fewer states. With
    `max_states`, k is lowered until the machine has at most that many states (a smaller
    k merges more). Raises ValueError when even k = 0 gives a larger machine."""
    tree = PrefixTree()
    for word in words:
        tree.add(word)
    for used in range(k, -1, -1):
        merged = reduce(quotient(tree, k_tail_classes(tree, used)))
        machine = min(reduce(determinize(merged)), merged, key=lambda m: m.size)
        if max_states is None or machine.size <= max_states:
            return machine, used
    raise ValueError(f"the smallest machine k-tails finds (k = 0) has {machine.size} states, "
                     f"more than the bound of {max_states}")


def determinize(machine: Machine) -> Machine:
    """The subset construction: a deterministic machine with the same language (reduce it
    after, to get the minimal one)."""
    start = frozenset({0})
    index = {start: 0}
    queue = [start]
    edges: dict[int, dict[int, set[int]]] = {}
    for subset in queue:
        moves: dict[int, set[int]] = {}
        for s in subset:
            for a, ts in machine.edges[s].items():
                moves.setdefault(a, set()).update(ts)
        out = edges.setdefault(index[subset], {})
        for a, ts in moves.items():
            target = frozenset(ts)
            if target not in index:
                index[target] = len(index)
                queue.append(target)
            out[a] = {index[target]}
    final = {i for subset, i in index.items() if subset & machine.final}
    return _renumber(0, edges, final)
