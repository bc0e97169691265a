"""A run's checkpoint: an append-only file of pickled records, written and flushed to disk
as each partition is done, so `--resume` after an interruption checks no partition twice
and loses none that finished.

Records: a header (the run's fingerprint: spec, precision, input format, partition size),
each large file's plan (its byte ranges, so a resumed run cuts them the same way), and each
partition done with its results. A record cut short by the interruption is dropped on
reading. The file holds pickles: resume only checkpoints this tool wrote for you."""
from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass, field

from .partition import Partition
from .work import PartitionResult

FORMAT = "wfcheck-corpus-checkpoint/1"


class CheckpointMismatch(Exception):
    """The checkpoint was written by a run with another spec or options."""


def fingerprint(model, precision: str, input_format: str | None, partition_bytes: int) -> str:
    """What a resumed run must share with the first: the spec's source text (its pickle when
    it has no file: then only within one process), the options and the partition size."""
    source = getattr(getattr(model, "span", None), "file", "")
    if source and os.path.isfile(source):
        with open(source, "rb") as handle:
            digest = hashlib.sha256(handle.read())
    else:
        digest = hashlib.sha256(pickle.dumps(model, protocol=4))
    digest.update(repr((precision, input_format, partition_bytes)).encode())
    return digest.hexdigest()


@dataclass
class Checkpoint:
    """The records read back (for `--resume`) and the open file new ones are added to."""
    path: str
    run: str
    plans: dict[str, list[Partition]] = field(default_factory=dict)
    done: dict[tuple, PartitionResult] = field(default_factory=dict)
    _handle: object = None

    @classmethod
    def open(cls, path: str, run: str, resume: bool) -> "Checkpoint":
        """Start `path` afresh, or with `resume`, read what it holds (it must be this run's)."""
        point = cls(path, run)
        if resume and os.path.exists(path):
            point._load()
            point._handle = open(path, "ab")
        else:
            point._handle = open(path, "wb")
            point._write(("header", FORMAT, run))
        return point

    def _load(self) -> None:
        good = 0
        with open(self.path, "rb") as handle:
            try:
                header = pickle.load(handle)
            except Exception:          # noqa: BLE001 - an empty or foreign file
                header = None
            if not (isinstance(header, tuple) and header[:2] == ("header", FORMAT)):
                raise CheckpointMismatch(f"`{self.path}` is not a wfcheck corpus checkpoint")
            if header[2] != self.run:
                raise CheckpointMismatch(f"`{self.path}` was written for another spec or other options")
            good = handle.tell()
            while True:
                try:
                    record = pickle.load(handle)
                except (EOFError, pickle.UnpicklingError, ValueError, AttributeError, IndexError):
                    break                  # the end, or a record cut short by the interruption
                if record[0] == "plan":
                    self.plans[record[1]] = record[2]
                elif record[0] == "done":
                    self.done[record[1].partition.key] = record[1]
                good = handle.tell()
        with open(self.path, "r+b") as handle:   # drop a torn last record before appending
            handle.truncate(good)

    def plan(self, file: str, parts: list[Partition]) -> None:
        self.plans[file] = parts
        self._write(("plan", file, parts))

    def add(self, result: PartitionResult) -> None:
        self.done[result.partition.key] = result
        self._write(("done", result))

    def _write(self, record) -> None:
        pickle.dump(record, self._handle, protocol=4)
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
