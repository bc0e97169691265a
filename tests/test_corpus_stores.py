"""Corpora in object stores, read for real from servers on 127.0.0.1: S3 (moto's server,
through s3fs) and Google Cloud Storage (gcp-storage-emulator, through gcsfs). A corpus is
read by URL and by glob, without a cluster and with `wfcheck trace --cluster` (a local
cluster of worker processes, which reach the store as a user's would: by the environment);
the report equals `--jobs 1`'s on the same files on disk, the URL in place of the path
(SARIF's URIs and fingerprints are of the names, so only its URIs are checked).
Each store's tests skip only where its packages are absent."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from wfcheck import api
from wfcheck.checker.trace.check import check_traces

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from bench_trace import SPEC  # noqa: E402
from gen_traces import write_corpus  # noqa: E402

PARTITION_MIB = "0.05"         # the large files are cut into many ranges


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Two large native files, an OpenAI and an OTLP one, a `.json` file and a hidden file
    (left out of a directory, as on disk)."""
    base = tmp_path_factory.mktemp("stores")
    (base / "spec.wf").write_text(SPEC, encoding="utf-8")
    runs = base / "runs"
    write_corpus(str(runs), 16_000, (20, 200), 2, seed=4)
    write_corpus(str(runs), 3_000, (20, 120), 1, seed=6, fmt="openai", prefix="chat")
    write_corpus(str(runs), 3_000, (20, 120), 1, seed=8, fmt="otel", prefix="spans")
    lines = (runs / "t000.jsonl").read_text().splitlines()[:8]
    (runs / "one.json").write_text(json.dumps([json.loads(line) for line in lines]))
    (runs / ".hidden.jsonl").write_text("{broken\n")
    return base


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3(corpus):
    """A moto S3 server on loopback holding the corpus in bucket `runs-bucket`; the
    environment points boto (this process's and the workers') at it."""
    server_module = pytest.importorskip("moto.server")
    s3fs = pytest.importorskip("s3fs")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        env.setenv("AWS_CONFIG_FILE", os.devnull)
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        env.setenv("AWS_EC2_METADATA_DISABLED", "true")        # never ask 169.254.169.254
        server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            env.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
            s3fs.S3FileSystem.clear_instance_cache()
            fs = s3fs.S3FileSystem()
            fs.mkdir("runs-bucket")
            fs.put(str(corpus / "runs") + "/", "runs-bucket/corpus/runs/", recursive=True)
            yield "s3://runs-bucket/corpus/runs"
        finally:
            s3fs.S3FileSystem.clear_instance_cache()
            server.stop()


@pytest.fixture(scope="module")
def gcs(corpus):
    """A gcp-storage-emulator server on loopback holding the corpus in bucket `runs-bucket`;
    STORAGE_EMULATOR_HOST points gcsfs at it. gcsfs's experimental probe of a bucket's kind
    (gRPC over TLS, which the emulator does not serve: each probe waits 60 s) is turned off
    before gcsfs is imported."""
    pytest.importorskip("gcp_storage_emulator")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")
        env.setenv("NO_GCE_CHECK", "true")                     # never ask the metadata server
        gcsfs = pytest.importorskip("gcsfs")
        from gcp_storage_emulator.server import create_server

        port = _free_port()
        server = create_server("127.0.0.1", port, in_memory=True, default_bucket="runs-bucket")
        server.start()
        try:
            env.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{port}")
            gcsfs.GCSFileSystem.clear_instance_cache()
            fs = gcsfs.GCSFileSystem()
            for path in sorted((corpus / "runs").iterdir()):
                fs.pipe(f"runs-bucket/corpus/runs/{path.name}", path.read_bytes())
            yield "gs://runs-bucket/corpus/runs"
        finally:
            gcsfs.GCSFileSystem.clear_instance_cache()
            server.stop()


def _as_local(text: str, url: str, corpus: Path) -> str:
    return text.replace(url + "/", str(corpus / "runs") + "/")


def _store_reads_as_disk(url: str, corpus: Path) -> None:
    spec = str(corpus / "spec.wf")
    local = [str(corpus / "runs"), str(corpus / "runs" / "t00*.jsonl")]
    one = check_traces(spec, local)
    assert one.violations and len(one.results) > 150
    by_url = api.check_traces(spec, [url, url + "/t00*.jsonl"])             # no cluster, one process
    for fmt in ("json", "text"):
        assert _as_local(api.render_traces(by_url, fmt), url, corpus) == api.render_traces(one, fmt)
    uris = re.findall(r'"uri": "([^"]+)"', api.render_traces(by_url, "sarif"))   # a URL stays one
    assert f"{url}/chat000.jsonl" in uris and all(u.startswith(url + "/") for u in uris if "runs-bucket" in u)
    command = [sys.executable, "-m", "wfcheck", "trace", spec, url, url + "/t00*.jsonl", "--cluster",
               "--workers", "2", "--partition-size", PARTITION_MIB, "--format", "json", "--quiet"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert run.returncode == one.exit_code, run.stderr[-2000:]
    assert _as_local(run.stdout, url, corpus) == api.render_traces(one, "json")
    missing = api.check_traces(spec, [url + "/nothing*.jsonl"])
    assert [p.code for p in missing.unreadable] == ["WF801"] and missing.exit_code == 2


def test_s3_by_url_and_glob_equals_jobs_1_on_disk(s3, corpus):
    _store_reads_as_disk(s3, corpus)


def test_s3_without_credentials_is_wf801(s3, corpus, monkeypatch):
    """The backend's own error (botocore's NoCredentialsError) is an unreadable input, exit 2."""
    import s3fs

    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    s3fs.S3FileSystem.clear_instance_cache()
    try:
        report = api.check_traces(str(corpus / "spec.wf"), [s3 + "/t000.jsonl"])
    finally:
        s3fs.S3FileSystem.clear_instance_cache()
    assert report.exit_code == 2 and [p.code for p in report.unreadable] == ["WF801"]
    assert "NoCredentialsError" in report.unreadable[0].message


def test_gcs_by_url_and_glob_equals_jobs_1_on_disk(gcs, corpus):
    _store_reads_as_disk(gcs, corpus)


def test_a_url_without_its_backend_is_wf801(corpus):
    pytest.importorskip("fsspec")
    report = api.check_traces(str(corpus / "spec.wf"), ["nosuchproto://bucket/runs"])
    assert [p.code for p in report.unreadable] == ["WF801"] and report.exit_code == 2
    assert "cannot open `nosuchproto://bucket/runs`" in report.unreadable[0].message
