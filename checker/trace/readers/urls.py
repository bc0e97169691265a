"""Trace files named by fsspec URLs (`s3://`, `gs://`, `memory://`, ...): a URL's files with
their sizes, and opening one. fsspec and the protocol's backend (s3fs, gcsfs, ...) are
imported only when a URL is met; where they are absent the URL is a WF801, not a crash.

A file keeps the name it is listed under (the URL with its protocol), so its traces are
named and located by it, by any command and on any number of processes alike."""
from __future__ import annotations

import io

from .events import Location, ReadProblem

_NO_FSSPEC = "reading URLs needs fsspec and the protocol's backend: pip install 'wfcheck[s3]' or 'wfcheck[gcs]'"


def is_url(path: str) -> bool:
    return "://" in path


def store_errors(call, *args, **kwargs):
    """`call(...)`, a store's failures raised as OSError: each backend raises its own kinds
    (botocore's NoCredentialsError, google.auth's, aiohttp's), and a reader reports an
    OSError as WF801, the file unreadable."""
    try:
        return call(*args, **kwargs)
    except OSError:
        raise
    except Exception as error:          # noqa: BLE001 - whatever the backend raises
        raise OSError(f"{type(error).__name__}: {error}") from error


class _StoreFile(io.RawIOBase):
    """A store's file as raw bytes for `io.BufferedReader`, its failures OSErrors."""

    def __init__(self, file) -> None:
        self.file = file

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        return store_errors(self.file.readinto, buffer)

    def seek(self, offset: int, whence: int = 0) -> int:
        return store_errors(self.file.seek, offset, whence)

    def tell(self) -> int:
        return self.file.tell()

    def close(self) -> None:
        if not self.closed:
            self.file.close()
        super().close()


def opener(name: str):
    """`open(name, "rb")` for a local path or a URL (fsspec's, imported only for URLs). A
    URL's file is read through a 1 MiB `io.BufferedReader`: fsspec's own `readline` fetches
    a block (s3fs: 50 MiB) for every line, which made reading 2 MiB of lines take 1.4 s
    against 0.01 s so."""
    if not is_url(name):
        return open
    import fsspec

    fs, _ = store_errors(fsspec.core.url_to_fs, name)
    return lambda path, mode="rb": io.BufferedReader(
        _StoreFile(store_errors(fs.open, fs._strip_protocol(path), mode)), 1 << 20)


def read_range(url: str, start: int, end: int) -> bytes:
    """Bytes [start, end) of a URL's file in one request (a buffered fsspec file would fetch
    its block size, megabytes, again for each small range)."""
    import fsspec

    fs, path = store_errors(fsspec.core.url_to_fs, url)
    return store_errors(fs.cat_file, path, start=start, end=end)


def url_files(url: str) -> tuple[dict[str, int], ReadProblem | None]:
    """A URL's files with their sizes: the file itself, a directory's `*.json`/`*.jsonl`
    files (recursively, hidden ones left out) or a glob's matches (as for local paths); or
    WF801 when it names nothing or cannot be listed."""
    try:
        import fsspec

        fs, path = fsspec.core.url_to_fs(url)
    except ImportError as error:                   # no fsspec, or no backend for the protocol
        why = _NO_FSSPEC if getattr(error, "name", None) == "fsspec" else error
        return {}, ReadProblem("WF801", f"cannot open `{url}`: {why}", Location(url, 0))
    except Exception as error:                     # noqa: BLE001 - an unknown protocol, credentials
        return {}, ReadProblem("WF801", f"cannot open `{url}`: {error}", Location(url, 0))
    try:
        return store_errors(_listed, fs, path, url)
    except OSError as error:
        return {}, ReadProblem("WF801", f"cannot read `{url}`: {error}", Location(url, 0))


def _listed(fs, path: str, url: str) -> tuple[dict[str, int], ReadProblem | None]:
    if fs.isdir(path):
        infos = {p: i for p, i in fs.find(path, detail=True).items() if _in_directory(p, path)}
        what = f"no `.json` or `.jsonl` files in directory `{url}`"
    elif fs.exists(path):
        infos, what = {path: fs.info(path)}, ""
    elif any(c in path for c in "*?["):
        infos, what = fs.glob(path, detail=True), f"no file matches `{url}`"
    else:
        infos, what = {}, f"no such file or directory `{url}`"
    files = {fs.unstrip_protocol(p): int(info.get("size") or 0) for p, info in infos.items()
             if info.get("type") != "directory"}
    if not files:
        return {}, ReadProblem("WF801", what, Location(url, 0))
    return files, None


def _in_directory(path: str, root: str) -> bool:
    """A file under a directory is a trace file if it ends in `.json`/`.jsonl` and neither it
    nor a folder on the way is hidden."""
    from .reader import EXTENSIONS

    parts = path[len(root):].strip("/").split("/")
    return path.endswith(EXTENSIONS) and not any(p.startswith(".") for p in parts)
