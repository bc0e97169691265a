"""Promela for the SPIN model checker: one model per property check, and a runner.

`to_promela(system, check)` translates the transition system of spec/system.py — it
re-derives nothing — into one `active proctype` whose `do` loop has one option per `Step`:

- The control state is the variable `st` (`#define S_<state> k`); the System's variables are
  globals named `v_<name>` (dots become `_`): `bool`, ranges as `byte`/`short`/`int` (the
  smallest that holds the range, so negative ranges need no offset), enum values as global
  codes (`#define E_<member> k`, shared by enums that share a member name, so `==` on codes
  is `==` on names), lattice levels as `byte` indices (`#define CONF_<level> k`).
- Join and meet are table look-ups (`JOIN_C[a*N + b]`, filled from `Lattice.join_table` in
  a `d_step` before the first state is checked); `<=` is the table too, or `a <= b` on a
  chain, whose indices are in order.
- A step is a `d_step` whose first statement — its guard — is `st == S_source`, the step's
  guard and its `range_ok` (an update that leaves a range has no successor). The update is
  simultaneous: values read by another update of the same step are first computed into
  `hidden` temporaries (safe: a `d_step` is one transition). A step with `any` updates is an
  `atomic` instead: the determined part in a nested `d_step`, then one nondeterministic
  `if` (or `select` for wide ranges) per `any` variable.
- Safety: `state_bad` and the disjunction over the steps of the current control state of
  their `step_bad` (a condition on the state *before* the step, guard included) are both
  predicates on the current state, so both are asserted in the initial state and after every
  step — a bad step is reported in the state it would be taken from, before it takes effect.
- No deadlock: SPIN's own "invalid end state". When no option is executable (`else`), the
  loop is left, and the process then blocks on `!(deadlock)` exactly in a deadlock (a
  non-final state where no step's guard holds); elsewhere — a final state, or a step that
  is enabled but leaves a range — it terminates, a valid end state.
- `terminates` (deadlock, or a reachable cycle of non-final configurations): a never claim
  for `<>[] !(final || halted)`, searched for acceptance cycles (`pan -a`). `halted` is set
  when the loop is left without a deadlock, so a blocked deadlock stutters forever in a
  non-final state (accepted) while a stuck-but-not-deadlocked run does not. `<>[]` rather
  than `[] !final`, because a non-final cycle counts even after a final state was visited.

`wfcheck.checker.verify.spin` runs SPIN on it.
"""
from __future__ import annotations

import re


from wfcheck.spec import model as m
from wfcheck.spec import system as s
from wfcheck.spec.lattice import Lattice
from wfcheck.spec.system import Check, Step, System
from wfcheck.spec.version import __version__


WIDE_RANGE = 16  # an `any` over more values than this uses `select`
_DEADLOCK_KINDS = (m.NoDeadlock, m.Terminates)


def is_liveness(check: Check) -> bool:
    """Run with a never claim and `pan -a` (else `-DSAFETY`)."""
    return check.liveness


def _uses_end_states(check: Check) -> bool:
    """The check is (only) about deadlocks, which SPIN reports as invalid end states."""
    return all(isinstance(k, _DEADLOCK_KINDS) for k in check.property.kinds)


def _ident(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def _int_type(low: int, high: int) -> str:
    if 0 <= low and high <= 255:
        return "byte"
    if -32768 <= low and high <= 32767:
        return "short"
    return "int"


class _Translator(s.Fold):
    """One check of a system as a Promela model; expressions translate through `expr`."""

    def __init__(self, system: System, check: Check) -> None:
        self.system = system
        self.check = check
        self.vars = system.vars + check.monitors
        self.sorts = {v.name: v.sort for v in self.vars}
        self.names: dict[str, str] = {}
        taken = {"st", "halted"}
        for var in self.vars:
            name = "v_" + _ident(var.name)
            base, n = name, 2
            while name in taken:
                name, n = f"{base}_{n}", n + 1
            taken.add(name)
            self.names[var.name] = name
        members: list[str] = []
        for var in self.vars:
            if isinstance(var.sort, m.EnumSort):
                members += [x for x in var.sort.members if x not in members]
        self.enum_code = {x: i for i, x in enumerate(members)}
        self.states = system.model.states
        self.tables_used: set[tuple[str, str]] = set()

    # ------------------------------------------------------------ expressions
    def state(self, name: str) -> str:
        return "S_" + _ident(name)

    def level(self, dimension: str, index: int) -> str:
        prefix = "CONF_" if dimension == s.CONF else "INTEG_"
        return prefix + _ident(self.system.lattice(dimension).levels[index])

    def value(self, value) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return f"({value})" if value < 0 else str(value)
        return "E_" + _ident(value)

    def on_const(self, e):
        return self.value(e.value)

    def on_var(self, e):
        return self.names[e.name]

    def on_at(self, e):
        return f"(st == {self.state(e.state)})"

    def on_not(self, e, operand):
        return f"!{operand}" if isinstance(e.operand, (m.Var, m.At)) else f"!({operand})"

    def on_and(self, e, *operands):
        return "(" + " && ".join(operands) + ")" if operands else "true"

    def on_or(self, e, *operands):
        return "(" + " || ".join(operands) + ")" if operands else "false"

    def on_cmp(self, e, left, right):
        return f"({left} {e.op} {right})"

    on_arith = on_cmp

    def on_ite(self, e, cond, then, other):
        return f"({cond} -> {then} : {other})"

    def on_level(self, e):
        return self.level(e.dimension, e.index)

    def _table(self, e, kind: str, left: str, right: str) -> str:
        self.tables_used.add((e.dimension, kind))
        size = len(self.system.lattice(e.dimension).levels)
        return f"{kind}_{e.dimension[0].upper()}[({left}) * {size} + ({right})]"

    def on_join(self, e, left, right):
        return self._table(e, "JOIN", left, right)

    def on_meet(self, e, left, right):
        return self._table(e, "MEET", left, right)

    def on_leq(self, e, left, right):
        if self.system.lattice(e.dimension).is_chain:  # indices are in order
            return f"({left} <= {right})"
        return self._table(e, "LEQ", left, right)

    expr = s.Fold.__call__  # an expression as Promela (each form above)

    def lines_of(self, e, indent: str) -> str:
        """A disjunction one operand a line (deadlock and bad conditions get long)."""
        if isinstance(e, m.Or) and len(e.operands) > 1:
            return ("\n" + indent + "|| ").join(self.expr(o) for o in e.operands)
        return self.expr(e)

    # ------------------------------------------------------------ declarations
    def sort_type(self, sort) -> str:
        if isinstance(sort, m.BoolSort):
            return "bool"
        if isinstance(sort, m.IntSort):
            return _int_type(sort.low, sort.high)
        if isinstance(sort, m.EnumSort):
            return _int_type(0, len(self.enum_code))
        return "byte"  # LevelSort

    def init_value(self, var: s.SysVar) -> str:
        if isinstance(var.sort, s.LevelSort):
            return self.level(var.sort.dimension, var.init)
        return self.value(var.init)

    def domain(self, sort) -> list[str]:
        if isinstance(sort, s.LevelSort):
            return [self.level(sort.dimension, i) for i in range(len(self.system.lattice(sort.dimension).levels))]
        return [self.value(v) for v in sort.values()]

    # ------------------------------------------------------------ steps
    def assigns(self, step: Step) -> list[tuple[str, object]]:
        return list(step.assigns) + list(self.check.monitor_assigns.get(step.index, ()))

    def step_option(self, step: Step) -> tuple[str, int]:
        """The `do` option of one step, and how many temporaries it needs."""
        assigns = self.assigns(step)
        fixed = [(n, v) for n, v in assigns if v is not None]
        free = [n for n, v in assigns if v is None]
        # A variable needs a temporary when another update of the step reads its old value.
        reads = {n: s.free_vars(v) for n, v in fixed}
        needs_temp = [n for n, _ in fixed if any(n in reads[o] for o, _ in fixed if o != n)]
        temps = {n: f"t{i}" for i, n in enumerate(needs_temp)}
        body = [f"{temps[n]} = {self.expr(v)}" for n, v in fixed if n in temps]
        body += [f"{self.names[n]} = {self.expr(v)}" for n, v in fixed if n not in temps]
        body += [f"{self.names[n]} = {temps[n]}" for n in needs_temp]
        if step.target != step.source:
            body.append(f"st = {self.state(step.target)}")
        guard = s.conj([m.At(step.source), step.guard, step.range_ok])
        head = f"/* step {step.index}: {step.source} -> {step.target} on {step.edge.action} */"
        if not free:
            lines = [f"{self.expr(guard)} ->"] + [x + ";" for x in body] + ["check_state()"]
            return f":: d_step {{ {head}\n" + "\n".join("     " + x for x in lines) + "\n   }", len(temps)
        lines = [f"{self.expr(guard)} ->"]
        if body:
            lines.append("d_step { " + "; ".join(body) + " };")
        for name in free:
            var = self.names[name]
            values = self.domain(self.sorts[name])
            sort = self.sorts[name]
            if isinstance(sort, m.IntSort) and len(values) > WIDE_RANGE:
                lines.append(f"select({var} : {self.value(sort.low)} .. {self.value(sort.high)});")
            else:
                lines.append("if " + " ".join(f":: {var} = {x}" for x in values) + " fi;")
        lines.append("check_state()")
        return f":: atomic {{ {head}\n" + "\n".join("     " + x for x in lines) + "\n   }", len(temps)

    # ------------------------------------------------------------ the model
    def render(self) -> str:
        system, check, model = self.system, self.check, self.system.model
        options, ntemps = [], 0
        for step in system.steps:
            text, k = self.step_option(step)
            options.append(text)
            ntemps = max(ntemps, k)
        end_states = _uses_end_states(check)
        state_bad = s.FALSE if end_states else check.state_bad
        by_source: dict[str, list] = {}
        for step in system.steps:
            if step.index in check.step_bad:
                by_source.setdefault(step.source, []).append(check.step_bad[step.index])
        step_bad = s.disj(s.conj([m.At(src), s.disj(bads)]) for src, bads in by_source.items())
        deadlock = self.lines_of(system.deadlock, "       ")
        finals = s.disj(m.At(f) for f in model.finals)
        state_bad_text = self.lines_of(state_bad, "         ")
        step_bad_text = self.lines_of(step_bad, "         ")

        out = [f"/* Generated by wfcheck {__version__} (export/promela.py): workflow `{model.name}`, "
               f"property `{check.name}` */",
               "/* " + " ".join((check.property.text or check.name).replace("*/", "* /").split()) + " */",
               "/* Run: spin -a model.pml && cc -O2 "
               + ("" if is_liveness(check) else "-DSAFETY ") + "-o pan pan.c && ./pan"
               + (" -a" if is_liveness(check) else "") + " */", ""]
        out.append("/* control states */")
        out += [f"#define {self.state(x)} {i}" for i, x in enumerate(model.states)]
        if self.enum_code:
            out.append("/* enum values */")
            out += [f"#define {self.value(x)} {i}" for x, i in self.enum_code.items()]
        for dimension in (s.CONF, s.INTEG):
            lattice = system.lattice(dimension)
            out.append(f"/* {dimension} levels */")
            out += [f"#define {self.level(dimension, i)} {i}" for i in range(len(lattice.levels))]
        out.append("")
        out.append(f"{_int_type(0, len(model.states) - 1)} st = {self.state(model.initial)};")
        for var in self.vars:
            out.append(f"{self.sort_type(var.sort)} {self.names[var.name]} = {self.init_value(var)};"
                       f"  /* {var.name}: {var.sort if not isinstance(var.sort, s.LevelSort) else var.sort.dimension} */")
        if is_liveness(check):
            out.append("bool halted = false;  /* stopped without a deadlock */")
        out += [f"hidden int t{i};" for i in range(ntemps)]
        tables = []
        for dimension, name in sorted(self.tables_used):
            lattice: Lattice = system.lattice(dimension)
            n, d = len(lattice.levels), dimension[0].upper()
            table = {"JOIN": lattice.join_table, "MEET": lattice.meet_table, "LEQ": lattice.leq_table}[name]
            out.append(f"byte {name}_{d}[{n * n}];  /* {dimension} {name.lower()}: [a * {n} + b] */")
            tables += [f"{name}_{d}[{i * n + j}] = {int(table[i][j])}" for i in range(n) for j in range(n)]
        out.append("")
        asserts = []
        if state_bad != s.FALSE:
            asserts.append(f"  /* state_bad */\n  assert(!({state_bad_text}))")
        if step_bad != s.FALSE:
            asserts.append("  /* step_bad of the steps from this state, before one is taken */\n"
                           f"  assert(!({step_bad_text}))")
        out.append("inline check_state() {")
        out.append(";\n".join(asserts) if asserts else "  skip")
        out.append("}")
        out.append("")
        if is_liveness(check):
            out.append(f"#define FINAL {self.expr(finals)}")
            out.append("/* terminates: no run ends in a deadlock or stays forever in non-final states */")
            out.append("never {  /* <>[] !(FINAL || halted) */")
            out.append("T0_init:")
            out.append("  do")
            out.append("  :: !(FINAL || halted) -> goto accept_S1")
            out.append("  :: true -> goto T0_init")
            out.append("  od;")
            out.append("accept_S1:")
            out.append("  do")
            out.append("  :: !(FINAL || halted) -> goto accept_S1")
            out.append("  od")
            out.append("}")
            out.append("")
        out.append("active proctype workflow() {")
        if tables:
            out.append("  d_step { " + "; ".join(tables) + " };")
        out.append("  check_state();")
        out.append("  do")
        out += ["  " + o for o in options]
        out.append("  :: else -> break  /* no step can be taken */")
        out.append("  od;")
        if end_states or is_liveness(check):
            out.append("  /* blocks (an invalid end state) exactly in a deadlock */")
            out.append(f"  !({deadlock});")
        else:
            out.append("  /* stopping is not what this property is about: a valid end state */")
        if is_liveness(check):
            out.append("  halted = true")
        else:
            out.append("  skip")
        out.append("}")
        return "\n".join(out) + "\n"


def to_promela(system: System, check: Check) -> str:
    """A Promela model of `system` for the single property `check` (see the module doc)."""
    return _Translator(system, check).render()
