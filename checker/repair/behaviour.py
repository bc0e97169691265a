"""What an edit takes away, and adds, as `wfcheck diff` sees it: runs compared by their
actions (checker/diff/runs.py). `extra_run` both ways gives the shortest run the repair
removes and proves (or refutes) that it allows nothing new; `count_removed` counts the
action sequences of up to `bound` steps the original allows and the repair does not, on the
same subset construction, so repairs can be ranked by how much behaviour they remove."""
from __future__ import annotations

from dataclasses import dataclass

from wfcheck.checker.diff.runs import EQUIVALENT, EXTRA, action_key, extra_run
from wfcheck.spec.semantics import Interpreter
from wfcheck.spec.system import System

RUN_BOUND = 8
MAX_PAIRS = 50_000


@dataclass(frozen=True)
class Behaviour:
    """`removed` of the `total` action sequences of up to `bound` steps of the original are
    not runs of the repair (None: more than MAX_PAIRS subsets, not counted);
    `shortest_removed` the actions of a shortest such run (None: it removes none,
    `removes_none` proved for every length); `adds` whether the repair allows a run the
    original does not (None: undecided within MAX_PAIRS), `shortest_added` one."""
    removed: int | None
    total: int | None
    bound: int
    shortest_removed: tuple[str, ...] | None
    removes_none: bool
    adds: bool | None
    shortest_added: tuple[str, ...] | None


def compare(original: System, repaired: System, bound: int = RUN_BOUND) -> Behaviour:
    lost = extra_run(original, repaired, max_pairs=MAX_PAIRS)
    gained = extra_run(repaired, original, max_pairs=MAX_PAIRS)
    counted = count_removed(original, repaired, bound)
    removed, total = counted if counted is not None else (None, None)
    adds = True if gained.status == EXTRA else False if gained.status == EQUIVALENT else None
    shortest_removed = _actions(original, lost.run) if lost.status == EXTRA else None
    shortest_added = _actions(repaired, gained.run) if gained.status == EXTRA else None
    return Behaviour(removed, total, bound, shortest_removed, lost.status == EQUIVALENT, adds, shortest_added)


def _actions(system: System, run) -> tuple[str, ...]:
    by_index = {st.index: st.edge.action for st in system.steps}
    return tuple(str(by_index[i]) for i in run.edges)


def count_removed(first: System, second: System, bound: int) -> tuple[int, int] | None:
    """(action sequences of 1..bound steps `first` allows and `second` does not, all of
    `first`'s), by layers of the determinized product; None past MAX_PAIRS pairs."""
    one, two = Interpreter(first, ()), Interpreter(second, ())

    def table(interp: Interpreter) -> dict:
        out: dict = {}
        for state, steps in interp.steps_from.items():
            for st in steps:
                out.setdefault(state, {}).setdefault(action_key(st.edge.action), []).append(st)
        return out

    by_one, by_two = table(one), table(two)

    def follow(interp, by_key, configs, key) -> frozenset:
        out = []
        for config in configs:
            for st in by_key.get(config[0], {}).get(key, ()):
                out.extend(interp.fire(config, st))
        return frozenset(out)

    layer = {(frozenset([one.initial()]), frozenset([two.initial()])): 1}
    removed = total = pairs = 0
    for _ in range(bound):
        following: dict = {}
        for (ones, twos), count in layer.items():
            keys = {k for c in ones for k in by_one.get(c[0], {})}
            for key in keys:
                nxt_one = follow(one, by_one, ones, key)
                if not nxt_one:
                    continue
                nxt = (nxt_one, follow(two, by_two, twos, key) if twos else frozenset())
                following[nxt] = following.get(nxt, 0) + count
        pairs += len(following)
        if pairs > MAX_PAIRS:
            return None
        for (_, twos), count in following.items():
            total += count
            removed += count if not twos else 0
        layer = following
    return removed, total
