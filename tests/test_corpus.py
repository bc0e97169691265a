"""Checking a corpus on Dask (checker/corpus/): the report equals `--jobs 1`'s in every
output format, on the real runs and on generated corpora cut into byte ranges (native
events, OpenAI and Anthropic conversations, OTLP batches; with the cases a range cannot
read alone); fsspec URLs; checkpoint and resume after a kill; a
worker killed mid-run; the progress bar; the CLI. The range reader's exactness is also a
property test without Dask. Clusters are LocalClusters on 127.0.0.1 with two workers."""
from __future__ import annotations

import io
import json
import logging
import os
import pickle
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from wfcheck import api
from wfcheck.checker.corpus.partition import plan_file, splittable
from wfcheck.checker.corpus.progress import ProgressBar
from wfcheck.checker.corpus.run import CorpusProgress, _mergeable
from wfcheck.checker.corpus.sources import Source
from wfcheck.checker.corpus.work import check_partition
from wfcheck.checker.trace.check import check_traces

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from bench_trace import SPEC  # noqa: E402
from gen_traces import gen_trace, write_corpus  # noqa: E402

SHARED_DATA = ROOT.parent / "shared" / "data"
EXAMPLES = ROOT / "examples"
SMALL = 64 * 1024           # bytes per partition, so a test corpus is cut into many ranges


def _renderings(report) -> dict[str, str]:
    # html replays the traces (it takes the spec and paths, so it is no rendering of the report
    # alone); JUnit's `time` attributes are how long each check took, which no two runs share.
    out = {fmt: api.render_traces(report, fmt) for fmt in api.TRACE_REPORT_FORMATS if fmt != "html"}
    out["junit"] = re.sub(r' time="[^"]*"', "", out["junit"])
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A spec and a generated corpus: three large JSONL files and a small one, plus files
    whose ranges cannot be merged (a trace resumed later, a chat line among native events,
    malformed lines beyond the cap), a `.json` file and a missing path."""
    base = tmp_path_factory.mktemp("corpus")
    (base / "spec.wf").write_text(SPEC, encoding="utf-8")
    write_corpus(str(base / "runs"), 24_000, (20, 200), 4, seed=7)
    runs = base / "runs"
    rng = __import__("random").Random(3)
    lines = [json.dumps(e) for i in range(40) for e in gen_trace(rng, f"a{i}", events=60)]
    first = [json.dumps(e) for e in gen_trace(rng, "a0", events=30)]
    (runs / "resumed.jsonl").write_text("\n".join(lines + first) + "\n")      # WF803 across ranges
    chat = json.dumps([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}])
    mid = len(lines) // 2
    (runs / "mixed.jsonl").write_text("\n".join(lines[:mid] + [chat] + lines[mid:]) + "\n")
    bad = [line if i % 150 else "{broken" for i, line in enumerate(lines)]
    (runs / "broken.jsonl").write_text("\n".join(bad) + "\n")                  # > 10 WF802
    (runs / "one.json").write_text(json.dumps({"trace": "j", "events": [json.loads(x) for x in lines[:5]]}))
    paths = [str(runs), str(base / "nothing-here.jsonl")]
    return base, paths


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            distributed.Client(cluster) as own:
        yield own


# ---------------------------------------------------------------- without Dask


def test_plan_cuts_only_between_traces(corpus):
    base, _ = corpus
    path = str(base / "runs" / "t000.jsonl")
    source = Source(path, os.path.getsize(path))
    parts = plan_file(source, SMALL)
    data = Path(path).read_bytes()
    assert len(parts) > 5 and parts[0].start == 0 and parts[-1].end == len(data)
    for before, after in zip(parts, parts[1:]):
        assert before.end == after.start and data[after.start - 1:after.start] == b"\n"
        assert after.first_line == data.count(b"\n", 0, after.start) + 1
        last = json.loads(data[data.rindex(b"\n", 0, after.start - 1) + 1:after.start])
        assert json.loads(data[after.start:data.index(b"\n", after.start)])["trace"] != last["trace"]


def test_only_large_jsonl_is_split():
    assert splittable(Source("a.jsonl", 10), 5) and splittable(Source("a.ndjson", 10), 5)
    assert not splittable(Source("a.jsonl", 10), 20)
    assert not splittable(Source("a.json", 10), 5)


def _ranges_or_refusal(path: Path, spec: Path, cut: int, input_format=None):
    """The plan of `path`, and whether its ranges, read alone, put together equal reading the
    file whole (None: the merge refuses them, and the file is checked whole)."""
    whole = check_traces(str(spec), [str(path)], input_format=input_format)
    model = api.load_model(str(spec))
    plan = plan_file(Source(str(path), path.stat().st_size), cut, input_format)
    parts = [check_partition(str(spec), model, whole.precision, input_format, p) for p in plan]
    if not _mergeable(parts):
        return plan, None
    return plan, ([r for p in parts for r in p.results] == list(whole.results)
                  and [u for p in parts for u in p.unreadable] == list(whole.unreadable))


@pytest.mark.parametrize("precision", ["conservative", "values"])
def test_threads_of_one_worker_check_partitions_at_once(corpus, precision):
    """A Dask worker runs partitions on several threads (a `dask worker` has one per core):
    each thread has its own monitor, and the collector's threshold is the one before."""
    import gc
    from concurrent.futures import ThreadPoolExecutor

    base, _ = corpus
    path = base / "runs" / "t000.jsonl"
    model = api.load_model(str(base / "spec.wf"))
    plan = plan_file(Source(str(path), path.stat().st_size), SMALL // 4, None)
    assert len(plan) >= 8
    alone = [check_partition("threads", model, precision, None, p) for p in plan]
    threshold = gc.get_threshold()
    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)                   # the threads take turns mid-trace, often
    try:
        with ThreadPoolExecutor(4) as pool:
            together = list(pool.map(lambda p: check_partition("threads", model, precision, None, p), plan))
    finally:
        sys.setswitchinterval(switching)
    assert together == alone
    assert gc.get_threshold() == threshold

@pytest.mark.parametrize("fmt", ["openai", "anthropic", "otel"])
def test_other_formats_are_cut_and_read_as_the_whole_file(tmp_path, fmt):
    """A document a line (OpenAI, Anthropic) is cut at any line, its traces numbered as in
    the whole file; OTLP batches where no run's spans go on across the line (the generated
    runs interleave, one to three at a time)."""
    (tmp_path / "spec.wf").write_text(SPEC)
    info = write_corpus(str(tmp_path / fmt), 3_000, (20, 120), 1, seed=11, fmt=fmt)
    path = Path(info["paths"][0])
    for input_format in (None, fmt):
        plan, same = _ranges_or_refusal(path, tmp_path / "spec.wf", SMALL // 2, input_format)
        assert len(plan) > 3 and {p.kind for p in plan} == {"otel" if fmt == "otel" else "document"}
        assert same is True
    if fmt != "otel":
        assert [p.first_document for p in plan][:2] == [0, path.read_bytes()[:plan[1].start].count(b"\n")]


def test_a_range_of_documents_refuses_what_would_shift_the_numbers(tmp_path):
    """Among documents, a malformed line, an OTLP line or a native event line sends the file
    to be checked whole."""
    (tmp_path / "spec.wf").write_text(SPEC)
    path = Path(write_corpus(str(tmp_path / "chat"), 3_000, (20, 120), 1, seed=5, fmt="openai")["paths"][0])
    lines = path.read_text().splitlines()
    event = json.dumps({"trace": "x", "type": "message", "role": "user", "content": "hi"})
    for junk in ("{broken", json.dumps({"resourceSpans": []}), event):
        mixed = tmp_path / "mixed.jsonl"
        mixed.write_text("\n".join(lines[:-3] + [junk] + lines[-3:]) + "\n")
        plan, same = _ranges_or_refusal(mixed, tmp_path / "spec.wf", SMALL // 2)
        assert len(plan) > 3 and same is None


def _batch(trace_id: str, k: int, **more) -> dict:
    return {"resourceSpans": [{"scopeSpans": [{"spans": [
        {"traceId": trace_id, "spanId": f"{k:016x}", "name": "execute_tool lookup_order",
         "startTimeUnixNano": str(1000 * k), "attributes": [
             {"key": "gen_ai.operation.name", "value": {"stringValue": "execute_tool"}}], **more}]}]}]}


def test_otlp_runs_that_never_pause_are_cut_all_the_same(tmp_path):
    """Two runs whose spans alternate line by line to the end: no line is between traces, so
    each range owns the traces that start in it and reads on to their last span; a later
    range leaves them out. A trace named first in a span's link (the plan's regular
    expression sees every `traceId`) and spanned only later would be read by no range: the
    merge sees that and the file is read whole."""
    (tmp_path / "spec.wf").write_text(SPEC)
    busy = tmp_path / "busy.jsonl"
    busy.write_text("".join(json.dumps(_batch(f"run{k % 2}", k)) + "\n" for k in range(3000)))
    plan, same = _ranges_or_refusal(busy, tmp_path / "spec.wf", 16 * 1024)
    assert len(plan) > 5 and same is True
    assert plan[1].ignore == {"run0", "run1"} and plan[0].read_end == busy.stat().st_size
    linked = tmp_path / "linked.jsonl"
    lines = [_batch("run0", 0, links=[{"traceId": "late", "spanId": "01"}])]
    lines += [_batch("run0", k) for k in range(1, 1500)] + [_batch("late", k) for k in range(1500, 1600)]
    linked.write_text("".join(json.dumps(line) + "\n" for line in lines))
    plan, same = _ranges_or_refusal(linked, tmp_path / "spec.wf", 16 * 1024)
    assert len(plan) > 5 and same is None


def _events(draw_lengths, names, seed):
    """Native event lines of traces of the given lengths and names."""
    rng = __import__("random").Random(seed)
    return [json.dumps(e) for length, name in zip(draw_lengths, names) for e in gen_trace(rng, name, events=length)]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lengths=st.lists(st.integers(1, 12), min_size=1, max_size=12), repeat=st.booleans(),
       noise=st.lists(st.sampled_from(["", "{bad", "  ", "[1, 2]"]), max_size=3),
       cut=st.integers(200, 4000), seed=st.integers(0, 99))
def test_mergeable_ranges_read_as_the_whole_file(tmp_path, lengths, repeat, noise, cut, seed):
    """Wherever the plan cuts a file, the ranges' results put together equal reading it
    whole, or the merge sees that they may not (then the file is checked whole): only a
    trace id met again or a line of another shape may make it refuse."""
    names = [f"t{i}" for i in range(len(lengths))]
    if repeat and len(names) > 2:
        names[-1] = names[0]
    lines = _events(lengths, names, seed)
    for i, junk in enumerate(noise):
        lines.insert((i * 7919 + seed) % (len(lines) + 1), junk)
    path = tmp_path / f"h{seed}-{cut}.jsonl"
    path.write_text("\n".join(lines) + "\n")
    spec = tmp_path / "spec.wf"
    spec.write_text(SPEC)
    whole = check_traces(str(spec), [str(path)])
    model = api.load_model(str(spec))
    parts = [check_partition("k", model, whole.precision, None, p)
             for p in plan_file(Source(str(path), path.stat().st_size), cut)]
    if _mergeable(parts):
        assert [r for p in parts for r in p.results] == list(whole.results)
        assert [u for p in parts for u in p.unreadable] == list(whole.unreadable)
    else:
        assert (repeat and len(names) > 2) or "[1, 2]" in noise


def test_progress_bar_on_a_terminal_only():
    pytest.importorskip("tqdm")   # the bar is the `cluster` extra's

    class Tty(io.StringIO):
        def isatty(self):
            return True

    shown = Tty()
    bar = ProgressBar(stream=shown)
    bar(CorpusProgress(1, 4, 100, 400, 1234, 5))
    bar(CorpusProgress(4, 4, 400, 400, 5000, 7))
    bar.close()
    assert "files 4/4, 5,000 events, 7 violations" in shown.getvalue()
    hidden = io.StringIO()
    quiet = ProgressBar(stream=hidden)
    quiet(CorpusProgress(1, 4, 100, 400, 1234, 5))
    assert hidden.getvalue() == "" and not ProgressBar(enabled=False, stream=Tty()).enabled


# ---------------------------------------------------------------- on a LocalCluster


def test_generated_corpus_equals_jobs_1_in_every_format(corpus, client):
    base, paths = corpus
    spec = str(base / "spec.wf")
    seen: list[CorpusProgress] = []
    for precision in ("conservative", "values"):
        one = check_traces(spec, paths, precision=precision)
        many = api.check_traces(spec, paths, precision, client=client, partition_bytes=SMALL,
                                progress=seen.append)
        assert one.violations and one.unreadable and many.exit_code == one.exit_code
        assert _renderings(many) == _renderings(one)
    last = seen[-1]
    assert last.files_done == last.files_total == 8 and last.bytes_done == last.bytes_total
    assert last.events == sum(r.events for r in many.results) and last.violations == many.violations


def test_other_formats_equal_jobs_1_in_every_format(tmp_path, client):
    (tmp_path / "spec.wf").write_text(SPEC)
    paths = [write_corpus(str(tmp_path / fmt), 6_000, (20, 120), 1, seed=2, fmt=fmt, prefix=fmt)["paths"][0]
             for fmt in ("openai", "anthropic", "otel")]
    spec = str(tmp_path / "spec.wf")
    one = check_traces(spec, paths)
    many = api.check_traces(spec, paths, client=client, partition_bytes=SMALL)
    assert one.violations and len(one.results) > 100
    assert _renderings(many) == _renderings(one)


@pytest.mark.skipif(not (SHARED_DATA / "agentdojo" / "index.jsonl").exists(), reason="shared data is absent")
@pytest.mark.parametrize("spec, data", [("agentdojo/banking.wf", "agentdojo/gpt-4o-2024-05-13/banking"),
                                        ("tau-bench/airline.wf", "tau-bench/airline")])
def test_real_runs_equal_jobs_1_in_every_format(client, spec, data):
    paths = [str(SHARED_DATA / data)]
    one = check_traces(str(EXAMPLES / spec), paths)
    many = api.check_traces(str(EXAMPLES / spec), paths, client=client)
    assert len(one.results) > 50
    assert _renderings(many) == _renderings(one)


def test_fsspec_memory_urls(corpus):
    """memory:// lives in one process, so this cluster's workers are threads of this one."""
    distributed = pytest.importorskip("distributed")
    fsspec = pytest.importorskip("fsspec")
    base, _ = corpus
    fs = fsspec.filesystem("memory")
    local = base / "runs"
    for name in ("t000.jsonl", "t001.jsonl", "one.json", ".hidden.jsonl"):
        if (local / name).exists():
            fs.pipe(f"/mem-corpus/runs/{name}", (local / name).read_bytes())
    fs.pipe("/mem-corpus/runs/.hidden.jsonl", b"{broken\n")
    spec = str(base / "spec.wf")
    one = check_traces(spec, [str(local / n) for n in ("one.json", "t000.jsonl", "t001.jsonl")])
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR) as cluster, \
            distributed.Client(cluster) as own:
        many = api.check_traces(spec, ["memory://mem-corpus/runs", "memory://mem-corpus/none*"],
                                client=own, partition_bytes=SMALL)
    text = api.render_traces(many, "json").replace("memory:///mem-corpus/runs/", str(local) + "/")
    expected = json.loads(api.render_traces(one, "json"))
    got = json.loads(text)
    assert got["traces"] == expected["traces"] and got["summary"]["checked"] == expected["summary"]["checked"]
    assert [p["code"] for p in got["unreadable"]] == ["WF801"]      # the glob that matches nothing


def test_killed_workers_have_their_partitions_retried(corpus, client):
    """Every worker killed mid-run, the model's holders among them: Dask recomputes the
    model and reschedules the partitions, and the report is the one `--jobs 1` gives."""
    base, paths = corpus
    spec = str(base / "spec.wf")
    one = check_traces(spec, paths)
    started = threading.Event()
    box = {}

    def progress(state):
        if state.bytes_done:
            started.set()

    def work():
        box["report"] = api.check_traces(spec, paths, client=client, partition_bytes=SMALL // 4,
                                         progress=progress)

    thread = threading.Thread(target=work)
    thread.start()
    assert started.wait(120)
    for pid in client.run(os.getpid).values():
        os.kill(pid, signal.SIGKILL)                          # its nanny starts a new one
    thread.join(240)
    assert not thread.is_alive()
    assert _renderings(box["report"]) == _renderings(one)



def test_a_cluster_that_gives_up_is_a_cluster_error(corpus):
    """A partition whose worker dies more often than the scheduler allows (here: once) is a
    ClusterError with the fix (a checkpoint), not a traceback from Dask."""
    dask = pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    from wfcheck.checker.corpus.run import ClusterError

    base, paths = corpus
    started = threading.Event()
    box = {}

    def work():
        try:
            api.check_traces(str(base / "spec.wf"), paths, client=own, partition_bytes=SMALL // 4,
                             progress=lambda state: state.bytes_done and started.set())
        except Exception as error:          # noqa: BLE001 (the test looks at what it is)
            box["error"] = error

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                     dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL) as cluster, \
            distributed.Client(cluster) as own:
        thread = threading.Thread(target=work)
        thread.start()
        assert started.wait(120)
        for pid in own.run(os.getpid).values():
            os.kill(pid, signal.SIGKILL)
        thread.join(240)
    assert not thread.is_alive()
    error = box.get("error")
    assert isinstance(error, ClusterError), repr(error)
    assert str(error).startswith("the cluster lost the run: KilledWorker") and "--checkpoint" in error.hint


# ---------------------------------------------------------------- the command


def _done_keys(path: Path) -> list[tuple]:
    keys = []
    with open(path, "rb") as handle:
        pickle.load(handle)
        while True:
            try:
                record = pickle.load(handle)
            except EOFError:
                return keys
            if record[0] == "done":
                keys.append(record[1].partition.key)


def test_cli_checkpoint_kill_and_resume(corpus, tmp_path):
    """Kill a run once its checkpoint holds some partitions; --resume checks only the rest and
    reports what --jobs 1 does."""
    pytest.importorskip("distributed")
    base, _ = corpus
    spec = str(base / "spec.wf")
    paths = [str(base / "runs" / "t000.jsonl"), str(base / "runs" / "t001.jsonl")]
    point = tmp_path / "run.ckpt"
    command = [sys.executable, "-m", "wfcheck", "trace", spec, *paths, "--cluster", "--workers", "1",
               "--partition-size", "0.02", "--checkpoint", str(point), "--format", "json"]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and first.poll() is None:
            if point.exists() and len(_done_keys(point)) >= 3:
                break
            time.sleep(0.2)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
        first.wait(30)
    before = _done_keys(point)
    assert len(before) >= 3
    resumed = subprocess.run(command + ["--resume"], capture_output=True, text=True, timeout=300)
    one = check_traces(spec, paths)
    assert resumed.returncode == one.exit_code, resumed.stderr
    assert resumed.stdout == api.render_traces(one, "json")
    after = _done_keys(point)
    assert after[:len(before)] == before and len(after) == len(set(after))   # nothing checked twice


def test_cli_cluster_errors(corpus, tmp_path):
    from click.testing import CliRunner

    from wfcheck.cli import main

    base, paths = corpus
    spec = str(base / "spec.wf")
    runner = CliRunner()
    out = runner.invoke(main, ["trace", spec, paths[0], "--resume"])
    assert out.exit_code == 2 and "error[WF809]: --resume needs --checkpoint" in out.output
    foreign = tmp_path / "foreign.ckpt"
    foreign.write_bytes(b"not a checkpoint")
    out = runner.invoke(main, ["trace", spec, paths[0], "--cluster", "--checkpoint", str(foreign), "--resume"])
    assert out.exit_code == 2 and "is not a wfcheck corpus checkpoint" in out.output
    dask = pytest.importorskip("dask")
    pytest.importorskip("distributed")
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        out = runner.invoke(main, ["trace", spec, paths[0], "--cluster", "tcp://127.0.0.1:9", "--quiet"])
    assert out.exit_code == 2 and "error[WF808]: cannot reach the Dask scheduler" in out.output
