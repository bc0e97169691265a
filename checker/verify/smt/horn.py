"""A check as constrained Horn clauses, one predicate per control state, for z3's CHC
engine (spacer.py); with the liveness-to-safety reduction for `terminates`."""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import networkx as nx
import z3

from .encode import Encoding
from .subterms import free_constants
from .values import PC


@dataclass(frozen=True)
class Clause:
    """`body => head` for all values of `variables`; `head` None means false. Predicate
    applications are (state, argument terms)."""
    variables: list[z3.ExprRef]
    premise: tuple[str, list[z3.ExprRef]] | None
    body: list[z3.BoolRef]
    conclusion: tuple[str, list[z3.ExprRef]] | None
    fresh: tuple = ()            # (constant, its values): the `any` values the step picks

    def term(self, apply) -> z3.BoolRef:
        """The clause, quantifier-free, with `apply(state, args)` for each application."""
        body = list(self.body)
        if self.premise is not None:
            body.insert(0, apply(*self.premise))
        head = apply(*self.conclusion) if self.conclusion is not None else z3.BoolVal(False)
        return z3.Implies(z3.And(body), head) if body else head


@dataclass(frozen=True)
class Horn:
    """The check as constrained Horn clauses with one predicate per control state (over
    the in-cone variables, and with liveness-to-safety the copy). An interpretation that
    satisfies the clauses is an inductive invariant, per control state, that excludes
    every bad configuration."""
    args: list[z3.ExprRef]       # the template constants a predicate is applied to
    clauses: list[Clause]
    relevant: set[str]           # states from which the control flow can reach a bad one

    def predicates(self) -> dict[str, z3.FuncDeclRef]:
        sorts = [a.sort() for a in self.args]
        return {st: z3.Function(f"inv@{st}", *sorts, z3.BoolSort()) for st in self.relevant}

    def quantified(self, predicates: dict) -> list[z3.BoolRef]:
        """The clauses for z3's HORN solver (states outside `relevant` need no predicate:
        nothing bad can follow them)."""
        out = []
        for clause in self.clauses:
            if clause.conclusion is not None and clause.conclusion[0] not in self.relevant:
                continue
            term = clause.term(lambda st, a: predicates[st](*a))
            out.append(z3.ForAll(clause.variables, term) if clause.variables else term)
        return out

    def _apply(self, invariants: dict[str, z3.BoolRef]):
        def apply(st, a):
            inv = invariants.get(st)
            return z3.BoolVal(True) if inv is None else z3.substitute(inv, *zip(self.args, a))
        return apply

    def failing(self, invariants: dict[str, z3.BoolRef], timeout_ms: int) -> list[Clause] | None:
        """Clauses that do not hold with `invariants` (over `args`; true where missing),
        found by one counter-model ([] when all hold; None when the solver gave up)."""
        apply = self._apply(invariants)
        terms = [c.term(apply) for c in self.clauses]
        solver = z3.Solver()
        solver.set("timeout", timeout_ms)
        solver.add(z3.Or([z3.Not(t) for t in terms]))
        result = solver.check()
        if result == z3.unsat:
            return []
        if result != z3.sat:
            return None
        model = solver.model()
        return [c for c, t in zip(self.clauses, terms) if z3.is_false(model.eval(t, model_completion=True))]

    def weakest(self, state: str, invariants: dict[str, z3.BoolRef]) -> z3.BoolRef:
        """The weakest interpretation of `state` with which its own clauses (those it is the
        premise of) hold, given the interpretations of the states they lead to."""
        apply = self._apply(invariants)
        parts = []
        for clause in self.clauses:
            if clause.premise is None or clause.premise[0] != state:
                continue
            guard = [a == b for a, b in zip(self.args, clause.premise[1]) if not a.eq(b)] + clause.body
            head = apply(*clause.conclusion) if clause.conclusion is not None else z3.BoolVal(False)
            step = z3.Implies(z3.And(guard), head)
            if clause.fresh:
                count = 1
                for _, vals in clause.fresh:
                    count *= len(vals)
                if count <= 256:
                    choices = [[(c, v) for v in vals] for c, vals in clause.fresh]
                    step = z3.And([z3.substitute(step, *pick) for pick in itertools.product(*choices)])
                else:
                    step = z3.ForAll([c for c, _ in clause.fresh], step)
            parts.append(step)
        return z3.simplify(z3.And(parts)) if parts else z3.BoolVal(True)


def horn(enc: Encoding, loop_states: set[str] | None = None, keep: set[str] | None = None) -> Horn:
    """Horn clauses of `enc`: the initial configuration is in, every choice preserves,
    nothing bad is in. With `loop_states` (for `terminates`), the state also carries a
    flag `l2s.saved` and a copy of a configuration remembered at some step out of a state
    of `loop_states`; after it only non-final states may follow, and meeting the copy
    again is bad (Biere, Artho, Schuppan 2002).

    With `keep`, only those variables are tracked (they must include every variable the
    bad conditions read and be closed under "is computed from"): the others may take any
    value at every step (a localization abstraction). Its invariant, over the kept
    variables, is then an invariant of the whole system too."""
    terms, values, system = enc.terms, enc.terms.values, enc.terms.system
    cur, nxt = terms.cur, terms.nxt
    pc = cur[PC]
    tracked = [v for v in enc.vars if keep is None or v.name in keep]
    free = [cur[v.name] for v in enc.vars if keep is not None and v.name not in keep]
    free_values = {cur[v.name].get_id(): [values.encode(v, x) for x in values.all_values(v)]
                   for v in enc.vars if keep is not None and v.name not in keep}
    data = [cur[v.name] for v in tracked]
    l2s = loop_states is not None
    extra: list[z3.ExprRef] = []
    if l2s:
        saved = z3.Bool("l2s.saved")
        copy_pc = z3.Int(f"l2s.copy.{PC}")
        copies = [z3.Const(f"l2s.copy.{v.name}", values.sort(v.sort)) for v in tracked]
        extra = [saved, copy_pc] + copies
    args = data + extra
    finals = set(system.model.finals)
    clauses: list[Clause] = []

    def fix(term, state: str):
        return z3.substitute(term, (pc, z3.IntVal(values.state_index[state])))

    def pc_value(state: str):
        return z3.IntVal(values.state_index[state])

    def untracked(parts) -> list:
        """(constant, values) of the untracked variables the terms read."""
        if not free:
            return []
        seen = {c.get_id() for c in free_constants(z3.And(parts))}
        return [(c, free_values[c.get_id()]) for c in free if c.get_id() in seen]

    init_data = [values.encode(v, v.init) for v in tracked]
    start = system.model.initial
    init_extra = [z3.BoolVal(False), pc_value(start)] + init_data if l2s else []
    clauses.append(Clause([], None, [], (start, init_data + init_extra)))
    names_in = {v.name for v in tracked}
    graph = nx.DiGraph()
    graph.add_nodes_from(system.model.states)
    for choice in enc.choices:
        step = choice.step
        graph.add_edge(step.source, step.target)
        assigned = dict(enc.assigns(step, names_in))
        fresh, after, picks = [], [], []
        body = [terms.term_in(step.guard, step.source), terms.term_in(step.range_ok, step.source)]
        for var in tracked:
            if var.name not in assigned:
                after.append(cur[var.name])
            elif assigned[var.name] is None:
                f = nxt[var.name]
                fresh.append(f)
                after.append(f)
                dom = values.domain(var, f)
                if dom is not None:
                    body.append(dom)
                picks.append((f, [values.encode(var, v) for v in values.all_values(var)]))
            else:
                after.append(terms.term_in(assigned[var.name], step.source))
        picks += untracked(body)
        variables = args + fresh + free
        if not l2s:
            clauses.append(Clause(variables, (step.source, args), body, (step.target, after), tuple(picks)))
            continue
        keep_going = [] if step.target not in finals else [z3.Not(saved)]
        clauses.append(Clause(variables, (step.source, args), body + keep_going, (step.target, after + extra),
                              tuple(picks)))
        if step.source in loop_states and step.target not in finals:
            clauses.append(Clause(variables, (step.source, data + [z3.BoolVal(False), copy_pc] + copies),
                                  body, (step.target, after + [z3.BoolVal(True), pc_value(step.source)] + data),
                                  tuple(picks)))
    bad = z3.Or(enc.state_bad, enc.any_step_bad)
    queried = set()
    for state in system.model.states:
        here = z3.simplify(fix(bad, state))
        if not z3.is_false(here):
            clauses.append(Clause(args + free, (state, args), [here], None, tuple(untracked([here]))))
            queried.add(state)
        if l2s and state in loop_states:
            again = [saved, copy_pc == pc_value(state)] + [a == b for a, b in zip(data, copies)]
            clauses.append(Clause(args, (state, args), again, None))
            queried.add(state)
    relevant = set(queried)
    for state in queried:
        relevant |= nx.ancestors(graph, state)
    return Horn(args, clauses, relevant)
