"""The fuzz suite at a CI budget (issue 17): no command may exit 70 or print a traceback on
grammar-derived text or on mutated examples and traces. bench/fuzz.py runs the same at scale."""
from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fuzzing
from fuzzing import COMMANDS, mutate, run_command, trace_seeds, workflow_seeds

FAST = settings(max_examples=40, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
SLOW = settings(FAST, max_examples=8)


@pytest.fixture(scope="module")
def grammar_text():
    pytest.importorskip("hypothesis.extra.lark")
    return fuzzing.grammar_text()


def _assert_ok(finding):
    assert finding is None, str(finding)


@pytest.mark.parametrize("command", ["check", "fmt", "export"])
def test_grammar_derived_text(command, grammar_text, tmp_path):
    @FAST
    @given(grammar_text)
    def property_(text):
        _assert_ok(run_command(command, text.encode("utf-8", "surrogatepass"), tmp_path, name="<grammar>"))

    property_()


@pytest.mark.parametrize("command", ["check", "fmt", "export", "verify"])
def test_derivations_from_the_grammar(command, tmp_path):
    derive = fuzzing.Derivation()
    rnd = random.Random(f"test:{command}")
    for i in range(8 if command == "verify" else 30):
        _assert_ok(run_command(command, derive(rnd).encode(), tmp_path, name=f"<derivation {i}>"))


def test_derivations_mostly_parse_and_some_check():
    """A derivation follows the grammar, so it parses (names, numbers and strings come from
    small pools); some are valid workflows, which verify and export then get to run."""
    from wfcheck.api import check_text

    derive, rnd = fuzzing.Derivation(), random.Random(1)
    results = [check_text(derive(rnd)) for _ in range(200)]
    syntax = sum(any(d.code.startswith("WF00") for d in r.diagnostics) for r in results)
    assert syntax <= 10 and sum(r.ok for r in results) >= 10


@pytest.mark.parametrize("command", ["check", "fmt", "export", "verify"])
def test_mutated_workflows(command, tmp_path):
    @(SLOW if command == "verify" else FAST)
    @given(st.sampled_from(workflow_seeds()), st.randoms(use_true_random=False))
    def property_(seed, rnd):
        name, data = seed
        _assert_ok(run_command(command, mutate(data, rnd), tmp_path, name=name))

    property_()


@pytest.mark.parametrize("command", ["trace", "lean"])
def test_mutated_traces(command, tmp_path):
    @(SLOW if command == "lean" else FAST)
    @given(st.sampled_from(trace_seeds()), st.randoms(use_true_random=False))
    def property_(seed, rnd):
        spec, name, data = seed
        with open(spec, "rb") as handle:
            workflow = handle.read()
        _assert_ok(run_command(command, workflow, tmp_path, mutate(data, rnd), spec, name))

    property_()


def test_mutation_changes_the_input():
    rnd = random.Random(0)
    data = workflow_seeds()[0][1]
    assert sum(mutate(data, rnd) != data for _ in range(20)) >= 15
    assert set(COMMANDS) == {"check", "fmt", "verify", "trace", "lean", "export"}
