"""Does each property of the old version still hold on the new one? The old property is
checked on the new system as it was written (its names taken through the renames), so a
property weakened or dropped in the new file is still held to its old meaning."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from wfcheck.checker.verify.result import PROVED, VACUOUS, VIOLATED, PropertyResult
from wfcheck.checker.verify.run import verify_model
from wfcheck.spec import model as m
from wfcheck.spec.system import free_vars


@dataclass(frozen=True)
class Regression:
    """A property of the old version that held there and not on the new one."""
    name: str
    old: PropertyResult
    new: PropertyResult | None     # None: it cannot be stated on the new version (`reason`)
    property: m.Property
    reason: str | None = None


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
                    engine: str = "explicit", bound: int = 50, timeout: float = 10.0,
                    jobs: int = 1) -> tuple[Regression, ...]:
    """The properties of `old` that hold there (proved or vacuous) but are violated, or
    cannot be stated, on `new`."""
    old_results = verify_model(old, engine, bound, timeout, jobs=jobs).results
    held = {r.name: r for r in old_results if r.status in (PROVED, VACUOUS)}
    if old.conf.levels != new.conf.levels or old.integ.levels != new.integ.levels:
        moved = [p for p in old.properties if p.name in held]
        return tuple(Regression(p.name, held[p.name], None, p, "the label lattices differ") for p in moved)
    transplanted, regressions = [], []
    for prop in old.properties:
        if prop.name not in held:
            continue
        renamed = rename_property(prop, renames or {})
        why = _statable(renamed, new)
        if why is not None:
            regressions.append(Regression(prop.name, held[prop.name], None, prop, why))
        else:
            transplanted.append(renamed)
    if transplanted:
        probe = dataclasses.replace(new, properties=tuple(transplanted))
        for result in verify_model(probe, engine, bound, timeout, jobs=jobs).results:
            if result.status == VIOLATED:
                regressions.append(Regression(result.name, held[result.name], result, probe.property(result.name)))
    order = [p.name for p in old.properties]
    return tuple(sorted(regressions, key=lambda g: order.index(g.name)))
