"""The trace monitor agrees with the semantics it claims to apply, in both precisions.

For random workflows (tests/workflow_gen.py) and random runs of them, every step of the run
becomes a traced event (a tool call, sometimes by a mapped trace name or agent name, an
error for an outcome `failed`; a message; a hand-off), and between steps come events that
are no step: the user's and the system's messages, agents' replies and messages the spec
does not have (context only), and calls of a tool the spec does not know (a deviation).
Arguments, results and texts are drawn from a small vocabulary, so that a value sometimes
occurs in earlier content, as a whole word or not, and sometimes does not. A `Monitor`
follows the events. Along the run it must report no other deviation, follow exactly the one
configuration of the run, and report exactly the (property, event) pairs that the semantics
predicts: a step's bad condition on the configuration before it (spec/semantics.py), a
state's bad condition after it (and on the initial configuration, at event 0), and
`terminates` at the end of a run outside the final states. In values precision a tool
call's bad condition is the one of spec/values.py (`step_bad` with each label of
`call_labels`: the written label of the arguments each sink of the property lists, given
the content read so far, which the test keeps by the rules of docs/language.md:
`read_call` for results, with parameter kinds, result fields and dates); the content the
monitor has read must be that content, and a flow reported at a call names a value that
raised the label of a sink it broke. The spec gets a tool `peek` that returns the highest
label (sometimes with a field at the lowest), and a tool `send` whose parameters have kinds
(one a date), with properties on some of its arguments.

Runs are kept deterministic: a step is taken only if its event leaves the monitor a single
enabled step with a single successor. A run may end with a step that leaves a variable's
range (the monitor then takes it anyway, like a deviation, but without one).
"""
from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wfcheck
from wfcheck.checker.trace.fields import label_parts
from wfcheck.checker.trace.kinds import date_tokens, probes
from wfcheck.checker.trace.mapping import ERROR_OUTCOMES
from wfcheck.checker.trace.monitor import KIND_NAMES, Monitor, check_events
from wfcheck.checker.trace.readers.events import Handoff, Location, Message, ToolCall
from wfcheck.spec import model as m
from wfcheck.spec import values
from wfcheck.spec.semantics import Interpreter
from wfcheck.spec.system import conf_var, integ_var, lower

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workflow_gen import workflows  # noqa: E402

MAX_RUN = 12
EXAMPLES = 100

# Values that occur in one another or not as whole words (`13` in `x13`, `ord-1234` in
# `ord-12345`, an address with and without its scheme), in either case, and other words; a
# date in two forms, and a phrase of five words and part of it.
VOCABULARY = ("ORD-1234", "ord-12345", "13", "x13", "Ann@Example.com", "https://pay.example/acc",
              "pay.example/acc", "DE8937", "hello world", "2024", "2024-05-01", "May 1st",
              "forward all the quarterly numbers", "the quarterly numbers")
FILLER = ("id:", "see", ",")


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


def with_probe(data, source: str, model: m.Model) -> str:
    """`source` plus what makes values precision tell something: a tool `peek` that returns
    the highest confidentiality and the lowest integrity and a message that declassifies
    and endorses to the lowest label, both in some states (often all), and flow properties
    from those levels and from `peek` to the workflow's tools."""
    conf, integ = model.conf.levels[model.conf.top], model.integ.levels[model.integ.bottom]
    low, high = model.conf.levels[model.conf.bottom], model.integ.levels[model.integ.top]
    states = model.states if data.draw(st.booleans()) else data.draw(
        st.lists(st.sampled_from(model.states), min_size=1, unique=True))
    tools = ", ".join(t.name for t in model.tools)
    some = ", ".join(data.draw(st.lists(st.sampled_from([t.name for t in model.tools]), min_size=1, unique=True)))
    sender, receiver = (data.draw(st.sampled_from(model.agents)) for _ in range(2))
    kind = data.draw(st.sampled_from(["", ": id", ": email", ": url", ": number", ": date", ": text"]))
    fields = data.draw(st.sampled_from(["", f" {{ ok: ({low}, {high}) }}"]))
    lines = [f"tool peek(query{kind}) returns {conf}, {integ}{fields}"] + [f"{s} -> {s} on peek" for s in states]
    lines += [f"tool send(to: email, body: text, day: date, ref: id, note) sends sink {low} on ref"
              f" needs {high} on to, day"] + [f"{s} -> {s} on send" for s in states]
    lines += [f"{s} -> {s} on message {sender} to {receiver} declassify {low} endorse {high}" for s in states]
    lines += [f"property probe_conf: no flow from {conf} to {tools}, send",
              f"property probe_integ: no {integ} influence on {tools}",
              f"property probe_source: no flow from peek to {some}",
              f"property probe_listed: no {integ} influence on send(to, note), send(body)",
              "property probe_source_listed: no flow from peek to send(ref, day)"]
    return source + "".join(line + "\n" for line in lines)


def trace_agent(data, agent: str | None) -> str | None:
    if agent is None:
        return None
    return data.draw(st.sampled_from([agent, f"bot-{agent}"]))


# Words of the vocabulary, joined so that some run into one another.
texts = st.lists(st.tuples(st.sampled_from([" ", " ", "", "-"]), st.sampled_from(VOCABULARY + FILLER)),
                 min_size=1, max_size=4).map(lambda words: "".join(sep + word for sep, word in words))


NUMBERS = (13, 2024, 12.0, 12345, True, None)
KEYS = st.lists(st.sampled_from(["query", "body", "to"]), min_size=1, max_size=2, unique=True)
LISTED = {"probe_listed", "probe_source_listed", "send.sink", "send.needs"}
SEND_KEYS = st.lists(st.sampled_from(["to", "body", "day", "ref", "note", "query"]), min_size=1, max_size=3,
                     unique=True)


# What `send`'s text and date arguments often hold: the phrase, or part of it, and a date.
LIKELY = {"body": ("forward all the quarterly numbers", "please forward all the quarterly numbers now",
                   "the quarterly numbers"),
          "day": ("2024-05-01", "2024-05-01T10:00", "May 1st", "2024-05-02")}


def argument_objects(data, *read: list[str], keys=KEYS) -> dict:
    """The arguments of a call: words (often ones in the texts `read` so far: the first list
    weighs twice as much as the vocabulary, the others as much), texts, numbers and lists of
    them; for `send` (`keys` SEND_KEYS), its body and day often what LIKELY has."""
    pools = [VOCABULARY, NUMBERS]
    for k, texts_read in enumerate(read):
        found = tuple(w for w in VOCABULARY if any(w.lower() in t.lower() for t in texts_read))
        if found:
            pools += [found] * (2 if k == 0 else 1)

    def item():
        kind = data.draw(st.integers(0, len(pools)))
        return data.draw(texts) if kind == len(pools) else data.draw(st.sampled_from(pools[kind]))

    def argument(key: str):
        if keys is SEND_KEYS and key in LIKELY and data.draw(st.booleans()):
            return data.draw(st.sampled_from(LIKELY[key]))
        return item() if data.draw(st.integers(0, 3)) else [item() for _ in range(data.draw(st.integers(0, 2)))]

    return {key: argument(key) for key in data.draw(keys)}


def event_for(data, action: m.Action, i: int, read: tuple[list[str], ...]):
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
        arguments = argument_objects(data, *read, keys=SEND_KEYS if action.name == "send" else KEYS)
        result = data.draw(texts | st.none() | results)
        if action.name == "peek" and data.draw(st.booleans()):   # what `send` often writes
            result = data.draw(st.sampled_from(LIKELY["body"] + LIKELY["day"] + ("from the 1st to the 5th of May",)))
        echoed = [v for v in arguments.values() if isinstance(v, str)]
        if result is not None and echoed and data.draw(st.booleans()):   # the call's own value, echoed
            result += " " + data.draw(st.sampled_from(echoed))
        return ToolCall(name, arguments, agent=agent, result=result, is_error=error, location=where)
    if action.kind == "event":
        return ToolCall(action.name, {}, agent=agent, result=data.draw(st.none() | texts),
                        location=where)
    receiver = trace_agent(data, action.receiver)
    if action.kind == "message":
        return Message("assistant", data.draw(texts), agent=agent, receiver=receiver, location=where)
    return Handoff(agent, receiver, data.draw(texts), location=where)


# Structured results: a record with the field `peek` labels low, and another.
results = st.dictionaries(st.sampled_from(["ok", "note"]), texts, min_size=1).map(json.dumps)


def other_event(data, model: m.Model, i: int):
    """An event that is no step of the spec, and who speaks in it: an agent, "user" for the
    user or the system, or None for a deviation (whose content is not read)."""
    where = Location("run.json", i + 1, f"/events/{i}")
    pairs = {(e.action.agent, e.action.receiver) for e in model.edges if e.action.kind == "message"}
    unpaired = [(a, b) for a in model.agents for b in model.agents if (a, b) not in pairs]
    kinds = ["user", "system", "reply", "unknown tool"] + (["unpaired message"] if unpaired else [])
    kind = data.draw(st.sampled_from(kinds))
    if kind in ("user", "system"):
        return Message(kind, data.draw(texts), location=where), "user"
    if kind == "unknown tool":
        return ToolCall("not_in_the_spec", argument_objects(data), result=data.draw(texts), location=where), None
    if kind == "reply":
        agent = data.draw(st.sampled_from(model.agents))
        return Message("assistant", data.draw(texts), agent=trace_agent(data, agent), location=where), agent
    agent, receiver = data.draw(st.sampled_from(unpaired))
    return Message("assistant", data.draw(texts), agent=trace_agent(data, agent), receiver=trace_agent(data, receiver),
                   location=where), agent


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


def label_of(interp: Interpreter, config, agent: str) -> tuple[int, int]:
    """The context label of `agent` in `config`."""
    return interp.value(config, conf_var(agent)), interp.value(config, integ_var(agent))


class Semantics:
    """What the semantics says of a run, event by event, in one precision: the configuration,
    and in values precision the content read so far (spec/values.py, with the probes of
    checker/trace/kinds.py, the fields of checker/trace/fields.py, and dates when some
    parameter is a date)."""

    def __init__(self, model: m.Model, precision: str) -> None:
        self.interp = Interpreter(lower(model))
        self.system = self.interp.system
        self.precision = precision
        self.history: list[values.Read] = []
        dates = any(p.kind == "date" for t in model.tools for p in t.params)
        self.mentions = date_tokens if dates else None

    def judge(self, config, step, event) -> tuple[set[str], dict[str, set]]:
        """The checks `step` breaks, and in values precision for each broken flow check the
        values it may name: those that raise the label of a sink it breaks (None: such a
        label that no value raises)."""
        if self.precision != "values" or step.edge.action.kind != "tool" or event.arguments is None:
            return {c.name for c in self.interp.checks if self.interp.step_bad(c, config, step)}, {}
        bad, named = set(), {}
        for c in self.interp.checks:
            labels = values.call_labels(c, self.system, step, event.arguments, self.history, probes)
            if not labels:   # no flow sink here: the label is not read
                if self.interp.step_bad(c, config, step):
                    bad.add(c.name)
                continue
            broken = [label for label in labels
                      if self.interp.evaluate(values.step_bad(c, self.system, step, label), config)]
            if broken:
                bad.add(c.name)
                named[c.name] = {o.value for label in broken for o in label.raising} | (
                    {None} if any(not label.raising for label in broken) else set())
        return bad, named

    def conservative(self, config, step) -> set[str]:
        return {c.name for c in self.interp.checks if self.interp.step_bad(c, config, step)}

    def read_call(self, action: m.Action, event, i: int) -> None:
        """The result of the call of `action` at event `i` (docs/language.md, Values precision)."""
        if event.result:
            failed = event.is_error or action.outcome in ERROR_OUTCOMES
            self.history += values.read_call(self.system, action, event.arguments, event.result, i, failed,
                                             probes, label_parts, self.mentions)

    def read_words(self, speaker: str | None, text: str, i: int, config) -> None:
        """The text of event `i`: the user's or system's (`speaker` "user"), or an agent's at
        its label in `config` (after the event); None: the event is not read (a deviation)."""
        if not text:
            return
        if speaker == "user":
            self.history.append(values.read_user(self.system, text, i, self.mentions))
        elif speaker is not None:
            self.history.append(values.read_agent(text, *label_of(self.interp, config, speaker), i, self.mentions))

    def texts(self) -> tuple[list[str], list[str]]:
        """The texts read so far: those that may raise a value's label, and all."""
        plain = (self.system.conf.bottom, self.system.integ.top)
        return ([r.text for r in self.history if (r.conf, r.integ) != plain or r.tool is not None],
                [r.text for r in self.history])

    def parts(self) -> list[tuple]:
        """The content read, as `ValueIndex.parts` lists it."""
        return [(r.step, (r.conf, r.integ), r.tool, r.from_user, r.text.lower()) for r in self.history]


# derandomize: the coverage floors at the end (results with fields, phrases, dates, ...) must
# hold on the examples that run; with a fresh random seed each run they missed in 2 of 40 seeds.
SETTINGS = dict(deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("precision", ["conservative", "values"])
def test_monitor_agrees_with_the_semantics_on_runs_of_the_spec(precision):
    seen: Counter = Counter()

    @settings(max_examples=EXAMPLES, **SETTINGS)
    @given(workflows(), st.data())
    def agree(source, data):
        model = load(source)
        if precision == "values":
            source = with_probe(data, source, model)   # (`peek` has no outcome to map)
        model = load(with_mapping(source, model))
        monitor = Monitor(model, precision=precision)
        sem = Semantics(model, precision)
        interp = sem.interp
        kinds = {c.name: KIND_NAMES[type(c.property.kinds[0])] for c in interp.checks}
        by_action: dict[m.Action, list] = {}
        for step in interp.system.steps:
            by_action.setdefault(step.edge.action, []).append(step)

        config = interp.initial()
        expected: set[tuple[str | None, int]] = {(name, 0) for name in state_bad(interp, config)}
        assert {(v.property, v.step) for v in monitor.start_violations} == expected
        assert all(v.at == "start" for v in monitor.start_violations)
        events = []
        steps = 0
        while steps < MAX_RUN and len(events) < 2 * MAX_RUN:
            i = len(events)
            if data.draw(st.integers(0, 3)) == 3:
                event, speaker = other_event(data, model, i)
                verdict = monitor.step(event)
                wanted = set() if speaker is not None else {(None, i)}
                assert {(v.property, v.step) for v in verdict.violations} == wanted
                assert list(monitor.configs) == [config]
                sem.read_words(speaker, getattr(event, "content", ""), i, config)
                expected |= wanted
                events.append(event)
                seen["other events"] += 1
                continue
            options = [step for step in interp.steps_from.get(config[0], ())
                       if single_step(interp, config, step, candidates(by_action, step.edge.action))]
            if not options:
                break
            # (tool calls weigh double: their arguments are what values precision judges)
            step = data.draw(st.sampled_from(options + [o for o in options if o.edge.action.kind == "tool"]),
                             label="step")
            action = step.edge.action
            event = event_for(data, action, i, sem.texts())
            assert action in monitor.resolver.resolve(event).actions
            successors = interp.fire(config, step)
            out_of_range = not successors
            if out_of_range:
                successors = interp.fire_forced(config, step)
            [after] = successors
            bad, may_name = sem.judge(config, step, event)
            # A state property is reported where it begins to fail, not again while it stays failed.
            wanted = {(name, i) for name in bad | (state_bad(interp, after) - state_bad(interp, config))}

            predicted = monitor.check(event)
            verdict = monitor.step(event)
            assert verdict == predicted
            got = {(v.property, v.step) for v in verdict.violations}
            assert all(v.kind != "deviation" for v in verdict.violations), verdict.violations
            assert got == wanted, f"event {i} ({action}) from {interp.describe(config)}"
            for v in verdict.violations:
                assert v.kind == kinds[v.property] and v.location == event.location
            if precision == "values" and action.kind == "tool":
                flow_checked = any(c.name in monitor.flow_checks for c in monitor.step_checks[step.index])
                seen["calls with a flow check"] += flow_checked
                for name, allowed in may_name.items():
                    named = {v.value for v in verdict.violations if v.property == name}
                    assert named and named <= allowed, (name, named, allowed)
                seen["calls whose arguments raise their label"] += any(v - {None} for v in may_name.values())
                seen["calls judged otherwise than by the context"] += bad != sem.conservative(config, step)
                tool = model.tool(action.name)
                seen["structured results of a tool with fields"] += bool(
                    tool and tool.fields and event.result and event.result.startswith("{"))
                seen["flows on listed arguments"] += sum(v.property in LISTED for v in verdict.violations)
                raising = {value for allowed in may_name.values() for value in allowed if value}
                seen["broken by a phrase"] += any(value.count(" ") == 4 for value in raising)
                seen["broken by a date"] += any(re.fullmatch(r"m\d\dd\d\d", value) for value in raising)
            assert list(monitor.configs) == [after]
            if isinstance(event, ToolCall):
                sem.read_call(action, event, i)
            else:
                sem.read_words(action.agent, event.content, i, after)
            expected |= wanted
            events.append(event)
            config = after
            steps += 1
            seen["steps"] += 1
            seen.update(f"kind:{v.kind}" for v in verdict.violations)
            if out_of_range:
                assert any(kinds[name] == "range" for name, _ in wanted)
                seen["out of range"] += 1
                break
        if precision == "values":
            got, want = monitor.values.parts(), sem.parts()
            assert got == want, next((g, w) for g, w in zip(got + [None] * len(want), want + [None] * len(got))
                                     if g != w)

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
        seen["runs with violations"] += bool(expected - {(None, i) for i in range(len(events))})

    agree()
    # the comparison is not vacuous: runs are long enough and break properties of many kinds
    assert seen["steps"] >= 2 * seen["runs"], seen
    assert seen["runs with violations"] >= seen["runs"] // 4, seen
    kinds = {key for key in seen if key.startswith("kind:")}
    assert {"kind:permission", "kind:flow"} <= kinds and len(kinds) >= 4, seen
    if precision == "values":
        # and values precision is exercised: arguments raise labels, or leave them low, and
        # then judge a call otherwise than its context would
        assert seen["calls whose arguments raise their label"] >= 5, seen
        assert seen["calls judged otherwise than by the context"] >= 5, seen
        # with kinds, fields, dates and listed arguments
        assert seen["structured results of a tool with fields"] >= 5, seen
        assert seen["flows on listed arguments"] >= 5, seen
        assert seen["broken by a phrase"] >= 1 and seen["broken by a date"] >= 1, seen
