"""Candidate properties mined from runs, Texada/Daikon style: each template instance is
counted over the runs; those that held in every run (with enough support) become
properties, close misses become comments with their counts.

Templates: `B requires earlier A` (A happened before the first B), `at most N A` (N the most
seen in one run), `never T by X` (agent X never called T, with several agents), and
`no flow from T to U` (no call of U by an agent holding a result of T, directly or through
messages and hand-offs, as the semantics tracks sources).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .alphabet import Symbol


@dataclass(frozen=True, slots=True)
class Candidate:
    """One template instance: `body` as a property writes it, `held` in how many of the
    `support` runs it applies to."""
    name: str
    body: str
    held: int
    support: int

    @property
    def always(self) -> bool:
        return self.held == self.support


@dataclass(frozen=True, slots=True)
class Step:
    """What the property miners need of one step: its symbol, and whether the acting agent's
    tracked sources are cleared first (a catalog tool that declassifies or endorses)."""
    symbol: Symbol
    clears: bool = False


def _tool_key(symbol: Symbol) -> str | None:
    return symbol.name if symbol.kind == "tool" else None


def precedence(runs: list[list[Step]], min_support: int) -> list[Candidate]:
    """`B requires earlier A` for tools A != B: in how many runs with a B an A came first.
    Of those that always held, the ones implied by two others (A before C before B) are
    left out."""
    with_b: Counter = Counter()
    held: Counter = Counter()
    for run in runs:
        seen: list[str] = []
        first: set[str] = set()
        for step in run:
            t = _tool_key(step.symbol)
            if t is not None and t not in first:
                for a in seen:
                    held[(a, t)] += 1
                first.add(t)
                seen.append(t)
                with_b[t] += 1
    always = {(a, b) for (a, b), n in held.items() if n == with_b[b] and n >= min_support}
    after: dict[str, set[str]] = {}
    for a, b in always:
        after.setdefault(a, set()).add(b)
    out = []
    for (a, b), n in sorted(held.items()):
        if (a, b) in always and any(b in after.get(c, ()) for c in after.get(a, ()) if c != b):
            continue
        out.append(Candidate(f"{b}_after_{a}", f"{b} requires earlier {a}", n, with_b[b]))
    return out


def counts(runs: list[list[Step]]) -> list[Candidate]:
    """`at most N T` for every tool, N the most calls of T in one run."""
    most: Counter = Counter()
    present: Counter = Counter()
    for run in runs:
        c = Counter(t for t in (_tool_key(s.symbol) for s in run) if t is not None)
        for t, n in c.items():
            present[t] += 1
            most[t] = max(most[t], n)
    return [Candidate(f"at_most_{n}_{t}", f"at most {n} {t}", present[t], present[t])
            for t, n in sorted(most.items())]


def callers(runs: list[list[Step]], agents: list[str], allowed: dict[str, tuple[str, ...]]
            ) -> list[Candidate]:
    """`never T by X` for each tool T and declared agent X that never called it, unless
    `allowed[T]` (the catalog's `by`) already leaves X out; only with several agents."""
    if len(agents) < 2:
        return []
    by: dict[str, set[str]] = {}
    runs_with: Counter = Counter()
    for run in runs:
        for t in {s.symbol.name for s in run if s.symbol.kind == "tool"}:
            runs_with[t] += 1
        for s in run:
            if s.symbol.kind == "tool" and s.symbol.agent is not None:
                by.setdefault(s.symbol.name, set()).add(s.symbol.agent)
    return [Candidate(f"{t}_never_by_{x}", f"never {t} by {x}", runs_with[t], runs_with[t])
            for t in sorted(by) for x in agents if x not in by[t] and x in allowed.get(t, agents)]


def flows(runs: list[list[Step]], min_support: int) -> list[Candidate]:
    """`no flow from T to U`: over the runs that call both T and U, in how many no U was
    called by an agent holding a result of T (for one agent: no U after a T)."""
    reached: Counter = Counter()
    both: Counter = Counter()
    for run in runs:
        sources: dict[str | None, set[str]] = {}
        flowed: set[tuple[str, str]] = set()
        called: set[str] = set()
        for step in run:
            s = step.symbol
            if s.kind == "tool":
                held = sources.setdefault(s.agent, set())
                if step.clears:
                    held.clear()
                flowed.update((t, s.name) for t in held if t != s.name)
                called.add(s.name)
                held.add(s.name)
            elif s.kind in ("message", "handoff"):
                sent = sources.setdefault(s.agent, set())
                sources.setdefault(s.detail, set()).update(sent)
        for t in called:
            for u in called:
                if t != u:
                    both[(t, u)] += 1
        reached.update(flowed)
    return [Candidate(f"no_flow_{t}_to_{u}", f"no flow from {t} to {u}", n - reached[(t, u)], n)
            for (t, u), n in sorted(both.items()) if n >= min_support]
