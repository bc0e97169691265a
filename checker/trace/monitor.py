"""The online monitor: check a recorded or live run against a spec, one event at a time.

It follows every configuration of the spec consistent with the events so far (a traced
call may leave a tool's outcome or a variable open) and evaluates the same compiled
property checks as `verify` (spec/system.py, spec/semantics.py). A property is violated
at an event if it is violated in *any* consistent configuration — the monitor never
misses what the spec forbids. An event the spec does not allow in the current state is a
*deviation*; it is reported, then taken anyway (guards ignored) so that checking goes on.

Precision `conservative` (the semantics of `verify`): what an agent writes carries its
whole context label. `values`: it carries the label of the values it contains, as
"Values precision" in docs/language.md says and spec/values.py states executably: taken
from each argument by its parameter's kind (kinds.py), a structured result's values with
the labels of their fields (fields.py), a flow with listed arguments looking at those only
(the labels come from the index in provenance.py); contexts and hand-offs still move as in
conservative mode.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from wfcheck.spec import model as m
from wfcheck.spec.frontend import load_model
from wfcheck.spec.semantics import Interpreter
from wfcheck.spec.ir_text import describe_action
from wfcheck.spec.span import NO_SPAN, Span
from wfcheck.spec.system import Check, System, agent_flow_condition, lower

from .fields import structure
from .kinds import date_tokens, text_shingles, text_tokens, value_sets
from .mapping import ERROR_OUTCOMES, ActionResolver
from .provenance import ValueIndex, candidate_values
from .readers.events import Handoff, Location, Message, ToolCall

PRECISIONS = ("conservative", "values")
MAX_CACHED_MOVES = 200_000
UNSTRUCTURED = "WF807"   # values precision: a result of a tool with fields that is not structured

KIND_NAMES = {m.Never: "permission", m.FlowToTool: "flow", m.FlowToAgent: "flow", m.SinkBound: "flow",
              m.IntegrityNeed: "flow", m.Order: "ordering", m.Count: "counting", m.Always: "invariant",
              m.InRange: "range", m.NoDeadlock: "termination", m.Terminates: "termination"}


@dataclass(frozen=True)
class Link:
    """One step of a flow's history: where a label entered, was carried, or left."""
    step: int
    location: Location | None
    text: str

    def to_json(self) -> dict:
        return {"step": self.step, "location": str(self.location) if self.location else None, "text": self.text}


@dataclass(frozen=True)
class Violation:
    """A broken rule at one event: the trace address, the rule, and why."""
    property: str | None          # None for a deviation from the workflow
    kind: str                     # permission|flow|ordering|counting|invariant|range|termination|deviation
    step: int                     # the event's index in the trace
    location: Location
    message: str
    span: Span = NO_SPAN          # the rule in the .wf file
    chain: tuple[Link, ...] = ()  # for flows: where the data entered and how it travelled
    value: str | None = None      # values precision: the value that carried the flow
    at: str = "event"             # "start": before the first event; "end": when the run ended

    def to_json(self) -> dict:
        return {"property": self.property, "kind": self.kind, "step": self.step,
                "file": self.location.file, "line": self.location.line, "pointer": self.location.pointer,
                "message": self.message,
                "rule": {"file": self.span.file, "line": self.span.line, "column": self.span.column}
                if self.span != NO_SPAN else None,
                "chain": [link.to_json() for link in self.chain], "value": self.value, "at": self.at}


@dataclass(frozen=True)
class TraceWarning:
    """Something the monitor could not read as the spec says, at one event, that does not
    change the verdict's soundness (docs/errors.md): WF807, a result of a tool with result
    fields that is not structured, whose values then take the tool's whole label."""
    code: str
    message: str
    step: int
    location: Location

    def to_json(self) -> dict:
        return {"code": self.code, "message": self.message, "step": self.step, "file": self.location.file,
                "line": self.location.line, "pointer": self.location.pointer}


@dataclass(frozen=True)
class Verdict:
    violations: tuple[Violation, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.violations


CLEAN = Verdict()


def _dimension(kind) -> str:
    """The history a flow part follows: confidentiality, integrity, or reads of a tool."""
    source_kind = getattr(kind, "source_kind", None)
    if isinstance(kind, m.IntegrityNeed) or source_kind == "integ":
        return "integ"
    if source_kind == "tool":
        return f"src.{kind.source}"
    return "conf"


@dataclass(frozen=True)
class _Move:
    """The effect of one action on the monitor's configurations (see Monitor._move)."""
    problem: str | None = None
    candidates: tuple = ()
    actions: tuple = ()            # the actions this move takes one of
    pairs: tuple = ()              # (configuration, step) taken
    forced: bool = False           # no candidate was enabled: a deviation, taken anyway
    successors: tuple = ()
    step_bad: tuple = ()           # (check, step, configuration, raising values)
    state_bad: bool = False
    labels_changed: bool = False
    by_values: bool = False        # a step taken has a flow check: in values precision its
                                   # `step_bad` depends on the arguments, and is computed anew


class Monitor:
    """`Monitor(spec)`; `step(event)` after each event, `check(event)` before one runs,
    `finish()` at the end of a run. `spec` is a path or a checked `Model`."""

    def __init__(self, spec, precision: str | None = None) -> None:
        self.model: m.Model = load_model(spec)
        self.precision = precision or self.model.mapping.precision
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}")
        self.system: System = lower(self.model)
        self.interp = Interpreter(self.system)
        self.resolver = ActionResolver(self.model)
        self.tracked = self.system.sources
        self.steps_by_action: dict[m.Action, list] = {}
        for st in self.system.steps:
            self.steps_by_action.setdefault(st.edge.action, []).append(st)
        self.step_checks = {st.index: [c for c in self.system.checks if st.index in c.step_condition]
                            for st in self.system.steps}
        self.state_checks = [c for c in self.system.checks if c.state_bad != m.Const(False)]
        self.flow_checks = {c.name for c in self.system.checks
                            if any(isinstance(k, (m.FlowToTool, m.SinkBound, m.IntegrityNeed)) for k in c.property.kinds)}
        # Per step: (check, its name, is a flow check, the argument sets its sinks at the
        # step look at, the dimensions of the written label it reads), for `_step_bad`.
        self._step_check_rows = {
            st.index: tuple((c, c.name, c.name in self.flow_checks, _sink_arguments(c, st), _dimensions(c))
                            for c in self.step_checks[st.index])
            for st in self.system.steps}
        self.label_slots = tuple(self.interp.index[v.name] for v in self.system.vars
                                 if v.role in ("conf", "integ", "source"))
        self.history_slots = tuple(
            (agent, dim, self.interp.index[var]) for agent in self.model.agents
            for dim, var in (("conf", self.system.conf_of(agent).name), ("integ", self.system.integ_of(agent).name),
                             *((f"src.{t}", self.system.source_of(agent, t).name) for t in self.tracked)))
        self._agent_tests: dict = {}
        self._actor_slots: dict[str, tuple] = {}   # agent -> its label slots (values precision)
        self._tools: dict[str, m.Tool] = {}
        for tool in self.model.tools:
            self._tools.setdefault(tool.name, tool)
        # Values precision: per tool, its parameters with a kind (name -> Param).
        self._typed = {name: {p.name: p for p in tool.params if p.kind is not None}
                       for name, tool in self._tools.items()}
        # Dates are matched in any form only if some parameter is a date (kinds.py).
        self._mentions = date_tokens if any(p.kind == "date" for t in self.model.tools for p in t.params) else None
        self._bottom, self._top = self.model.conf.bottom, self.model.integ.top   # a plain text's label
        self._cache: dict = {}
        self.reset()

    # ------------------------------------------------------------ state
    def reset(self) -> None:
        self.configs = (self.interp.initial(),)
        self.index = 0
        self.values = ValueIndex(self.model.conf, self.model.integ, self.tracked, self._mentions, self._own_values)
        self._last_arguments = None
        self.warnings: list[TraceWarning] = []   # values precision: since the reset, in event order
        self._by_field: dict[int, str] = {}      # event -> the tool whose result was read by field
        self.history: dict[tuple[str, str], list[tuple[int, int, Link, tuple[Link, ...]]]] = {}
        self.locations: list[Location] = []   # per event, for values precision's chains
        self.start_violations = tuple(replace(v, at="start") for v in
                                      self._state_violations(self.configs, -1, Location("<start>", 0)))

    @property
    def states(self) -> tuple[str, ...]:
        """The control states the run may be in now."""
        return tuple(dict.fromkeys(c[0] for c in self.configs))

    # ------------------------------------------------------------ public API
    def check(self, event) -> Verdict:
        """Would `event` violate a property if it happened now? Changes nothing."""
        violations = self._process(event, commit=False)
        return Verdict(tuple(violations)) if violations else CLEAN

    def step(self, event) -> Verdict:
        """Take `event` and return the violations it causes. What taking it could not read
        as the spec says is added to `warnings`."""
        violations = self._process(event, commit=True)
        self.index += 1
        return Verdict(tuple(violations)) if violations else CLEAN

    def finish(self, location: Location | None = None) -> Verdict:
        """The run has ended: report a `terminates` property if no final state was reached."""
        finals = set(self.model.finals)
        where = location or Location("<end>", 0)
        out = []
        if any(c[0] not in finals for c in self.configs):
            for check in self.system.checks:
                if check.liveness:
                    out.append(Violation(check.name, "termination", max(self.index - 1, 0), where,
                                         f"the run ended in state {self._state_list()}, which is not final",
                                         check.property.span, at="end"))
        return Verdict(tuple(out))

    # ------------------------------------------------------------ one event
    def _state_list(self) -> str:
        return " or ".join(f"`{s}`" for s in self.states)

    def _process(self, event, commit: bool) -> list[Violation]:
        location = event.location
        resolved = self.resolver.resolve(event)
        if commit and self.precision == "values":
            self.locations.append(getattr(event, "result_location", None) or location)
        if resolved is None:  # context only: what the agents read, not a step of the spec
            if commit and self.precision == "values":
                self._remember_content(event)
            return []
        if not resolved.actions:
            return [Violation(None, "deviation", self.index, location, resolved.problem or "not in the spec")]
        values = self.precision == "values"
        move = self._cache.get((self.configs, resolved.key))
        if move is not None and move.actions != resolved.actions:
            move = None  # two action sets with the same hash: compute, do not trust the cache
        if move is None:
            move = self._move(resolved.actions)
            if len(self._cache) >= MAX_CACHED_MOVES:
                self._cache.clear()
            self._cache[(self.configs, resolved.key)] = move
        if move.problem is not None:
            return [Violation(None, "deviation", self.index, location, move.problem)]
        step_bad = move.step_bad
        if values and move.by_values and isinstance(event, ToolCall) and event.arguments is not None:
            # The flow checks look at the labels of the values in the arguments.
            step_bad = tuple(self._step_bad(move.pairs, event.arguments, move.forced, {}))
        violations: list[Violation] = []
        if move.forced:
            violations.append(self._deviation(resolved.actions[0], move.candidates, location))
        for check, st, config, raising in step_bad:
            violations.append(self._violation(check, st, config, location, raising))
        appended = (self._record_history(move.pairs[0][1], move.pairs[0][0], move.successors[0], location)
                    if move.labels_changed else [])
        if move.state_bad:
            violations += self._state_violations(move.successors, self.index, location, self.configs)
        if not commit:
            self._forget(appended)
        else:
            self.configs = move.successors
            if values:
                self._remember_content(event, move.pairs[0][1].edge.action)
        return violations

    def _move(self, actions: tuple[m.Action, ...]) -> "_Move":
        """What taking one of `actions` does to the current configurations: a pure function
        of (configurations, actions). Its `step_bad` judges flows by the context labels; in
        values precision a tool call's arguments decide them instead (see `_process`)."""
        candidates = tuple(st for a in actions for st in self.steps_by_action.get(a, ()))
        if not candidates:
            return _Move(problem=f"{describe_action(actions[0])}: no transition of the spec takes this action",
                         actions=actions)
        pairs = tuple((c, st) for c in self.configs for st in candidates if self.interp.enabled(c, st))
        forced = not pairs
        if forced:
            pairs = tuple((c, st) for c in self.configs for st in candidates)
        step_bad = tuple(self._step_bad(pairs, None, forced, None))
        by_values = any(check.name in self.flow_checks
                        for _, st in pairs for check in self.step_checks.get(st.index, ()))
        successors: list = []
        for c, st in pairs:
            successors.extend(self.interp.fire_forced(c, st) if forced else self.interp.fire(c, st))
        if not successors:  # every way on left a range: keep going from where the run was
            successors = [n for c, st in pairs for n in self.interp.fire_forced(c, st)]
        successors = tuple(dict.fromkeys(successors))
        state_bad = any(self.interp.state_bad(check, c) for check in self.state_checks for c in successors)
        before, after = pairs[0][0], successors[0]
        labels_changed = any(before[i] != after[i] for i in self.label_slots)
        return _Move(None, candidates, actions, pairs, forced, successors, step_bad, state_bad, labels_changed,
                     by_values)

    def _deviation(self, action: m.Action, candidates, location: Location) -> Violation:
        here = set(self.states)
        from_here = [st for st in candidates if st.source in here]
        if from_here:
            from wfcheck.spec.ir_text import expr_text
            guards = "; ".join(sorted({f"`{expr_text(st.guard)}`" for st in from_here}))
            message = f"{describe_action(action)} is not allowed now: its guard {guards} is false"
            span = from_here[0].edge.span
        else:
            sources = ", ".join(sorted({f"`{st.source}`" for st in candidates}))
            message = (f"{describe_action(action)} is not allowed in state {self._state_list()} "
                       f"(only from {sources})")
            span = candidates[0].edge.span
        return Violation(None, "deviation", self.index, location, message, span)

    # ------------------------------------------------------------ property checks
    def _argument_sets(self, tool: str | None, arguments: dict) -> list[tuple]:
        """(name, raising, quiet, shingles) per argument of a call of `tool`, by its
        parameter's kind (`kinds.value_sets`; the shingles of a string of kind `text` as
        the string, made only if needed); kept for the last arguments looked at (a call's
        `check`, its `step` and the reading of its result look at the same ones)."""
        last = self._last_arguments
        if last is not None and last[0] is arguments and last[1] == tool:
            return last[2]
        typed = self._typed.get(tool) if tool is not None else None
        out = []
        for name, value in arguments.items():
            param = typed.get(name) if typed else None
            if param is None:
                out.append((name, *value_sets(value)))
            elif param.kind == "text" and type(value) is str:
                out.append((name, text_tokens(value), (), value))
            else:
                out.append((name, *value_sets(value, param.kind, param.pattern)))
        self._last_arguments = (arguments, tool, out)
        return out

    def _written(self, tool: str, arguments, params: frozenset | None, dims: frozenset):
        """The label of what the arguments of a call of `tool` carry (all of them, or those
        named in `params`), exact in the dimensions `dims`, and the values that raise it."""
        if not self.values.can_raise(dims):   # nothing read could raise it: no need to read the arguments
            return self.model.conf.bottom, self.model.integ.top, []
        if not isinstance(arguments, dict):   # one argument without a name: no sink lists it
            return self.values.label(candidate_values(arguments) if params is None else (), (), dims)
        if params is None and not self._typed.get(tool):
            return self.values.label(candidate_values(arguments), (), dims)   # untyped, all arguments
        values: set[str] = set()
        phrases: list = []
        for name, raising, _, shingles in self._argument_sets(tool, arguments):
            if params is not None and name not in params:
                continue
            values.update(raising)
            if shingles:
                phrases.append(shingles)
        if not phrases:
            return self.values.label(values, (), dims)
        return self.values.label(values, lambda: set().union(
            *(text_shingles(p) if type(p) is str else p for p in phrases)), dims)

    def _own_values(self, tool: str | None, arguments) -> tuple[str, ...]:
        """The values a call's arguments carry, of every kind, phrases aside: blanked out of
        its result before the result is read (an echo does not launder a value)."""
        if not isinstance(arguments, dict):
            return tuple(candidate_values(arguments))
        out: set[str] = set()
        for _, raising, quiet, _ in self._argument_sets(tool, arguments):
            out.update(raising)
            if quiet:
                out.update(quiet)
        return tuple(out)

    def _values_config(self, config: tuple, step, arguments: dict, params: frozenset | None, labels: dict,
                       dims: frozenset):
        """The configuration with the actor's label replaced by the label of its arguments
        (those in `params`, or all; exact in the dimensions `dims`); `labels` caches the
        labels for one event."""
        actor = step.edge.action.agent
        if actor is None:
            return config, None
        tool = step.edge.action.name
        found = labels.get((tool, params, dims))
        if found is None:
            found = labels[(tool, params, dims)] = self._written(tool, arguments, params, dims)
        conf, integ, raising = found
        slots = self._actor_slots.get(actor) or self._slots_of(actor)
        patched = list(config)
        patched[slots[0]] = conf
        patched[slots[1]] = integ
        for tool, slot in slots[2]:
            patched[slot] = bool(raising) and any(tool in o.sources for o in raising)
        return tuple(patched), raising

    def _slots_of(self, agent: str) -> tuple:
        """The configuration slots of `agent`'s label: confidentiality, integrity, and
        (tool, slot) per tracked source."""
        index, system = self.interp.index, self.system
        slots = self._actor_slots[agent] = (index[system.conf_of(agent).name], index[system.integ_of(agent).name],
                                            tuple((t, index[system.source_of(agent, t).name]) for t in self.tracked))
        return slots

    def _step_bad(self, pairs, arguments: dict | None, forced: bool, labels: dict | None):
        """(check, step, config, raising values) for each property a step breaks, once each.
        With `arguments` (values precision), a flow check is judged by the label of the
        arguments its sinks at the step name: it is broken if it is for any of its argument
        sets (all its sinks at one step have the same source, so its condition is one test
        of the written label). `labels` caches the labels per argument set."""
        seen: set[str] = set()
        test = self.interp.step_condition if forced else self.interp.step_bad
        for config, st in pairs:
            rows = self._step_check_rows.get(st.index)
            if not rows:
                continue
            for check, name, is_flow, sinks, dims in rows:
                if name in seen:
                    continue
                if not is_flow or arguments is None:
                    if test(check, config, st):
                        seen.add(name)
                        yield check, st, config, None
                    continue
                for params in sinks:
                    patched, raising = self._values_config(config, st, arguments, params, labels, dims)
                    if test(check, patched, st):
                        seen.add(name)
                        # the value to name is chosen among all that raise the label
                        yield check, st, config, self._values_config(config, st, arguments, params, labels, None)[1]
                        break

    def _state_violations(self, configs, step_index: int, location: Location, before=()) -> list[Violation]:
        """State properties that fail in `configs` and did not already fail `before`: a state
        that stays bad is one violation, reported where it began."""
        out = []
        for check in self.state_checks:
            bad = [c for c in configs if self.interp.state_bad(check, c)]
            if not bad or any(self.interp.state_bad(check, c) for c in before):
                continue
            reached = self._reached_agents(check, bad[0])
            if reached:
                agent, dim = reached[0]
                kind, chain = "flow", self._latest_chain(agent, dim)
                message = f"data reached the context of `{agent}`: breaks `{check.name}`"
            else:
                kind = next(KIND_NAMES[type(k)] for k in check.property.kinds
                            if not isinstance(k, (m.FlowToTool, m.FlowToAgent)))
                chain = ()
                message = f"breaks `{check.name}` in state {', '.join(sorted({c[0] for c in bad}))}"
            out.append(Violation(check.name, kind, max(step_index, 0), location, message,
                                 check.property.span, chain))
        return out

    def _reached_agents(self, check: Check, config) -> list[tuple[str, str]]:
        """(agent, history dimension) for each `no flow from S to AGENT` part that holds."""
        found = []
        for kind in check.property.kinds:
            if isinstance(kind, m.FlowToAgent):
                test = self._agent_tests.get(kind)
                if test is None:
                    test = self._agent_tests[kind] = self.interp.compile(agent_flow_condition(kind))
                if test(config):
                    found.append((kind.agent, _dimension(kind)))
        return found

    def _violation(self, check: Check, st, config, location: Location, raising) -> Violation:
        prop = check.property
        kind = KIND_NAMES[type(prop.kinds[0])]
        action = describe_action(st.edge.action)
        if kind != "flow":
            return Violation(check.name, kind, self.index, location, f"{action}: breaks `{prop.name}`", prop.span)
        actor = st.edge.action.agent
        if raising:
            # The earliest-entered value; among those, the longest (the most telling).
            origin = max(raising, key=lambda o: (o.entered_at is not None, -(o.entered_at or 0), len(o.value)))
            label = self._level_names(origin.conf, origin.integ)
            where = f" (entered at event {origin.entered_at})" if origin.entered_at is not None else ""
            entered = (self.locations[origin.entered_at]
                       if origin.entered_at is not None and origin.entered_at < len(self.locations) else None)
            content = f"{label} content"
            by_field = self._by_field.get(origin.entered_at) if origin.entered_at is not None else None
            if by_field is not None:   # the part of a structured result with that label
                content = f"a field of the result of `{by_field}` labelled {label}"
            chain = ((Link(origin.entered_at, entered, f"`{origin.value}` appeared in {content}"),)
                     if origin.entered_at is not None else ())
            chain += (Link(self.index, location, f"{action} with `{origin.value}` in its arguments"),)
            return Violation(check.name, kind, self.index, location,
                             f"{action} with `{origin.value}` in its arguments, a value from {content}"
                             f"{where}: breaks `{prop.name}`", prop.span, chain, origin.value)
        chain = self._entry_chain(actor, check, config)
        chain += (Link(self.index, location, f"{action}: its arguments carry its context"),)
        source = next((k.source for k in prop.kinds
                       if isinstance(k, m.FlowToTool) and k.source_kind == "tool"), None)
        if source is not None:
            held = f"data from `{source}`"
        elif actor:
            held = self._level_names(config[self.interp.index[self.system.conf_of(actor).name]],
                                     config[self.interp.index[self.system.integ_of(actor).name]]) + " data"
        else:
            held = "its data"
        return Violation(check.name, kind, self.index, location,
                         f"{action} while its context holds {held}: breaks `{prop.name}`",
                         prop.span, chain)

    def _level_names(self, conf: int, integ: int) -> str:
        """The label's levels that say something (not the lowest confidentiality or the
        highest integrity), in backticks; the lowest confidentiality if none does."""
        parts = []
        if conf != self.model.conf.bottom:
            parts.append(self.model.conf.levels[conf])
        if integ != self.model.integ.top:
            parts.append(self.model.integ.levels[integ])
        return ", ".join(f"`{p}`" for p in parts) or f"`{self.model.conf.levels[conf]}`"

    # ------------------------------------------------------------ provenance chains
    def _record_history(self, st, before, after, location: Location) -> list[tuple[str, str]]:
        """Note every label an event raised (and how); returns the keys it appended to."""
        action = st.edge.action
        appended = []
        for agent, dim, slot in self.history_slots:
            old, new = before[slot], after[slot]
            if old == new or (dim.startswith("src.") and not new):
                continue
            if action.kind in ("message", "handoff") and agent == action.receiver:
                via = self._latest_chain(action.agent, dim)
                text = f"{describe_action(action)} carried it to `{agent}`"
            else:
                via = ()
                text = (f"the result of `{action.name}` entered the context of `{agent}`"
                        if action.kind == "tool" else f"{describe_action(action)} changed `{agent}`'s label")
            self.history.setdefault((agent, dim), []).append((self.index, new, Link(self.index, location, text), via))
            appended.append((agent, dim))
        return appended

    def _forget(self, appended: list[tuple[str, str]]) -> None:
        for key in appended:
            self.history[key].pop()
            if not self.history[key]:
                del self.history[key]

    def _latest_chain(self, agent: str, dim: str) -> tuple[Link, ...]:
        entries = self.history.get((agent, dim), [])
        if not entries:
            return ()
        _, _, link, via = entries[-1]
        return via + (link,)

    def _entry_chain(self, agent: str | None, check: Check, config) -> tuple[Link, ...]:
        if agent is None:
            return ()
        kind = next(k for k in check.property.kinds if isinstance(k, (m.FlowToTool, m.SinkBound, m.IntegrityNeed)))
        return self._latest_chain(agent, _dimension(kind))

    def _remember_content(self, event, action: m.Action | None = None) -> None:
        """Feed what was read into the value index, with the label it was read at: a call's
        result without the call's own values, by field for a tool with result fields."""
        if isinstance(event, ToolCall):
            text = event.result
            if not text:
                return
            # (the call's own values are found only if the result is ever searched)
            arguments = event.arguments
            if arguments is None:
                arguments = {}
            tool = self._tools.get(action.name) if action is not None and action.kind == "tool" else None
            if tool is None:
                self.values.add(text, self._bottom, self._top, self.index, None, False, (), arguments)
                return
            if tool.fields and not event.is_error and action.outcome not in ERROR_OUTCOMES:
                parts, problem = structure(text, tool.fields, tool.default)
                if parts is not None:
                    self.values.add_parts(parts, self.index, tool.name, (), arguments)
                    self._by_field[self.index] = tool.name
                    return
                whole = self._level_names(tool.returns.conf, tool.returns.integ)
                self.warnings.append(TraceWarning(
                    UNSTRUCTURED, f"the result of `{tool.name}` is not structured ({problem}): its values take "
                                  f"the tool's whole label ({whole})",
                    self.index, getattr(event, "result_location", None) or event.location))
            label = tool.returns
            self.values.add(text, label.conf, label.integ, self.index, tool.name, False, (), arguments)
        elif isinstance(event, Message) and event.role in ("user", "system"):
            self.values.add(event.content, self._bottom, self._top, self.index, None, True)
        elif isinstance(event, (Message, Handoff)) and event.agent:
            sender = self.resolver.agent(event.agent)
            if sender is not None and self.configs:
                slots = self._actor_slots.get(sender) or self._slots_of(sender)
                config = self.configs[0]
                self.values.add(event.content, config[slots[0]], config[slots[1]], self.index)


def _sink_arguments(check: Check, st) -> tuple[frozenset | None, ...]:
    """The argument sets that the flow sinks of `check` at step `st` look at: None for all
    the arguments. One sink's set is enough if it holds the others (the label of more
    arguments is at least as high)."""
    action = st.edge.action
    found: list[frozenset | None] = []
    for kind in check.property.kinds:
        if isinstance(kind, m.FlowToTool) and kind.pattern.matches(action):
            params = kind.params
        elif (isinstance(kind, (m.SinkBound, m.IntegrityNeed)) and action.kind == "tool"
              and action.name == kind.tool):
            params = kind.params
        else:
            continue
        if params is None:
            return (None,)
        found.append(frozenset(params))
    kept = [p for p in dict.fromkeys(found) if not any(p < q for q in found)]
    return tuple(kept) or (None,)


def _dimensions(check: Check) -> frozenset:
    """The dimensions of the written label that the flow parts of `check` read: "conf",
    "integ", ("src", TOOL)."""
    out = set()
    for kind in check.property.kinds:
        if isinstance(kind, m.SinkBound):
            out.add("conf")
        elif isinstance(kind, m.IntegrityNeed):
            out.add("integ")
        elif isinstance(kind, m.FlowToTool):
            out.add(("src", kind.source) if kind.source_kind == "tool" else kind.source_kind)
    return frozenset(out)


def check_events(monitor: Monitor, events) -> list[Violation]:
    """Run a whole trace through a fresh monitor state; all violations in event order."""
    monitor.reset()
    out = list(monitor.start_violations)
    process = monitor._process     # `step` without its Verdict, which is dropped here
    event = None
    for event in events:
        found = process(event, True)
        monitor.index += 1
        if found:
            out.extend(found)
    out.extend(monitor.finish(None if event is None else event.location).violations)
    return out
