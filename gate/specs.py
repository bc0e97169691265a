"""The specs a gate serves, by name, and their reloading: a reload that does not check
keeps the spec in force and says why; sessions already open keep the spec they began with."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from wfcheck.spec import model as m
from wfcheck.spec.diagnostics import SourceMap, render_human
from wfcheck.spec.frontend import check_file
from wfcheck.checker.trace.monitor import Monitor


@dataclass(frozen=True)
class Loaded:
    """A spec in force: its model, and the monitor its sessions copy (session.own_monitor)."""
    name: str
    path: str
    model: m.Model
    monitor: Monitor


class ReloadFailed(Exception):
    """The file did not check; `text` is its diagnostics as `wfcheck check` prints them,
    `why` the reason in a few words."""

    def __init__(self, name: str, text: str, why: str = "the file does not check") -> None:
        super().__init__(text)
        self.name = name
        self.text = text
        self.why = why


def spec_name(path: str) -> str:
    """A spec's name: `NAME=path` names it, else the file's stem."""
    return os.path.splitext(os.path.basename(path))[0]


def _load(name: str, path: str) -> Loaded:
    result = check_file(path)
    if not result.ok:
        sources: SourceMap = result.sources
        why = f"the file `{path}` is gone" if not os.path.exists(path) else "the file does not check"
        raise ReloadFailed(name, "\n".join(render_human(d, sources) for d in result.diagnostics if d.is_error), why)
    return Loaded(name, path, result.model, Monitor(result.model))


class Specs:
    """`Specs(["banking.wf", "mail=email.wf"])`: raises ReloadFailed if one does not check."""

    def __init__(self, paths) -> None:
        self._lock = threading.Lock()
        self.by_name: dict[str, Loaded] = {}
        for item in paths:
            name, _, path = item.partition("=") if "=" in item else (spec_name(item), "", item)
            if name in self.by_name:
                raise ReloadFailed(name, f"two specs are named `{name}`; name one with NAME=PATH")
            self.by_name[name] = _load(name, path)

    def get(self, name: str) -> Loaded | None:
        return self.by_name.get(name)

    def reload(self, name: str) -> Loaded:
        """Check the file again; on success it is used for new sessions."""
        with self._lock:
            old = self.by_name[name]
            new = _load(name, old.path)
            self.by_name[name] = new
            return new
