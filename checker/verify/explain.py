"""Turn a counterexample into numbered steps a person can follow: who did what, where in
the `.wf` source, what changed, and — for flow properties — where the label entered an
agent's context, how it was carried, and where it left."""
from __future__ import annotations

from dataclasses import dataclass

from wfcheck.spec import model as m
from wfcheck.spec.ir_text import describe_action
from wfcheck.spec.span import Span
from wfcheck.spec.system import System

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


def _changes(before: dict, after: dict) -> tuple[str, ...]:
    out = []
    for name, new in after.items():
        old = before.get(name)
        if name == "state" or name.startswith("mon.") or old == new:
            continue
        if name.startswith("conf."):
            out.append(f"context of `{name[5:]}`: confidentiality {old} → {new}")
        elif name.startswith("integ."):
            out.append(f"context of `{name[6:]}`: integrity {old} → {new}")
        elif name.startswith("src."):
            agent, tool = name[4:].split(".", 1)
            out.append(f"`{agent}` has read data from `{tool}`" if new else
                       f"`{agent}`'s data from `{tool}` was released")
        else:
            out.append(f"{name}: {_show(old)} → {_show(new)}")
    return tuple(out)


def _taint_tests(system: System, prop: m.Property):
    """(per-agent predicate on a config, what it means) for the flow kinds of `prop`."""
    conf, integ = system.conf, system.integ
    tests = []
    for kind in prop.kinds:
        if isinstance(kind, (m.FlowToTool, m.FlowToAgent)):
            if kind.source_kind == "conf":
                level = kind.source
                tests.append((lambda a, c, lv=level: conf.leq(lv, conf.index(c[f"conf.{a}"])),
                              f"`{conf.levels[level]}` data"))
            elif kind.source_kind == "integ":
                level = kind.source
                tests.append((lambda a, c, lv=level: integ.leq(integ.index(c[f"integ.{a}"]), lv),
                              f"`{integ.levels[level]}` content"))
            else:
                tests.append((lambda a, c, t=kind.source: bool(c.get(f"src.{a}.{t}")),
                              f"data from `{kind.source}`"))
        elif isinstance(kind, m.SinkBound):
            tests.append((lambda a, c, lv=kind.level: not conf.leq(conf.index(c[f"conf.{a}"]), lv),
                          f"data above `{conf.levels[kind.level]}`"))
        elif isinstance(kind, m.IntegrityNeed):
            tests.append((lambda a, c, lv=kind.level: not integ.leq(lv, integ.index(c[f"integ.{a}"])),
                          f"content below `{integ.levels[kind.level]}`"))
    return tests


def explain(system: System, prop: m.Property, run: Run) -> tuple[ExplainedStep, ...]:
    model = system.model
    tests = _taint_tests(system, prop)
    steps = []
    for i, edge_index in enumerate(run.edges):
        edge = model.edges[edge_index]
        before = run.configs[i]
        last_bad = run.bad_step and i == len(run.edges) - 1
        after = before if last_bad else run.configs[i + 1]
        notes = []
        for test, what in tests:
            for agent in model.agents:
                if not test(agent, before) and test(agent, after):
                    how = {"tool": f"from `{edge.action.name}`", "message": f"by a message from `{edge.action.agent}`",
                           "handoff": f"by a hand-off from `{edge.action.agent}`"}.get(edge.action.kind, "")
                    notes.append(f"{what} entered the context of `{agent}` {how}".rstrip())
        if last_bad:
            carrying = [what for test, what in tests if edge.action.agent and test(edge.action.agent, before)]
            detail = f" while its context holds {carrying[0]}" if carrying else ""
            notes.append(f"violation: `{edge.action.agent or 'environment'}` takes this step{detail}")
        elif i == len(run.edges) - 1 and run.loop_start is None:
            notes.append("violation: the property fails in the state reached here")
        if run.loop_start is not None and i == run.loop_start:
            notes.append("the loop starts here; it repeats forever without reaching a final state")
        steps.append(ExplainedStep(i + 1, describe_action(edge.action), edge.source, edge.target,
                                   edge.span, () if last_bad else _changes(before, after), tuple(notes),
                                   last_bad))
    return tuple(steps)
