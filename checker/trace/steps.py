"""Each recorded run as steps of the spec, for the views that draw a run on the state
machine (the HTML report, the Lean export): per event that is an action, the edges it may
be, and — replayed through the monitor — the control states and the configuration
(variables and context labels, as `Interpreter.describe` shows them) after it."""
from __future__ import annotations

from dataclasses import dataclass

from wfcheck.spec.model import Model
from wfcheck.spec.system import lower

from .monitor import Monitor
from .readers.events import ReadProblem
from .readers.reader import read_traces


@dataclass(frozen=True)
class TraceStep:
    event: int                  # the event's index in the trace
    location: str
    text: str                   # the action(s) it is, in words
    edges: tuple[int, ...]      # the model's edges it may be (none: see `problem`)
    problem: str | None = None
    states: tuple[str, ...] = ()        # the control states the run may be in after it
    config: dict | None = None          # the configuration after it, when there is one


@dataclass(frozen=True)
class TraceSteps:
    name: str
    steps: tuple[TraceStep, ...]


def trace_steps(model: Model, paths, input_format: str | None = None,
                precision: str | None = None) -> tuple[tuple[TraceSteps, ...], tuple[ReadProblem, ...]]:
    """(the runs as steps, the reading problems) of trace files or directories."""
    monitor = Monitor(model, precision)
    edges_of: dict = {}
    for step in lower(model).steps:
        edges_of.setdefault(step.edge.action, []).append(step.index)
    runs, problems = [], []
    for item in read_traces(list(paths), input_format):
        if isinstance(item, ReadProblem):
            problems.append(item)
            continue
        problems.extend(item.problems)
        monitor.reset()
        steps = []
        for index, event in enumerate(item.events):
            resolved = monitor.resolver.resolve(event)
            monitor.step(event)
            if resolved is None:  # context only, not a step
                continue
            where = str(event.location)
            after = {"states": monitor.states,
                     "config": monitor.interp.describe(monitor.configs[0]) if len(monitor.configs) == 1 else None}
            if not resolved.actions:
                what = f"call of `{event.tool}`" if hasattr(event, "tool") else type(event).__name__.lower()
                steps.append(TraceStep(index, where, what, (), resolved.problem, **after))
                continue
            edges = tuple(sorted({e for a in resolved.actions for e in edges_of.get(a, ())}))
            text = " or ".join(dict.fromkeys(str(a) for a in resolved.actions))
            steps.append(TraceStep(index, where, text, edges,
                                   None if edges else "no transition of the spec takes this action", **after))
        runs.append(TraceSteps(item.name, tuple(steps)))
    return tuple(runs), tuple(problems)
