"""The audit log: one JSON Lines file per gated session, in the native trace format
(docs/traces.md), so `wfcheck trace` re-checks a gated run as it was decided.

Every line is one event as the gate took it, with the gate's decision under `gate` (the
native reader ignores keys it does not know). Fsync policy (`fsync`): "always" — each line
is flushed and fsynced before the decision is returned, so a decision the client has seen
survives a crash of the machine; "flush" — flushed to the OS only (survives a crash of the
gate, not of the machine); "never" — buffered, for benchmarks."""
from __future__ import annotations

import json
import os

FSYNC_POLICIES = ("always", "flush", "never")


class AuditLog:
    """Append-only lines of one session's trace in `path`; `line` is the next line number
    (the event's Location, so re-checked violations point at the same lines)."""

    def __init__(self, path: str, fsync: str = "flush") -> None:
        if fsync not in FSYNC_POLICIES:
            raise ValueError(f"fsync must be one of {FSYNC_POLICIES}")
        self.path = path
        self.fsync = fsync
        self._file = open(path, "a", encoding="utf-8")
        self.line = 1 + _count_lines(path)

    def append(self, record: dict) -> None:
        self._file.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
        self.line += 1
        if self.fsync != "never":
            self._file.flush()
            if self.fsync == "always":
                os.fsync(self._file.fileno())

    def close(self) -> None:
        if not self._file.closed:
            self._file.flush()
            if self.fsync == "always":
                os.fsync(self._file.fileno())
            self._file.close()


def _count_lines(path: str) -> int:
    with open(path, "rb") as handle:
        return sum(1 for _ in handle)
