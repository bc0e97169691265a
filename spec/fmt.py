"""AST -> canonical `.wf` text.

`parse_text(format_workflow(wf))` gives back a workflow equal to `wf` (spans aside), and
formatting is idempotent. Expressions get the fewest parentheses that keep their tree:

    or  <  and  <  not  <  comparison (non-associative)  <  + - (left-associative)  <  atoms

Layout: one declaration per line at column 1, tool outcomes on their own lines indented by
two spaces, leading comments just above their declaration. One blank line separates
declarations of different kinds and precedes a commented declaration; the workflow's
trailing comments come last, after a blank line.
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Sequence

from . import ast

INDENT = "  "

# Binding strength, loosest first; atoms bind tightest.
_OR, _AND, _NOT, _COMPARE, _ARITH, _ATOM = range(6)


# ---------------------------------------------------------------- expressions

def _precedence(e: ast.Expr) -> int:
    if isinstance(e, ast.BoolOp):
        return _OR if e.op == "or" else _AND
    if isinstance(e, ast.Not):
        return _NOT
    if isinstance(e, ast.Compare):
        return _COMPARE
    if isinstance(e, ast.Arith):
        return _ARITH
    return _ATOM


def _wrap(e: ast.Expr, needs_parens: bool) -> str:
    text = format_expr(e)
    return f"({text})" if needs_parens else text


def format_expr(e: ast.Expr) -> str:
    """An expression with the fewest parentheses that re-parse to the same tree."""
    if isinstance(e, ast.BoolLit):
        return "true" if e.value else "false"
    if isinstance(e, ast.IntLit):
        return str(e.value)
    if isinstance(e, ast.Ref):
        return e.name
    if isinstance(e, ast.AtState):
        return f"at {e.state.name}"
    if isinstance(e, ast.MatchArg):
        return f'arg {e.param.name} {e.op} "{e.pattern}"'
    if isinstance(e, ast.MatchOutput):
        return f'output {e.op} "{e.pattern}"'
    if isinstance(e, ast.MatchError):
        return "error"
    if isinstance(e, ast.Not):
        # `not` takes a not/comparison/sum; only and/or operands need parentheses.
        return "not " + _wrap(e.operand, _precedence(e.operand) < _NOT)
    if isinstance(e, ast.BoolOp):
        # The parser flattens a chain of one operator into one BoolOp, so an operand with
        # the same operator (or a looser one) must be parenthesized to stay nested.
        own = _precedence(e)
        return f" {e.op} ".join(_wrap(o, _precedence(o) <= own) for o in e.operands)
    if isinstance(e, ast.Compare):
        left = _wrap(e.left, _precedence(e.left) <= _COMPARE)
        right = _wrap(e.right, _precedence(e.right) <= _COMPARE)
        return f"{left} {e.op} {right}"
    if isinstance(e, ast.Arith):
        left = _wrap(e.left, _precedence(e.left) < _ARITH)
        right = _wrap(e.right, _precedence(e.right) <= _ARITH)
        return f"{left} {e.op} {right}"
    raise TypeError(f"not an expression: {e!r}")


# ---------------------------------------------------------------- pieces

def _names(names: Sequence[ast.Ident]) -> str:
    return ", ".join(n.name for n in names)


def format_update(u: ast.Update) -> str:
    value = "any" if isinstance(u.value, ast.AnyValue) else format_expr(u.value)
    return f"{u.var.name} = {value}"


def format_updates(updates: Sequence[ast.Update]) -> str:
    """`{ x = 1, y = any }`; the empty string when there are none (the AST cannot tell an
    absent block from an empty one, and both parse to no updates)."""
    if not updates:
        return ""
    return "{ " + ", ".join(format_update(u) for u in updates) + " }"


def format_action(a: ast.ActionRef) -> str:
    if isinstance(a, ast.MessageAction):
        return f"{a.kind} {a.sender.name} to {a.receiver.name}"
    if a.outcome is not None:
        return f"{a.name.name}.{a.outcome.name}"
    return a.name.name


def format_actions(actions: Sequence[ast.ActionRef]) -> str:
    return ", ".join(format_action(a) for a in actions)


def _clauses(*parts: str | None) -> str:
    return " ".join(p for p in parts if p)


def _by(agents: Sequence[ast.Ident]) -> str | None:
    return f"by {_names(agents)}" if agents else None


def _keyword(word: str, ident: ast.Ident | None) -> str | None:
    return f"{word} {ident.name}" if ident is not None else None


def _when(guard: ast.Expr | None) -> str | None:
    return f"when {format_expr(guard)}" if guard is not None else None


def format_type(t: ast.Type) -> str:
    if isinstance(t, ast.BoolType):
        return "bool"
    if isinstance(t, ast.RangeType):
        return f"{t.low}..{t.high}"
    if isinstance(t, ast.EnumType):
        return "{" + _names(t.values) + "}"
    raise TypeError(f"not a type: {t!r}")


def _flow_sink(sink: ast.FlowSink) -> str:
    return sink.name if sink.params is None else f"{sink.name}({_names(sink.params)})"


def format_property_body(body: ast.PropertyBody) -> str:
    """The text after `property NAME: `."""
    if isinstance(body, ast.Never):
        return _clauses("never", format_actions(body.actions), _by(body.agents),
                        _when(body.condition))
    if isinstance(body, ast.Flow):
        sinks = ", ".join(_flow_sink(s) for s in body.sinks)
        if body.form == "influence":
            return f"no {body.source.name} influence on {sinks}"
        return f"no flow from {body.source.name} to {sinks}"
    if isinstance(body, ast.Order):
        return _clauses(format_actions(body.actions), _by(body.agents), "requires earlier",
                        format_actions(body.earlier))
    if isinstance(body, ast.Count):
        return _clauses(f"at most {body.limit}", format_actions(body.actions), _by(body.agents))
    if isinstance(body, ast.Always):
        return f"always {format_expr(body.condition)}"
    if isinstance(body, ast.Terminates):
        return "terminates"
    if isinstance(body, ast.NoDeadlock):
        return "no deadlock"
    raise TypeError(f"not a property: {body!r}")


# ---------------------------------------------------------------- declarations

def _chain(dimension: str, chain: Sequence[ast.Ident]) -> str:
    # Chains are stored lowest first; integrity reads best-first, as people write it.
    if dimension == "integrity":
        return " > ".join(n.name for n in reversed(chain))
    return " < ".join(n.name for n in chain)


def _param(p: ast.Param) -> str:
    if p.kind is not None:
        return f"{p.name}: {p.kind.name}"
    if p.pattern is not None:
        return f'{p.name}: "{p.pattern.text}"'
    return p.name


def format_path(path: Sequence[str]) -> str:
    """The keys of a result field joined by `.`: a key that is no plain name is quoted."""
    return ".".join("*" if key == "*" else _name_or_string(key) for key in path)


def _field(f: ast.ResultField) -> str:
    label = f.label[0].name if len(f.label) == 1 else f"({_names(f.label)})"
    return f"{format_path(f.path)}: {label}"


def _returns(d: ast.ToolDecl) -> str | None:
    if not d.returns and not d.fields:
        return None
    fields = "{ " + ", ".join(_field(f) for f in d.fields) + " }" if d.fields else None
    return _clauses("returns", _names(d.returns), fields)


def _bound(word: str, level: ast.Ident | None, params: Sequence[ast.Ident] | None) -> str | None:
    """`sink L` or `sink L on p, q` (likewise `needs`)."""
    if level is None:
        return None
    return f"{word} {level.name}" + (f" on {_names(params)}" if params is not None else "")


def _tool_lines(d: ast.ToolDecl) -> list[str]:
    head = _clauses(
        f"tool {d.name.name}({', '.join(_param(p) for p in d.params)})",
        _by(d.agents),
        d.effect,
        _returns(d),
        _bound("sink", d.sink, d.sink_params),
        _bound("needs", d.needs, d.needs_params),
        _keyword("declassify", d.declassify),
        _keyword("endorse", d.endorse),
        _when(d.guard),
        format_updates(d.updates),
    )
    outcomes = [INDENT + _clauses(f"outcome {o.name.name}", format_updates(o.updates))
                for o in d.outcomes]
    return [head, *outcomes]


def format_decl(d: ast.Decl) -> str:
    """One declaration, without its comments; a tool with outcomes spans several lines."""
    if isinstance(d, ast.Header):
        return f"{d.kind} {d.name.name}"
    if isinstance(d, ast.Import):
        return f'import "{d.path}"'
    if isinstance(d, ast.LabelsDecl):
        chains = ", ".join(_chain(d.dimension, c) for c in d.chains)
        return f"labels {d.dimension}: {chains}"
    if isinstance(d, ast.AgentDecl):
        return f"agent {_names(d.names)}"
    if isinstance(d, ast.VarDecl):
        return f"var {d.name.name}: {format_type(d.type)} = {format_expr(d.init)}"
    if isinstance(d, ast.ToolDecl):
        return "\n".join(_tool_lines(d))
    if isinstance(d, ast.EventDecl):
        return _clauses(f"event {d.name.name}", _by(d.agents))
    if isinstance(d, ast.StateDecl):
        return _clauses(f"state {_names(d.names)}", "initial" if d.initial else None,
                        "final" if d.final else None)
    if isinstance(d, ast.Transition):
        return _clauses(
            f"{d.source.name} -> {d.target.name} on {format_actions(d.actions)}",
            _by(d.agents),
            _keyword("declassify", d.declassify),
            _keyword("endorse", d.endorse),
            _when(d.guard),
            format_updates(d.updates),
        )
    if isinstance(d, ast.PropertyDecl):
        return f"property {d.name.name}: {format_property_body(d.body)}"
    if isinstance(d, ast.MapTool):
        return _clauses(f"map {_name_or_string(d.trace_name)} to {format_action(d.target)}",
                        _when(d.condition))
    if isinstance(d, ast.MapText):
        return _clauses(f"map {d.source} to {format_action(d.target)}", _when(d.condition))
    if isinstance(d, ast.MapAgent):
        return f"map agent {_name_or_string(d.trace_name)} to {d.agent.name}"
    if isinstance(d, ast.PrecisionDecl):
        return f"precision {d.mode}"
    raise TypeError(f"not a declaration: {d!r}")


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@lru_cache(maxsize=1)
def _keywords() -> frozenset[str]:
    grammar = resources.files(__package__).joinpath("grammar.lark").read_text(encoding="utf-8")
    return frozenset(re.findall(r'"([A-Za-z_]+)"', grammar))


def _name_or_string(name: str) -> str:
    """A name from traces or a key of a result field: bare when it reads as a plain name, else
    quoted."""
    return name if _IDENTIFIER.fullmatch(name) and name not in _keywords() else f'"{name}"'


_CLAUSE_WORDS = frozenset({"by", "reads", "writes", "sends", "returns", "sink", "needs", "declassify", "endorse",
                           "when", "on", "{", "and", "or", "requires"})
WIDTH = 100   # like black's `--line-length` (docs/language.md); longer lines wrap, continued with INDENT


def wrap(line: str) -> list[str]:
    """`line` broken at spaces outside strings so that each piece fits WIDTH where it can
    (a single word longer than that stays whole); continuation lines are indented one step
    deeper. Whitespace is insignificant outside strings, so the parse does not change."""
    if len(line) <= WIDTH:
        return [line]
    indent = line[:len(line) - len(line.lstrip(" "))]
    words, word, quoted = [], "", False
    for char in line[len(indent):]:
        if char == '"':
            quoted = not quoted
        if char == " " and not quoted:
            words.append(word)
            word = ""
        else:
            word += char
    words.append(word)
    # Break only after a comma or before a clause's keyword, so that `name: type` and
    # `x == 1` stay on one line.
    chunks = [words[0]]
    for word in words[1:]:
        if chunks[-1].endswith(",") or word in _CLAUSE_WORDS:
            chunks.append(word)
        else:
            chunks[-1] += " " + word
    words = _keep_blocks(chunks, WIDTH - len(indent + INDENT))
    lines, current = [], indent + words[0]
    for word in words[1:]:
        if len(current) + 1 + len(word) > WIDTH:
            lines.append(current)
            current = indent + INDENT + word
        else:
            current += " " + word
    return lines + [current]


def _keep_blocks(chunks: list[str], room: int) -> list[str]:
    """The chunks with each update block `{ ... }` joined into one where it fits in `room`,
    so that a block moves to the next line whole rather than breaking after a comma."""
    out: list[str] = []
    block: list[str] | None = None
    for chunk in chunks:
        if block is None and chunk.startswith("{") and not chunk.endswith("}"):
            block = [chunk]
        elif block is not None:
            block.append(chunk)
            if chunk.endswith("}"):
                joined = " ".join(block)
                out.extend([joined] if len(joined) <= room else block)
                block = None
        else:
            out.append(chunk)
    return out + (block or [])


def format_workflow(wf: ast.Workflow) -> str:
    """The whole file, ending in exactly one newline; lines wrap at WIDTH."""
    lines: list[str] = []
    previous: ast.Decl | None = None
    for d in wf.decls:
        if previous is not None and (d.comments or type(d) is not type(previous)):
            lines.append("")
        lines.extend(d.comments)
        lines.extend(piece for decl_line in format_decl(d).split("\n") for piece in wrap(decl_line))
        previous = d
    if wf.trailing_comments:
        if lines:
            lines.append("")
        lines.extend(wf.trailing_comments)
    return "\n".join(lines) + "\n"
