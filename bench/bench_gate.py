"""Load test of `wfcheck gate serve` on loopback, and the memory of finished sessions.

    python bench/bench_gate.py                       # defaults below; --markdown for docs
    python bench/bench_gate.py --sessions 200 --seconds 60 --memory-events 1000000

1. HTTP load: the service runs as `wfcheck gate serve` in a child process on 127.0.0.1
   (a free port), with the four AgentDojo specs. `--sessions` client tasks (one asyncio
   loop, httpx) each replay AgentDojo runs of ../shared/data in turn, as a gated agent
   would: open a session, `check` each tool call before it "runs" (a refused call is then
   done), `step` it with its recorded result and every message, `finish`. It stops after
   `--seconds` or `--events`, whichever comes first. Reported: requests/s, the latency of
   `check` as the client saw it (under `--sessions` requests in flight: queueing on the
   two cores included) and as the server spent it (its Server-Timing header), and the
   server's RSS before and after. Then the same with one session (no queueing: the HTTP
   round trip itself).
2. Baseline, same run: the same events through `Monitor.check`/`step` in this process,
   so the HTTP cost is a ratio within one run of a loaded machine.
3. Memory: `--memory-events` events through the service's state (`Gate`, no HTTP) in
   sessions that open, run and finish, RSS sampled every tenth: finished sessions must not
   make it grow.
Loopback only; every loop is bounded in time and count; the child is stopped at the end.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "agentdojo"
SUITES = ("banking", "slack", "travel", "workspace")
TOKEN = "bench-token"


def runs():
    """(suite, [native event dicts]) per AgentDojo run, and the parsed events."""
    from wfcheck.checker.trace.readers.reader import read_traces
    from wfcheck.gate.session import event_record

    out = []
    for suite in SUITES:
        files = sorted(str(p) for p in DATA.glob(f"*/{suite}/**/*.json"))
        for trace in read_traces(files):
            records = []
            for e in trace.events:
                r = event_record("x", e)
                del r["trace"]
                records.append(r)
            out.append((suite, records, trace.events))
    return out


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))] if values else float("nan")


async def load(port: int, all_runs, sessions: int, seconds: float, max_events: int, think: float = 0.0):
    import httpx

    client_ms, server_ms = [], []
    counts = {"requests": 0, "events": 0, "runs": 0, "refused": 0}
    # One client per session: httpx's pool slows down with many connections in one client.
    clients = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60,
                                 headers={"authorization": f"Bearer {TOKEN}"}) for _ in range(sessions)]
    try:
        async def worker(k: int):
            http = clients[k]
            i = k
            if think:   # sessions start spread over one think time, as agents do
                await asyncio.sleep(random.uniform(0, think))
            while time.monotonic() < deadline and counts["events"] < max_events:
                suite, records, _ = all_runs[i % len(all_runs)]
                i += sessions
                sid = (await http.post("/sessions", json={"spec": suite})).json()["id"]
                counts["requests"] += 1
                for r in records:
                    if think:   # the agent's own time between events (its model call)
                        await asyncio.sleep(think)
                    if time.monotonic() >= deadline:
                        break
                    if r["type"] == "tool_call":
                        call = {k: v for k, v in r.items() if k not in ("result", "error")}
                        t0 = time.perf_counter()
                        reply = await http.post(f"/sessions/{sid}/check", json={"event": call})
                        client_ms.append((time.perf_counter() - t0) * 1000)
                        server_ms.append(float(reply.headers["server-timing"].split("dur=")[1]))
                        counts["requests"] += 1
                        if not reply.json()["allowed"]:
                            counts["refused"] += 1
                            counts["events"] += 1
                            continue
                    await http.post(f"/sessions/{sid}/step", json={"event": r})
                    counts["requests"] += 1
                    counts["events"] += 1
                await http.post(f"/sessions/{sid}/finish")
                counts["requests"] += 1
                counts["runs"] += 1

        start = time.monotonic()
        deadline = start + seconds
        await asyncio.gather(*(worker(k) for k in range(sessions)))
        wall = time.monotonic() - start
    finally:
        for http in clients:
            await http.aclose()
    return wall, counts, client_ms, server_ms


def http_rows(all_runs, sessions, seconds, max_events, think=0.0):
    port = free_port()
    specs = [f"{s}={ROOT / 'examples' / 'agentdojo' / (s + '.wf')}" for s in SUITES]
    child = subprocess.Popen([sys.executable, "-m", "wfcheck", "gate", "serve", *specs, "--token", TOKEN,
                              "--port", str(port), "--max-sessions", "1000"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        import httpx
        for _ in range(200):
            try:
                httpx.get(f"http://127.0.0.1:{port}/sessions/none", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        rss0 = rss_kb(child.pid)
        rows = []
        runs_of = [(sessions, seconds, 0.0), (1, min(seconds, 15), 0.0)]
        if think:
            runs_of.insert(1, (sessions, seconds, think))
        for n, secs, pause in runs_of:
            wall, counts, client_ms, server_ms = asyncio.run(load(port, all_runs, n, secs, max_events, pause))
            rows.append((n, pause, wall, counts, client_ms, server_ms, rss_kb(child.pid)))
        return rss0, rows
    finally:
        child.terminate()
        child.wait(10)


def baseline(all_runs, events: int):
    """check + step through Monitor in-process: microseconds per check."""
    from wfcheck.checker.trace.monitor import Monitor
    from wfcheck.checker.trace.readers.events import ToolCall

    monitors = {s: Monitor(str(ROOT / "examples" / "agentdojo" / f"{s}.wf")) for s in SUITES}
    times, done = [], 0
    for suite, _, evs in all_runs:
        mon = monitors[suite]
        mon.reset()
        for e in evs:
            if isinstance(e, ToolCall):
                bare = replace(e, result=None, result_location=None)
                t0 = time.perf_counter_ns()
                mon.check(bare)
                times.append((time.perf_counter_ns() - t0) / 1000)
            mon.step(e)
            done += 1
        mon.finish()
        if done >= events:
            break
    return times


def memory(all_runs, events: int):
    from wfcheck import api

    specs = [f"{s}={ROOT / 'examples' / 'agentdojo' / (s + '.wf')}" for s in SUITES]
    gate = api.gate_service(tuple(specs), (TOKEN,), max_sessions=1000)
    from wfcheck.gate.service import _Done
    from wfcheck.checker.trace.readers.events import ToolCall
    samples, done, i = [], 0, 0
    step = max(1, events // 10)
    next_sample = 0
    gc.collect()
    while done < events:
        suite, _, evs = all_runs[i % len(all_runs)]
        i += 1
        from wfcheck.gate.session import Session
        sid = f"s{i}"
        session = Session(gate.specs.get(suite).monitor, sid)
        for e in evs:
            if isinstance(e, ToolCall) and not session.decide(replace(e, result=None, result_location=None)).allowed:
                done += 1
                continue
            session.step(e)
            done += 1
        session.finish()
        gate.done[sid] = _Done(session.report(suite).to_json(), TOKEN, time.monotonic())
        gate.expire(time.monotonic())
        if done >= next_sample:
            gc.collect()
            samples.append((done, rss_kb(os.getpid())))
            next_sample += step
    gc.collect()
    samples.append((done, rss_kb(os.getpid())))
    return samples, i


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--memory-events", type=int, default=1_000_000)
    ap.add_argument("--think", type=float, default=0.0,
                    help="Also run the sessions open-loop: each waits this many seconds before each event "
                         "(an agent's model call), as live agents do; 0: only the closed-loop rows.")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    if not (DATA / "index.jsonl").exists():
        print("the AgentDojo runs of ../shared/data are not here", file=sys.stderr)
        return 2
    all_runs = runs()
    print(f"{len(all_runs)} AgentDojo runs, {sum(len(r[1]) for r in all_runs)} events; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    rss0, rows = http_rows(all_runs, args.sessions, args.seconds, args.events, args.think)
    base = baseline(all_runs, 200_000)
    print("| sessions in flight | think s | wall s | events | requests/s | check p50 ms (client) "
          "| check p99 ms (client) | check p50 ms (server) | check p99 ms (server) | server RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n, pause, wall, counts, client_ms, server_ms, rss in rows:
        print(f"| {n} | {pause:g} | {wall:.1f} | {counts['events']:,} | {counts['requests'] / wall:,.0f} | "
              f"{pct(client_ms, 50):.2f} | {pct(client_ms, 99):.2f} | {pct(server_ms, 50):.3f} | "
              f"{pct(server_ms, 99):.3f} | {rss0 / 1024:.0f} → {rss / 1024:.0f} |")
    print(f"\nin-process Monitor.check, same runs: p50 {statistics.median(base):.0f} us, "
          f"p99 {pct(base, 99):.0f} us ({len(base):,} checks)", flush=True)
    samples, sessions = memory(all_runs, args.memory_events)
    print(f"\nmemory, {samples[-1][0]:,} events in {sessions:,} finished sessions (RSS MB after events):")
    print(" ".join(f"{d // 1000}k:{kb / 1024:.0f}" for d, kb in samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
