"""Fuzz inputs and the oracle for issue 17: whatever the input, every command exits 0, 1, 2
or 3, never 70 (internal error), and prints no traceback. Shared by tests/test_fuzz.py (a
small budget in CI) and bench/fuzz.py (a large one).

Inputs: text derived from the `.lark` grammar (hypothesis.extra.lark, and `Derivation`, a
seeded walk over the parser's rules), and byte-level
mutations of the bundled examples, their traces and (when present) the real trajectories in
/work/shared/data: flipped, deleted, duplicated and inserted bytes, truncation, huge numbers,
deep nesting, unicode (bidi controls, astral characters, NUL), invalid UTF-8."""
from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from click.testing import CliRunner

from wfcheck.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHARED_DATA = ROOT.parent / "shared" / "data"
COMMANDS = ("check", "fmt", "verify", "trace", "lean", "export")
ALLOWED_EXITS = {0, 1, 2, 3}

SPLICES = (b"100000000000000000000000", b"-99999999999999999999", b"0..1000000000", b"9" * 400,
           b"(" * 300, b"[" * 300, b"{" * 300, b"not " * 200, "\u202e\u0301\U0001f600\x00é".encode(),
           b"\xff\xfe\xc3", b'"', b"\n", b"#", b"->", b"..", b"at most", b"labels integrity: a > b\n",
           b'{"trace": "t", "type": "tool_call", "tool": "x", "arguments": {}}\n', b"null", b"1e999")


def grammar_text():
    """A hypothesis strategy for text derived from `spec/grammar.lark` (hypothesis.extra.lark):
    every terminal and rule of the language, in arbitrary nesting, names and numbers included."""
    from importlib import resources

    from hypothesis.extra.lark import from_lark
    from lark import Lark

    grammar = resources.files("wfcheck.spec").joinpath("grammar.lark").read_text(encoding="utf-8")
    return from_lark(Lark(grammar, parser="lalr"))


# What a derivation writes for each regular-expression terminal: a few names (so that some
# references resolve), including keywords usable as names; numbers from 0 to 10^400; strings.
# A terminal of a new kind fails `derive` until it is given values here.
TERMINAL_VALUES = {
    "NAME": ("a", "b", "s", "t", "x", "assistant", "send_email", "secret", "trusted", "to", "on", "ok"),
    "INT": ("0", "1", "3", "-1", "100000000000000000000000", "-99999999999999999999", "9" * 400),
    "STRING": ('"x"', '""', '"*@example.com"', '"catalog/mail_tools.wf"', '"ord-[0-9]+"', '"(("'),
    "COMMENT": ("# c",),
}


PRELUDE = "agent a, assistant\nstate s initial final\n"


class Derivation:
    """Random derivations from the parser's own rules (spec/grammar.lark, as lark expands it):
    each nonterminal picks one of its rules, and past `depth` the one that ends soonest;
    tokens are joined by spaces or newlines. Unlike `grammar_text`, most outputs parse, so
    they reach the analysis and the commands behind it; and it takes microseconds."""

    def __init__(self, depth: int = 12) -> None:
        from wfcheck.spec.parser import _lark

        parser = _lark()
        self.depth = depth
        self.rules: dict[str, list[tuple]] = {}
        for rule in parser.rules:
            self.rules.setdefault(rule.origin.name, []).append(tuple(rule.expansion))
        self.tokens = {t.name: self._values(t) for t in parser.terminals}
        self.height = self._heights()

    @staticmethod
    def _values(terminal) -> tuple[str, ...]:
        pattern = terminal.pattern
        if pattern.type == "str":
            return (pattern.value,)
        if terminal.name in TERMINAL_VALUES:
            return TERMINAL_VALUES[terminal.name]
        inner = pattern.value[3:-1] if pattern.value.startswith("(?:") and pattern.value.endswith(")") else ""
        if inner and all(word.isidentifier() for word in inner.split("|")):
            return tuple(inner.split("|"))           # an alternation of words, like PRECISION
        return ("",) if terminal.name == "WS" else ()

    def _heights(self) -> dict[str, int]:
        """The least derivation height of each nonterminal (a fixpoint over the rules)."""
        height: dict[str, int] = {}
        changed = True
        while changed:
            changed = False
            for name, expansions in self.rules.items():
                for expansion in expansions:
                    inner = [height.get(sym.name) for sym in expansion if not sym.is_term]
                    if None not in inner:
                        h = 1 + max(inner, default=0)
                        if h < height.get(name, 1 << 30):
                            height[name], changed = h, True
        return height

    def __call__(self, rnd: random.Random) -> str:
        """One derivation; half of them after PRELUDE, so that they get past WF401 and
        reach the later passes and the commands behind them."""
        out: list[str] = [PRELUDE] if rnd.random() < 0.5 else []
        self._expand("start", 0, rnd, out)
        return "".join(w + rnd.choice((" ", " ", " ", "\n")) for w in out)

    def _expand(self, name: str, level: int, rnd: random.Random, out: list[str]) -> None:
        expansions = self.rules[name]
        recursive = [e for e in expansions if any(sym.name == name for sym in e)]
        if level >= self.depth:
            expansion = min(expansions, key=lambda e: max((self.height[s.name] for s in e if not s.is_term),
                                                          default=0))
        elif recursive and rnd.random() < 0.6:      # a list (`item*`, `a, b, c`) grows geometrically
            expansion = rnd.choice(recursive)
        else:                                       # the empty file (or list) now and then only
            expansion = rnd.choice([e for e in expansions if e] if rnd.random() < 0.9 and any(expansions) else expansions)
        for sym in expansion:
            if sym.is_term:
                values = self.tokens[sym.name]
                if not values:
                    raise ValueError(f"no values for terminal {sym.name}: add it to TERMINAL_VALUES")
                out.append(rnd.choice(values))
            else:   # a list's own recursion does not count towards the depth
                self._expand(sym.name, level + (sym.name != name), rnd, out)


@lru_cache(maxsize=1)
def workflow_seeds() -> tuple[tuple[str, bytes], ...]:
    """(name, bytes) of every bundled `.wf` file."""
    return tuple((str(p.relative_to(ROOT)), p.read_bytes()) for p in sorted(EXAMPLES.rglob("*.wf")))


@lru_cache(maxsize=1)
def trace_seeds() -> tuple[tuple[str, str, bytes], ...]:
    """(spec path, trace name, bytes): each bundled trace with its spec, then up to 40 real
    trajectories (small ones first) when the shared data is there."""
    seeds = []
    for folder in sorted(p for p in (EXAMPLES / "traces").iterdir() if p.is_dir()):
        spec = EXAMPLES / f"{folder.name}.wf"
        if spec.exists():
            seeds += [(str(spec), str(t.relative_to(ROOT)), t.read_bytes())
                      for t in sorted(folder.iterdir()) if t.suffix in (".json", ".jsonl")]
    for spec_name, folder in (("tau-bench/airline.wf", "tau-bench/airline"), ("agentdojo/banking.wf", "agentdojo/gpt-4o-2024-05-13/banking")):
        spec, data = EXAMPLES / spec_name, SHARED_DATA / folder
        if spec.exists() and data.is_dir():
            files = sorted(data.rglob("*.json"), key=lambda p: p.stat().st_size)[:20]
            seeds += [(str(spec), str(f), f.read_bytes()) for f in files]
    return tuple(seeds)


def mutate(data: bytes, rnd: random.Random) -> bytes:
    """One to four random edits of `data`."""
    out = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        at = rnd.randint(0, len(out))
        what = rnd.randrange(7)
        if what == 0 and out:                          # flip a byte
            at = min(at, len(out) - 1)
            out[at] ^= 1 << rnd.randrange(8)
        elif what == 1:                                # delete a span
            del out[at:at + rnd.randint(1, 64)]
        elif what == 2 and out:                        # duplicate a span
            start = rnd.randrange(len(out))
            out[at:at] = out[start:start + rnd.randint(1, 200)]
        elif what == 3:                                # truncate
            del out[at:]
        elif what == 4:                                # a digit run becomes huge
            digit = out.find(b"0123456789"[rnd.randrange(10)], at)
            if digit >= 0:
                out[digit:digit + 1] = b"9" * rnd.choice((20, 30, 400))
        else:                                          # splice in something nasty
            out[at:at] = rnd.choice(SPLICES)
    return bytes(out)


@dataclass(frozen=True)
class Finding:
    """An input on which a command broke the contract."""
    command: str
    exit_code: int | None
    output: str
    input_name: str

    def __str__(self) -> str:
        return f"{self.command} on {self.input_name}: exit {self.exit_code}\n{self.output[-2000:]}"


def run_command(command: str, workflow: bytes, tmp: Path, trace: bytes | None = None,
                spec: str | None = None, name: str = "<input>") -> Finding | None:
    """Run one command on the input written into `tmp`; a Finding if it broke the contract.
    `trace`: the trace bytes for `trace`/`lean` (with `spec`, the workflow it is checked
    against; otherwise `workflow` is the spec)."""
    wf = tmp / "input.wf"
    wf.write_bytes(workflow)
    target = spec or str(wf)
    args = {"check": ["check", str(wf)],
            "fmt": ["fmt", "--check", str(wf)],
            "verify": ["verify", str(wf), "--timeout", "0.3", "--bound", "8", "-j", "1"],
            "export": ["export", str(wf), "-o", str(tmp / "pml")],
            "lean": ["lean", target, "-o", str(tmp / "lean"), "--engine", "explicit", "-j", "1", "--timeout", "0.3"],
            "trace": ["trace", target]}[command]
    if trace is not None and command in ("trace", "lean"):
        path = tmp / ("input.jsonl" if name.endswith(".jsonl") else "input.json")
        path.write_bytes(trace)
        args += [str(path)] if command == "trace" else ["--trace", str(path)]
    elif command == "trace":
        args.append(str(EXAMPLES / "traces" / "support" / "verification_failed.jsonl"))
    result = CliRunner().invoke(main, args)
    output = result.output
    broken = (result.exit_code not in ALLOWED_EXITS or "Traceback" in output or "internal error" in output
              or (result.exception is not None and not isinstance(result.exception, SystemExit)))
    return Finding(command, result.exit_code, output, name) if broken else None
