"""The trace monitor agrees with the semantics it claims to apply.

For random workflows (tests/workflow_gen.py) and random runs of them, every step of the run
becomes a traced event (a tool call, sometimes by a mapped trace name or agent name, an
error for an outcome `failed`; a message; a hand-off) and a conservative `Monitor` follows
the events. Along the run the monitor must report no deviation, follow exactly the one
configuration of the run, and report exactly the (property, event) pairs that the
concrete interpreter (spec/semantics.py) finds: a step's bad condition on the configuration
before it, a state's bad condition after it (and on the initial configuration, at event 0),
and `terminates` at the end of a run outside the final states.

Runs are kept deterministic: a step is taken only if its event leaves the monitor a single
enabled step with a single successor. A run may end with a step that leaves a variable's
range (the monitor then takes it anyway, like a deviation, but without one).
"""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wfcheck
from wfcheck.checker.trace.monitor import KIND_NAMES, Monitor, check_events
from wfcheck.checker.trace.readers.events import Handoff, Location, Message, ToolCall
from wfcheck.spec import model as m
from wfcheck.spec.semantics import Interpreter
from wfcheck.spec.system import lower

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workflow_gen import workflows  # noqa: E402

MAX_RUN = 12
EXAMPLES = 100


def load(source: str) -> m.Model:
    result = wfcheck.check_text(source, "random.wf")
    assert result.ok, [f"{d.code}: {d.message}" for d in result.diagnostics]
    return result.model


def with_mapping(source: str, model: m.Model) -> str:
    """`source` plus trace mapping: a trace name `TOOL.OUTCOME` per tool outcome and a trace
    name `bot-AGENT` per agent (the mapping changes nothing the semantics sees)."""
    lines = [f'map "{t.name}.{o}" to {t.name}.{o}' for t in model.tools for o in t.outcomes]
    lines += [f'map agent "bot-{a}" to {a}' for a in model.agents]
    return source + "".join(line + "\n" for line in lines)


def trace_agent(data, agent: str | None) -> str | None:
    if agent is None:
        return None
    return data.draw(st.sampled_from([agent, f"bot-{agent}"]))


def event_for(data, action: m.Action, i: int):
    """A traced event that the spec's mapping turns into exactly `action`."""
    where = Location("run.json", i + 1, f"/events/{i}")
    agent = trace_agent(data, action.agent)
    if action.kind == "tool":
        names = [(action.name, False)] if action.outcome is None else [(f"{action.name}.{action.outcome}", False)]
        if action.outcome == "failed":
            names.append((action.name, True))       # an error picks the outcome `failed`
        if action.outcome == "ok":
            names.append((action.name, False))      # a success picks the outcome `ok`
        name, error = data.draw(st.sampled_from(names))
        return ToolCall(name, {"query": f"q{i}"}, agent=agent, result=f"result {i}", is_error=error,
                        location=where)
    if action.kind == "event":
        return ToolCall(action.name, {}, agent=agent, location=where)
    receiver = trace_agent(data, action.receiver)
    if action.kind == "message":
        return Message("assistant", f"note {i}", agent=agent, receiver=receiver, location=where)
    return Handoff(agent, receiver, f"context {i}", location=where)


def candidates(by_action: dict, action: m.Action) -> list:
    """The steps the monitor weighs for the event of `action`: an environment event is
    recorded without an agent, so every agent that may perform it is a candidate."""
    if action.kind == "event" and action.agent is None:
        return [st_ for a, steps in by_action.items() if a.kind == "event" and a.name == action.name
                for st_ in steps]
    return by_action[action]


def single_step(interp: Interpreter, config, step, candidates) -> bool:
    """Does the event of `step` leave exactly one enabled step with one successor?"""
    enabled = [st_ for st_ in candidates if interp.enabled(config, st_)]
    if enabled != [step]:
        return False
    successors = interp.fire(config, step) or interp.fire_forced(config, step)
    return len(successors) == 1


def state_bad(interp: Interpreter, config) -> set[str]:
    return {c.name for c in interp.checks if interp.state_bad(c, config)}


def step_bad(interp: Interpreter, config, step) -> set[str]:
    return {c.name for c in interp.checks if interp.step_bad(c, config, step)}


SETTINGS = dict(deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def test_monitor_agrees_with_the_interpreter_on_runs_of_the_spec():
    seen: Counter = Counter()

    @settings(max_examples=EXAMPLES, **SETTINGS)
    @given(workflows(), st.data())
    def agree(source, data):
        model = load(source)
        model = load(with_mapping(source, model))
        monitor = Monitor(model, precision="conservative")
        interp = Interpreter(lower(model))
        kinds = {c.name: KIND_NAMES[type(c.property.kinds[0])] for c in interp.checks}
        by_action: dict[m.Action, list] = {}
        for step in interp.system.steps:
            by_action.setdefault(step.edge.action, []).append(step)

        config = interp.initial()
        expected: set[tuple[str, int]] = {(name, 0) for name in state_bad(interp, config)}
        assert {(v.property, v.step) for v in monitor.start_violations} == expected
        assert all(v.at == "start" for v in monitor.start_violations)
        events = []
        for i in range(MAX_RUN):
            options = [step for step in interp.steps_from.get(config[0], ())
                       if single_step(interp, config, step, candidates(by_action, step.edge.action))]
            if not options:
                break
            step = data.draw(st.sampled_from(options), label="step")
            event = event_for(data, step.edge.action, i)
            assert step.edge.action in monitor.resolver.resolve(event).actions
            successors = interp.fire(config, step)
            out_of_range = not successors
            if out_of_range:
                successors = interp.fire_forced(config, step)
            [after] = successors
            # A state property is reported where it begins to fail, not again while it stays failed.
            wanted = {(name, i) for name in step_bad(interp, config, step) | (state_bad(interp, after) - state_bad(interp, config))}

            predicted = monitor.check(event)
            verdict = monitor.step(event)
            assert verdict == predicted
            got = {(v.property, v.step) for v in verdict.violations}
            assert all(v.kind != "deviation" for v in verdict.violations), verdict.violations
            assert got == wanted, f"event {i} ({step.edge.action}) from {interp.describe(config)}"
            for v in verdict.violations:
                assert v.kind == kinds[v.property] and v.location == event.location
            assert list(monitor.configs) == [after]
            expected |= wanted
            events.append(event)
            config = after
            seen["steps"] += 1
            seen.update(f"kind:{v.kind}" for v in verdict.violations)
            if out_of_range:
                assert any(kinds[name] == "range" for name, _ in wanted)
                seen["out of range"] += 1
                break

        ended = set()
        if config[0] not in model.finals:
            ended = {(c.name, max(len(events) - 1, 0)) for c in interp.checks if c.liveness}
        finished = monitor.finish().violations
        assert {(v.property, v.step) for v in finished} == ended
        assert all(v.at == "end" and v.kind == "termination" for v in finished)
        expected |= ended
        # the whole run again, in one call, from a reset monitor
        assert {(v.property, v.step) for v in check_events(monitor, events)} == expected
        seen["runs"] += 1
        seen["runs with violations"] += bool(expected)

    agree()
    # the comparison is not vacuous: runs are long enough and break properties of many kinds
    assert seen["steps"] >= 2 * seen["runs"], seen
    assert seen["runs with violations"] >= seen["runs"] // 4, seen
    kinds = {key for key in seen if key.startswith("kind:")}
    assert {"kind:permission", "kind:flow"} <= kinds and len(kinds) >= 4, seen
