"""Deterministic generator of large, realistic-looking workflows for the benchmarks.

    python bench/gen_workflow.py --states 200 --tools 40 --variables 10 --properties 20 --seed 0 > out.wf

The workflow is a pipeline of *stages* (intake, triage, research, ...), each a few control
states: an entry where work is handed over, work states where agents call tools (looping on
them), a review where a reviewer approves or sends the work back, and an exit. Tools are
drawn from templates of the usual agent tools (web search, secret stores, e-mail, shell,
payments, sanitizers, redaction); variables are retry counters, approval flags and status
enums, each owned by a few stages, and whatever a stage may change is reset when it is left
(only the `refunds` budget is global). The reachable state space thus grows with the number
of stages rather than exponentially with the variables: 5*10^3 to 4*10^4 configurations at
the default size, about 10^5 at 400 states and 20 variables. Properties of every kind are
drawn from templates that sometimes hold by construction (a redacting or reviewed sink, the
flag or budget that guards a tool) and otherwise usually fail (a guard left out, a channel
without redaction, a retry counter without a bound).

The same arguments and seed always give the same text; `generate(...)` is the library form.
At least 6 states and 2 tools are generated whatever is asked.
"""
from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass, field

AGENT_POOL = ("assistant", "researcher", "reviewer", "user", "operator", "auditor", "planner", "support")
STAGE_POOL = ("intake", "triage", "research", "drafting", "billing", "deploy", "followup", "audit",
              "escalation", "onboarding", "analysis", "reporting")
PARAMS = ("query", "path", "user_id", "body", "amount", "url", "ticket", "branch")

# name, effect, returns, sink, needs, declassify, endorse; interleaved so that the first few
# tools already hold a source, a sink, a guarded writer and a tool with outcomes. A tool that
# redacts (`send_redacted`) or is reviewed (`apply_patch`) before it acts keeps its flow
# properties by construction.
TOOL_TEMPLATES = (
    ("search_web", "reads", ("public", "untrusted"), None, None, None, None),
    ("send_email", "sends", (), "public", None, None, None),
    ("get_card", "reads", ("secret",), None, None, None, None),
    ("run_shell", "writes", (), None, "trusted", None, None),
    ("verify_identity", "reads", ("internal",), None, None, None, None),
    ("send_redacted", "sends", (), "public", None, "public", None),
    ("issue_refund", "writes", (), None, "trusted", None, None),
    ("read_file", "reads", ("internal",), None, None, None, None),
    ("apply_patch", "writes", (), None, "trusted", None, "trusted"),
    ("post_slack", "sends", (), "internal", None, None, None),
    ("redact", "reads", (), None, None, "public", None),
    ("read_docs", "reads", ("untrusted",), None, None, None, None),
    ("write_file", "writes", (), None, "trusted", None, None),
    ("run_tests", "reads", (), None, None, None, None),
    ("read_secrets", "reads", ("secret",), None, None, None, None),
    ("publish_report", "sends", (), "public", "trusted", None, None),
    ("sanitize", "reads", (), None, None, None, "trusted"),
    ("query_db", "reads", ("internal",), None, None, None, None),
    ("deploy_service", "writes", (), "internal", "trusted", None, None),
    ("summarize", "reads", (), None, None, "internal", None),
    ("fetch_ticket", "reads", ("internal", "untrusted"), None, None, None, None),
    ("lookup_order", "reads", ("internal",), None, None, None, None),
)
OUTCOME_TOOLS = {"verify_identity": ("ok", "failed"), "run_tests": ("pass", "fail"),
                 "issue_refund": ("done", "declined"), "deploy_service": ("live", "rolled_back")}

# name, kind, domain; counters in GLOBAL_COUNTERS are budgets never reset between stages
GLOBAL_COUNTERS = ("refunds",)
VARIABLE_TEMPLATES = (
    ("retries", "int", (0, 2)),
    ("verified", "bool", None),
    ("ticket", "enum", ("open", "pending", "closed")),
    ("refunds", "int", (0, 3)),
    ("approved", "bool", None),
    ("edits", "int", (0, 2)),
    ("tests_passed", "bool", None),
    ("phase", "enum", ("drafting_phase", "reviewing_phase", "shipped")),
    ("escalations", "int", (0, 1)),
    ("consent", "bool", None),
)


@dataclass
class _Var:
    name: str
    kind: str
    domain: tuple | None

    @property
    def decl(self) -> str:
        if self.kind == "bool":
            return f"var {self.name}: bool = false"
        if self.kind == "int":
            return f"var {self.name}: {self.domain[0]}..{self.domain[1]} = {self.domain[0]}"
        return f"var {self.name}: {{{', '.join(self.domain)}}} = {self.domain[0]}"

    @property
    def reset(self) -> str:
        return f"{self.name} = " + {"bool": "false", "int": str(self.domain[0]) if self.domain else "0",
                                   "enum": self.domain[0] if self.domain else ""}[self.kind]


@dataclass
class _Tool:
    name: str
    template: str
    agents: tuple[str, ...]
    outcomes: tuple[str, ...] = ()
    guarded: bool = False            # its `when` may block it for good (a flag or a budget)
    guard_flag: str | None = None    # `when FLAG`
    budget: tuple | None = None      # (counter, limit, outcome or None): `when c < limit`, c + 1
    writes: tuple[str, ...] = ()     # the variables its updates assign
    sets_flag: str | None = None     # the flag its good outcome sets


@dataclass
class _Stage:
    name: str
    states: list[str]
    tools: list[_Tool] = field(default_factory=list)
    variables: list[_Var] = field(default_factory=list)
    worker: str = ""


class _Generator:
    def __init__(self, states: int, tools: int, variables: int, properties: int, agents: int,
                 seed: int) -> None:
        self.rng = random.Random(seed)
        self.n_states = max(states, 6)
        self.n_tools = max(tools, 2)
        self.n_vars = max(variables, 0)
        self.n_props = max(properties, 0)
        self.agents = AGENT_POOL[:max(1, min(agents, len(AGENT_POOL)))]
        self.seed = seed
        self.lines: list[str] = []
        self.calls: list[tuple[str, str | None]] = []   # (tool, outcome) used by transitions
        self.messages: list[tuple[str, str, str]] = []  # (kind, sender, receiver)
        self.finals: list[str] = []
        self.set_so_far: set[str] = set()               # flags some generated step sets

    # ------------------------------------------------------------ declarations
    def _variables(self) -> list[_Var]:
        result = []
        for i in range(self.n_vars):
            name, kind, domain = VARIABLE_TEMPLATES[i % len(VARIABLE_TEMPLATES)]
            suffix = "" if i < len(VARIABLE_TEMPLATES) else f"_{i // len(VARIABLE_TEMPLATES) + 1}"
            if kind == "enum" and suffix:
                domain = tuple(v + suffix for v in domain)
            result.append(_Var(name + suffix, kind, domain))
        return result

    def _tools(self) -> list[_Tool]:
        result = []
        for i in range(self.n_tools):
            template = TOOL_TEMPLATES[i % len(TOOL_TEMPLATES)]
            suffix = "" if i < len(TOOL_TEMPLATES) else f"_{i // len(TOOL_TEMPLATES) + 1}"
            name = template[0] + suffix
            k = self.rng.randint(1, min(2, len(self.agents)))
            agents = tuple(sorted(self.rng.sample(self.agents, k), key=self.agents.index))
            result.append(_Tool(name, template[0], agents, OUTCOME_TOOLS.get(template[0], ())))
        return result

    def _tool_decl(self, tool: _Tool, owned: list[_Var]) -> str:
        _, effect, returns, sink, needs, declassify, endorse = next(
            t for t in TOOL_TEMPLATES if t[0] == tool.template)
        params = ", ".join(self.rng.sample(PARAMS, self.rng.randint(0, 2)))
        text = f"tool {tool.name}({params})"
        if len(tool.agents) < len(self.agents):
            text += " by " + ", ".join(tool.agents)
        text += f" {effect}"
        if returns:
            text += " returns " + ", ".join(returns)
        if sink:
            text += f" sink {sink}"
        if needs:
            text += f" needs {needs}"
        if declassify:
            text += f" declassify {declassify}"
        if endorse:
            text += f" endorse {endorse}"
        counters = [v for v in owned if v.kind == "int"]
        # A guard waits for a flag that another tool's outcome sets.
        settable = [v for v in self.settable if any(t.sets_flag == v.name and t is not tool
                                                    for t in self.all_tools)]
        flags = [v for v in settable if v in owned] or settable
        bump = ""
        if tool.template in ("issue_refund", "write_file", "run_shell", "apply_patch") and counters:
            counter = self.rng.choice(counters)
            tool.guarded = True
            # Usually guarded by its budget; sometimes not, and the counter can overflow.
            if self.rng.random() < 0.7:
                text += f" when {counter.name} < {counter.domain[1]}"
                tool.budget = (counter.name, counter.domain[1], tool.outcomes[0] if tool.outcomes else None)
            elif flags:
                tool.guard_flag = self.rng.choice(flags).name
                text += f" when {tool.guard_flag}"
            bump = f"{counter.name} = {counter.name} + 1"
            tool.writes += (counter.name,)
        elif (flags and tool.template in ("issue_refund", "deploy_service", "publish_report")
              and self.rng.random() < 0.6):
            tool.guarded = True
            tool.guard_flag = self.rng.choice(flags).name
            text += f" when {tool.guard_flag}"
        if tool.sets_flag:
            tool.writes += (tool.sets_flag,)
        if tool.outcomes:
            good, bad = tool.outcomes
            ok = [u for u in (f"{tool.sets_flag} = true" if tool.sets_flag else "", bump) if u]
            ok_update = f" {{ {', '.join(ok)} }}" if ok else ""
            bad_update = f" {{ {tool.sets_flag} = false }}" if tool.sets_flag and self.rng.random() < 0.5 else ""
            return text + f"\n  outcome {good}{ok_update}\n  outcome {bad}{bad_update}"
        return text + (f" {{ {bump} }}" if bump else "")

    # ------------------------------------------------------------ control structure
    def _stages(self) -> list[_Stage]:
        budget = self.n_states - 2  # `done` and `aborted`
        stages = []
        index = 0
        while budget > 0:
            size = min(budget, self.rng.randint(4, 8))
            if budget - size < 4 and budget - size > 0:
                size = budget
            base = STAGE_POOL[index % len(STAGE_POOL)]
            name = base if index < len(STAGE_POOL) else f"{base}{index // len(STAGE_POOL) + 1}"
            roles = ["entry"] + [f"step{j}" for j in range(1, size - 2)] + ["review", "exit"][:max(0, size - 1)]
            stages.append(_Stage(name, [f"{name}_{r}" for r in roles[:size]]))
            budget -= size
            index += 1
        return stages

    def _action(self, tool: _Tool, outcome: str | None = None) -> str:
        self.calls.append((tool.name, outcome))
        self.stage_used.append(tool)
        if tool.sets_flag and outcome in (None, tool.outcomes[0]):
            self.set_so_far.add(tool.sets_flag)
        return tool.name + (f".{outcome}" if outcome else "")

    def _message(self, kind: str, sender: str, receiver: str) -> str:
        self.messages.append((kind, sender, receiver))
        return f"{kind} {sender} to {receiver}"

    def _stage_transitions(self, stage: _Stage, following: str, k: int) -> list[str]:
        rng = self.rng
        out = []
        self.stage_used: list[_Tool] = []
        states = stage.states
        entry, exit_ = states[0], states[-1]
        work = states[1:-2] if len(states) > 3 else states[1:-1]
        review = states[-2] if len(states) > 3 else None
        worker = stage.worker
        reviewer = "reviewer" if "reviewer" in self.agents else self.agents[-1]
        user = "user" if "user" in self.agents else self.agents[0]
        counters = [v for v in stage.variables if v.kind == "int"]
        enums = [v for v in stage.variables if v.kind == "enum"]
        # Entry: work is handed to the stage's worker (fresh session: flags reset).
        reset_flags = [v for v in stage.variables if v.kind == "bool" and rng.random() < 0.3]
        entry_updates = ", ".join(v.reset for v in reset_flags)
        self.set_so_far -= {v.name for v in reset_flags}
        # Transition guards wait only for flags that an earlier step may have set.
        flags = [v for v in stage.variables if v.kind == "bool" and v.name in self.set_so_far]
        self.set_so_far -= {v.name for v in flags}  # they may be unset again later
        sender = user if user != worker else self.agents[-1]
        welcome = self._message(rng.choice(["message", "handoff"]), sender, worker)
        out.append(f"{entry} -> {work[0] if work else exit_} on {welcome}"
                   + (f" {{ {entry_updates} }}" if entry_updates else ""))
        tools = stage.tools or [rng.choice(self.all_tools)]
        for j, state in enumerate(work):
            nxt = work[j + 1] if j + 1 < len(work) else (review or exit_)
            mine = [t for t in tools if worker in t.agents] or tools
            loop = rng.sample(mine, min(len(mine), rng.randint(1, 3)))
            if j == len(work) - 1:  # every tool of the stage is called somewhere
                loop += [t for t in tools if t not in loop and t not in self.stage_used]
            # A tool that waits for a flag comes with the tool whose outcome sets it.
            for tool in list(loop):
                setter = self.setters.get(tool.guard_flag)
                if setter is not None and setter not in loop:
                    loop.insert(loop.index(tool), setter)
            acts = ", ".join(self._action(t) for t in loop)
            by = f" by {worker}" if all(worker in t.agents for t in loop) and rng.random() < 0.5 else ""
            out.append(f"{state} -> {state} on {acts}{by}")
            # The step forward: a tool whose guard cannot block it for good.
            free = ([t for t in tools if not t.guarded]
                    or [t for t in self.all_tools if not t.guarded] or tools)
            step_tool = rng.choice([t for t in free if t not in loop] or free)
            if step_tool.outcomes:
                good, bad = step_tool.outcomes
                out.append(f"{state} -> {nxt} on {self._action(step_tool, good)}")
                if counters and rng.random() < 0.8:
                    c = rng.choice(counters)
                    guard = f" when {c.name} < {c.domain[1]}" if rng.random() < 0.85 else ""
                    out.append(f"{state} -> {state} on {self._action(step_tool, bad)}{guard} "
                               f"{{ {c.name} = {c.name} + 1 }}")
                else:
                    out.append(f"{state} -> {state} on {self._action(step_tool, bad)}")
            else:
                update = ""
                if enums and rng.random() < 0.5:
                    e = rng.choice(enums)
                    update = f" {{ {e.name} = {e.domain[min(j + 1, len(e.domain) - 1)]} }}"
                guard = ""
                if flags and rng.random() < 0.05:
                    guard = f" when {rng.choice(flags).name}"  # may never hold: stuck
                out.append(f"{state} -> {nxt} on {self._action(step_tool)}{guard}{update}")
            if rng.random() < 0.15:
                out.append(f"{state} -> aborted on cancel by {user}")
        if review:
            last_work = work[-1] if work else entry
            out.append(f"{review} -> {exit_} on approve by {reviewer}"
                       + (f" when {rng.choice(flags).name}" if flags and rng.random() < 0.05 else ""))
            if counters and rng.random() < 0.7:
                c = rng.choice(counters)
                guard = f" when {c.name} < {c.domain[1]}" if rng.random() < 0.8 else ""
                out.append(f"{review} -> {last_work} on reject by {reviewer}{guard} {{ {c.name} = {c.name} + 1 }}")
            else:
                out.append(f"{review} -> {last_work} on reject by {reviewer}")
            author = worker if worker != reviewer else next((a for a in self.agents if a != reviewer), worker)
            out.append(f"{review} -> {review} on {self._message('message', author, reviewer)}")
        # Exit: hand over to the next stage, usually through a summary that declassifies.
        # Leaving the stage resets what it may have changed (but not the global budgets): the
        # state space then grows with the number of stages, not exponentially with the variables.
        touched = {v.name for v in stage.variables} | {w for t in self.stage_used for w in t.writes}
        reset_at_exit = [v for v in self.variables if v.name in touched and v.name not in GLOBAL_COUNTERS]
        resets = ", ".join(v.reset for v in reset_at_exit)
        nxt_worker = self.stages[k + 1].worker if k + 1 < len(self.stages) else user
        clause = ""
        roll = rng.random()
        if roll < 0.5:
            clause = " declassify internal"
        elif roll < 0.7:
            clause = " declassify public endorse trusted"
        act = self._message("handoff", worker, nxt_worker) if nxt_worker != worker else "finish"
        if act == "finish":
            clause = ""
        out.append(f"{exit_} -> {following} on {act}{clause}" + (f" {{ {resets} }}" if resets else ""))
        self.set_so_far -= {v.name for v in reset_at_exit}
        return out

    # ------------------------------------------------------------ properties
    def _property(self, i: int, kind: str) -> str | None:
        rng = self.rng
        names = [t.name for t in self.all_tools]
        by_template = {}
        for t in self.all_tools:
            by_template.setdefault(t.template, []).append(t.name)

        def pick(*templates):
            choices = [n for tpl in templates for n in by_template.get(tpl, ())]
            return rng.choice(choices) if choices else rng.choice(names)

        # Each template sometimes picks what makes the property hold by construction (a
        # redacting or reviewed sink, the flag or budget that guards a tool), else anything.
        safe = rng.random() < 0.4
        if kind == "flow_conf":
            level = rng.choice(["secret", "internal"])
            sinks = [pick("send_redacted") if safe else pick("send_email", "post_slack", "publish_report")]
            if rng.random() < 0.3:
                sinks.append(rng.choice(self.agents))
            return f"no flow from {level} to {', '.join(sinks)}"
        if kind == "flow_tool":
            sink = pick("send_redacted") if safe else pick("send_email", "post_slack", "publish_report")
            return f"no flow from {pick('get_card', 'read_secrets')} to {sink}"
        if kind == "influence":
            target = pick("apply_patch") if safe else pick("run_shell", "write_file", "issue_refund", "deploy_service")
            return f"no untrusted influence on {target}"
        setters = {t.sets_flag: t for t in self.all_tools if t.sets_flag}
        flag_guarded = [t for t in self.all_tools if t.guard_flag in setters
                        and sum(1 for o in self.all_tools if o.sets_flag == t.guard_flag) == 1]
        budgeted = [t for t in self.all_tools if t.budget and t.budget[0] in GLOBAL_COUNTERS]
        if kind == "order":
            if safe and flag_guarded:
                later = rng.choice(flag_guarded)
                setter = setters[later.guard_flag]
                return f"{later.name} requires earlier {setter.name}.{setter.outcomes[0]}"
            later = pick("issue_refund", "deploy_service", "publish_report")
            outcome_tools = [t for t in self.all_tools if t.outcomes]
            if outcome_tools and rng.random() < 0.7:
                t = rng.choice(outcome_tools)
                earlier = f"{t.name}.{t.outcomes[0]}"
            else:
                earlier = pick("verify_identity", "run_tests", "sanitize", "redact")
            return f"{later} requires earlier {earlier}"
        if kind == "count":
            if safe and budgeted:
                tool = rng.choice(budgeted)
                counter, limit, outcome = tool.budget
                action = f"{tool.name}.{outcome}" if outcome else tool.name
                # Holds for `limit` or more when nothing else spends the budget.
                return f"at most {limit + rng.choice([0, 0, 1, -1])} {action}"
            return f"at most {rng.randint(1, 4)} {pick('issue_refund', 'send_email', 'run_shell', 'write_file')}"
        if kind == "never":
            tool = rng.choice(self.all_tools)
            others = [a for a in self.agents if a not in tool.agents]
            if others and rng.random() < 0.3:
                return f"never {tool.name} by {rng.choice(others)}"  # holds: vacuously
            guarded = [t for t in self.all_tools if t.guard_flag]
            if safe and guarded:
                tool = rng.choice(guarded)
                return f"never {tool.name} when not {tool.guard_flag}"
            flags = [v for v in self.variables if v.kind == "bool"]
            if flags and rng.random() < 0.6:
                return f"never {tool.name} when not {rng.choice(flags).name}"
            return f"never {tool.name} by {rng.choice(tool.agents)}"
        if kind == "never_message" and self.messages:
            k, s, r = rng.choice(self.messages)
            return f"never {k} {s} to {r}"
        if kind == "always":
            ints = [v for v in self.variables if v.kind == "int"]
            enums = [v for v in self.variables if v.kind == "enum"]
            flags = [v for v in self.variables if v.kind == "bool"]
            roll = rng.random()
            if ints and roll < 0.4:
                v = rng.choice(ints)
                return f"always {v.name} <= {v.domain[1] - rng.randint(0, 1)}"
            if enums and roll < 0.7:
                v = rng.choice(enums)
                return f"always {v.name} != {v.domain[-1]} or not at {rng.choice(self.all_states)}"
            if flags:
                return f"always not at {rng.choice(self.finals)} or {rng.choice(flags).name}"
            return "always not at aborted"
        if kind == "terminates":
            return "terminates"
        if kind == "deadlock":
            return "no deadlock"
        return None

    # ------------------------------------------------------------ assembly
    def generate(self) -> str:
        rng = self.rng
        self.variables = self._variables()
        self.all_tools = self._tools()
        self.stages = self._stages()
        self.all_states = [s for st in self.stages for s in st.states]
        self.finals = ["done", "aborted"]
        for k, stage in enumerate(self.stages):
            stage.worker = self.agents[k % len(self.agents)] if len(self.agents) < 3 else \
                rng.choice([a for a in self.agents if a not in ("reviewer", "user")] or list(self.agents))
            # Each stage owns the variables j with j = k mod #stages, and two more by rotation.
            n = len(self.variables)
            stage.variables = [v for j, v in enumerate(self.variables)
                               if j % len(self.stages) == k or (n and j in (k % n, (k + 3) % n))]
        # Every tool belongs to at least one stage; stages get 2-5 tools.
        order = list(self.all_tools)
        rng.shuffle(order)
        for j, tool in enumerate(order):
            self.stages[j % len(self.stages)].tools.append(tool)
        for stage in self.stages:
            while len(stage.tools) < 2:
                stage.tools.append(rng.choice(self.all_tools))
        owner: dict[str, list[_Var]] = {}
        for stage in self.stages:
            for tool in stage.tools:
                owner.setdefault(tool.name, stage.variables)
        # The flags some outcome sets: the only ones a guard may wait for.
        for tool in self.all_tools:
            flags = [v for v in owner.get(tool.name, []) if v.kind == "bool"]
            if tool.outcomes and flags:
                tool.sets_flag = rng.choice(flags).name
        self.settable = [v for v in self.variables if v.kind == "bool"
                         and any(t.sets_flag == v.name for t in self.all_tools)]
        self.setters = {}
        for tool in self.all_tools:
            if tool.sets_flag:
                self.setters.setdefault(tool.sets_flag, tool)

        out = [f"# generated by bench/gen_workflow.py --states {self.n_states} --tools {self.n_tools} "
               f"--variables {self.n_vars} --properties {self.n_props} --agents {len(self.agents)} --seed {self.seed}",
               f"workflow synthetic_{self.seed}",
               "labels confidentiality: public < internal < secret",
               "labels integrity: trusted > untrusted",
               "agent " + ", ".join(self.agents)]
        out += [v.decl for v in self.variables]
        out += [self._tool_decl(t, owner.get(t.name, [])) for t in self.all_tools]
        reviewer = "reviewer" if "reviewer" in self.agents else self.agents[-1]
        user = "user" if "user" in self.agents else self.agents[0]
        out += [f"event approve by {reviewer}", f"event reject by {reviewer}", f"event cancel by {user}",
                "event finish"]
        out.append(f"state {self.all_states[0]} initial")
        out += [f"state {s}" for s in self.all_states[1:]]
        out += ["state done final", "state aborted final"]
        transitions = []
        for k, stage in enumerate(self.stages):
            following = self.stages[k + 1].states[0] if k + 1 < len(self.stages) else "done"
            transitions += self._stage_transitions(stage, following, k)
        out += transitions

        kinds = ["flow_conf", "flow_tool", "influence", "order", "count", "never", "always",
                 "terminates", "deadlock", "never_message"]
        props = []
        for i in range(self.n_props):
            kind = kinds[i] if i < len(kinds) else rng.choice(kinds[:7])
            text = self._property(i, kind) or self._property(i, "never")
            props.append(f"property p{i}_{kind}: {text}")
        return "\n".join(out + props) + "\n"


def generate(states: int = 200, tools: int = 40, variables: int = 10, properties: int = 20,
             agents: int = 3, seed: int = 0) -> str:
    """The source text of a synthetic workflow; the same arguments give the same text."""
    return _Generator(states, tools, variables, properties, agents, seed).generate()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a synthetic .wf workflow on stdout.")
    parser.add_argument("--states", type=int, default=200)
    parser.add_argument("--tools", type=int, default=40)
    parser.add_argument("--variables", type=int, default=10)
    parser.add_argument("--properties", type=int, default=20)
    parser.add_argument("--agents", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    sys.stdout.write(generate(args.states, args.tools, args.variables, args.properties, args.agents, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
