"""Load test of `wfcheck gate serve` on loopback, and its memory over 1M events through HTTP.

    python bench/bench_gate.py                          # latency rows (defaults below)
    python bench/bench_gate.py --seconds 45 --peer      # also against a constant ASGI app (the peer)
    python bench/bench_gate.py --http-events 1000000    # memory: 1M events through HTTP, RSS sampled

The service runs as `wfcheck gate serve` in a child process on 127.0.0.1 (a free port),
with the four AgentDojo specs. The load comes from `--clients` other processes (so the load
generator does not share the server's event loop, nor one loop among all sessions), each
an asyncio loop (uvloop where installed) of lean HTTP/1.1 clients on raw asyncio streams,
one keep-alive connection per session. Each session is an agent replaying AgentDojo runs of
../shared/data in turn: open a session, `check` each tool call before it "runs" (a refused
call is then done), `step` it with its recorded result and every message, `finish`.

Latency rows: `--sessions` agents for `--seconds` each, with think times drawn from an
exponential distribution of mean T before each event (the agent's model call: arrivals
are then Poisson, as from independent agents), for each T of `--think`; T=0 is the closed
loop, where every agent sends its next request as soon as the last is answered (there, by
Little's law, latency = requests in flight / throughput). Then one agent closed-loop (the
round trip itself). Reported: requests/s, `check` latency as the client saw it and as the
server spent it (its Server-Timing header), the server's RSS.

With `--peer` the same rows run against uvicorn serving a constant ASGI app that decides
nothing: what the machine itself costs per round trip, in the same run.

Memory (`--http-events N`): agents closed-loop until N events have gone through HTTP, the
server's RSS sampled every `--sample` seconds: finished sessions must not make it grow.
Loopback only; every loop is bounded in time and count; the children are stopped at the end.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import multiprocessing.connection
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
    """(suite, [(check body or None, step body)], [parsed events]) per AgentDojo run; the
    bodies are the JSON bytes an agent sends, made once here, not in the timed loop."""
    from wfcheck.checker.trace.readers.reader import read_traces
    from wfcheck.gate.session import event_record

    out = []
    for suite in SUITES:
        files = sorted(str(p) for p in DATA.glob(f"*/{suite}/**/*.json"))
        for trace in read_traces(files):
            bodies = []
            for e in trace.events:
                r = event_record("x", e)
                del r["trace"]
                call = {k: v for k, v in r.items() if k not in ("result", "error")}
                bodies.append((json.dumps({"event": call}).encode() if r["type"] == "tool_call" else None,
                               json.dumps({"event": r}).encode()))
            out.append((suite, bodies, trace.events))
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


class Connection:
    """One keep-alive HTTP/1.1 connection to the service: a request is written whole, the
    answer read by its Content-Length. Only what the bench needs: no chunking, no redirects."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader = self.writer = None
        self.reconnects = -1

    async def _connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reconnects += 1

    async def post(self, path: str, body: bytes = b"") -> tuple[int, dict, bytes]:
        """The request, on this connection or (if the server closed it) on a new one."""
        if self.writer is None or self.reader.at_eof():
            await self._connect()
        self.writer.write(f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer {TOKEN}\r\n"
                          f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n".encode() + body)
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in head[1:] if line)
        return int(head[0].split(" ", 2)[1]), headers, await self.reader.readexactly(int(headers["content-length"]))

    def close(self) -> None:
        self.writer.close()


async def agent(port: int, all_runs, first: int, stride: int, think: float, deadline: float, quota: list, out: dict):
    """One agent: runs `first`, `first + stride`, ... until the deadline or the shared quota
    of events is spent; think times exponential of mean `think` (0: none)."""
    http = Connection(port)
    i = first
    try:
        if think:      # agents do not all start at once
            await asyncio.sleep(random.uniform(0, think))
        while time.monotonic() < deadline and quota[0] > 0:
            suite, bodies, _ = all_runs[i % len(all_runs)]
            i += stride
            status, _, body = await http.post("/sessions", json.dumps({"spec": suite}).encode())
            sid = json.loads(body)["id"]
            out["requests"] += 1
            for check, step in bodies:
                if think:
                    await asyncio.sleep(random.expovariate(1 / think))
                if time.monotonic() >= deadline:
                    break
                quota[0] -= 1
                out["events"] += 1
                if check is not None:
                    t0 = time.perf_counter()
                    status, headers, body = await http.post(f"/sessions/{sid}/check", check)
                    out["client_ms"].append((time.perf_counter() - t0) * 1000)
                    out["server_ms"].append(float(headers["server-timing"].split("dur=")[1]))
                    out["requests"] += 1
                    if not json.loads(body)["allowed"]:
                        out["refused"] += 1
                        continue
                status, _, _ = await http.post(f"/sessions/{sid}/step", step)
                out["requests"] += 1
                out["errors"] += status != 200
            await http.post(f"/sessions/{sid}/finish")
            out["requests"] += 1
            out["runs"] += 1
    finally:
        out["reconnects"] += max(0, http.reconnects)
        if http.writer is not None:
            http.close()


def load_process(port, all_runs, agents, c, clients, sessions, think, seconds, max_events, pipe):
    """Load-generator process `c` of `clients`: `agents` agents in one event loop, agent k
    replaying runs c + k*clients, then every `sessions` further (no two agents replay the
    same run); the totals to `pipe`."""
    random.seed(1000 + c)
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    out = {"requests": 0, "events": 0, "runs": 0, "refused": 0, "errors": 0, "reconnects": 0, "client_ms": [], "server_ms": []}

    async def main():
        deadline = time.monotonic() + seconds
        quota = [max_events]
        await asyncio.gather(*(agent(port, all_runs, c + k * clients, sessions, think, deadline, quota, out)
                               for k in range(agents)))

    start = time.monotonic()
    asyncio.run(main())
    out["wall"] = time.monotonic() - start
    pipe.send(out)
    pipe.close()


def drive(port, all_runs, sessions, clients, think, seconds, max_events, server_pid=None, sample=0.0):
    """`sessions` agents spread over `clients` processes; the merged totals, and the
    server's RSS sampled every `sample` seconds while they run (if given)."""
    ctx = multiprocessing.get_context("fork")
    procs, pipes = [], []
    clients = max(1, min(clients, sessions))
    for c in range(clients):
        agents = sessions // clients + (c < sessions % clients)
        mine, theirs = ctx.Pipe(duplex=False)
        p = ctx.Process(target=load_process, args=(port, all_runs, agents, c, clients, sessions, think, seconds,
                                                   max_events // clients, theirs))
        p.start()
        theirs.close()
        procs.append(p)
        pipes.append(mine)
    samples, t0 = [], time.monotonic()
    results, waiting = [], list(pipes)
    while waiting:
        for pipe in multiprocessing.connection.wait(waiting, sample or 0.5):
            try:
                results.append(pipe.recv())
            except EOFError:
                raise RuntimeError("a load-generator process died (its traceback is above)") from None
            waiting.remove(pipe)
        if server_pid and sample:
            samples.append((time.monotonic() - t0, rss_kb(server_pid)))
        if time.monotonic() - t0 > seconds + 120:
            break
    for p in procs:
        p.join(10)
        if p.is_alive():
            p.terminate()
    total = {k: sum(r[k] for r in results) for k in ("requests", "events", "runs", "refused", "errors",
                                                        "reconnects")}
    total["wall"] = max(r["wall"] for r in results)
    total["client_ms"] = [x for r in results for x in r["client_ms"]]
    total["server_ms"] = [x for r in results for x in r["server_ms"]]
    return total, samples


def peer_app():
    """The peer of the service: uvicorn answering every request with a constant of the size
    of a `check` answer, deciding nothing. What the machine itself costs per round trip."""
    session = json.dumps({"id": "peer", "spec": "x", "audit": None, "violations": []}).encode()
    allowed = json.dumps({"allowed": True, "violations": [], "reason": None}).encode()

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        body = session if scope["path"] == "/sessions" else allowed
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"server-timing", b"check;dur=0.000")]})
        await send({"type": "http.response.body", "body": body})
    return app


def start_server(max_sessions: int = 1000, peer: bool = False):
    port = free_port()
    specs = [f"{s}={ROOT / 'examples' / 'agentdojo' / (s + '.wf')}" for s in SUITES]
    command = ([sys.executable, __file__, "--peer-server", str(port)] if peer else
               [sys.executable, "-m", "wfcheck", "gate", "serve", *specs, "--token", TOKEN,
                "--port", str(port), "--max-sessions", str(max_sessions)])
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    for _ in range(300):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return child, port
        except OSError:
            time.sleep(0.1)
    child.kill()
    raise RuntimeError("the service did not start")


def baseline(all_runs, events: int):
    """check through Monitor in-process: microseconds per check."""
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


def latency(all_runs, args) -> None:
    rows = []
    plan = [(args.sessions, t, args.seconds) for t in args.think] + [(1, 0.0, min(args.seconds, 20))]
    for server in ("gate", "peer") if args.peer else ("gate",):
        child, port = start_server(peer=server == "peer")
        try:
            rss0 = rss_kb(child.pid)
            for sessions, think, seconds in plan:
                total, _ = drive(port, all_runs, sessions, args.clients, think, seconds, 10 ** 9)
                rows.append((server, sessions, think, total, rss0, rss_kb(child.pid)))
                print(f"  {server}: ran {sessions} sessions, think {think:g}: {total['events']:,} events, "
                      f"{total['errors']} errors, {total['reconnects']} reconnections, load average "
                      f"{os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)
        finally:
            child.terminate()
            child.wait(10)
    base = baseline(all_runs, 200_000)
    print("| server | sessions | think s (mean) | wall s | events | requests/s | check p50 ms (client) "
          "| check p99 ms (client) | check p50 ms (server) | check p99 ms (server) | server RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for server, sessions, think, total, rss0, rss in rows:
        c, s = total["client_ms"], total["server_ms"]
        print(f"| {server} | {sessions} | {think:g} | {total['wall']:.1f} | {total['events']:,} | "
              f"{total['requests'] / total['wall']:,.0f} | {pct(c, 50):.2f} | {pct(c, 99):.2f} | "
              f"{pct(s, 50):.3f} | {pct(s, 99):.3f} | {rss0 / 1024:.0f} → {rss / 1024:.0f} |")
    print(f"\nin-process Monitor.check, same runs: p50 {statistics.median(base):.0f} µs, "
          f"p99 {pct(base, 99):.0f} µs ({len(base):,} checks)", flush=True)


def memory(all_runs, args) -> None:
    child, port = start_server(args.max_sessions)
    try:
        rss0 = rss_kb(child.pid)
        total, samples = drive(port, all_runs, args.sessions, args.clients, 0.0, 3 * 3600, args.http_events,
                               child.pid, args.sample)
        rss1 = rss_kb(child.pid)
    finally:
        child.terminate()
        child.wait(10)
    print(f"{total['events']:,} events through HTTP in {total['runs']:,} finished sessions, "
          f"{total['requests']:,} requests in {total['wall']:.0f} s ({total['requests'] / total['wall']:,.0f}/s), "
          f"{total['errors']} errors; check p50 {pct(total['client_ms'], 50):.2f} ms p99 "
          f"{pct(total['client_ms'], 99):.2f} ms (client, {args.sessions} in flight)")
    print(f"server RSS MB: start {rss0 / 1024:.0f}, end {rss1 / 1024:.0f}; samples (s:MB):")
    step = max(1, len(samples) // 20)
    print(" ".join(f"{t:.0f}:{kb / 1024:.1f}" for t, kb in samples[::step] + samples[-1:]))
    half = [kb for t, kb in samples[len(samples) // 2:]]
    if half:
        print(f"second half of the run: RSS {min(half) / 1024:.1f}-{max(half) / 1024:.1f} MB")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=200)
    ap.add_argument("--clients", type=int, default=2, help="load-generator processes")
    ap.add_argument("--seconds", type=float, default=45)
    ap.add_argument("--think", type=float, nargs="+", default=[1.0, 0.5, 0.0],
                    help="mean think times (s) of the latency rows; 0 is the closed loop")
    ap.add_argument("--http-events", type=int, default=0,
                    help="instead of the latency rows: this many events through HTTP, the server's RSS sampled")
    ap.add_argument("--max-sessions", type=int, default=1000, help="the server's --max-sessions (memory run)")
    ap.add_argument("--sample", type=float, default=5.0, help="seconds between RSS samples (memory run)")
    ap.add_argument("--peer", action="store_true", help="the same rows against a constant ASGI app (the peer)")
    ap.add_argument("--peer-server", type=int, help=argparse.SUPPRESS)   # run the peer on this port
    args = ap.parse_args()
    if args.peer_server:
        import uvicorn
        uvicorn.run(peer_app(), host="127.0.0.1", port=args.peer_server, log_level="warning", access_log=False,
                    server_header=False, date_header=False, timeout_keep_alive=75)
        return 0
    if not (DATA / "index.jsonl").exists():
        print("the AgentDojo runs of ../shared/data are not here", file=sys.stderr)
        return 2
    all_runs = runs()
    print(f"{len(all_runs)} AgentDojo runs, {sum(len(r[1]) for r in all_runs)} events; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    if args.http_events:
        memory(all_runs, args)
    else:
        latency(all_runs, args)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
