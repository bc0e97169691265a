"""`wfcheck repair` output: numbered repairs (the numbers `--apply` takes), each with what
it removes (and adds) as `wfcheck diff` compares the versions and a unified diff, and a
plain sentence for a property no candidate repairs."""
from __future__ import annotations



def behaviour_line(b) -> str:
    """What a repair removes and adds (a Behaviour), in one sentence."""
    if b.removes_none:
        removed = "removes no run (proved for every length)"
    elif b.removed is None:
        removed = "removes runs (too many to count)"
    else:
        removed = f"removes {b.removed} of {b.total} run(s) of up to {b.bound} steps"
    if b.shortest_removed is not None:
        removed += "; shortest removed: " + ", ".join(b.shortest_removed)
    if b.adds is None:
        return removed + "; new runs undecided"
    if b.adds:
        return removed + "; adds runs, shortest: " + ", ".join(b.shortest_added)
    return removed + "; adds none (proved)"


def render_text(found, path: str) -> str:
    if not found:
        return f"{path}: no property is violated; nothing to repair\n"
    lines, number = [], 0
    for pr in found:
        lines.append(f"property `{pr.property}`: violated")
        if not pr.repairs:
            budget = "all candidates" if pr.exhausted else "the search budget"
            lines.append(f"  no repair found: {pr.tried} candidate edit(s) tried ({budget}); none proves it "
                         "while keeping the other properties and reachable states")
        for repair in pr.repairs:
            number += 1
            lines.append(f"  repair {number} [{repair.kind}]: {repair.what} ({repair.size} character(s)); verified")
            lines.append(f"    {behaviour_line(repair.behaviour)}")
            lines.extend("    " + line for line in repair.diff.rstrip("\n").splitlines())
    return "\n".join(lines) + "\n"
