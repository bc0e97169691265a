"""The HTML reports of the bundled examples in a real browser: headless Chromium (Debian's
package, driven through playwright's API; playwright's own browser builds are not used).
The tests assert what is visible and what clicking does; screenshots are kept in
build/test-artifacts/report/ (or $WFCHECK_ARTIFACTS). Skipped where Chromium or playwright
is absent."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from wfcheck import api

ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "examples"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(os.environ.get("WFCHECK_ARTIFACTS", ROOT / "build" / "test-artifacts" / "report"))

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine (Debian package `chromium`)")


@pytest.fixture(scope="module")
def browser():
    sync = pytest.importorskip("playwright.sync_api")
    with sync.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


def _open(browser, html: str, tmp_path, name: str):
    path = tmp_path / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors, requests = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
    page.goto(path.as_uri())
    return page, errors, requests


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _highlighted(page) -> set[int]:
    return {int(i.split("-")[1]) for i in page.eval_on_selector_all(".diagram .edge.on", "els => els.map(e => e.id)")}


@pytest.mark.parametrize("example", ["support", "email_assistant", "coding_agent", "pipeline"])
def test_verify_report_draws_the_path_and_shows_steps_on_click(browser, tmp_path, example):
    spec = str(EX / f"{example}.wf")
    report = api.verify(spec)
    page, errors, requests = _open(browser, api.render_verification_html(report, spec), tmp_path, example)
    violated = [r for r in report.results if r.status == "violated" and r.counterexample]
    if not violated:
        assert _highlighted(page) == set() and page.locator(".detail:visible").count() == 0
        _shot(page, f"verify-{example}")
        return
    first = violated[0]
    assert _highlighted(page) == set(first.counterexample.edges)   # opened at once
    last = violated[-1]
    page.locator("tr.finding", has_text=last.name).first.click()
    detail = page.locator(".detail:visible")
    assert detail.count() == 1 and last.name in detail.locator("h3").inner_text()
    assert detail.locator("tr.step").count() == len(last.counterexample)
    assert _highlighted(page) == set(last.counterexample.edges)
    # the highlighted edge is drawn differently (the stylesheet applied, not only a class)
    on = page.eval_on_selector(".diagram .edge.on path", "p => getComputedStyle(p).strokeWidth")
    off = page.eval_on_selector(".diagram .edge:not(.on) path", "p => getComputedStyle(p).strokeWidth") \
        if page.locator(".diagram .edge:not(.on)").count() else "0px"
    assert float(on.rstrip("px")) > float(off.rstrip("px"))
    # a finding's source link marks its `.wf` line and brings it into view
    line = report.model.property(last.name).span.line
    page.locator("tr.finding", has_text=last.name).first.locator("a.src-link").click()
    marked = page.locator("tr.src-line.marked")
    assert marked.count() == 1 and marked.get_attribute("id") == f"src-L{line}" and marked.is_visible()
    _shot(page, f"verify-{example}")
    assert errors == [] and requests == []


def test_trace_report_sorts_and_drills_down(browser, tmp_path):
    spec, traces = str(EX / "support.wf"), [str(EX / "traces" / "support")]
    model = api.load_model(spec)
    report = api.check_traces(model, traces)
    page, errors, requests = _open(browser, api.render_traces_html(report, model, traces), tmp_path, "trace")
    table = page.locator("table.by-file")
    table.locator("th", has_text="violations").click()
    table.locator("th", has_text="violations").click()  # descending
    counts = [int(c) for c in table.locator("tbody tr td:nth-child(4)").all_inner_texts()]
    assert counts == sorted(counts, reverse=True) and counts[0] > 0
    worst = max(report.results, key=lambda r: len(r.violations))
    table.locator("tbody tr").first.click()
    detail = page.locator(".detail:visible")
    assert detail.count() == 1
    assert detail.locator(".violation").count() == len(worst.violations)
    assert detail.locator(".chain li.sink").count() == len(worst.violations)
    assert _highlighted(page)  # the trace's events drawn on the diagram
    _shot(page, "trace-support")
    assert errors == [] and requests == []


SHARED_BANKING = ROOT.parent / "shared" / "data" / "agentdojo" / "gpt-4o-2024-05-13" / "banking"


@pytest.mark.skipif(not SHARED_BANKING.is_dir(), reason="shared data (../shared/data) is absent")
def test_real_corpus_report_sorts_and_drills_down(browser, tmp_path):
    """AgentDojo's banking runs (real gpt-4o trajectories): a corpus of some 170 traces."""
    spec, traces = str(EX / "agentdojo" / "banking.wf"), [str(SHARED_BANKING)]
    model = api.load_model(spec)
    report = api.check_traces(model, traces)
    assert len(report.results) > 100
    page, errors, requests = _open(browser, api.render_traces_html(report, model, traces), tmp_path, "banking")
    table = page.locator("table.by-file")
    assert table.locator("tbody tr").count() == len(report.results)
    header = table.locator("th", has_text="violations")
    header.click()
    header.click()
    counts = [int(c) for c in table.locator("tbody tr td:nth-child(4)").all_inner_texts()]
    assert counts == sorted(counts, reverse=True)
    assert counts[0] == max(len(r.violations) for r in report.results) > 0
    table.locator("tbody tr").first.click()
    assert page.locator(".detail:visible .violation").count() == counts[0]
    _shot(page, "trace-agentdojo-banking")
    assert errors == [] and requests == []
