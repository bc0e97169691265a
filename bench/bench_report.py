"""How long the HTML report and the language server's diagnostics take, each beside the
baseline it adds to, measured in the same run (the machine is shared: ratios, not seconds,
are what carries over).

- verify: `render_verification` (text) vs `render_verification_html`, on one verified report;
- trace: `check_traces` (the checking the page reports) vs `render_traces_html` (which
  reads the traces again to map their events onto the diagram);
- lsp: `check_text` (what `wfcheck check` does) vs the server's `diagnostics` (the same plus
  the LSP shapes), and the name index the other requests use, per keystroke of a document.

    python bench/bench_report.py [--repeat N]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "examples"


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from wfcheck import api
    from wfcheck.spec.frontend import check_text

    rows = []
    for name in ("support", "email_assistant", "coding_agent", "pipeline"):
        spec = str(EX / f"{name}.wf")
        model = api.load_model(spec)
        report = api.verify(model, jobs=1)
        text = best(lambda: api.render_verification(report, spec), args.repeat)
        html = best(lambda: api.render_verification_html(report, spec), args.repeat)
        rows.append((f"verify {name}: text vs html", text, html))
        traces = [str(EX / "traces" / name)]
        treport = api.check_traces(model, traces)
        js = best(lambda: api.check_traces(model, traces), args.repeat)
        th = best(lambda: api.render_traces_html(treport, model, traces), args.repeat)
        rows.append((f"trace {name} ({len(treport.results)} traces): checking vs html", js, th))
    try:
        from wfcheck.lsp.index import index
        from wfcheck.lsp.server import diagnostics
    except ImportError:
        print("lsp extra absent: the language server is not measured", file=sys.stderr)
    else:
        source = (EX / "support.wf").read_text(encoding="utf-8")
        uri = (EX / "support.wf").as_uri()
        check = best(lambda: check_text(source, str(EX / "support.wf")), args.repeat)
        diag = best(lambda: diagnostics(uri, source), args.repeat)
        idx = best(lambda: index.__wrapped__(source), args.repeat)  # uncached: a keystroke's new text
        rows.append(("lsp support.wf: check_text vs diagnostics", check, diag))
        rows.append(("lsp support.wf: check_text vs name index", check, idx))
    print("| what | baseline ms | new ms | ratio |\n|---|---:|---:|---:|")
    for what, base, new in rows:
        print(f"| {what} | {base * 1000:.1f} | {new * 1000:.1f} | {new / base:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
