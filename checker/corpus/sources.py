"""Where a corpus lives: local paths and globs (expanded as `wfcheck trace` does) and fsspec
URLs (`memory://`, `s3://`, `gs://`, ... where the user has the backend installed), with
each file's size (a URL's from its listing: no request per file).

A file keeps the name it is given (a local path as written, a URL with its protocol), so
its traces are named and located as with `--jobs 1`."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable

from wfcheck.checker.trace.check import trace_files
from wfcheck.checker.trace.readers.events import ReadProblem
from wfcheck.checker.trace.readers.urls import is_url, url_files


@dataclass(frozen=True)
class Source:
    """One trace file and its size in bytes."""
    name: str
    size: int


def find_sources(paths: Iterable[str]) -> tuple[list[Source], list[ReadProblem]]:
    """The files to check, sorted and each once, and WF801 for the paths that name nothing."""
    paths = list(paths)
    local, missing = trace_files([p for p in paths if not is_url(p)])
    found = {name: os.path.getsize(name) for name in local}
    for url in (p for p in paths if is_url(p)):
        files, problem = url_files(url)
        if problem is not None:
            missing.append(problem)
        found.update(files)
    return [Source(name, size) for name, size in sorted(found.items())], missing
