"""Mining a spec: read runs into symbols, learn the machine (k-tails), count the candidate
properties, and write it all as one formatted `.wf` file."""
from __future__ import annotations

from dataclasses import dataclass

from wfcheck.checker.trace.mapping import ActionResolver
from wfcheck.checker.trace.readers.events import Trace
from wfcheck.spec import ast
from wfcheck.spec.fmt import INDENT, format_decl, wrap
from wfcheck.spec.loader import Loaded
from wfcheck.spec.model import Model

from . import automaton, properties
from .alphabet import (DECLARATION_WORDS, DEFAULT_AGENT, REPLY_EVENT, USER_EVENT, Namer, Symbol,
                       Symbolizer, failing_tools, identifier)
from .observe import observe

# The declarations `--labels` takes from a spec or catalog (its states, transitions and
# properties are what is being mined, so they are left out).
CATALOG_DECLS = (ast.LabelsDecl, ast.AgentDecl, ast.VarDecl, ast.ToolDecl, ast.EventDecl,
                 ast.MapTool, ast.MapText, ast.MapAgent, ast.PrecisionDecl)
@dataclass(frozen=True, slots=True)
class Mined:
    """The mined spec and what it is made of."""
    text: str
    k: int
    states: int
    transitions: int
    runs: int
    events: int
    properties: tuple[properties.Candidate, ...]     # held in every run: written as properties
    candidates: tuple[properties.Candidate, ...]     # the close misses: written as comments


@dataclass(frozen=True, slots=True)
class Catalog:
    """A spec or catalog given with `--labels`: its loaded files and resolved model."""
    loaded: Loaded
    model: Model


class _CatalogSymbolizer(Symbolizer):
    """Events the catalog knows (its tools, `map` lines, messages) take the catalog's
    actions, exactly as the trace monitor resolves them; the rest are mined as new."""

    def __init__(self, catalog: Model, *args) -> None:
        super().__init__(*args)
        self.resolver = ActionResolver(catalog)

    def symbol(self, event) -> Symbol | None:
        resolved = self.resolver.resolve(event)
        if resolved is None or not resolved.actions:
            # What the catalog leaves open is mined; the `map` lines written after the
            # catalog's then resolve it the same way in the mined spec.
            return super().symbol(event)
        first = resolved.actions[0]
        agents = {a.agent for a in resolved.actions}
        outcomes = {a.outcome for a in resolved.actions}
        if first.kind in ("message", "handoff"):
            return Symbol(first.kind, first.kind, first.agent, first.receiver)
        return Symbol(first.kind, first.name, agents.pop() if len(agents) == 1 else None,
                      outcomes.pop() if len(outcomes) == 1 else None)


def mine(traces: list[Trace], k: int = 2, max_states: int | None = None,
         catalog: Catalog | None = None, min_support: int = 2, name: str = "mined",
         near: float = 0.8, max_comments: int = 40, replies: bool = True) -> Mined:
    """Mine `traces` into a spec. `k` is the k-tails depth (lowered to fit `max_states`);
    a property needs `min_support` runs it applies to; a candidate that held in at least
    `near` of its runs (but not all) is written as a comment, at most `max_comments`.
    `replies` false leaves agents' text replies out of the machine (they stay context)."""
    if not traces:
        raise ValueError("no runs to mine from")
    model = catalog.model if catalog else None
    known_tools = {t.name for t in model.tools} | {e.name for e in model.events} if model else set()
    known_agents = set(model.agents) if model else set()
    taken = known_tools | known_agents
    tools = Namer(taken | {REPLY_EVENT, USER_EVENT}, known_tools)
    agents = Namer(taken, known_agents)
    default = model.agents[0] if model and model.agents else agents(DEFAULT_AGENT)
    args = (tools, agents, failing_tools(traces), default, replies)
    symbolizer = _CatalogSymbolizer(model, *args) if model else Symbolizer(*args)
    clears = {d.name.name for wf in catalog.loaded.files for d in wf.decls
              if isinstance(d, ast.ToolDecl) and (d.declassify or d.endorse)} if catalog else set()

    ids: dict[Symbol, int] = {}
    words, runs = [], []
    events = 0
    for trace in traces:
        run = [s for s in map(symbolizer.symbol, trace.events) if s is not None]
        events += len(trace.events)
        words.append([ids.setdefault(s, len(ids)) for s in run])
        runs.append([properties.Step(s, s.kind == "tool" and s.name in clears) for s in run])
    machine, used = automaton.learn(words, k, max_states)
    symbols = sorted(ids, key=ids.get)

    all_agents = list(model.agents) if model else []
    all_agents += [a for a in agents.new(known_agents) if a not in all_agents]
    if not all_agents or default not in all_agents:
        all_agents.append(default)
    allowed = {t.name: t.agents for t in model.tools} if model else {}
    mined = (properties.precedence(runs, min_support) + properties.counts(runs)
             + properties.callers(runs, all_agents, allowed) + properties.flows(runs, min_support))
    held = [c for c in mined if c.always and c.support >= min_support]
    close = sorted((c for c in mined if not c.always and c.support >= min_support
                    and c.held >= near * c.support),
                   key=lambda c: (-c.held / c.support, -c.support, c.name))[:max_comments]
    text = _render(name, catalog, machine, symbols, tools, agents, all_agents, traces,
                   held, close, used, len(traces), events)
    return Mined(text, used, machine.size, machine.transitions, len(traces), events,
                 tuple(held), tuple(close))


def _param(name: str) -> str:
    return identifier(name, DECLARATION_WORDS)


def _unique(name: str, used: set[str]) -> str:
    out, n = name, 2
    while out in used:
        out, n = f"{name}_{n}", n + 1
    used.add(out)
    return out


def _render(name, catalog, machine, symbols, tools, agents, all_agents, traces, held, close,
            k, runs, events) -> str:
    out = _Layout()
    out.add(ast.Header, f"workflow {_param(name)}",
            [f"# Mined by `wfcheck mine` from {runs} runs ({events} events): k-tails with "
             f"k = {k}, {machine.size} states, {machine.transitions} transitions."])
    catalog_agents: set[str] = set()
    if catalog:
        for wf in catalog.loaded.files:
            for d in wf.decls:
                if isinstance(d, CATALOG_DECLS):
                    out.add(type(d), format_decl(d), d.comments)
                    if isinstance(d, ast.AgentDecl):
                        catalog_agents.update(n.name for n in d.names)
    new_agents = [a for a in all_agents if a not in catalog_agents]
    if new_agents:
        out.add(ast.AgentDecl, "agent " + ", ".join(new_agents))
    # Tools and events the catalog does not declare, with what was seen of them.
    seen = observe(traces, lambda trace_name: tools.names.get(trace_name, trace_name))
    catalog_names = {t.name for t in catalog.model.tools} | {e.name for e in catalog.model.events} \
        if catalog else set()
    by: dict[str, set[str]] = {}
    outcomes: dict[str, set[str]] = {}
    for s in symbols:
        if s.name in catalog_names or s.kind not in ("tool", "event"):
            continue
        by.setdefault(s.name, set()).update({s.agent} - {None})
        if s.detail:
            outcomes.setdefault(s.name, set()).add(s.detail)
    for tool, info in sorted(seen.items()):
        if tool in catalog_names or tool not in by:
            continue
        params = list(dict.fromkeys(_param(a) for a in sorted(info.arguments)))
        head = f"tool {tool}({', '.join(params)})"
        if by[tool] and len(all_agents) == 1:
            head += " by " + ", ".join(sorted(by[tool]))
        lines = [head] + [f"{INDENT}outcome {o}" for o in ("ok", "failed") if o in outcomes.get(tool, ())]
        out.add(ast.ToolDecl, "\n".join(lines), info.comment())
    for event in (REPLY_EVENT, USER_EVENT):
        if event in by and event not in catalog_names:
            out.add(ast.EventDecl, f"event {event}" + (" by " + ", ".join(sorted(by[event])) if by[event] else ""))
    finals = machine.final
    state = [f"s{i}" for i in range(machine.size)]
    out.add(ast.StateDecl, "state s0 initial" + (" final" if 0 in finals else ""))
    plain = [state[i] for i in range(1, machine.size) if i not in finals]
    final = [state[i] for i in range(1, machine.size) if i in finals]
    if plain:
        out.add(ast.StateDecl, "state " + ", ".join(plain))
    if final:
        out.add(ast.StateDecl, "state " + ", ".join(final) + " final")
    grouped: dict[tuple[int, int, str], list[str]] = {}
    for src, edges in enumerate(machine.edges):
        for a, targets in sorted(edges.items()):
            s = symbols[a]
            for dst in sorted(targets):
                key = (src, dst, s.agent if s.kind in ("tool", "event") and s.agent else "")
                grouped.setdefault(key, []).append(s.action())
    for (src, dst, agent), actions in sorted(grouped.items()):
        out.add(ast.Transition, f"{state[src]} -> {state[dst]} on {', '.join(actions)}"
                + (f" by {agent}" if agent else ""))
    for trace_name, wf_name in sorted(tools.renamed().items()):
        out.add(ast.MapTool, format_decl(ast.MapTool(trace_name, ast.NamedAction(ast.Ident(wf_name)))))
    for trace_name, wf_name in sorted(agents.renamed().items()):
        out.add(ast.MapAgent, format_decl(ast.MapAgent(trace_name, ast.Ident(wf_name))))
    for source, event in (("reply", REPLY_EVENT), ("user", USER_EVENT)):
        if event in by:
            out.add(ast.MapText, f"map {source} to {event}")
    names: set[str] = set()
    flows: dict[str, list[str]] = {}
    for c in held:
        if c.body.startswith("no flow from "):
            source, sink = c.body[len("no flow from "):].split(" to ")
            flows.setdefault(source, []).append(sink)
            continue
        out.add(ast.PropertyDecl, f"property {_unique(c.name, names)}: {c.body}",
                [f"# held in all {c.support} runs it applies to"])
    for source, sinks in sorted(flows.items()):
        out.add(ast.PropertyDecl, f"property {_unique('no_flow_from_' + source, names)}: "
                f"no flow from {source} to {', '.join(sinks)}", ["# held in every run with both tools"])
    if close:
        out.trailing = ["# Candidates that held in most runs, not all (held / runs it applies to):"]
        out.trailing += [f"#   {c.body}: {c.held} / {c.support}" for c in close]
    return out.text()


class _Layout:
    """Declarations laid out as `wfcheck fmt` lays them out (a blank line before a
    declaration with comments or of another kind than the one before), so the output is
    formatted without a parse; tests check it against the formatter."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.previous = None
        self.trailing: list[str] = []

    def add(self, kind, text: str, comments=()) -> None:
        if self.previous is not None and (comments or kind is not self.previous):
            self.lines.append("")
        self.lines.extend(comments)
        self.lines.extend(piece for line in text.split("\n") for piece in wrap(line))
        self.previous = kind

    def text(self) -> str:
        lines = self.lines + ([""] + self.trailing if self.trailing else [])
        return "\n".join(lines) + "\n"
