"""The expression walker of spec/system.py: `children`, `subexpressions`, `free_vars`,
`mentions_state` and `Fold`, and every translator of the product built on it.

The expr_text round trip over random model expressions is in test_graph.py."""
from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import wfcheck
from wfcheck.spec import model as m
from wfcheck.spec import system as s
from wfcheck.spec.frontend import load_model
from wfcheck.spec.system import (FORMS, MODEL_FORMS, Fold, children, free_vars, lower, mentions_state,
                                 subexpressions)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workflow_gen import workflows  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SYSTEM = lower(load_model(str(ROOT / "examples" / "support.wf")))

verified, attempts = m.Var("verified"), m.Var("attempts")
conf = m.Var(SYSTEM.conf_of("assistant").name)
one = m.Const(1)

# Every form a `.wf` file can write, then every form lowering adds as well.
MODEL_EXPR = m.Or((m.And((m.Not(verified), m.At("serving"))),
                   m.Cmp("<", m.Arith("+", attempts, one), m.Const(3))))
FULL_EXPR = m.And((MODEL_EXPR,
                   s.Leq(s.CONF, s.Join(s.CONF, conf, s.Level(s.CONF, 0)), s.Meet(s.CONF, s.Level(s.CONF, 2), conf)),
                   m.Cmp("==", s.Ite(verified, attempts, m.Const(0)), one)))
EXPRESSIONS = {MODEL_FORMS: MODEL_EXPR, FORMS: FULL_EXPR}


def forms_of(e) -> set[type]:
    return {type(n) for n in subexpressions(e)}


def test_the_sample_expressions_have_every_form():
    assert forms_of(MODEL_EXPR) == set(MODEL_FORMS)
    assert forms_of(FULL_EXPR) == set(FORMS)


# ---------------------------------------------------------------- children and friends

@pytest.mark.parametrize("expr, expected", [
    (one, ()),
    (verified, ()),
    (m.At("serving"), ()),
    (s.Level(s.CONF, 1), ()),
    (m.Not(verified), (verified,)),
    (m.And((verified, one, attempts)), (verified, one, attempts)),
    (m.Or(()), ()),
    (m.Cmp("<", attempts, one), (attempts, one)),
    (m.Arith("-", one, attempts), (one, attempts)),
    (s.Join(s.CONF, conf, s.Level(s.CONF, 0)), (conf, s.Level(s.CONF, 0))),
    (s.Meet(s.INTEG, s.Level(s.INTEG, 0), conf), (s.Level(s.INTEG, 0), conf)),
    (s.Leq(s.CONF, conf, conf), (conf, conf)),
    (s.Ite(verified, attempts, one), (verified, attempts, one)),
])
def test_children_are_the_direct_subexpressions_left_to_right(expr, expected):
    assert children(expr) == expected


@pytest.mark.parametrize("not_an_expression", [3, "x", None, m.Assign("x", None), m.BoolSort()])
def test_children_refuses_what_is_not_an_expression(not_an_expression):
    with pytest.raises(TypeError, match="not an expression"):
        children(not_an_expression)


def test_subexpressions_lists_parents_before_children_left_to_right():
    expr = m.And((m.Not(verified), m.Cmp("<", attempts, one)))
    assert list(subexpressions(expr)) == [expr, m.Not(verified), verified, m.Cmp("<", attempts, one),
                                          attempts, one]
    assert list(subexpressions(one)) == [one]


def test_free_vars_are_the_variables_read():
    assert free_vars(FULL_EXPR) == {"verified", "attempts", conf.name}
    assert free_vars(m.At("serving")) == frozenset()
    assert free_vars(s.Ite(m.TRUE, one, m.Arith("+", attempts, attempts))) == {"attempts"}


def test_mentions_state_finds_at_however_deep():
    assert mentions_state(MODEL_EXPR)
    assert mentions_state(s.Ite(m.TRUE, one, s.Ite(m.At("closed"), one, one)))
    assert not mentions_state(m.Cmp("<", m.Arith("+", attempts, one), m.Const(3)))


# ---------------------------------------------------------------- Fold

class Size(Fold):
    """Counts the nodes of an expression (a translator of every form)."""

    def leaf(self, e):
        return 1

    def inner(self, e, *sizes):
        return 1 + sum(sizes)

    on_const = on_var = on_at = on_level = leaf
    on_not = on_and = on_or = on_cmp = on_arith = on_join = on_meet = on_leq = on_ite = inner


class Rebuild(Fold):
    """Builds each node again from its rebuilt children: the identity, if the walker passes
    every child, in order."""

    def same(self, e):
        return e

    def unary(self, e, operand):
        return m.Not(operand)

    def many(self, e, *operands):
        return type(e)(operands)

    def binary(self, e, left, right):
        return dataclasses.replace(e, left=left, right=right)

    def on_ite(self, e, cond, then, other):
        return s.Ite(cond, then, other)

    on_const = on_var = on_at = on_level = same
    on_not = unary
    on_and = on_or = many
    on_cmp = on_arith = on_join = on_meet = on_leq = binary


def test_a_fold_passes_each_method_the_node_and_its_translated_children():
    assert Size()(FULL_EXPR) == len(list(subexpressions(FULL_EXPR)))
    assert Rebuild()(FULL_EXPR) == FULL_EXPR

    class Shape(Fold):
        forms = MODEL_FORMS

        def leaf(self, e):
            return type(e).__name__

        def inner(self, e, *parts):
            return f"{type(e).__name__}({', '.join(parts)})"

        on_const = on_var = on_at = leaf
        on_not = on_and = on_or = on_cmp = on_arith = inner

    assert Shape()(MODEL_EXPR) == "Or(And(Not(Var), At), Cmp(Arith(Var, Const), Const))"


def test_a_translator_that_misses_a_form_is_refused_when_defined():
    with pytest.raises(TypeError, match=r"Partial .*missing on_leq, on_ite$"):
        type("Partial", (Size,), {"on_leq": None, "on_ite": "not callable"})
    with pytest.raises(TypeError, match=r"missing on_const, on_var"):
        class NoLeaves(Fold):  # noqa: F841
            forms = MODEL_FORMS
            on_at = on_not = on_and = on_or = on_cmp = on_arith = Size.inner


def test_a_translator_of_surface_forms_needs_only_their_methods_and_refuses_the_others():
    class Surface(Fold):
        forms = MODEL_FORMS
        on_const = on_var = on_at = Size.leaf
        on_not = on_and = on_or = on_cmp = on_arith = Size.inner

    assert Surface()(MODEL_EXPR) == len(list(subexpressions(MODEL_EXPR)))
    with pytest.raises(TypeError, match="Surface cannot translate"):
        Surface()(FULL_EXPR)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(workflows())
def test_the_walker_sees_every_expression_field_of_every_lowered_expression(source):
    """On every expression of random systems, `children` are exactly the fields holding
    expressions, in declaration order, and a rebuilding fold is the identity."""
    system = lower(wfcheck.check_text(source, "random.wf").model)
    exprs = [system.deadlock]
    for step in system.steps:
        exprs += [step.guard, step.range_ok, *step.written, *(v for _, v in step.assigns if v is not None)]
    for check in system.checks:
        exprs += [check.state_bad, *check.step_bad.values(),
                  *(v for assigns in check.monitor_assigns.values() for _, v in assigns)]
    for expr in exprs:
        assert Rebuild()(expr) == expr
        for node in subexpressions(expr):
            fields = [getattr(node, f.name) for f in dataclasses.fields(node)]
            expected = [x for f in fields for x in (f if isinstance(f, tuple) else (f,)) if type(x) in FORMS]
            assert list(children(node)) == expected, node


# ---------------------------------------------------------------- every translator of the product

def _python(system):
    from wfcheck.spec.semantics import Interpreter, _PyTranslator
    return _PyTranslator(Interpreter(system).index)


def _printer(system):
    from wfcheck.spec.ir_text import _Printer
    return _Printer()


def _promela(system):
    from wfcheck.export.promela import _Translator
    return _Translator(system, system.checks[0])


def _lean(system):
    from wfcheck.lean_export.terms import Names, Translator
    return Translator(Names.build(system, ()), {v.name: v.sort for v in system.vars})


def _z3(system):
    from wfcheck.checker.verify.smt.encode import SystemTerms
    terms = SystemTerms(system)
    for var in system.vars + tuple(v for c in system.checks for v in c.monitors):
        terms.declare(var)
    return terms.translate


def _substitute(system):
    from wfcheck.spec.values import _Substitute
    return _Substitute({system.vars[0].name: m.TRUE})


# How to build each translator for a system; a new translator needs a line here.
BUILDERS = {
    "wfcheck.spec.semantics._PyTranslator": _python,
    "wfcheck.spec.ir_text._Printer": _printer,
    "wfcheck.export.promela._Translator": _promela,
    "wfcheck.lean_export.terms.Translator": _lean,
    "wfcheck.checker.verify.smt.translate.Translator": _z3,
    "wfcheck.spec.values._Substitute": _substitute,
}


def product_translators() -> list[type]:
    for package in ("wfcheck.spec", "wfcheck.export", "wfcheck.lean_export", "wfcheck.checker"):
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, package + "."):
            importlib.import_module(info.name)
    found, stack = [], [Fold]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("wfcheck."):
                found.append(sub)
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def test_the_product_translators_are_found():
    assert set(BUILDERS) <= {f"{c.__module__}.{c.__qualname__}" for c in product_translators()}


@pytest.mark.parametrize("cls", product_translators(), ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_every_product_translator_translates_every_form_it_declares(cls):
    name = f"{cls.__module__}.{cls.__qualname__}"
    assert name in BUILDERS, f"{name} is a Fold: add how to build it to BUILDERS in {__file__}"
    translator = BUILDERS[name](SYSTEM)
    assert type(translator) is cls
    expr = EXPRESSIONS[cls.forms]
    assert forms_of(expr) == set(cls.forms)
    assert translator(expr) is not None
