"""Does each property of the old version still hold on the new one? The old property is
checked on the new system as it was written (its names taken through the renames), so a
property weakened or dropped in the new file is still held to its old meaning."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from wfcheck.checker.verify.result import PROVED, UNKNOWN, VACUOUS, VIOLATED, PropertyResult
from wfcheck.checker.verify.run import verify_model
from wfcheck.spec import model as m
from wfcheck.spec.system import System, free_vars, lower

from .replay import violated_along, word_of


@dataclass(frozen=True)
class Regression:
    """A property of the old version that held there and not on the new one: violated,
    unknown (no longer proved: `undecided`) or not statable (`new` is None, `reason`)."""
    name: str
    old: PropertyResult
    new: PropertyResult | None     # None: it cannot be stated on the new version (`reason`)
    property: m.Property           # as checked on the new version (the old one's if not statable)
    reason: str | None = None
    system: System | None = field(default=None, compare=False)  # what `new` was checked on

    @property
    def undecided(self) -> bool:
        """The new version's check ran out of time or bound: not shown violated, no longer proved."""
        return self.new is not None and self.new.status == UNKNOWN


def rename_property(prop: m.Property, renames: dict[str, str]) -> m.Property:
    """`prop` with every declared name it mentions (tools, events, agents, variables) taken
    through `renames`."""
    if not renames:
        return prop
    r = lambda n: renames.get(n, n) if isinstance(n, str) else n  # noqa: E731

    def walk(node):
        if isinstance(node, tuple):
            return tuple(walk(x) for x in node)
        if isinstance(node, m.Var):
            return dataclasses.replace(node, name=r(node.name))
        if isinstance(node, m.ActionPattern):
            items = tuple((kind, r(name), r(extra) if kind in ("message", "handoff") else extra)
                          for kind, name, extra in node.items)
            return m.ActionPattern(items, tuple(r(a) for a in node.agents))
        if dataclasses.is_dataclass(node) and not isinstance(node, type):
            changes = {}
            for f in dataclasses.fields(node):
                if not f.compare:
                    continue
                value = getattr(node, f.name)
                if f.name in ("tool", "agent", "var") or (f.name == "source" and getattr(node, "source_kind", "") == "tool"):
                    changes[f.name] = r(value)
                elif f.name not in ("name", "text"):
                    changes[f.name] = walk(value)
            return dataclasses.replace(node, **changes)
        return node

    return dataclasses.replace(walk(prop), name=prop.name)


def _statable(prop: m.Property, model: m.Model) -> str | None:
    """Why `prop` cannot be checked on `model` (None when it can)."""
    variables = {v.name for v in model.variables}
    for kind in prop.kinds:
        for e in (getattr(kind, "condition", None),):
            missing = sorted(free_vars(e) - variables) if e is not None else []
            if missing:
                return f"the new version has no variable `{missing[0]}`"
        var = getattr(kind, "var", None)
        if var is not None and var not in variables:
            return f"the new version has no variable `{var}`"
        agent = getattr(kind, "agent", None)
        if agent is not None and agent not in model.agents:
            return f"the new version has no agent `{agent}`"
    return None


def lost_properties(old: m.Model, new: m.Model, renames: dict[str, str] | None = None,
                    engine: str = "portfolio", bound: int = 50, timeout: float = 10.0,
                    jobs: int = 1) -> tuple[Regression, ...]:
    """The properties of `old` that hold there (proved or vacuous) but are violated, no
    longer decided (unknown: `Regression.undecided`), or cannot be stated on `new`.

    NEW is checked first, every transplanted property in one run of the engine (the
    portfolio's shared exploration by default); OLD only for the properties that did not
    hold on NEW, since a verdict on OLD matters only for those, and not for one that OLD
    violates along the actions of NEW's counterexample (replay.py)."""
    lattices_differ = old.conf.levels != new.conf.levels or old.integ.levels != new.integ.levels
    candidates: dict[str, tuple[m.Property, PropertyResult | None, str | None]] = {}
    transplanted = []
    for prop in old.properties:
        renamed = rename_property(prop, renames or {})
        why = "the label lattices differ" if lattices_differ else _statable(renamed, new)
        if why is None:
            transplanted.append(renamed)
        else:
            candidates[prop.name] = (prop, None, why)
    probe = dataclasses.replace(new, properties=tuple(transplanted))
    checked = None
    if transplanted:
        checked = verify_model(probe, engine, bound, timeout, jobs=jobs)
        for result in checked.results:
            if result.status in (VIOLATED, UNKNOWN):
                candidates[result.name] = (probe.property(result.name), result, None)
    violated_on_old = _violated_on_old(old, candidates, checked, renames)
    asked = [p.name for p in old.properties if p.name in candidates and p.name not in violated_on_old]
    if not asked:
        return ()
    held = {r.name: r for r in verify_model(old, engine, bound, timeout, asked, jobs=jobs).results
            if r.status in (PROVED, VACUOUS)}
    return tuple(Regression(name, held[name], candidates[name][1], candidates[name][0], candidates[name][2],
                            checked.system if candidates[name][1] is not None else None)
                 for name in asked if name in held)


def _violated_on_old(old: m.Model, candidates: dict, checked, renames: dict[str, str] | None) -> set[str]:
    """The candidates whose counterexample on NEW OLD can follow into a violation."""
    runs = {name: result.counterexample for name, (_, result, _) in candidates.items()
            if result is not None and result.status == VIOLATED and result.counterexample is not None}
    if not runs:
        return set()
    old_system = lower(old)
    return violated_along(old_system, {name: (word_of(checked.system, run), run.loop_start)
                                       for name, run in runs.items()}, renames)
