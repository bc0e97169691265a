"""What moved in the declarations between two versions: tools whose result became more
secret or less trusted, sinks and integrity needs that were removed or loosened, tools that
more agents may call, and properties that were dropped or restated. Matched by name (after renames);
levels are compared by name in the new version's lattices."""
from __future__ import annotations

from dataclasses import dataclass

from wfcheck.spec import model as m
from wfcheck.spec.span import Span

from .properties import rename_property


@dataclass(frozen=True)
class Change:
    kind: str       # result-more-secret | result-less-trusted | sink-removed | sink-raised |
                    # needs-removed | needs-lowered | tool-widened | tool-removed | property-dropped |
                    # property-changed (a note: the old statement is checked on the new version)
    name: str       # the tool or property (its old name)
    message: str
    span: Span      # where the new version says it (the old one's for what was removed)


def _level(lattice, index: int | None) -> str | None:
    return None if index is None else lattice.levels[index]


def _above(lattice, high: str, low: str) -> bool:
    """`high` is not at or below `low` in `lattice` (a level it lacks counts as moved)."""
    if low not in lattice.levels or high not in lattice.levels:
        return True
    return not lattice.leq(lattice.index(high), lattice.index(low))


def label_changes(old: m.Model, new: m.Model, renames: dict[str, str] | None = None) -> tuple[Change, ...]:
    renames = renames or {}
    changes: list[Change] = []
    tools = {t.name: t for t in new.tools}
    for before in old.tools:
        name = renames.get(before.name, before.name)
        after = tools.get(name)
        if after is None:
            changes.append(Change("tool-removed", before.name, f"tool `{before.name}` was removed", before.span))
            continue
        changes.extend(_tool_changes(old, new, before, after))
    props = {p.name: p for p in new.properties}
    for prop in old.properties:
        if prop.implicit:
            continue  # implicit ones follow their declarations: reported as sink/needs changes
        after = props.get(renames.get(prop.name, prop.name))
        if after is None:
            changes.append(Change("property-dropped", prop.name, f"property `{prop.name}` was dropped", prop.span))
        elif rename_property(prop, renames).kinds != after.kinds:
            changes.append(Change("property-changed", prop.name,
                                  f"property `{prop.name}` was changed from `{prop.text}` to `{after.text}` "
                                  f"(the old statement is what is checked on the new version)", after.span))
    return tuple(changes)


def _tool_changes(old: m.Model, new: m.Model, before: m.Tool, after: m.Tool):
    conf, integ = new.conf, new.integ
    name = before.name
    old_c, new_c = _level(old.conf, before.returns.conf), _level(conf, after.returns.conf)
    if _above(conf, new_c, old_c):
        yield Change("result-more-secret", name, f"the result of `{name}` became more secret: `{old_c}` -> `{new_c}`",
                     after.span)
    old_i, new_i = _level(old.integ, before.returns.integ), _level(integ, after.returns.integ)
    if _above(integ, old_i, new_i):
        yield Change("result-less-trusted", name,
                     f"the result of `{name}` became less trusted: `{old_i}` -> `{new_i}`", after.span)
    old_s, new_s = _level(old.conf, before.sink), _level(conf, after.sink)
    if old_s is not None and new_s is None:
        yield Change("sink-removed", name, f"the sink bound `{old_s}` of `{name}` was removed", after.span)
    elif old_s is not None and _above(conf, new_s, old_s):
        yield Change("sink-raised", name, f"the sink bound of `{name}` was raised: `{old_s}` -> `{new_s}`", after.span)
    old_n, new_n = _level(old.integ, before.needs), _level(integ, after.needs)
    if old_n is not None and new_n is None:
        yield Change("needs-removed", name, f"the integrity need `{old_n}` of `{name}` was removed", after.span)
    elif old_n is not None and _above(integ, old_n, new_n):
        yield Change("needs-lowered", name, f"the integrity need of `{name}` was lowered: `{old_n}` -> `{new_n}`",
                     after.span)
    widened = sorted(set(after.agents) - set(before.agents))
    if widened:
        who = ", ".join(f"`{a}`" for a in widened)
        yield Change("tool-widened", name, f"`{name}` may now be called by {who}", after.span)
