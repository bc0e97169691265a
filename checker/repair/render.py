"""`wfcheck repair` output: numbered repairs (the numbers `--apply` takes), each a unified
diff, and a plain sentence for a property no candidate repairs."""
from __future__ import annotations


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
            lines.append(f"  repair {number}: {repair.what} ({repair.size} character(s), removes "
                         f"{repair.configurations_removed} reachable configuration(s)); verified")
            lines.extend("    " + line for line in repair.diff.rstrip("\n").splitlines())
    return "\n".join(lines) + "\n"
