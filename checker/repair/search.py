"""The search for repairs: candidate edits drawn from a violated property's counterexample
(candidates.py), each one re-parsed, re-checked and verified with the explicit checker
before it is offered.

A candidate is kept only when the property is proved on the edited spec (not vacuous, but
for `never ACTIONS`, which holds exactly when no matching step is taken),
every property that held still holds (and every property the edit adds, such as a new
counter's range, holds), and every control state that was reachable still is (unless
`allow_unreachable`). Kept candidates are compared with the original as `wfcheck diff`
compares versions (behaviour.py) and ranked by how many runs they remove, then by the size
of the edit: the repair that takes away the least behaviour comes first.
"""
from __future__ import annotations

import difflib
import time
from collections import deque
from dataclasses import dataclass

from wfcheck.checker.verify.explicit import check_system
from wfcheck.checker.verify.result import PROVED, VACUOUS, VIOLATED, PropertyResult
from wfcheck.spec import model as m
from wfcheck.spec.frontend import check_text
from wfcheck.spec.parser import parse_text
from wfcheck.spec.semantics import Interpreter
from wfcheck.spec.system import System, lower

from .behaviour import Behaviour, compare
from .candidates import ALL_KINDS, Candidate, candidates
from .edits import Edit, Offsets, apply_all

DEFAULT_MAX_CANDIDATES = 240
DEFAULT_TIMEOUT = 8.0
DEFAULT_MAX_STATES = 200_000
HELD = (PROVED, VACUOUS)


@dataclass(frozen=True)
class Repair:
    kind: str
    what: str
    edits: tuple[Edit, ...]
    text: str              # the edited source
    diff: str              # unified diff of the source
    size: int              # characters changed
    behaviour: Behaviour   # the runs it removes (and adds), compared with the original

    @property
    def rank(self) -> tuple:
        removed = self.behaviour.removed if self.behaviour.removed is not None else float("inf")
        return (removed, self.size, self.what)


@dataclass(frozen=True)
class PropertyRepairs:
    property: str
    result: PropertyResult       # its verdict before
    repairs: tuple[Repair, ...]  # verified, best first
    tried: int                   # candidates checked
    exhausted: bool              # all candidates were tried (else the budget ran out)
    seconds: float = 0.0


def reachable_states(system: System, max_states: int = DEFAULT_MAX_STATES) -> set:
    """The control states reachable in `system`, by breadth-first search."""
    interp = Interpreter(system, ())
    seen = {interp.initial()}
    queue = deque(seen)
    while queue and len(seen) <= max_states:
        for _, nxt in interp.successors(queue.popleft()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return {c[0] for c in seen}


def repair_text(source: str, path: str, properties: list[str] | None = None, *, allow_unreachable: bool = False,
                max_candidates: int = DEFAULT_MAX_CANDIDATES, timeout: float = DEFAULT_TIMEOUT,
                max_states: int = DEFAULT_MAX_STATES, keep: int = 5, kinds=ALL_KINDS) -> tuple[PropertyRepairs, ...]:
    """Verified repairs of each violated property (or of `properties`) of the workflow
    whose text is `source` (read from `path`, for imports and spans). `timeout` bounds each
    property's search (no candidate is started after it); `kinds` are the candidate kinds
    searched (candidates.py)."""
    checked = check_text(source, path)
    if not checked.ok:
        raise ValueError(f"{path} is not a valid workflow")
    model = checked.model
    system = lower(model)
    known = {p.name for p in model.properties}
    for name in properties or ():
        if name not in known:
            raise KeyError(name)
    before = {r.name: r for r in check_system(system, None, max_states)}
    states_before = reachable_states(system, max_states)
    workflow, _ = parse_text(source, path)
    offsets = Offsets(source)
    original = _Original(source, path, system, before, states_before, allow_unreachable, max_states)
    out = []
    for name, result in before.items():
        if result.status != VIOLATED or (properties and name not in properties):
            continue
        started = time.perf_counter()
        deadline = started + timeout
        found, tried, exhausted, seen = [], 0, True, {source}
        for candidate in candidates(model, system, model.property(name), result.counterexample, workflow, offsets,
                                    kinds):
            if tried >= max_candidates or time.perf_counter() > deadline:
                exhausted = False
                break
            text = apply_all(source, candidate.edits)
            if text in seen:
                continue
            seen.add(text)
            tried += 1
            edited = original.verify(name, text)
            if edited is not None:
                found.append(original.repair(candidate, text, edited))
        repairs = sorted(found, key=lambda r: r.rank)
        out.append(PropertyRepairs(name, result, tuple(repairs[:keep]), tried, exhausted,
                                   time.perf_counter() - started))
    return tuple(out)


def _holding(system: System, name: str) -> tuple[str, ...]:
    """The verdicts that count as repaired: proved; for `never ACTIONS` without `when`, whose
    whole meaning is that no matching step is ever taken, vacuous too."""
    prop = system.model.property(name)
    if all(isinstance(k, m.Never) and k.condition is None for k in prop.kinds):
        return HELD
    return (PROVED,)


@dataclass(frozen=True)
class _Original:
    source: str
    path: str
    system: System
    before: dict
    states: set
    allow_unreachable: bool
    max_states: int

    def verify(self, name: str, text: str) -> System | None:
        """The edited system when `text` repairs property `name` (see the module), else None."""
        checked = check_text(text, self.path)
        if not checked.ok:
            return None
        system = lower(checked.model)
        names = {c.name for c in system.checks}
        if name not in names:
            return None
        if check_system(system, [name], self.max_states)[0].status not in _holding(self.system, name):
            return None
        held = [n for n, r in self.before.items() if r.status in HELD and n != name]
        if any(n not in names for n in held):
            return None
        added = [n for n in names if n not in self.before]
        if any(r.status not in HELD for r in check_system(system, held + added, self.max_states)):
            return None
        if not self.allow_unreachable and not self.states <= reachable_states(system, self.max_states):
            return None
        return system

    def repair(self, candidate: Candidate, text: str, system: System) -> Repair:
        diff = "".join(difflib.unified_diff(self.source.splitlines(True), text.splitlines(True), self.path, self.path))
        size = sum(e.size(self.source) for e in candidate.edits)
        return Repair(candidate.kind, candidate.what, candidate.edits, text, diff, size, compare(self.system, system))
