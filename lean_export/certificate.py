"""What the Lean proofs are built from: the verdicts of a checker, and the reachable
configurations, ranks and runs computed here on the concrete semantics (spec/semantics.py).

The exported `Config` carries the monitors of every property at once (the checkers keep one
property's monitors at a time), so everything here runs on one `Interpreter` over all
checks: the reachable set is the certificate of every proved property, and a checker's
counterexample is replayed edge by edge into that configuration space, choosing at each
step the successor whose variables agree with the checker's configuration.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import networkx as nx

from wfcheck.spec.semantics import Config, Interpreter
from wfcheck.spec.system import Check, System

PROVED, VIOLATED, UNKNOWN, VACUOUS = "proved", "violated", "unknown", "vacuous"
DEFAULT_MAX_CONFIGS = 2000


class ExportError(Exception):
    """The verdicts cannot be turned into Lean: a checker's result does not agree with the
    concrete semantics (a bug in wfcheck, never a property of the workflow)."""


@dataclass(frozen=True)
class Verdict:
    """A checker's verdict on one property, in the form the exporter reads (it does not
    import the checker). `edges`/`configs`/`bad_step`/`loop_start` are a counterexample as in
    checker/verify/result.py `Run`; `method` says how a proof was found, for the comment."""
    name: str
    status: str
    engine: str
    edges: tuple[int, ...] = ()
    configs: tuple[dict, ...] = ()
    bad_step: bool = False
    loop_start: int | None = None
    reason: str | None = None
    method: str | None = None


@dataclass(frozen=True)
class FullRun:
    """A run in the exported configuration space: `configs[0]` is the initial configuration
    and `configs[i + 1]` follows `configs[i]` by edge `edges[i]`. `bad_edge` is the violating
    step taken from the last configuration (if the violation is a step); `loop` is the
    cycle of a lasso, which starts at the last configuration and returns to it."""
    configs: tuple[Config, ...]
    edges: tuple[int, ...]
    bad_edge: int | None = None
    loop: tuple[Config, ...] = ()
    loop_edges: tuple[int, ...] = ()


class Explorer:
    """The concrete semantics over configurations carrying every property's monitors."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.interp = Interpreter(system)
        self.steps = {st.index: st for st in system.steps}
        self._reach: list[Config] | None = None
        self._explored = False

    # ------------------------------------------------------------ the reachable set
    def reachable(self, limit: int) -> list[Config] | None:
        """Every reachable configuration in breadth-first order, or None if there are more
        than `limit`."""
        if self._explored:
            return self._reach if self._reach is not None and len(self._reach) <= limit else None
        init = self.interp.initial()
        seen = {init}
        order = [init]
        queue = deque([init])
        while queue:
            config = queue.popleft()
            for _, nxt in self.interp.successors(config):
                if nxt not in seen:
                    if len(seen) >= limit:
                        self._explored = True
                        return None
                    seen.add(nxt)
                    order.append(nxt)
                    queue.append(nxt)
        self._explored = True
        self._reach = order
        return order

    def bad(self, check: Check, config: Config) -> bool:
        """The exported `bad` condition: a bad configuration or an enabled bad step."""
        if self.interp.state_bad(check, config):
            return True
        return any(self.interp.step_bad(check, config, st) for st in self.interp.steps_from.get(config[0], ()))

    def final(self, config: Config) -> bool:
        return config[0] in self.system.model.finals

    def ranks(self, reach: list[Config]) -> dict[Config, int] | None:
        """A rank per non-final reachable configuration that every step between two
        non-final configurations lowers (the longest such path onwards), or None if those
        steps form a cycle."""
        graph = nx.DiGraph()
        for config in reach:
            if self.final(config):
                continue
            graph.add_node(config)
            for _, nxt in self.interp.successors(config):
                if not self.final(nxt):
                    graph.add_edge(config, nxt)
        if not nx.is_directed_acyclic_graph(graph):
            return None
        rank: dict[Config, int] = {}
        for config in reversed(list(nx.topological_sort(graph))):
            rank[config] = 1 + max((rank[n] for n in graph.successors(config)), default=-1)
        return rank

    # ------------------------------------------------------------ counterexamples
    def replay(self, verdict: Verdict, check: Check) -> FullRun:
        """The checker's counterexample as a run of the exported system (see module doc)."""
        interp = self.interp
        config = interp.initial()
        if not verdict.configs or not _agrees(interp.describe(config), verdict.configs[0]):
            raise ExportError(f"`{verdict.name}`: the counterexample does not start in the initial configuration")
        configs, edges = [config], []
        bad_edge = None
        for i, edge in enumerate(verdict.edges):
            step = self.steps.get(edge)
            if step is None or not interp.enabled(config, step):
                raise ExportError(f"`{verdict.name}`: edge {edge} is not enabled at step {i}")
            if verdict.bad_step and i == len(verdict.edges) - 1:
                bad_edge = edge
                break
            config = self._follow(verdict, config, step, verdict.configs[i + 1])
            configs.append(config)
            edges.append(edge)
        if verdict.loop_start is not None:
            return self._close_loop(verdict, configs, edges)
        last = configs[-1]
        if bad_edge is not None:
            if not interp.step_bad(check, last, self.steps[bad_edge]):
                raise ExportError(f"`{verdict.name}`: the last step of the counterexample is not bad")
        elif not interp.state_bad(check, last):
            raise ExportError(f"`{verdict.name}`: the counterexample does not end in a bad configuration")
        return FullRun(tuple(configs), tuple(edges), bad_edge)

    def _follow(self, verdict: Verdict, config: Config, step, wanted: dict) -> Config:
        for nxt in self.interp.fire(config, step):
            if _agrees(self.interp.describe(nxt), wanted):
                return nxt
        raise ExportError(f"`{verdict.name}`: edge {step.index} cannot reach {wanted}")

    def _close_loop(self, verdict: Verdict, configs: list, edges: list) -> FullRun:
        """Go round the checker's cycle until the full configuration repeats (monitors of
        other properties may change on the first rounds), then cut stem and loop there."""
        start = verdict.loop_start
        stem_configs, stem_edges = configs[:start + 1], edges[:start]
        loop_edges = tuple(verdict.edges[start:])
        wanted = verdict.configs[start + 1:]
        path, path_edges = [stem_configs[-1]], []
        seen = {stem_configs[-1]: 0}
        config = stem_configs[-1]
        for _ in range(10_000):
            for edge, want in zip(loop_edges, wanted):
                config = self._follow(verdict, config, self.steps[edge], want)
                path.append(config)
                path_edges.append(edge)
            if config in seen:
                cut = seen[config]
                loop = tuple(path[cut:-1])
                if len(set(loop)) != len(loop) or any(self.final(c) for c in loop):
                    raise ExportError(f"`{verdict.name}`: the cycle of the counterexample is not simple")
                full_stem = stem_configs[:-1] + path[:cut + 1]
                return FullRun(tuple(full_stem), tuple(stem_edges + path_edges[:cut]), None,
                               loop, tuple(path_edges[cut:]))
            seen[config] = len(path) - 1
        raise ExportError(f"`{verdict.name}`: the cycle of the counterexample does not close")


def _agrees(full: dict, partial: dict) -> bool:
    return all(full.get(k) == v for k, v in partial.items())
