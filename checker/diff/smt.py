"""z3's forms of `extra_run` (runs.py), for products too large to enumerate, and a second
opinion on the product search.

`simulation_proof`: one quantifier-free query that the other version simulates this one step
by step (same control state, equal shared variables), which proves the inclusion for runs of
every length when it holds.

`extra_run_smt`, bounded: for k = 1, 2, ... up to `bound`: is there a run of `first` of k
steps whose action sequence no k-step run of `second` has? One query per k, over both systems
unrolled k steps:

    exists first's frames and step choices: Run_first(k) and
    forall second's frames and step choices: not (Run_second(k) and the same k actions)

Run_S(k) translates exactly what spec/semantics.py executes: the initial configuration, and
per step a choice of one of `S.steps` enabled at its source (its guard), keeping every
variable in range (`range_ok`), assigning its updates at once (`None`: any value of the
sort), every other variable unchanged. The first k with a model gives a shortest witness,
read back as a `Run` of `first`. No claim beyond the bound.
"""
from __future__ import annotations

import time

import z3

from wfcheck.checker.verify.result import Run
from wfcheck.checker.verify.smt.translate import Translator
from wfcheck.checker.verify.smt.values import PC, Values, index_range
from wfcheck.spec.semantics import Interpreter
from wfcheck.spec import model as m
from wfcheck.spec.system import LevelSort, SysVar, System, conj

from .runs import EXTRA, UNKNOWN, RunDifference, action_key


def _frame(system: System, values: Values, tag: str) -> dict:
    """One configuration of `system` as z3 constants named `tag.…`."""
    frame = {PC: z3.Int(f"{tag}.pc")}
    for var in system.vars:
        frame[var.name] = z3.Const(f"{tag}.{var.name}", values.sort(var.sort))
    return frame


def _step(system: System, values: Values, codes: dict, now: dict, nxt: dict, choice, action) -> z3.BoolRef:
    """`system` takes one of its steps (`choice`, with the action code `action`) from
    `now` to `nxt`: exactly what spec/semantics.py fires."""
    term = Translator(values, now)
    cases = []
    for st in system.steps:
        assigned = dict(st.assigns)
        parts = [choice == st.index, now[PC] == values.state_index[st.source],
                 term(conj([st.guard, st.range_ok])), nxt[PC] == values.state_index[st.target],
                 action == codes[st.index]]
        for var in system.vars:
            if var.name not in assigned:
                parts.append(nxt[var.name] == now[var.name])
            elif assigned[var.name] is None:
                domain = values.domain(var, nxt[var.name])
                if domain is not None:
                    parts.append(domain)
            else:
                parts.append(nxt[var.name] == term(assigned[var.name]))
        cases.append(z3.And(parts))
    return z3.Or(cases) if cases else z3.BoolVal(False)


def _codes(system: System, alphabet: dict, renames) -> dict:
    """Each step's action as an integer, equal across systems for equal `action_key`s."""
    return {st.index: alphabet.setdefault(action_key(st.edge.action, renames), len(alphabet)) for st in system.steps}


class _Unrolling:
    """One system unrolled: frames of z3 constants and a step choice per step."""

    def __init__(self, system: System, tag: str, alphabet: dict, renames) -> None:
        self.system, self.tag = system, tag
        self.values = Values(system)
        self.action = _codes(system, alphabet, renames)
        self.frames: list[dict] = []
        self.choices: list[z3.ArithRef] = []
        self.constraints: list[z3.BoolRef] = []

    def unroll(self, k: int, actions: list) -> None:
        """Extend to `k` steps whose actions are `actions[t]` (z3 integers)."""
        if not self.frames:
            first = _frame(self.system, self.values, f"{self.tag}.0")
            self.frames.append(first)
            self.constraints.append(first[PC] == self.values.state_index[self.system.model.initial])
            self.constraints += [first[v.name] == self.values.encode(v, v.init) for v in self.system.vars]
        while len(self.choices) < k:
            t = len(self.choices)
            now, nxt = self.frames[t], _frame(self.system, self.values, f"{self.tag}.{t + 1}")
            self.frames.append(nxt)
            choice = z3.Int(f"{self.tag}.{t}.step")
            self.choices.append(choice)
            self.constraints.append(_step(self.system, self.values, self.action, now, nxt, choice, actions[t]))

    def variables(self) -> list:
        return [c for f in self.frames for c in f.values()] + self.choices


def extra_run_smt(first: System, second: System, renames_first=None, renames_second=None,
                  bound: int = 6, timeout: float = 30.0) -> RunDifference:
    """A shortest run of `first` of at most `bound` steps whose actions `second` cannot take
    (status EXTRA), or UNKNOWN with `depth`: none of at most that many steps (no claim
    beyond the bound)."""
    started = time.perf_counter()
    alphabet: dict = {}
    one = _Unrolling(first, "a", alphabet, renames_first)
    actions: list = []
    for k in range(1, bound + 1):
        actions.append(z3.Int(f"act.{k - 1}"))
        one.unroll(k, actions)
        fresh = _Unrolling(second, f"b{k}", alphabet, renames_second)
        fresh.unroll(k, actions)
        solver = z3.Solver()
        solver.set("timeout", max(1, int((timeout - (time.perf_counter() - started)) * 1000)))
        solver.add(one.constraints)
        solver.add(z3.ForAll(fresh.variables(), z3.Not(z3.And(fresh.constraints))))
        answer = solver.check()
        if answer == z3.sat:
            return RunDifference(EXTRA, _read(first, one, solver.model(), k), depth=k - 1,
                                 seconds=time.perf_counter() - started)
        if answer == z3.unknown:
            return RunDifference(UNKNOWN, depth=k - 1, seconds=time.perf_counter() - started)
    return RunDifference(UNKNOWN, depth=bound, seconds=time.perf_counter() - started)


def _keys(system: System, renames) -> dict:
    """Each variable's name across versions (data by name, an agent's context by role,
    agent and tool), all through `renames`."""
    r = renames or {}
    name = lambda n: r.get(n, n)  # noqa: E731
    keys = {}
    for var in system.vars:
        if var.role == "data":
            keys[var.name] = ("data", name(var.name))
        elif var.role in ("conf", "integ", "source"):
            keys[var.name] = (var.role, name(var.agent), name(var.source) if var.source else None)
    return keys


def _same_sort(first: System, a: SysVar, second: System, b: SysVar) -> bool:
    """Both variables' values are encoded alike (levels of the same lattice, the same enum)."""
    if isinstance(a.sort, LevelSort) or isinstance(b.sort, LevelSort):
        return (isinstance(a.sort, LevelSort) and isinstance(b.sort, LevelSort) and a.sort.dimension == b.sort.dimension
                and first.lattice(a.sort.dimension).levels == second.lattice(b.sort.dimension).levels)
    if isinstance(a.sort, m.EnumSort) or isinstance(b.sort, m.EnumSort):
        return a.sort == b.sort
    return type(a.sort) is type(b.sort)


def _matches(system: System, values: Values, codes: dict, st, now: dict, target: dict, act, shared: list,
             target_state: int | None) -> z3.BoolRef:
    """`system`'s step `st` takes the action `act` from `now` to a configuration related to
    `target` (a configuration of the other version, in control state `target_state` if the
    step's target has a counterpart there). The step's result is a function of `now` but
    for `any` updates, which need only a value of the sort: no quantifier."""
    if target_state is None:
        return z3.BoolVal(False)
    term = Translator(values, now)
    assigned = dict(st.assigns)
    parts = [now[PC] == values.state_index[st.source], term(conj([st.guard, st.range_ok])),
             act == codes[st.index], target[PC] == target_state]
    by_var = {v.name: v for v in system.vars}
    for mine, theirs in shared:
        if theirs not in assigned:
            parts.append(target[mine] == now[theirs])
        elif assigned[theirs] is None:
            domain = values.domain(by_var[theirs], target[mine])
            if domain is not None:
                parts.append(domain)
        else:
            parts.append(target[mine] == term(assigned[theirs]))
    return z3.And(parts)


def simulation_proof(first: System, second: System, renames_first=None, renames_second=None,
                     timeout: float = 30.0) -> bool | None:
    """Whether `second` simulates `first` step by step, proved with one z3 query; True
    proves that every run of `first`, of any length, has its action sequence in `second`.

    The relation: the same control state (by name) and equal values of the variables both
    versions have (by name, through the renames; label variables by agent). For every pair
    of configurations in it — any values, reachable or not — and every step of `first`
    there must be a step of `second` with the same action whose results are related again;
    the initial configurations must be related. Sound, not complete: False (no simulation
    of this shape) or None (z3 undecided) prove nothing, and the bounded search follows."""
    started = time.perf_counter()
    alphabet: dict = {}
    v1, v2 = Values(first), Values(second)
    c1, c2 = _codes(first, alphabet, renames_first), _codes(second, alphabet, renames_second)
    now1, nxt1, now2 = _frame(first, v1, "f.now"), _frame(first, v1, "f.next"), _frame(second, v2, "g.now")
    common1 = {n: (renames_first or {}).get(n, n) for n in v1.states}    # state -> its name in common
    common2 = {n: (renames_second or {}).get(n, n) for n in v2.states}
    k1, k2 = _keys(first, renames_first), _keys(second, renames_second)
    by_key = {key: name for name, key in k2.items()}
    seconds_vars = {v.name: v for v in second.vars}
    shared = [(a.name, by_key[k1[a.name]]) for a in first.vars if k1.get(a.name) in by_key
              and _same_sort(first, a, second, seconds_vars[by_key[k1[a.name]]])]
    index1 = {common: v1.state_index[name] for name, common in common1.items()}
    counterpart = {name: index1.get(common) for name, common in common2.items()}   # second's state -> first's index

    def related(one: dict, two: dict) -> z3.BoolRef:
        states = [z3.And(one[PC] == counterpart[name], two[PC] == v2.state_index[name])
                  for name in v2.states if counterpart[name] is not None]
        return z3.And(z3.Or(states) if states else z3.BoolVal(False), *(one[a] == two[b] for a, b in shared))

    def initial(system: System, values: Values, frame: dict) -> list:
        return [frame[PC] == values.state_index[system.model.initial],
                *(frame[v.name] == values.encode(v, v.init) for v in system.vars)]

    def in_domain(system: System, values: Values, frame: dict) -> list:
        parts = [index_range(frame[PC], len(values.states))]
        return parts + [d for v in system.vars if (d := values.domain(v, frame[v.name])) is not None]

    def ask(*constraints) -> z3.CheckSatResult:
        solver = z3.Solver()
        solver.set("timeout", max(1, int((timeout - (time.perf_counter() - started)) * 1000)))
        solver.add(*constraints)
        return solver.check()

    start = ask(*initial(first, v1, now1), *initial(second, v2, now2), z3.Not(related(now1, now2)))
    if start != z3.unsat:
        return False if start == z3.sat else None
    act, choice = z3.Int("sim.act"), z3.Int("f.step")
    answer = ask(*in_domain(first, v1, now1), *in_domain(second, v2, now2), related(now1, now2),
                 _step(first, v1, c1, now1, nxt1, choice, act),
                 *(z3.Not(_matches(second, v2, c2, st, now2, nxt1, act, shared, counterpart[st.target]))
                   for st in second.steps))
    return True if answer == z3.unsat else False if answer == z3.sat else None


def _read(system: System, unrolled: _Unrolling, model: z3.ModelRef, k: int) -> Run:
    """The witness, replayed through the interpreter from the chosen steps (so its
    configurations are the semantics' own)."""
    interp = Interpreter(system, ())
    by_index = {st.index: st for st in system.steps}
    config = interp.initial()
    configs, edges = [config], []
    for t in range(k):
        step = by_index[model.eval(unrolled.choices[t], model_completion=True).as_long()]
        wanted = {v.name: unrolled.values.decode(v, model.eval(unrolled.frames[t + 1][v.name], model_completion=True))
                  for v in system.vars}
        successors = interp.fire(config, step)
        config = next((c for c in successors if all(interp.value(c, n) == x for n, x in wanted.items())),
                      successors[0])
        configs.append(config)
        edges.append(step.index)
    return Run(tuple(edges), tuple(interp.describe(c) for c in configs))
