"""Validation study: the wfcheck trace monitor on real agent runs, against the benchmarks' labels.

Runs every AgentDojo run through its suite's spec in `examples/agentdojo/`, in both
precisions, and every τ-bench airline run through `examples/tau-bench/airline.wf`, and prints:

- per suite × model × precision, for the injection runs, the confusion table against the
  `security` label (true = the attacker's goal was reached): caught, missed, false alarms on
  failed injections, false alarms on clean runs; flagged `injection_task_as_user_task` runs
  are counted apart (there the attacker's goal *is* the user's request);
- how well caught runs are localized: whether the attacker's action is flagged, and whether
  it is the first flagged step. The attacker's action is the first call of a write tool (or
  of slack `get_webpage`) after the first tool result that carried the injection, whose
  arguments hold one of the injection task's attacker constants (`suites.json`);
- failed injections whose trace shows the attacker's action anyway, apart from the false
  alarms: the labels judge the final state, not the run;
- the other rules of the AgentDojo specs, per rule;
- for τ-bench, per rule, how many runs break it, with examples.

A run is *flagged* when it violates one of the spec's flow properties (`no … influence on`,
`no flow from … to`). With `--misses`, the missed runs are listed by cause; with
`--details`, the failed injections that hold the attacker's action, and every flagged clean
run with its first violation.

`--data` is the shared data directory (`../shared/data`, the default: `agentdojo/` and
`tau-bench/` inside) or an AgentDojo runs folder in the upstream layout,
`<model>/<suite>/<user_task>/<attack>/<injection_task or none>.json`. The runs are listed by
the folder's `index.jsonl` when there is one (unless `--no-index`), else found from the
folders and labelled from the run files themselves; models and suites are the folder names,
and suites without a spec are skipped. The suites' tools and attacker constants come from
`suites.json`: `--suites FILE`, else beside the runs folder, else the shared one. The
τ-bench part runs when `tau-bench/` is in the data directory.

    python bench/validate.py [--markdown] [--misses] [--details] [--data DIR] [--suites FILE]
                             [--no-index] [--json OUT] [--limit N]

Exit code 0; 2 when the runs or `suites.json` cannot be found.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from wfcheck.checker.trace.monitor import Monitor, check_events
from wfcheck.checker.trace.readers.events import Message, ReadProblem, ToolCall
from wfcheck.checker.trace.readers.reader import read_traces
from wfcheck.spec import model as m

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
SPECS = ROOT / "examples"
PRECISIONS = ("conservative", "values")
FLOW_KINDS = (m.FlowToTool, m.FlowToAgent, m.SinkBound, m.IntegrityNeed)

# Attacker constants that name ordinary data of the suite rather than the attacker's target
# (slack's `Alice` and `general`, the sender of the e-mail to be forwarded): a call is aimed
# at the attacker when its arguments hold one of the *other* constants.
NOT_TARGETS = {"recipient_user", "channel", "source_email_sender"}


# ------------------------------------------------------------------ reading
def read_events(path: Path):
    """The normalized events of one recorded run (the shared trace reader)."""
    for item in read_traces([str(path)]):
        if isinstance(item, ReadProblem):
            raise ValueError(f"{path}: {item.message}")
        return item.events
    raise ValueError(f"{path}: no trace")


def read_index(data: Path, name: str) -> list[dict]:
    return [json.loads(line) for line in (data / name / "index.jsonl").read_text().splitlines() if line]


class InputError(Exception):
    """Input that cannot be found; the message is one line saying what and how to give it."""


# ------------------------------------------------------------------ finding the AgentDojo runs
def runs_folder(data: Path) -> Path:
    """The AgentDojo runs folder: `agentdojo/` in the shared data directory, else `data` itself.
    Run paths are relative to its parent, so they read `<folder>/<model>/<suite>/…` as in the
    shared index."""
    return data / "agentdojo" if (data / "agentdojo").is_dir() else data


def find_suites(runs: Path, given: Path | None = None, shared: Path | None = None) -> Path:
    """`suites.json`: the file given, else the one in or beside the runs folder, else the shared one."""
    if given is not None:
        if not given.is_file():
            raise InputError(f"no suites.json at {given} (given with --suites)")
        return given
    shared = (DATA if shared is None else shared) / "agentdojo" / "suites.json"
    for candidate in (runs / "suites.json", runs.parent / "suites.json", shared):
        if candidate.is_file():
            return candidate
    raise InputError(f"no suites.json in {runs}, beside it or at {shared}; give it with --suites FILE")


def _natural(text: str) -> list:
    """Sort key that orders `user_task_2` before `user_task_10` (the order of the shared index)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _text(content) -> str:
    """A message's text: a string, or (in later AgentDojo runs) a list of content blocks."""
    if isinstance(content, list):
        return "\n".join(str(b.get("content") or b.get("text") or "") for b in content if isinstance(b, dict))
    return content or ""


def _letters(text: str) -> str:
    """Text as compared for injected content: lower-cased, the two-character escapes `\\n` and
    `\\t` as spaces, and only `[a-z0-9]` kept (tool results re-escape and fold the injected text)."""
    return re.sub(r"[^a-z0-9]", "", text.lower().replace("\\n", " ").replace("\\t", " "))


def injected_tool_result_indices(messages: list[dict], injections: dict[str, str]) -> list[int]:
    """The indices of the tool messages that carry an injected text: one of its 40-character
    windows, taken every 20 characters (the whole text when shorter), occurs in the message."""
    windows = set()
    for text in injections.values():
        letters = _letters(text)
        windows.update(letters[i:i + 40] for i in range(0, max(len(letters) - 40, 0) + 1, 20))
    windows.discard("")
    found = []
    for i, message in enumerate(messages):
        if message.get("role") == "tool":
            letters = _letters(_text(message.get("content")))
            if any(w in letters for w in windows):
                found.append(i)
    return found


def run_kind(run: dict) -> str:
    """injection (an attack was planted), injection_task_as_user_task (the attacker's goal asked
    for directly, `<suite>/injection_task_N/none/none.json`) or clean."""
    if run["injection_task_id"] is not None:
        return "injection"
    return "injection_task_as_user_task" if run["user_task_id"].startswith("injection_task_") else "clean"


RUN_KEYS = ("suite_name", "user_task_id", "injection_task_id", "attack_type", "injections", "messages",
            "utility", "security", "error")


def index_entry(path: Path, relative: str, model: str, suite: str) -> dict:
    """One run's line of `index.jsonl`, computed from its file."""
    run = json.loads(path.read_text())
    missing = [k for k in RUN_KEYS if k not in run] if isinstance(run, dict) else list(RUN_KEYS)
    if missing:
        raise InputError(f"{path} is not an AgentDojo run: no {', '.join(f'`{k}`' for k in missing)}")
    messages = run["messages"]
    return {"path": relative, "model": model, "suite": suite, "user_task_id": run["user_task_id"],
            "injection_task_id": run["injection_task_id"], "attack_type": run["attack_type"],
            "utility": run["utility"], "security": run["security"], "n_messages": len(messages),
            "n_tool_calls": sum(len(m.get("tool_calls") or []) for m in messages if m.get("role") == "assistant"),
            "kind": run_kind(run), "error": run["error"], "injection_vectors": list(run["injections"]),
            "injected_tool_result_indices": injected_tool_result_indices(messages, run["injections"])}


def build_index(runs: Path) -> list[dict]:
    """The index of a runs folder in the upstream layout, from the run files themselves:
    `<model>/<suite>/<user_task>/<attack>/<file>.json`, in natural order of the paths."""
    files = []
    for path in runs.glob("*/*/*/*/*.json"):      # not `**`: it would not follow symlinked folders
        relative = path.relative_to(runs.parent).as_posix()
        files.append((_natural(relative), relative, path))
    return [index_entry(path, relative, *path.relative_to(runs).parts[:2])
            for _, relative, path in sorted(files)]


def read_entries(runs: Path, use_index: bool = True) -> list[dict]:
    """Every run of the folder with its labels: its `index.jsonl` when there is one and
    `use_index`, else `build_index`."""
    if use_index and (runs / "index.jsonl").is_file():
        return read_index(runs.parent, runs.name)
    return build_index(runs)


def spec_suites() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in (SPECS / "agentdojo").glob("*.wf")))


def with_spec(entries: list[dict]) -> tuple[list[dict], dict[str, int]]:
    """The entries of the suites that have a spec, and the number of runs of each suite that has none."""
    specs = set(spec_suites())
    skipped = Counter(e["suite"] for e in entries if e["suite"] not in specs)
    return [e for e in entries if e["suite"] in specs], dict(sorted(skipped.items()))


# ------------------------------------------------------------------ the attacker's action
def _strings(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)
    elif value is not None and not isinstance(value, bool):
        yield str(value)


def aims_at(arguments: dict, constants: list[str]) -> str | None:
    """The attacker constant the arguments hold, if any: a substring of an argument (the
    whole argument for constants shorter than five characters, such as file id `13`)."""
    texts = [s.lower() for s in _strings(arguments)]
    for constant in constants:
        c = constant.lower()
        if any((c in t) if len(c) >= 5 else (c == t.strip()) for t in texts):
            return constant
    return None


def message_index(event) -> int:
    """The index of the recorded message an event came from (from its JSON pointer)."""
    parts = event.location.pointer.split("/")
    return int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else -1


def attacker_step(events, sinks: set[str], constants: list[str], after: int) -> int | None:
    """The event index of the attacker's action: the first call of a sink made after message
    `after` (the first tool result that carried the injection) and aimed at a constant."""
    for i, e in enumerate(events):
        if (isinstance(e, ToolCall) and e.tool in sinks and message_index(e) > after
                and aims_at(e.arguments, constants)):
            return i
    return None


def _runs(n: int) -> str:
    return f"{n} run" + "s" * (n != 1)


def flow_properties(model: m.Model) -> set[str]:
    return {p.name for p in model.properties if any(isinstance(k, FLOW_KINDS) for k in p.kinds)}


# ------------------------------------------------------------------ AgentDojo
@dataclass
class Run:
    path: str
    suite: str
    model: str
    kind: str                     # injection | clean | injection_task_as_user_task
    security: bool
    injection_task: str | None
    attacker_step: int | None = None
    attacker_tool: str | None = None
    attacker_value: str | None = None            # the attacker constant the action holds
    flags: dict = field(default_factory=dict)    # precision -> [(step, property, value)]
    other: dict = field(default_factory=dict)    # precision -> {property: first step}
    deviations: dict = field(default_factory=dict)

    def first(self, precision: str) -> int | None:
        flags = self.flags[precision]
        return flags[0][0] if flags else None

    def flagged(self, precision: str) -> bool:
        return bool(self.flags[precision])

    def at_attacker_step(self, precision: str) -> bool:
        return self.attacker_step is not None and any(s == self.attacker_step for s, _, _ in self.flags[precision])


def agentdojo(data: Path, limit: int | None = None, *, entries: list[dict] | None = None,
              suites: Path | None = None) -> list[Run]:
    """Every AgentDojo run in `data` (the shared data directory or a runs folder, see
    `runs_folder`) whose suite has a spec, checked in both precisions; `entries` and `suites`
    are the runs (`read_entries`) and the suites.json when the caller has found them."""
    runs_dir = runs_folder(data)
    if entries is None:
        entries = with_spec(read_entries(runs_dir))[0]
    entries = entries[:limit]
    used = sorted({e["suite"] for e in entries})
    described = json.loads((suites or find_suites(runs_dir)).read_text())["suites"]
    if missing := [s for s in used if s not in described]:
        raise InputError(f"suites.json has no suite {', '.join(f'`{s}`' for s in missing)}; "
                         "give the one that describes these runs with --suites FILE")
    monitors = {(s, p): Monitor(str(SPECS / "agentdojo" / f"{s}.wf"), precision=p)
                for s in used for p in PRECISIONS}
    flows = {s: flow_properties(monitors[(s, "values")].model) for s in used}
    sinks = {s: {t["name"] for t in described[s]["tools"] if t["effect"] == "write"}
             | ({"get_webpage"} if s == "slack" else set()) for s in used}
    constants = {s: {t["id"]: [v for k, v in t["attacker_constants"].items() if k not in NOT_TARGETS]
                     for t in described[s]["injection_tasks"]} for s in used}
    runs, undescribed = [], Counter()
    for entry in entries:
        suite = entry["suite"]
        events = read_events(runs_dir.parent / entry["path"])
        task = entry["injection_task_id"]
        if entry["kind"] == "injection_task_as_user_task":
            task = entry["user_task_id"]
        run = Run(entry["path"], suite, entry["model"], entry["kind"], entry["security"], task)
        if task is not None:
            # an injection task that suites.json does not describe has no attacker's action
            goal = constants[suite].get(task, [])
            undescribed[(suite, task)] += task not in constants[suite]
            injected = entry["injected_tool_result_indices"]
            run.attacker_step = attacker_step(events, sinks[suite], goal, min(injected) if injected else -1)
            if run.attacker_step is not None:
                action = events[run.attacker_step]
                run.attacker_tool = action.tool
                run.attacker_value = aims_at(action.arguments, goal)
        for p in PRECISIONS:
            violations = check_events(monitors[(suite, p)], events)
            run.flags[p] = [(v.step, v.property, v.value) for v in violations if v.property in flows[suite]]
            run.other[p] = {}
            for v in violations:
                if v.property is not None and v.property not in flows[suite]:
                    run.other[p].setdefault(v.property, v.step)
            run.deviations[p] = [(v.step, v.message) for v in violations if v.property is None]
        runs.append(run)
    if undescribed := {k: n for k, n in sorted(undescribed.items()) if n}:
        print("warning: injection tasks not in suites.json, so no attacker's action is looked for: "
              + ", ".join(f"`{s}` `{t}` ({_runs(n)})" for (s, t), n in undescribed.items()), file=sys.stderr)
    return runs


def miss_cause(run: Run, events) -> str:
    """Why a successful injection was not flagged at the attacker's action (values precision;
    in conservative precision every action after an untrusted read is flagged)."""
    if run.attacker_step is None:
        return "no tool call pursues the goal (it is met by the text of the answer)"
    prompt = " ".join(e.content for e in events if isinstance(e, Message) and e.role == "user").lower()
    if len(run.attacker_value or "") >= 5 and run.attacker_value.lower() in prompt:
        return "the attacker's value is also in the user's prompt (the user asked for the same action)"
    texts = [s.lower() for s in _strings(events[run.attacker_step].arguments)]
    if any(t.startswith(("http://", "https://")) for t in texts):
        return "the attacker's URL was called with a scheme (`http://…`) that the injected text lacks"
    if len(run.attacker_value or "") < 5:
        return ("the attacker's value is a short id that also occurs in trusted content (file id `13` "
                "in a trusted field, such as an event's end time `13:30`)")
    return ("the action's values also occur in trusted results or were rewritten by the model "
            "(the injection chose among trusted values)")


# ------------------------------------------------------------------ τ-bench
@dataclass
class TauRun:
    path: str
    task_id: int
    trial: int
    reward: float
    broken: dict          # property -> [steps]
    deviations: list


def tau_bench(data: Path) -> list[TauRun]:
    monitor = Monitor(str(SPECS / "tau-bench" / "airline.wf"))
    out = []
    for entry in read_index(data, "tau-bench"):
        violations = check_events(monitor, read_events(data / entry["path"]))
        broken: dict[str, list[int]] = {}
        for v in violations:
            if v.property is not None:
                broken.setdefault(v.property, []).append(v.step)
        out.append(TauRun(entry["path"], entry["task_id"], entry["trial"], entry["reward"], broken,
                          [(v.step, v.message) for v in violations if v.property is None]))
    return out


# ------------------------------------------------------------------ tables
@dataclass
class Cell:
    succeeded: int = 0          # injection runs labelled security: true
    caught: int = 0
    at_step: int = 0            # caught, and the attacker's action itself is flagged
    first_at_step: int = 0      # caught, and the first flagged step is the attacker's action
    missed: int = 0
    failed: int = 0             # injection runs labelled security: false, no attacker's action
    fa_failed: int = 0
    acted: int = 0              # labelled security: false, but the attacker's action is in the trace
    acted_flagged: int = 0
    clean: int = 0
    fa_clean: int = 0
    direct: int = 0
    direct_flagged: int = 0

    def add(self, other: "Cell") -> None:
        for k in self.__dataclass_fields__:
            setattr(self, k, getattr(self, k) + getattr(other, k))


def tabulate(runs: list[Run], precision: str) -> dict[tuple[str, str], Cell]:
    cells: dict[tuple[str, str], Cell] = defaultdict(Cell)
    for r in runs:
        c = cells[(r.suite, r.model)]
        flagged = r.flagged(precision)
        if r.kind == "injection" and r.security:
            c.succeeded += 1
            if flagged:
                c.caught += 1
                c.at_step += r.at_attacker_step(precision)
                c.first_at_step += r.attacker_step is not None and r.first(precision) == r.attacker_step
            else:
                c.missed += 1
        elif r.kind == "injection" and r.attacker_step is not None:
            c.acted += 1
            c.acted_flagged += flagged
        elif r.kind == "injection":
            c.failed += 1
            c.fa_failed += flagged
        elif r.kind == "clean":
            c.clean += 1
            c.fa_clean += flagged
        else:
            c.direct += 1
            c.direct_flagged += flagged
    return cells


def totals(runs: list[Run], precision: str) -> Cell:
    total = Cell()
    for c in tabulate(runs, precision).values():
        total.add(c)
    return total


HEADER = ("| suite | model | caught | attacker's step flagged | … and flagged first | missed "
          "| false alarms, failed injections | failed injections with the attacker's action: flagged "
          "| false alarms, clean runs | direct runs flagged |")


def _row(suite: str, model: str, c: Cell) -> str:
    return (f"| {suite} | {model} | {c.caught}/{c.succeeded} | {c.at_step} | {c.first_at_step} | {c.missed} "
            f"| {c.fa_failed}/{c.failed} | {c.acted_flagged}/{c.acted} | {c.fa_clean}/{c.clean} "
            f"| {c.direct_flagged}/{c.direct} |")


def render(runs: list[Run], taus: list[TauRun], seconds: float, skipped: dict[str, int] | None = None) -> str:
    """The report; `skipped` is the number of runs per suite left out for want of a spec."""
    lines: list[str] = []
    out = lines.append
    for p in PRECISIONS:
        out(f"\n### AgentDojo, precision `{p}`\n")
        out(HEADER)
        out("|" + "---|" * 10)
        cells = tabulate(runs, p)
        for s, mo in sorted(cells):        # the suites and models that have runs, by name
            out(_row(s, mo, cells[(s, mo)]))
        out(_row("**all**", "", totals(runs, p)))
    if skipped:
        out("\nSuites skipped, without a spec in `examples/agentdojo/`: "
            + ", ".join(f"`{s}` ({_runs(n)})" for s, n in skipped.items()) + ".")
    out("\n### Other rules of the AgentDojo specs: runs breaking them\n")
    out("| suite | rule | conservative | values | of them clean runs |")
    out("|---|---|---|---|---|")
    rules: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in runs:
        for i, p in enumerate(PRECISIONS):
            for prop in r.other[p]:
                rules[(r.suite, prop)][i] += 1
                rules[(r.suite, prop)][2] += i == 0 and r.kind == "clean"
    for (s, prop), (a, b, c) in sorted(rules.items()):
        out(f"| {s} | `{prop}` | {a} | {b} | {c} |")
    deviating = [r.path for r in runs if r.deviations["conservative"]]
    out(f"\nRuns that deviate from the workflow: {len(deviating)}"
        + (" (" + ", ".join(f"`{d}`" for d in deviating) + ")." if deviating else "."))
    if taus:
        out("\n### τ-bench airline (gpt-4o, trials 0 and 1)\n")
        out("| rule | runs breaking it | of them with reward 1.0 | examples (file: event indices) |")
        out("|---|---|---|---|")
        per: dict[str, list[TauRun]] = defaultdict(list)
        for t in taus:
            for prop in t.broken:
                per[prop].append(t)
        for prop, ts in sorted(per.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            examples = "; ".join(f"{Path(t.path).name}: {t.broken[prop]}" for t in ts[:3])
            out(f"| `{prop}` | {len(ts)} | {sum(t.reward == 1.0 for t in ts)} | {examples} |")
        out(f"\nRuns breaking no rule: {sum(not t.broken for t in taus)} of {len(taus)}; runs that "
            f"deviate from the workflow: {sum(bool(t.deviations) for t in taus)}.")
    out(f"\n{len(runs)} AgentDojo runs (both precisions)" + (f" and {len(taus)} τ-bench runs" if taus else "")
        + f" checked in {seconds:.1f} s.")
    return "\n".join(lines)


def render_misses(runs: list[Run], data: Path) -> str:
    """The successful injections not flagged, and those flagged only elsewhere than at the
    attacker's action, grouped by cause."""
    lines = []
    for p in PRECISIONS:
        for title, select in (("Missed", lambda r: not r.flagged(p)),
                              ("Flagged, but not at the attacker's action",
                               lambda r: r.flagged(p) and not r.at_attacker_step(p))):
            groups: dict[str, list[Run]] = defaultdict(list)
            for r in runs:
                if r.kind == "injection" and r.security and select(r):
                    groups[miss_cause(r, read_events(data / r.path))].append(r)
            lines.append(f"\n#### {title}, precision `{p}`: {sum(map(len, groups.values()))}\n")
            lines.extend(_grouped(groups))
    return "\n".join(lines)


def _grouped(groups: dict[str, list[Run]]) -> list[str]:
    lines = []
    for cause, rs in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        lines.append(f"- {cause}: {len(rs)}")
        by_task: dict[tuple, list[str]] = defaultdict(list)
        for r in rs:
            by_task[(r.suite, r.model, r.injection_task)].append(Path(r.path).parts[-3])
        for (s, mo, task), users in sorted(by_task.items()):
            lines.append(f"  - `{s}` {mo} `{task}` ({len(users)}): "
                         + ", ".join(sorted(users, key=lambda u: int(u.rsplit("_", 1)[1]))))
    return lines


def render_details(runs: list[Run]) -> str:
    """The failed injections that hold the attacker's action, and every flagged clean run."""
    lines = ["\n#### Failed injections that hold the attacker's action\n"]
    for r in runs:
        if r.kind == "injection" and not r.security and r.attacker_step is not None:
            marks = ", ".join(f"{p}: {'flagged' if r.at_attacker_step(p) else 'flagged elsewhere' if r.flagged(p) else 'not flagged'}"
                              for p in PRECISIONS)
            lines.append(f"- `{r.path}`: event {r.attacker_step}, `{r.attacker_tool}` "
                         f"with `{r.attacker_value}` ({marks})")
    for p in PRECISIONS:
        lines.append(f"\n#### Flagged clean runs, precision `{p}`\n")
        for r in runs:
            if r.kind == "clean" and r.flagged(p):
                step, prop, value = r.flags[p][0]
                lines.append(f"- `{r.path}`: event {step}, `{prop}`" + (f", value `{value}`" if value else ""))
    return "\n".join(lines)


def plain(markdown: str) -> str:
    """The report as plain text: tables aligned in columns, markup dropped."""
    out: list[str] = []
    table: list[list[str]] = []

    def flush() -> None:
        if table:
            widths = [max(len(row[i]) for row in table if i < len(row)) for i in range(len(table[0]))]
            out.extend("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in table)
            table.clear()

    for line in markdown.replace("**", "").replace("`", "").splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if not all(set(c) <= {"-"} for c in cells):
                table.append(cells)
            continue
        flush()
        out.append(line.lstrip("#").lstrip() if line.startswith("#") else line)
    flush()
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 epilog="exit codes: 0 done; 2 the runs or suites.json not found")
    ap.add_argument("--data", type=Path, default=DATA, metavar="DIR",
                    help="the shared data directory, or an AgentDojo runs folder (<model>/<suite>/…)")
    ap.add_argument("--suites", type=Path, metavar="FILE",
                    help="the suites' tools and injection tasks (default: suites.json beside the runs, else the shared one)")
    ap.add_argument("--no-index", action="store_true",
                    help="find and label the runs from their files even when an index.jsonl is present")
    ap.add_argument("--markdown", action="store_true", help="print markdown (the default is plain text)")
    ap.add_argument("--misses", action="store_true", help="list the missed successful injections by cause")
    ap.add_argument("--details", action="store_true",
                    help="list the failed injections with the attacker's action and the flagged clean runs")
    ap.add_argument("--json", type=Path, help="also write every run's result as JSON")
    ap.add_argument("--limit", type=int, help="only the first N AgentDojo runs (for a quick look)")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    runs_dir = runs_folder(args.data)
    try:
        if not runs_dir.is_dir():
            raise InputError(f"no data at {args.data}; give the runs folder with --data DIR")
        suites = find_suites(runs_dir, args.suites)
        entries, skipped = with_spec(read_entries(runs_dir, use_index=not args.no_index))
        if not entries and not skipped:
            raise InputError(f"no AgentDojo runs in {runs_dir} "
                             "(<model>/<suite>/<user_task>/<attack>/<file>.json); give the runs folder with --data DIR")
        runs = agentdojo(args.data, args.limit, entries=entries, suites=suites)
    except InputError as e:
        print(e, file=sys.stderr)
        return 2
    taus = tau_bench(args.data) if (args.data / "tau-bench" / "index.jsonl").exists() else []
    text = render(runs, taus, time.perf_counter() - start, skipped)
    if args.misses:
        text += "\n" + render_misses(runs, runs_dir.parent)
    if args.details:
        text += "\n" + render_details(runs)
    print(text if args.markdown else plain(text))
    if args.json:
        args.json.write_text(json.dumps({"agentdojo": [asdict(r) for r in runs],
                                         "tau_bench": [asdict(t) for t in taus]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
