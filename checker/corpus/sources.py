"""Where a corpus lives: local paths and globs (expanded as `wfcheck trace` does) and fsspec
URLs (`memory://`, `s3://`, `gs://`, ... where the user has the backend installed).

A file keeps the name it is given (a local path as written, a URL with its protocol), so
its traces are named and located as with `--jobs 1`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from wfcheck.checker.trace.check import trace_files
from wfcheck.checker.trace.readers.events import Location, ReadProblem
from wfcheck.checker.trace.readers.reader import EXTENSIONS


@dataclass(frozen=True)
class Source:
    """One trace file and its size in bytes."""
    name: str
    size: int


def is_url(path: str) -> bool:
    return "://" in path


def opener(name: str):
    """`open(name, mode)` for a local path or a URL (fsspec's, imported only for URLs)."""
    if not is_url(name):
        return open
    import fsspec

    fs, _ = fsspec.core.url_to_fs(name)
    return lambda path, mode="rb": fs.open(fs._strip_protocol(path), mode)


def find_sources(paths: Iterable[str]) -> tuple[list[Source], list[ReadProblem]]:
    """The files to check, sorted and each once, and WF801 for the paths that name nothing."""
    import os

    paths = list(paths)
    local, missing = trace_files([p for p in paths if not is_url(p)])
    found = {name: os.path.getsize(name) for name in local}
    for url in (p for p in paths if is_url(p)):
        files, problem = _url_files(url)
        if problem is not None:
            missing.append(problem)
        found.update(files)
    return [Source(name, size) for name, size in sorted(found.items())], missing


def _url_files(url: str) -> tuple[dict[str, int], ReadProblem | None]:
    """A URL's files with their sizes: the file itself, a directory's `*.json`/`*.jsonl`
    files (recursively, hidden ones left out) or a glob's matches (as for local paths)."""
    import fsspec

    try:
        fs, path = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as error:     # no backend for the protocol
        return {}, ReadProblem("WF801", f"cannot open `{url}`: {error}", Location(url, 0))
    try:
        if fs.isdir(path):
            infos = {p: i for p, i in fs.find(path, detail=True).items() if _in_directory(p, path)}
            what = f"no `.json` or `.jsonl` files in directory `{url}`"
        elif fs.exists(path):
            infos, what = {path: fs.info(path)}, ""
        elif any(c in path for c in "*?["):
            infos, what = fs.glob(path, detail=True), f"no file matches `{url}`"
        else:
            infos, what = {}, f"no such file or directory `{url}`"
    except OSError as error:
        return {}, ReadProblem("WF801", f"cannot read `{url}`: {error}", Location(url, 0))
    files = {fs.unstrip_protocol(p): int(info.get("size") or 0) for p, info in infos.items()
             if info.get("type") != "directory"}
    if not files:
        return {}, ReadProblem("WF801", what, Location(url, 0))
    return files, None


def _in_directory(path: str, root: str) -> bool:
    """A file under a directory is a trace file if it ends in `.json`/`.jsonl` and neither it
    nor a folder on the way is hidden."""
    parts = path[len(root):].strip("/").split("/")
    return path.endswith(EXTENSIONS) and not any(p.startswith(".") for p in parts)
