"""Whether the old version violates a property along the actions of the new version's
counterexample: then the property did not hold on the old version either, and the old
version need not be explored for it (`lost_properties` asks OLD only for the rest).

OLD follows the counterexample's action sequence with every configuration it can be in (its
steps with the same action, through the renames), on the one interpreter with the
property's monitors, testing the check's bad conditions exactly where the shared
exploration (checker/verify/shared.py) tests them. A lasso (`terminates`) is violated on OLD
when some configuration after the stem comes back to itself by the loop's actions without
passing a final state. Sound: a hit is a real run of OLD that violates the property; no hit
proves nothing (OLD may violate it along other actions).
"""
from __future__ import annotations

from wfcheck.checker.verify.result import Run
from wfcheck.spec.semantics import Config, Interpreter
from wfcheck.spec.system import Check, System

from .runs import action_key

MAX_CONFIGS = 10_000   # configurations followed at once before giving up (no claim)


def violated_along(system: System, words: dict[str, tuple[list[tuple], int | None]],
                   renames: dict[str, str] | None) -> set[str]:
    """The properties (name -> the actions of a run, and where its loop starts for a lasso)
    that some run of `system` with those actions violates (a lasso's loop repeated forever).
    One interpreter with all their monitors serves every run."""
    checks = [system.check(name) for name in words]
    interp = Interpreter(system, checks)
    keys = {st.index: action_key(st.edge.action, renames) for st in system.steps}
    finals = set(system.model.finals)
    return {check.name for check in checks if _violates(interp, check, keys, finals, *words[check.name])}


def _violates(interp: Interpreter, check: Check, keys: dict, finals: set[str], word: list[tuple],
              loop_start: int | None) -> bool:
    configs = {interp.initial()}
    if interp.state_bad(check, interp.initial()):
        return True
    stem = word if loop_start is None else word[:loop_start]
    for key in stem:
        configs, hit = _follow(interp, check, keys, configs, key, None)
        if hit:
            return True
        if not configs or len(configs) > MAX_CONFIGS:
            return False
    if loop_start is None:
        return False
    for start in configs:
        if start[0] in finals:
            continue
        around = {start}
        for key in word[loop_start:]:
            around, hit = _follow(interp, check, keys, around, key, finals)
            if hit:
                return True
            if not around or len(around) > MAX_CONFIGS:
                break
        if start in around:
            return True
    return False


def _follow(interp: Interpreter, check: Check, keys: dict, configs: set[Config], key: tuple,
            avoid: set[str] | None) -> tuple[set[Config], bool]:
    """The configurations after one step with the action `key` (none in a control state of
    `avoid`), and whether the check's bad condition held on the way."""
    out: set[Config] = set()
    for config in configs:
        for step in interp.steps_from.get(config[0], ()):
            if keys[step.index] != key or not interp.enabled(config, step):
                continue
            if step.index in check.step_bad and interp.step_bad(check, config, step):
                return out, True
            for nxt in interp.fire(config, step):
                if avoid is not None and nxt[0] in avoid:
                    continue
                if interp.state_bad(check, nxt):
                    return out, True
                out.add(nxt)
    return out, False


def word_of(system: System, run: Run) -> list[tuple]:
    """The actions of `run` (a run of `system`) as `action_key`s, without renames."""
    edges = system.model.edges
    return [action_key(edges[i].action) for i in run.edges]
