"""What a run shows about each tool, for the comment above its declaration: since logs
carry no labels, the user fills in `returns`/`sends` from this."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from statistics import median

from wfcheck.checker.trace.readers.events import ToolCall


@dataclass(eq=False)
class ToolSeen:
    calls: int = 0
    failed: int = 0
    runs: int = 0
    arguments: Counter = field(default_factory=Counter)
    sizes: list[int] = field(default_factory=list)
    followed_by: dict = field(default_factory=dict)    # while counting: by ToolSeen

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
    by_trace_name: dict[str, ToolSeen] = {}
    for trace in traces:
        previous = None
        in_run: set[int] = set()
        for event in trace.events:
            if type(event) is not ToolCall:
                continue
            info = by_trace_name.get(event.tool)
            if info is None:
                info = by_trace_name[event.tool] = seen.setdefault(name(event.tool), ToolSeen())
            info.calls += 1
            info.failed += event.is_error
            arguments = info.arguments
            for a in (event.arguments if isinstance(event.arguments, dict) else ()):
                arguments[a] = arguments.get(a, 0) + 1
            if event.result is not None:
                info.sizes.append(len(event.result))
            if previous is not None:
                followed = previous.followed_by
                followed[info] = followed.get(info, 0) + 1
            previous = info
            in_run.add(id(info))
        for info in seen.values():
            if id(info) in in_run:
                info.runs += 1
    names = {id(info): tool for tool, info in seen.items()}
    for info in seen.values():
        info.followed_by = Counter({names[id(i)]: n for i, n in info.followed_by.items()})
        info.arguments = Counter(info.arguments)
    return seen
