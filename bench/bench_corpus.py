"""Corpus benchmark: `wfcheck trace --cluster` (Dask) against the local process pool.

    python bench/bench_corpus.py                      # 10M events, the tables on stdout
    python bench/bench_corpus.py --events 2000000 --markdown
    python bench/bench_corpus.py --events 1000000 --rounds 3 --throughput-only   # a same-load control
    python bench/bench_corpus.py --formats --events 300000 --rounds 3   # OpenAI/Anthropic/OTLP, one file each

On a corpus of `--events` generated events (bench/gen_traces.py, native JSON Lines, traces
of 20 to 300 events, 10 % of the runs breaking a property, `--files` files) with bench_trace's
SPEC, conservative precision:

- throughput: events/s (wall) of `check_traces` with `jobs=1` and `jobs=2` (the process
  pool) and on a LocalCluster of 1, 2 and N (= CPUs) workers, the clusters started
  beforehand (each start-up is its own row); every report is compared with `jobs=1`'s;
  with `--rounds R` each run R times round-robin and the median (on a shared machine the
  load changes over a long run, and a row measured later meets another load: the load
  average after each run is in the table);
- overhead: the scheduler's round trip for an empty task, and the cost of one more
  partition (one file of `--overhead-events` events cut into 1 and into many partitions on
  one worker: the time difference over the partition difference);
- crossover: corpora of 1k to 1M events, the pool (`jobs=2`) against the cluster (2
  workers), with and without the cluster's start-up;
- projection: a 10-node cluster on the 10M-event corpus, from the measured per-worker rate,
  the per-partition overhead and the start-up (not assumed);
- `--formats`: one large file in each of the other JSON Lines formats, on 2 workers, read
  whole against cut into ranges.

Times are wall seconds: the cluster's work is in other processes. The machine may be shared.
"""
from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_trace import SPEC, machine  # noqa: E402
from gen_traces import write_corpus  # noqa: E402
from tables import table  # noqa: E402

from wfcheck import api  # noqa: E402

CROSSOVER_EVENTS = (1_000, 10_000, 100_000, 1_000_000)
LENGTHS = (20, 300)


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def _cluster(workers: int):
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None, silence_logs=logging.ERROR)
    client = Client(cluster)
    client.wait_for_workers(workers)
    return cluster, client


def _same(report, reference) -> str:
    return "yes" if api.render_traces(report, "json") == api.render_traces(reference, "json") else "NO"


def throughput(spec: str, paths: list[str], events: int, cpus: int, rounds: int = 1
               ) -> tuple[list[list[str]], dict]:
    """Each run `rounds` times, round-robin (so a change in the machine's load falls on every
    run alike), its median wall time; each row with the 1-minute load average at its end."""
    measured: dict = {}
    sizes = sorted({1, 2, cpus})
    clusters = {}
    for workers in sizes:
        _progress(f"starting a cluster of {workers}")
        clusters[workers], measured[("startup", workers)] = _timed(lambda: _cluster(workers))
    runs = [("process, jobs=1", 1, lambda: api.check_traces(spec, paths, jobs=1)),
            ("process pool, jobs=2", 2, lambda: api.check_traces(spec, paths, jobs=2))]
    runs += [(f"LocalCluster, {w} worker{'s' * (w > 1)}", w,
              lambda w=w: api.check_traces(spec, paths, client=clusters[w][1])) for w in sizes]
    walls: dict[str, list[float]] = {name: [] for name, _, _ in runs}
    loads: dict[str, list[float]] = {name: [] for name, _, _ in runs}
    reference = None
    same: dict[str, bool] = {}
    try:
        for round_no in range(rounds):
            for name, _, run in runs:
                _progress(f"throughput, round {round_no + 1}: {name}")
                report, wall = _timed(run)
                walls[name].append(wall)
                loads[name].append(os.getloadavg()[0])
                reference = reference or report
                same[name] = same.get(name, True) and _same(report, reference) == "yes"
    finally:
        for cluster, client in clusters.values():
            client.close()
            cluster.close()
    rows = []
    for name, workers, _ in runs:
        wall = statistics.median(walls[name])
        label = "(reference)" if name == runs[0][0] else "yes" if same[name] else "NO"
        rows.append([name, str(workers), f"{wall:.1f}", f"{events / wall:,.0f}", label,
                     "/".join(f"{x:.1f}" for x in loads[name])])
        if name.startswith("LocalCluster"):
            measured[workers] = events / wall
            rows.append(["  its start-up", "", f"{measured[('startup', workers)]:.1f}", "", "", ""])
    measured["startup"] = measured[("startup", 1)]
    return rows, measured


def overhead(spec: str, work: Path, events: int) -> dict:
    """The scheduler's empty round trip and the cost of one more partition, on one worker."""
    info = write_corpus(str(work / "overhead"), events, LENGTHS, 1, seed=5)
    path, size = info["paths"][0], info["bytes"]
    cluster, client = _cluster(1)
    try:
        n = 200
        client.gather(client.map(int, range(20), pure=False))
        _, wall = _timed(lambda: client.gather(client.map(int, range(n), pure=False)))
        round_trip = wall / n
        api.check_traces(spec, [path], client=client)                    # warm: the worker's monitor
        _, one = _timed(lambda: api.check_traces(spec, [path], client=client, partition_bytes=size + 1))
        cut = max(size // 64, 4096)
        from wfcheck.checker.corpus.partition import plan_file
        from wfcheck.checker.corpus.sources import Source

        parts = len(plan_file(Source(path, size), cut))
        _, many = _timed(lambda: api.check_traces(spec, [path], client=client, partition_bytes=cut))
    finally:
        client.close()
        cluster.close()
    return {"round_trip": round_trip, "one": one, "many": many, "parts": parts,
            "per_partition": max(many - one, 0.0) / (parts - 1), "events": info["events"]}


def crossover(spec: str, work: Path) -> list[list[str]]:
    (cluster, client), start = _timed(lambda: _cluster(2))
    rows = []
    try:
        for events in CROSSOVER_EVENTS:
            _progress(f"crossover: {events:,} events")
            info = write_corpus(str(work / f"cross{events}"), events, LENGTHS, 4, seed=9)
            api.check_traces(spec, info["paths"], client=client)         # warm
            _, pool = _timed(lambda: api.check_traces(spec, info["paths"], jobs=2))
            _, dask = _timed(lambda: api.check_traces(spec, info["paths"], client=client))
            rows.append([f"{events:,}", f"{pool:.2f}", f"{dask:.2f}", "pool" if pool < dask else "cluster",
                         f"{dask + start:.2f}", "pool" if pool < dask + start else "cluster"])
    finally:
        client.close()
        cluster.close()
    return rows


def formats(spec: str, work: Path, events: int, rounds: int, md: bool) -> str:
    """One large file in each non-native format on a cluster of 2 workers: read whole (one
    partition, as before issue 15's ranges for these formats) against cut into ranges of the
    default size; round-robin, the median; both reports compared with `jobs=1`'s."""
    rows = []
    cluster, client = _cluster(2)
    try:
        for fmt in ("openai", "anthropic", "otel"):
            _progress(f"formats: writing {events:,} events of {fmt}")
            info = write_corpus(str(work / f"one-{fmt}-{events}"), events, LENGTHS, 1, seed=3, fmt=fmt)
            path, size = info["paths"][0], info["bytes"]
            reference = api.check_traces(spec, [path], jobs=1)
            from wfcheck.checker.corpus.partition import DEFAULT_PARTITION_BYTES, plan_file
            from wfcheck.checker.corpus.sources import Source

            parts = len(plan_file(Source(path, size), DEFAULT_PARTITION_BYTES))
            walls: dict[str, list[float]] = {"whole": [], "ranges": []}
            same = True
            for _ in range(rounds):
                for how, cut in (("whole", size + 1), ("ranges", DEFAULT_PARTITION_BYTES)):
                    report, wall = _timed(lambda: api.check_traces(spec, [path], client=client,
                                                                   partition_bytes=cut))
                    walls[how].append(wall)
                    same = same and _same(report, reference) == "yes"
            whole, ranges = statistics.median(walls["whole"]), statistics.median(walls["ranges"])
            rows.append([fmt, f"{size / 2**20:,.0f}", str(parts), f"{whole:.1f}", f"{ranges:.1f}",
                         f"{whole / ranges:.2f}×", "yes" if same else "NO"])
    finally:
        client.close()
        cluster.close()
    return table(["format", "MiB", "ranges", "whole file s", "ranges s", "speed-up", "report = jobs=1"], rows, md)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--overhead-events", type=int, default=100_000)
    parser.add_argument("--dir", help="keep the corpus here (reused when it is there)")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run each throughput row this many times, round-robin; the median")
    parser.add_argument("--throughput-only", action="store_true", help="no overhead, crossover or projection")
    parser.add_argument("--formats", action="store_true",
                        help="only: one file of --events events per non-native format, whole against ranges")
    args = parser.parse_args(argv)
    cpus = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(args.dir or scratch)
        work.mkdir(parents=True, exist_ok=True)
        spec = work / "spec.wf"
        spec.write_text(SPEC, encoding="utf-8")
        if args.formats:
            print(f"Machine: {machine()}.\n")
            print(formats(str(spec), work, args.events, args.rounds, args.markdown))
            print(f"\nLoad average {os.getloadavg()[0]:.1f} at the end.")
            return 0
        corpus = work / f"corpus-{args.events}"
        _progress(f"writing {args.events:,} events")
        marker = corpus / "done"
        if not marker.exists():
            info = write_corpus(str(corpus), args.events, LENGTHS, args.files, seed=1)
            marker.write_text(str(info["events"]))
        paths = sorted(str(p) for p in corpus.glob("*.jsonl"))
        size = sum(os.path.getsize(p) for p in paths)
        rows, measured = throughput(str(spec), paths, args.events, cpus, args.rounds)
        if not args.throughput_only:
            _progress("overhead")
            cost = overhead(str(spec), work, args.overhead_events)
            cross = crossover(str(spec), work)
    md = args.markdown
    print(f"Machine: {machine()}; load average {os.getloadavg()[0]:.1f} at the end.\n")
    print(f"Corpus: {args.events:,} events, {len(paths)} files, {size / 2**20:,.0f} MiB; "
          f"partitions of {32} MiB.\n")
    print(table(["run", "workers", "wall s", "events/s", "report = jobs=1", "load average after"], rows, md) + "\n")
    if args.throughput_only:
        return 0
    print(table(["overhead", "value"], [
        ["scheduler round trip of an empty task", f"{cost['round_trip'] * 1e3:.2f} ms"],
        [f"{cost['events']:,} events in 1 partition (1 worker)", f"{cost['one']:.2f} s"],
        [f"the same in {cost['parts']} partitions", f"{cost['many']:.2f} s"],
        ["cost of one more partition", f"{cost['per_partition'] * 1e3:.1f} ms"],
    ], md) + "\n")
    print(table(["events", "pool jobs=2 s", "cluster (2 workers, running) s", "faster",
                 "cluster + its start-up s", "faster"], cross, md) + "\n")
    rate = measured[1]
    parts = max(1, -(-size // (32 * 2 ** 20)))
    nodes = 10
    seconds = args.events / (rate * nodes) + parts * cost["per_partition"] + measured["startup"]
    print(f"Projection, {nodes} nodes of one worker: {args.events:,} events / ({rate:,.0f} events/s per worker "
          f"× {nodes}) + {parts} partitions × {cost['per_partition'] * 1e3:.1f} ms + start-up "
          f"{measured['startup']:.1f} s = {seconds:.1f} s ({args.events / seconds:,.0f} events/s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
