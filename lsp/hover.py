"""What hovering over a declared name shows: its declaration as written, and for a tool
its labels and effects, for a property its last verdict (from the last save's `verify`)."""
from __future__ import annotations

from .index import Declaration


def _tool(model, name: str) -> list[str]:
    tool = model.tool(name)
    if tool is None:
        return []
    conf, integ = model.conf.levels, model.integ.levels
    lines = [f"- effect: `{tool.effect}`; called by {', '.join(f'`{a}`' for a in tool.agents)}",
             f"- result label: `{conf[tool.returns.conf]}`, `{integ[tool.returns.integ]}`"]
    if tool.sink is not None:
        lines.append(f"- sink: its arguments may carry at most `{conf[tool.sink]}`")
    if tool.needs is not None:
        lines.append(f"- needs: its arguments must be at least `{integ[tool.needs]}`")
    if tool.outcomes:
        lines.append("- outcomes: " + ", ".join(f"`{o}`" for o in tool.outcomes))
    return lines


def describe(declaration: Declaration, source: str, model, verdicts: dict[str, str]) -> str:
    lines = source.splitlines()[declaration.at.line - 1:declaration.last_line]
    out = [f"**{declaration.kind}** `{declaration.name}`", "```wf", *lines, "```"]
    if declaration.kind == "tool" and model is not None:
        out += _tool(model, declaration.name)
    if declaration.kind == "property":
        verdict = verdicts.get(declaration.name)
        out.append(f"last verdict: **{verdict}**" if verdict else "last verdict: not verified yet (save the file)")
    return "\n".join(out)
