"""Turn a counterexample into numbered steps a person can follow: who did what, where in
the `.wf` source, what changed, and — for flow properties — where the label entered an
agent's context, how it was carried, and where it left."""
from __future__ import annotations

from dataclasses import dataclass

from wfcheck.spec import model as m
from wfcheck.spec.ir_text import describe_action
from wfcheck.spec.semantics import Config, Interpreter
from wfcheck.spec.span import Span
from wfcheck.spec.system import LevelSort, SysVar, System, context_condition

from .result import Run


@dataclass(frozen=True)
class ExplainedStep:
    number: int
    action: str
    source: str
    target: str
    span: Span
    changes: tuple[str, ...]
    notes: tuple[str, ...]
    violation: bool = False


def _show(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _changes(variables: tuple[SysVar, ...], before: dict, after: dict) -> tuple[str, ...]:
    out = []
    for var in variables:
        old, new = before.get(var.name), after[var.name]
        if var.role == "monitor" or old == new:
            continue
        if var.role == "conf":
            out.append(f"context of `{var.agent}`: confidentiality {old} → {new}")
        elif var.role == "integ":
            out.append(f"context of `{var.agent}`: integrity {old} → {new}")
        elif var.role == "source":
            out.append(f"`{var.agent}` has read data from `{var.source}`" if new else
                       f"`{var.agent}`'s data from `{var.source}` was released")
        else:
            out.append(f"{var.name}: {_show(old)} → {_show(new)}")
    return tuple(out)


def _config(interp: Interpreter, described: dict) -> Config:
    """The configuration that `interp.describe` shows as `described` (a run's config)."""
    values = []
    for var in interp.vars:
        value = described[var.name]
        if isinstance(var.sort, LevelSort):
            value = interp.system.lattice(var.sort.dimension).index(value)
        values.append(value)
    return (described["state"], *values)


def _what(system: System, kind) -> str:
    """What an agent's context holds when `context_condition(kind, agent)` is true."""
    conf, integ = system.conf, system.integ
    if isinstance(kind, m.SinkBound):
        return f"data above `{conf.levels[kind.level]}`"
    if isinstance(kind, m.IntegrityNeed):
        return f"content below `{integ.levels[kind.level]}`"
    if kind.source_kind == "conf":
        return f"`{conf.levels[kind.source]}` data"
    if kind.source_kind == "integ":
        return f"`{integ.levels[kind.source]}` content"
    return f"data from `{kind.source}`"


def _context_tests(interp: Interpreter, prop: m.Property):
    """(per-agent predicate on a configuration, what it means) for each part of `prop`
    about what an agent's context holds; the predicates are the semantics' own conditions."""
    tests = []
    for kind in prop.kinds:
        conditions = {a: context_condition(kind, a) for a in interp.system.model.agents}
        if conditions and None not in conditions.values():
            tests.append(({a: interp.compile(c) for a, c in conditions.items()}, _what(interp.system, kind)))
    return tests


def explain(system: System, prop: m.Property | None, run: Run) -> tuple[ExplainedStep, ...]:
    """`run` step by step; with `prop`, the notes say where what it is about entered a
    context and where it was violated (without, a run of the system alone: `diff`'s witnesses)."""
    model = system.model
    interp = Interpreter(system, [system.check(prop.name)] if prop is not None else [])  # the run's variables
    configs = [_config(interp, c) for c in run.configs]
    tests = _context_tests(interp, prop) if prop is not None else []
    steps = []
    for i, edge_index in enumerate(run.edges):
        edge = model.edges[edge_index]
        last_bad = run.bad_step and i == len(run.edges) - 1
        before = configs[i]
        after = before if last_bad else configs[i + 1]
        notes = []
        for test, what in tests:
            for agent in model.agents:
                if not test[agent](before) and test[agent](after):
                    how = {"tool": f"from `{edge.action.name}`", "message": f"by a message from `{edge.action.agent}`",
                           "handoff": f"by a hand-off from `{edge.action.agent}`"}.get(edge.action.kind, "")
                    notes.append(f"{what} entered the context of `{agent}` {how}".rstrip())
        if last_bad:
            carrying = [what for test, what in tests if edge.action.agent and test[edge.action.agent](before)]
            detail = f" while its context holds {carrying[0]}" if carrying else ""
            notes.append(f"violation: `{edge.action.agent or 'environment'}` takes this step{detail}")
        elif i == len(run.edges) - 1 and run.loop_start is None and prop is not None:
            notes.append("violation: the property fails in the state reached here")
        if run.loop_start is not None and i == run.loop_start:
            notes.append("the loop starts here; it repeats forever without reaching a final state")
        changes = () if last_bad else _changes(interp.vars, run.configs[i], run.configs[i + 1])
        steps.append(ExplainedStep(i + 1, describe_action(edge.action), edge.source, edge.target,
                                   edge.span, changes, tuple(notes), last_bad))
    return tuple(steps)
