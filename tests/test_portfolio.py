"""The shared exploration and the portfolio against the per-property reference checker.

* `shared.check_all` (one exploration for all properties) must give every property the
  verdict `explicit.check_property` gives it alone, every counterexample must replay through
  the semantics, and safety counterexamples must be equally long (both shortest).
* The portfolio must agree with the forced engines, say which engine decided each property,
  and, when it races z3, still return the explicit engine's shortest runs.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings

import wfcheck
from wfcheck.checker.verify import portfolio, shared
from wfcheck.checker.verify.explicit import check_property
from wfcheck.checker.verify.result import UNKNOWN, VIOLATED
from wfcheck.checker.verify.run import verify_model
from wfcheck.checker.verify.shared import check_all

sys.path.insert(0, str(Path(__file__).resolve().parent))
from replay import replay  # noqa: E402
from test_agreement import SETTINGS, _bench_generator, load  # noqa: E402
from workflow_gen import workflows  # noqa: E402


def assert_same_as_alone(system, shared) -> None:
    for result in shared:
        check = system.check(result.name)
        alone = check_property(system, check)
        assert result.status == alone.status, f"`{result.name}`: shared {result.status}, alone {alone.status}"
        if result.status != VIOLATED:
            continue
        replay(system, check, result.counterexample)
        assert set(result.counterexample.configs[0]) == set(alone.counterexample.configs[0])
        if not check.liveness:
            assert result.shortest is True
            assert len(result.counterexample) == len(alone.counterexample), result.name


@settings(max_examples=60, **SETTINGS)
@given(workflows())
def test_one_shared_exploration_agrees_with_one_search_per_property(source):
    system = load(source)
    assert_same_as_alone(system, check_all(system))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shared_exploration_on_bench_workflows(seed):
    source = _bench_generator().generate(states=25, tools=8, variables=3, properties=8, agents=3, seed=seed)
    system = load(source)
    shared = check_all(system)
    assert any(r.status == VIOLATED for r in shared)
    assert_same_as_alone(system, shared)


@settings(max_examples=25, **SETTINGS)
@given(workflows())
def test_portfolio_agrees_with_the_forced_engines(source):
    model = wfcheck.check_text(source, "random.wf").model
    default = verify_model(model, bound=20, timeout=5.0)
    assert default.engine == "portfolio"
    explicit = {r.name: r.status for r in verify_model(model, "explicit").results}
    smt = {r.name: r.status for r in verify_model(model, "smt", bound=20, timeout=5.0).results}
    for result in default.results:
        assert result.engine in ("explicit", "smt")
        assert result.status == explicit[result.name]
        if smt[result.name] != UNKNOWN:
            assert result.status == smt[result.name]


def test_the_bound_counts_every_range():
    system = load("workflow w\nagent a\nvar n: 0..3 = 0\nvar b: bool = false\ntool t() by a\n"
                  "state s initial\nstate e final\ns -> e on t\nproperty p: always n < 3\n")
    assert portfolio.configuration_bound(system, list(system.checks)) >= 2 * 4 * 2
    assert portfolio.plan(system, list(system.checks)) == "explicit"
    assert portfolio.plan(system, list(system.checks), max_states=3) == "both"


def test_side_by_side_the_explicit_engine_still_wins_with_shortest_runs(monkeypatch):
    """A model too large for the static bound: z3 starts past the probe, the exploration
    completes first and its verdicts (shortest counterexamples) are the report's."""
    source = _bench_generator().generate(states=25, tools=8, variables=3, properties=5, agents=3, seed=0)
    system = load(source)
    checks = list(system.checks)
    assert portfolio.plan(system, checks) == "both"
    monkeypatch.setattr(shared, "PROGRESS_EVERY", 8)   # so that z3 is started on this small model
    started = []
    real_pool = portfolio.multiprocessing.get_context("fork").Pool
    monkeypatch.setattr(portfolio.multiprocessing, "get_context",
                        lambda kind: type("C", (), {"Pool": staticmethod(lambda *a: started.append(1) or real_pool(*a))}))
    results = portfolio.check_portfolio(system, checks, bound=10, timeout=5.0, jobs=1, probe_states=100)
    assert started, "z3 was not started side by side"
    assert all(r.engine == "explicit" for r in results)
    assert_same_as_alone(system, results)


def test_past_the_budget_z3_decides_what_the_exploration_could_not():
    source = _bench_generator().generate(states=25, tools=8, variables=3, properties=5, agents=3, seed=0)
    system = load(source)
    checks = list(system.checks)
    results = portfolio.check_portfolio(system, checks, bound=20, timeout=5.0, jobs=1,
                                        max_states=50, probe_states=10)
    engines = {r.engine for r in results}
    assert "smt" in engines
    reference = {r.name: r.status for r in check_all(system, checks)}
    for result in results:
        if result.status != UNKNOWN:
            assert result.status == reference[result.name], result.name
        if result.engine == "explicit":
            assert result.status == VIOLATED and result.shortest


def test_stopping_the_exploration_leaves_the_open_properties_unknown(monkeypatch):
    monkeypatch.setattr(shared, "PROGRESS_EVERY", 8)
    source = _bench_generator().generate(states=25, tools=8, variables=3, properties=5, agents=3, seed=0)
    system = load(source)
    results = check_all(system, progress=lambda found: True)
    unknown = [r for r in results if r.status == UNKNOWN]
    assert unknown and all("another engine decided first" in r.reason for r in unknown)


def test_lean_export_follows_the_portfolio(tmp_path):
    from wfcheck.api import export_lean
    root = Path(__file__).resolve().parent.parent
    result = export_lean(str(root / "examples" / "support.wf"), str(tmp_path / "out"), engine="portfolio")
    assert result.report.engine == "portfolio" and result.files
    text = "\n".join(Path(f).read_text(encoding="utf-8") for f in result.files if f.endswith(".lean"))
    assert "wfcheck's explicit checker" in text
