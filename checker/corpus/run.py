"""`wfcheck trace --cluster`: check a corpus on a Dask cluster and merge the partitions'
results into the report `--jobs 1` gives (the same traces, results, problems and order).

Plans of large files are made on the workers (one pass near the data), partitions are
submitted as their plan arrives, results stream back in completion order and are merged in
file and byte order at the end. Dask reschedules the partitions of a worker that dies, and
recomputes the model it held (the model is a task's result, not scattered data, which dies
with its last holder). A file whose ranges cannot be merged exactly (see partition.py) is
checked again whole."""
from __future__ import annotations

import logging
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterable

from wfcheck.checker.trace.check import TraceReport, assemble_report
from wfcheck.checker.trace.monitor import Monitor
from wfcheck.checker.trace.readers.reader import FORMATS, MAX_REPORTED

from .checkpoint import Checkpoint, fingerprint
from .partition import DEFAULT_PARTITION_BYTES, Partition, plan_file, splittable
from .sources import Source, find_sources
from .work import PartitionResult, check_partition


class ClusterError(Exception):
    """The cluster cannot be used (the extra is missing, the scheduler cannot be reached), or
    it lost the run (a partition's workers kept dying, the scheduler went away). `hint`: the
    one-line fix."""

    def __init__(self, message: str, hint: str = "install the extra (pip install 'wfcheck[cluster]') "
                                                 "or check the scheduler's address") -> None:
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class CorpusProgress:
    """How far a run is, as a progress bar shows it."""
    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    events: int
    violations: int


def check_corpus(spec, paths: Iterable[str], precision: str | None = None, input_format: str | None = None,
                 *, client=None, cluster: str = "local", workers: int | None = None,
                 partition_bytes: int = DEFAULT_PARTITION_BYTES, checkpoint: str | None = None,
                 resume: bool = False, progress: Callable[[CorpusProgress], None] | None = None) -> TraceReport:
    """Check every trace in `paths` (local paths, globs, fsspec URLs) against `spec` on
    `client` (a `distributed.Client`), else on `cluster`: "local" (a LocalCluster of
    `workers` processes) or a scheduler's address. `checkpoint`: a file recording each
    partition done; `resume`: go on from it. Raises ClusterError, CheckpointMismatch."""
    if input_format == "auto":
        input_format = None
    if input_format is not None and input_format not in FORMATS:
        raise ValueError(f"unknown trace format {input_format!r}; expected one of {', '.join(FORMATS)}")
    if partition_bytes < 1:
        raise ValueError("partition_bytes must be positive")
    monitor = Monitor(spec, precision)
    model = monitor.model
    sources, missing = find_sources(paths)
    run = fingerprint(model, monitor.precision, input_format, partition_bytes)
    point = Checkpoint.open(checkpoint, run, resume) if checkpoint else None
    try:
        with _connected(client, cluster, workers) as dask:
            done = _run(dask, model, monitor.precision, input_format, sources, partition_bytes,
                        run, point, progress)
    finally:
        if point is not None:
            point.close()
    results, unreadable = [], []
    for source in sources:
        for part in done[source.name]:
            results.extend(part.results)
            unreadable.extend(part.unreadable)
    return assemble_report(spec, model, monitor.precision, results, unreadable, missing)


@contextmanager
def _connected(client, cluster: str, workers: int | None):
    if client is not None:
        yield client
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError as error:
        raise ClusterError("checking on a cluster needs Dask: pip install 'wfcheck[cluster]'") from error
    if cluster == "local":
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None, silence_logs=logging.ERROR) as local, Client(local) as own:
            yield own
        return
    try:
        own = Client(cluster)          # waits distributed.comm.timeouts.connect (dask config)
    except (OSError, TimeoutError, ValueError) as error:
        raise ClusterError(f"cannot reach the Dask scheduler at `{cluster}`: {error}") from error
    with own:
        yield own


def _run(dask, model, precision, input_format, sources: list[Source], partition_bytes: int, run: str,
         point: Checkpoint | None, progress) -> dict[str, list[PartitionResult]]:
    """Every file checked: its partitions' results in byte order, by file name."""
    from distributed import as_completed

    done: dict[tuple, PartitionResult] = dict(point.done) if point else {}
    plans: dict[str, list[Partition]] = {}
    model_future = dask.submit(_held, model, pure=False)
    pending = as_completed()
    state = _Tally(sources, progress)

    def submit(part: Partition) -> None:
        pending.add(dask.submit(check_partition, run, model_future, precision, input_format, part,
                                pure=False))

    def planned(source: Source, parts: list[Partition]) -> None:
        plans[source.name] = parts
        whole = done.get(Partition(source.name).key)
        for part in ([Partition(source.name)] if whole else parts):
            if part.key in done:
                state.add(done[part.key])
            else:
                submit(part)

    for source in sources:
        if point and source.name in point.plans:
            planned(source, point.plans[source.name])
        elif splittable(source, partition_bytes):
            pending.add(dask.submit(plan_file, source, partition_bytes, input_format, pure=False))
        else:
            planned(source, [Partition(source.name)])
    by_name = {s.name: s for s in sources}
    retried: set[str] = set()
    lost = _lost_run_errors()
    while True:
        for future in pending:
            try:
                value = future.result()
            except lost as error:
                raise ClusterError(f"the cluster lost the run: {type(error).__name__}: {error}",
                                   "a checkpoint (--checkpoint FILE) keeps the partitions done; "
                                   "--resume goes on from them") from error
            if isinstance(value, PartitionResult):
                done[value.partition.key] = value
                if point is not None:
                    point.add(value)
                state.add(value)
            else:                              # a file's plan
                name = value[0].file
                if point is not None:
                    point.plan(name, value)
                planned(by_name[name], value)
        again = [name for name, parts in plans.items() if name not in retried
                 and Partition(name).key not in done and not _mergeable([done[p.key] for p in parts])]
        if not again:
            break
        for name in again:                     # check it whole, as `--jobs 1` reads it
            retried.add(name)
            state.redo(name)
            submit(Partition(name))
    state.close()
    return {name: [done[Partition(name).key]] if Partition(name).key in done
            else [done[p.key] for p in parts] for name, parts in plans.items()}


def _lost_run_errors() -> tuple[type[Exception], ...]:
    """What a future raises when the cluster, not the check, failed: its task's workers died
    `distributed.scheduler.allowed-failures` times, it was cancelled, its connection closed."""
    from concurrent.futures import CancelledError

    from distributed.comm.core import CommClosedError
    from distributed.scheduler import KilledWorker

    return KilledWorker, CancelledError, CommClosedError


def _held(model):
    """The model as a task's result: the scheduler keeps the task, so a worker's death does
    not lose it (Dask's memory manager trims a broadcast scatter's copies to one)."""
    return model


def _mergeable(parts: list[PartitionResult]) -> bool:
    """Whether the ranges of one file, put together, are what reading it whole gives."""
    if len(parts) == 1:
        return parts[0].split_ok
    if not all(p.split_ok for p in parts) or not any(p.results or p.unreadable for p in parts):
        return False                                # (a file that gives nothing is WF802 whole)
    names = Counter(r.name for p in parts for r in {r.name: r for r in p.results}.values())
    if any(n > 1 for n in names.values()):          # a trace id met again in a later range
        return False
    read_to: dict[str, int] = {}                    # OTLP: how far the range owning a trace read
    for part in parts:
        for trace_id, line in part.dropped:          # each span left out was read by its owner
            if read_to.get(f"{part.partition.file}#{trace_id}", 0) < line:
                return False
        read_to.update((r.name, part.last_line) for r in part.results)
    codes = Counter(u.code for p in parts for u in p.unreadable)
    return codes["WF802"] <= MAX_REPORTED and codes["WF803"] <= MAX_REPORTED


class _Tally:
    """Counts for the progress callback: a file is done when all its partitions are."""

    def __init__(self, sources: list[Source], progress) -> None:
        self.progress = progress
        self.size = {s.name: s.size for s in sources}
        self.bytes_total = sum(self.size.values())
        self.files_total = len(sources)
        self.file_bytes: Counter = Counter()
        self.events = self.violations = self.bytes_done = self.files_done = 0
        self.counted: dict[str, list[PartitionResult]] = {}

    def add(self, result: PartitionResult) -> None:
        part = result.partition
        name = part.file
        self.counted.setdefault(name, []).append(result)
        self.events += result.events
        self.violations += result.violations
        size = self.size.get(name, 0) if part.whole else part.end - part.start
        before = self.file_bytes[name]
        self.file_bytes[name] = min(self.size.get(name, 0), before + size)
        self.bytes_done += self.file_bytes[name] - before
        if before < self.size.get(name, 0) <= self.file_bytes[name] or (before == 0 == self.size.get(name, 0)):
            self.files_done += 1
        self.tell()

    def redo(self, name: str) -> None:
        """Forget a file's counts: it is checked again whole."""
        for result in self.counted.pop(name, []):
            self.events -= result.events
            self.violations -= result.violations
        self.bytes_done -= self.file_bytes.pop(name, 0)
        self.files_done -= 1
        self.tell()

    def tell(self) -> None:
        if self.progress is not None:
            self.progress(CorpusProgress(self.files_done, self.files_total, self.bytes_done,
                                         self.bytes_total, self.events, self.violations))

    def close(self) -> None:
        self.tell()
