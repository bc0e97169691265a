"""What a run shows about each tool, for the comment above its declaration: since logs
carry no labels, the user fills in `returns`/`sends` from this."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from statistics import median

from wfcheck.checker.trace.readers.events import ToolCall


@dataclass
class ToolSeen:
    calls: int = 0
    failed: int = 0
    runs: int = 0
    arguments: Counter = field(default_factory=Counter)
    sizes: list[int] = field(default_factory=list)
    followed_by: Counter = field(default_factory=Counter)

    def comment(self, top: int = 5) -> list[str]:
        lines = [f"# seen: {self.calls} calls in {self.runs} runs"
                 + (f", {self.failed} failed" if self.failed else "")]
        if self.arguments:
            lines.append("# arguments: " + ", ".join(f"{a} ({n})" for a, n in sorted(self.arguments.items())))
        if self.sizes:
            lines.append(f"# result size (characters): min {min(self.sizes)}, "
                         f"median {int(median(self.sizes))}, max {max(self.sizes)}")
        if self.followed_by:
            lines.append("# its result was followed by: " + ", ".join(
                f"{t} ({n})" for t, n in sorted(self.followed_by.items(), key=lambda x: (-x[1], x[0]))[:top]))
        lines.append("# labels: not in the logs; add `returns LABEL` and `reads`/`writes`/`sends`")
        return lines


def observe(traces, name) -> dict[str, ToolSeen]:
    """Per tool (by its `.wf` name, `name(trace_name)`): calls, failures, argument names,
    result sizes, and which tool was called next after its result."""
    seen: dict[str, ToolSeen] = {}
    for trace in traces:
        previous = None
        in_run: set[str] = set()
        for event in trace.events:
            if type(event) is not ToolCall:
                continue
            tool = name(event.tool)
            info = seen.setdefault(tool, ToolSeen())
            info.calls += 1
            info.failed += event.is_error
            info.arguments.update(event.arguments.keys() if isinstance(event.arguments, dict) else ())
            if event.result is not None:
                info.sizes.append(len(event.result))
            if previous is not None:
                seen[previous].followed_by[tool] += 1
            previous = tool
            in_run.add(tool)
        for tool in in_run:
            seen[tool].runs += 1
    return seen
