"""The bounded z3 form of `extra_run` (runs.py), a second opinion on the product search.

For k = 1, 2, ... up to `bound`: is there a run of `first` of k steps whose action sequence
no k-step run of `second` has? One query per k, over both systems unrolled k steps:

    exists first's frames and step choices: Run_first(k) and
    forall second's frames and step choices: not (Run_second(k) and the same k actions)

Run_S(k) translates exactly what spec/semantics.py executes: the initial configuration, and
per step a choice of one of `S.steps` enabled at its source (its guard), keeping every
variable in range (`range_ok`), assigning its updates at once (`None`: any value of the
sort), every other variable unchanged. The first k with a model gives a shortest witness,
read back as a `Run` of `first`. Only bounded: the proof for every length is the explicit
search's (a fixpoint of the product).
"""
from __future__ import annotations

import time

import z3

from wfcheck.checker.verify.result import Run
from wfcheck.checker.verify.smt.translate import Translator
from wfcheck.checker.verify.smt.values import PC, Values
from wfcheck.spec.semantics import Interpreter
from wfcheck.spec.system import System, conj

from .runs import EXTRA, UNKNOWN, RunDifference, action_key


class _Unrolling:
    """One system unrolled: frames of z3 constants and a step choice per step."""

    def __init__(self, system: System, tag: str, alphabet: dict, renames) -> None:
        self.system, self.tag = system, tag
        self.values = Values(system)
        self.action = {st.index: alphabet.setdefault(action_key(st.edge.action, renames), len(alphabet))
                       for st in system.steps}
        self.frames: list[dict] = []
        self.choices: list[z3.ArithRef] = []
        self.constraints: list[z3.BoolRef] = []

    def _frame(self, t: int) -> dict:
        frame = {PC: z3.Int(f"{self.tag}.{t}.pc")}
        for var in self.system.vars:
            frame[var.name] = z3.Const(f"{self.tag}.{t}.{var.name}", self.values.sort(var.sort))
        return frame

    def unroll(self, k: int, actions: list) -> None:
        """Extend to `k` steps whose actions are `actions[t]` (z3 integers)."""
        if not self.frames:
            first = self._frame(0)
            self.frames.append(first)
            self.constraints.append(first[PC] == self.values.state_index[self.system.model.initial])
            self.constraints += [first[v.name] == self.values.encode(v, v.init) for v in self.system.vars]
        while len(self.choices) < k:
            t = len(self.choices)
            now, nxt = self.frames[t], self._frame(t + 1)
            self.frames.append(nxt)
            choice = z3.Int(f"{self.tag}.{t}.step")
            self.choices.append(choice)
            term = Translator(self.values, now)
            cases = []
            for st in self.system.steps:
                assigned = dict(st.assigns)
                parts = [choice == st.index, now[PC] == self.values.state_index[st.source],
                         term(conj([st.guard, st.range_ok])), nxt[PC] == self.values.state_index[st.target],
                         actions[t] == self.action[st.index]]
                for var in self.system.vars:
                    if var.name not in assigned:
                        parts.append(nxt[var.name] == now[var.name])
                    elif assigned[var.name] is None:
                        domain = self.values.domain(var, nxt[var.name])
                        if domain is not None:
                            parts.append(domain)
                    else:
                        parts.append(nxt[var.name] == term(assigned[var.name]))
                cases.append(z3.And(parts))
            self.constraints.append(z3.Or(cases) if cases else z3.BoolVal(False))

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
