"""Hypothesis strategies for random, semantically valid workflows as `.wf` source text.

Unlike `ast_strategies` (syntax only, names need not resolve), every workflow drawn from
`workflows()` passes `wfcheck.check_text(...).ok`: names resolve, expressions are typed,
constant updates stay in range, a step assigns each variable once, `by` never empties the
performers of an action and never meets a message. Everything else is left to chance, so
arithmetic updates may overflow (the implicit `VAR.range` properties), guards may be
unsatisfiable (vacuity), states may be dead ends (deadlock) and loops may avoid the final
states (termination).

Models are small (1-3 agents, at most 3 variables of at most 4 values, 2-5 states) so that
the explicit-state checker explores them in milliseconds.

`traces(model)` draws paths through the control graph of a resolved model, as lists of edge
indices starting at the initial state; guards are ignored, so a consumer runs a trace until
its first step that is not enabled.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

from wfcheck.spec import model as m

# ---------------------------------------------------------------- name pools
# Every pool is disjoint from every other and from the grammar's keywords, so a name never
# resolves to the wrong kind of declaration (a level named like a tool, an enum value named
# like a variable, ...).

AGENT_POOL = ("alice", "bob", "carol", "planner", "coder")
TOOL_POOL = ("search", "fetch", "summarize", "send_mail", "pay", "read_db", "post_note", "delete_file")
EVENT_POOL = ("approve", "timeout", "finish")
STATE_POOL = ("start", "plan", "work", "review", "done", "halt")
PARAM_POOL = ("query", "body", "user_id", "amount", "path")
OUTCOME_POOL = ("ok", "failed", "retry")
BOOL_VARS = ("verified", "flagged", "paid")
INT_VARS = ("count", "budget", "tries")
ENUM_VARS = ("phase", "mode", "status")
ENUM_MEMBERS = ("idle", "busy", "closed")  # prefixed with the variable: `phase_idle`, ...

CONF_CHAINS = {
    1: (),                                        # undeclared: the single level `public`
    2: ("public", "secret"),
    3: ("public", "internal", "secret"),
}
CONF_DIAMOND = ("low", "left", "right", "high")   # low < left < high, low < right < high
INTEG_CHAINS = {
    1: (),                                        # undeclared: the single level `trusted`
    2: ("trusted", "untrusted"),
    3: ("trusted", "vetted", "untrusted"),
}


# ---------------------------------------------------------------- the drawn workflow

@dataclass
class _Var:
    name: str
    kind: str                     # "bool" | "int" | "enum"
    values: tuple                 # the domain, as source literals
    low: int = 0
    high: int = 0

    @property
    def type_text(self) -> str:
        if self.kind == "bool":
            return "bool"
        if self.kind == "int":
            return f"{self.low}..{self.high}"
        return "{" + ", ".join(self.values) + "}"


@dataclass
class _Tool:
    name: str
    agents: tuple[str, ...]       # who may call it (every agent without `by`)
    outcomes: tuple[str, ...] = ()
    written: dict = field(default_factory=dict)  # outcome (None: the tool body) -> vars


@dataclass
class _Event:
    name: str
    agents: tuple[str, ...]       # () = the environment


@dataclass
class _Ctx:
    agents: tuple[str, ...]
    conf: tuple[str, ...]
    integ: tuple[str, ...]
    variables: list[_Var]
    states: tuple[str, ...]
    tools: list[_Tool] = field(default_factory=list)
    events: list[_Event] = field(default_factory=list)
    used_actions: list[str] = field(default_factory=list)  # action texts used by transitions
    first_actions: list[str] = field(default_factory=list)  # those of the first transition


# ---------------------------------------------------------------- expressions


def _int_expr(draw, ctx: _Ctx) -> str:
    ints = [v for v in ctx.variables if v.kind == "int"]
    options = ["lit"] + (["var", "var+lit", "var-var"] if ints else [])
    kind = draw(st.sampled_from(options))
    if kind == "lit":
        return str(draw(st.integers(-1, 4)))
    a = draw(st.sampled_from(ints)).name
    if kind == "var":
        return a
    if kind == "var+lit":
        return f"{a} {draw(st.sampled_from(['+', '-']))} {draw(st.integers(0, 2))}"
    return f"{a} {draw(st.sampled_from(['+', '-']))} {draw(st.sampled_from(ints)).name}"


def _bool_atom(draw, ctx: _Ctx) -> str:
    kinds = ["const", "int_cmp"] + (["at"] if draw(st.integers(0, 2)) == 0 else [])
    bools = [v for v in ctx.variables if v.kind == "bool"]
    enums = [v for v in ctx.variables if v.kind == "enum"]
    if bools:
        kinds += ["bool_var", "bool_var", "bool_cmp"]
    if enums:
        kinds += ["enum_cmp", "enum_cmp"]
    kind = draw(st.sampled_from(kinds))
    if kind == "const":
        return draw(st.sampled_from(["true", "true", "false"]))
    if kind == "at":
        return f"at {draw(st.sampled_from(ctx.states))}"
    if kind == "bool_var":
        return draw(st.sampled_from(bools)).name
    if kind == "bool_cmp":
        a = draw(st.sampled_from(bools)).name
        b = draw(st.sampled_from([v.name for v in bools] + ["true", "false"]))
        return f"{a} {draw(st.sampled_from(['==', '!=']))} {b}"
    if kind == "enum_cmp":
        var = draw(st.sampled_from(enums))
        same = [v.name for v in enums if v.values == var.values and v is not var]
        other = draw(st.sampled_from(list(var.values) + same))
        return f"{var.name} {draw(st.sampled_from(['==', '!=']))} {other}"
    op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
    return f"{_int_expr(draw, ctx)} {op} {_int_expr(draw, ctx)}"


def _bool_expr(draw, ctx: _Ctx, depth: int = 2) -> str:
    kind = draw(st.sampled_from(["atom", "atom", "not", "and", "or", "or"])) if depth else "atom"
    if kind == "atom":
        return _bool_atom(draw, ctx)
    if kind == "not":
        return f"not ({_bool_expr(draw, ctx, depth - 1)})"
    parts = [_bool_expr(draw, ctx, depth - 1) for _ in range(draw(st.integers(2, 3)))]
    return f" {kind} ".join(f"({p})" for p in parts)


def _update(draw, ctx: _Ctx, var: _Var) -> str:
    if draw(st.integers(0, 7)) == 0:
        return f"{var.name} = any"
    if var.kind == "bool":
        kind = draw(st.sampled_from(["lit", "lit", "var", "expr"]))
        if kind == "lit":
            return f"{var.name} = {draw(st.sampled_from(['true', 'false']))}"
        if kind == "var":
            other = draw(st.sampled_from([v for v in ctx.variables if v.kind == "bool"]))
            return f"{var.name} = {'not ' if draw(st.booleans()) else ''}{other.name}"
        return f"{var.name} = {_bool_expr(draw, ctx, 1)}"
    if var.kind == "enum":
        same = [v.name for v in ctx.variables if v.kind == "enum" and v.values == var.values]
        return f"{var.name} = {draw(st.sampled_from(list(var.values) + same))}"
    kind = draw(st.sampled_from(["lit", "inc", "inc", "dec", "var", "sum"]))
    ints = [v for v in ctx.variables if v.kind == "int"]
    if kind == "lit":  # a constant must be in range (else WF204)
        return f"{var.name} = {draw(st.integers(var.low, var.high))}"
    if kind == "inc":
        return f"{var.name} = {var.name} + 1"
    if kind == "dec":
        return f"{var.name} = {var.name} - 1"
    if kind == "var":
        return f"{var.name} = {draw(st.sampled_from(ints)).name}"
    return f"{var.name} = {draw(st.sampled_from(ints)).name} + {draw(st.sampled_from(ints)).name}"


def _update_block(draw, ctx: _Ctx, forbidden: set[str] = frozenset(), min_size: int = 0):
    """(text, assigned vars): ` { a = ..., b = ... }` or "" (never `{}` unless drawn)."""
    free = [v for v in ctx.variables if v.name not in forbidden]
    if not free:
        return "", set()
    chosen = draw(st.lists(st.sampled_from(free), min_size=min(min_size, len(free)), max_size=min(2, len(free)),
                           unique_by=lambda v: v.name))
    if not chosen and not draw(st.integers(0, 9)) == 0:
        return "", set()
    return " { " + ", ".join(_update(draw, ctx, v) for v in chosen) + " }", {v.name for v in chosen}


# ---------------------------------------------------------------- declarations


def _maybe(draw, text: str, p: int = 3) -> str:
    """`text` with probability 1/p."""
    return text if draw(st.integers(0, p - 1)) == 0 else ""


def _tool(draw, ctx: _Ctx, name: str) -> tuple[str, _Tool]:
    params = draw(st.lists(st.sampled_from(PARAM_POOL), max_size=2, unique=True))
    text = f"tool {name}({', '.join(params)})"
    agents = ctx.agents
    if draw(st.booleans()):
        agents = tuple(draw(st.lists(st.sampled_from(ctx.agents), min_size=1, unique=True)))
        text += " by " + ", ".join(agents)
    text += _maybe(draw, " " + draw(st.sampled_from(["reads", "writes", "sends"])), 2)
    returns = []
    if draw(st.booleans()):
        returns.append(draw(st.sampled_from(ctx.conf)))
    if draw(st.booleans()):
        returns.append(draw(st.sampled_from(ctx.integ)))
    if returns and draw(st.integers(0, 5)) == 0:
        returns.reverse()  # the order of the two dimensions is free
    if returns:
        text += " returns " + ", ".join(returns)
    text += _maybe(draw, f" sink {draw(st.sampled_from(ctx.conf))}", 4)
    text += _maybe(draw, f" needs {draw(st.sampled_from(ctx.integ))}", 4)
    text += _maybe(draw, f" declassify {draw(st.sampled_from(ctx.conf))}", 5)
    text += _maybe(draw, f" endorse {draw(st.sampled_from(ctx.integ))}", 5)
    if draw(st.integers(0, 3)) == 0:
        text += f" when {_bool_expr(draw, ctx, 1)}"
    tool = _Tool(name, agents)
    body = draw(st.sampled_from(["none", "none", "updates", "outcomes"]))
    if body == "updates" and ctx.variables:
        block, assigned = _update_block(draw, ctx, min_size=1)
        text += block
        tool.written[None] = assigned
    elif body == "outcomes":
        outcomes = draw(st.lists(st.sampled_from(OUTCOME_POOL), min_size=1, max_size=2, unique=True))
        tool.outcomes = tuple(outcomes)
        for outcome in outcomes:
            block, assigned = _update_block(draw, ctx)
            text += f"\n  outcome {outcome}{block}"
            tool.written[outcome] = assigned
    return text, tool


def _action(draw, ctx: _Ctx) -> tuple[str, object]:
    """(text, what): `what` is a _Tool (with the outcome or None), an _Event or "message"."""
    kinds = ["tool", "tool", "tool"] + (["event"] if ctx.events else []) + ["message", "message"]
    kind = draw(st.sampled_from(kinds))
    if kind == "tool":
        tool = draw(st.sampled_from(ctx.tools))
        if tool.outcomes and draw(st.booleans()):
            outcome = draw(st.sampled_from(tool.outcomes))
            return f"{tool.name}.{outcome}", (tool, outcome)
        return tool.name, (tool, None)
    if kind == "event":
        event = draw(st.sampled_from(ctx.events))
        return event.name, event
    verb = draw(st.sampled_from(["message", "handoff"]))
    sender = draw(st.sampled_from(ctx.agents))
    receiver = draw(st.sampled_from(ctx.agents))
    return f"{verb} {sender} to {receiver}", "message"


def _transition(draw, ctx: _Ctx, source: str) -> str:
    target = draw(st.sampled_from(ctx.states))
    actions = [_action(draw, ctx) for _ in range(draw(st.integers(1, 3)))]
    ctx.used_actions.extend(text for text, _ in actions)
    text = f"{source} -> {target} on " + ", ".join(a for a, _ in actions)
    # `by`: never with a message, and it must leave a performer for every action.
    if all(what != "message" for _, what in actions) and draw(st.integers(0, 2)) == 0:
        allowed = set(ctx.agents)
        for _, what in actions:
            if isinstance(what, tuple):
                allowed &= set(what[0].agents)
            elif what.agents:
                allowed &= set(what.agents)
        if allowed:
            text += " by " + ", ".join(draw(st.lists(st.sampled_from(sorted(allowed)), min_size=1,
                                                       max_size=2, unique=True)))
    text += _maybe(draw, f" declassify {draw(st.sampled_from(ctx.conf))}", 6)
    text += _maybe(draw, f" endorse {draw(st.sampled_from(ctx.integ))}", 6)
    if draw(st.integers(0, 2)) == 0:
        text += f" when {_bool_expr(draw, ctx, draw(st.integers(0, 2)))}"
    # The transition's updates must avoid every variable its tools (or outcomes) assign.
    taken: set[str] = set()
    for _, what in actions:
        if isinstance(what, tuple):
            tool, outcome = what
            for key, assigned in tool.written.items():
                if key is None or outcome is None or key == outcome:
                    taken |= assigned
    block, _ = _update_block(draw, ctx, taken, min_size=draw(st.integers(0, 1)))
    return text + block


def _pattern(draw, ctx: _Ctx) -> str:
    """An action list for a property: mostly actions some transition uses."""
    items = []
    for _ in range(draw(st.integers(1, 2))):
        if ctx.used_actions and draw(st.integers(0, 2)) > 0:
            items.append(draw(st.sampled_from(ctx.used_actions)))
        else:
            items.append(_action(draw, ctx)[0])
    return ", ".join(dict.fromkeys(items))


def _by(draw, ctx: _Ctx, p: int = 3) -> str:
    if draw(st.integers(0, p - 1)) != 0:
        return ""
    return " by " + ", ".join(draw(st.lists(st.sampled_from(ctx.agents), min_size=1, max_size=2, unique=True)))


PROPERTY_KINDS = ("never", "flow", "influence", "order", "count", "always", "terminates", "deadlock")


def _property(draw, ctx: _Ctx, kind: str) -> str:
    if kind == "never":
        text = "never " + _pattern(draw, ctx) + _by(draw, ctx)
        if draw(st.integers(0, 2)) == 0:
            text += f" when {_bool_expr(draw, ctx, 1)}"
        return text
    if kind == "flow":
        if draw(st.booleans()):  # a tool as the source: tracked by flags, carried by messages
            sources = [t.name for t in ctx.tools]
        else:
            sources = list(ctx.conf) + list(ctx.integ) + [t.name for t in ctx.tools]
        sinks = [t.name for t in ctx.tools] + list(ctx.agents)
        chosen = draw(st.lists(st.sampled_from(sinks), min_size=1, max_size=2, unique=True))
        return f"no flow from {draw(st.sampled_from(sources))} to {', '.join(chosen)}"
    if kind == "influence":
        sinks = [t.name for t in ctx.tools] + ([] if draw(st.integers(0, 3)) else list(ctx.agents))
        chosen = draw(st.lists(st.sampled_from(sinks), min_size=1, max_size=2, unique=True))
        return f"no {draw(st.sampled_from(ctx.integ))} influence on {', '.join(chosen)}"
    if kind == "order":
        # Sometimes the actions that leave the initial state: then the order may hold.
        later = [a for a in ctx.used_actions if a not in ctx.first_actions]
        if later and draw(st.integers(0, 2)) == 0:
            return (f"{draw(st.sampled_from(later))}{_by(draw, ctx)} requires earlier "
                    + ", ".join(dict.fromkeys(ctx.first_actions)))
        return f"{_pattern(draw, ctx)}{_by(draw, ctx)} requires earlier {_pattern(draw, ctx)}"
    if kind == "count":
        return f"at most {draw(st.integers(0, 3))} {_pattern(draw, ctx)}{_by(draw, ctx)}"
    if kind == "always":
        return f"always {_bool_expr(draw, ctx)}"
    if kind == "terminates":
        return "terminates"
    return "no deadlock"


@st.composite
def _variables(draw) -> list[_Var]:
    result = []
    for i in range(draw(st.integers(0, 3) | st.integers(2, 3))):
        kind = draw(st.sampled_from(["bool", "int", "enum"]))
        if kind == "bool":
            result.append(_Var(BOOL_VARS[i], "bool", ("false", "true")))
        elif kind == "int":
            low = draw(st.sampled_from([0, 0, 0, -1, 1]))
            high = low + draw(st.integers(1, 3))
            result.append(_Var(INT_VARS[i], "int", tuple(str(v) for v in range(low, high + 1)), low, high))
        else:
            # Two enum variables sometimes share their values (then they have one sort).
            previous = [v for v in result if v.kind == "enum"]
            if previous and draw(st.booleans()):
                values = previous[0].values
            else:
                values = tuple(f"{ENUM_VARS[i]}_{w}" for w in ENUM_MEMBERS[:draw(st.integers(2, 3))])
            result.append(_Var(ENUM_VARS[i], "enum", values))
    return result


@st.composite
def workflows(draw) -> str:
    """The source text of a random valid workflow."""
    agents = tuple(draw(st.lists(st.sampled_from(AGENT_POOL), min_size=1, max_size=3, unique=True)))
    lines = [f"workflow {draw(st.sampled_from(['w', 'flow', 'support', 'agentic']))}"]
    conf_kind = draw(st.sampled_from([1, 2, 3, 3, "diamond"]))
    if conf_kind == "diamond":
        lo, left, right, hi = CONF_DIAMOND
        lines.append(f"labels confidentiality: {lo} < {left} < {hi}, {lo} < {right} < {hi}")
        conf = CONF_DIAMOND
    elif conf_kind == 1:
        conf = ("public",)
    else:
        conf = CONF_CHAINS[conf_kind]
        lines.append("labels confidentiality: " + " < ".join(conf))
    integ_kind = draw(st.sampled_from([1, 2, 2, 3]))
    if integ_kind == 1:
        integ = ("trusted",)
    else:
        integ = INTEG_CHAINS[integ_kind]
        lines.append("labels integrity: " + " > ".join(integ))
    lines.append("agent " + ", ".join(agents))

    variables = draw(_variables())
    n_states = draw(st.integers(2, 5))
    states = STATE_POOL[:n_states]
    ctx = _Ctx(agents, conf, integ, variables, states)
    for var in variables:
        lines.append(f"var {var.name}: {var.type_text} = {draw(st.sampled_from(var.values))}")

    for name in TOOL_POOL[:draw(st.integers(1, 5))]:
        text, tool = _tool(draw, ctx, name)
        ctx.tools.append(tool)
        lines.append(text)
    for name in EVENT_POOL[:draw(st.integers(0, 2))]:
        by = tuple(draw(st.lists(st.sampled_from(agents), max_size=2, unique=True)))
        ctx.events.append(_Event(name, by))
        lines.append(f"event {name}" + (" by " + ", ".join(by) if by else ""))

    initial = draw(st.sampled_from(states))
    finals = draw(st.lists(st.sampled_from(states), max_size=2, unique=True))
    for state in states:
        flags = (" initial" if state == initial else "") + (" final" if state in finals else "")
        lines.append(f"state {state}{flags}")

    n_transitions = draw(st.integers(1, 8) | st.integers(4, 8))
    reached = [initial]
    for i in range(n_transitions):
        # Start at the initial state, then mostly from states some transition reaches.
        if i == 0:
            source = initial
        elif draw(st.integers(0, 3)):
            source = draw(st.sampled_from(reached))
        else:
            source = draw(st.sampled_from(states))
        text = _transition(draw, ctx, source)
        if i == 0:
            ctx.first_actions = list(ctx.used_actions)
        target = text.split(" -> ", 1)[1].split(" ", 1)[0]
        if source in reached and target not in reached:
            reached.append(target)
        lines.append(text)

    # Flows weigh double: they are the ones that need source flags and label tracking.
    weighted = PROPERTY_KINDS + ("flow",)
    kinds = draw(st.lists(st.sampled_from(weighted), min_size=1, max_size=6)
                 | st.lists(st.sampled_from(weighted), min_size=3, max_size=6))
    for i, kind in enumerate(kinds):
        lines.append(f"property p{i}: {_property(draw, ctx, kind)}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- traces


@st.composite
def traces(draw, model: m.Model, max_length: int = 12) -> list[int]:
    """A path of edge indices through the control graph from the initial state (guards and
    ranges ignored: a consumer stops at the first step that is not enabled)."""
    state, path = model.initial, []
    for _ in range(draw(st.integers(0, max_length))):
        out = [e.index for e in model.edges if e.source == state]
        if not out:
            break
        edge = draw(st.sampled_from(out))
        path.append(edge)
        state = model.edges[edge].target
    return path
