"""Model expressions and updates printed back in `.wf` surface syntax.

Parentheses are the fewest the grammar needs. Binding, loosest first: `or`, `and`, `not`,
comparison (non-associative), `+`/`-` (left-associative), then atoms (literals, variables,
`at STATE`, parenthesised expressions). `and` and `or` are associative, so a conjunction
nested in a conjunction prints flat: the text parses back to an equal expression up to
that flattening.
"""
from __future__ import annotations

from . import model as m

# Binding strength of each form; a subexpression is parenthesised when it binds more
# loosely than its position requires.
_OR, _AND, _NOT, _CMP, _SUM, _ATOM = range(6)


def expr_text(e: m.Expr) -> str:
    """`e` as it would be written in a `.wf` file."""
    return _text(e, _OR)


def assign_text(a: m.Assign) -> str:
    """`var = expr`, or `var = any` for an arbitrary value."""
    return f"{a.var} = " + ("any" if a.value is None else expr_text(a.value))


def describe_action(action: m.Action) -> str:
    """What a step does, in words (`a` calls `t`), for explanations and trace reports."""
    if action.kind == "tool":
        text = f"`{action.agent}` calls `{action.name}`"
        return text + (f" (outcome `{action.outcome}`)" if action.outcome else "")
    if action.kind == "event":
        return f"`{action.agent}` does `{action.name}`" if action.agent else f"event `{action.name}`"
    if action.kind == "handoff":
        return f"`{action.agent}` hands off to `{action.receiver}`"
    return f"`{action.agent}` sends a message to `{action.receiver}`"


def _const_text(value: m.Value) -> str:
    if isinstance(value, bool):  # before int: bool is a subclass of int
        return "true" if value else "false"
    return str(value)


def _text(e: m.Expr, needed: int) -> str:
    """`e` printed where the grammar needs a form binding at least as tightly as `needed`."""
    if isinstance(e, (m.And, m.Or)) and len(e.operands) == 1:
        return _text(e.operands[0], needed)
    text, strength = _bare(e)
    return text if strength >= needed else f"({text})"


def _bare(e: m.Expr) -> tuple[str, int]:
    """`e` without outer parentheses, and how tightly it binds."""
    if isinstance(e, m.Const):
        return _const_text(e.value), _ATOM
    if isinstance(e, m.Var):
        return e.name, _ATOM
    if isinstance(e, m.At):
        return f"at {e.state}", _ATOM
    if isinstance(e, m.Or):
        if not e.operands:
            return "false", _ATOM
        return " or ".join(_text(o, _OR) for o in e.operands), _OR
    if isinstance(e, m.And):
        if not e.operands:
            return "true", _ATOM
        return " and ".join(_text(o, _AND) for o in e.operands), _AND
    if isinstance(e, m.Not):
        return "not " + _text(e.operand, _NOT), _NOT
    if isinstance(e, m.Cmp):
        # Non-associative: neither side may itself be a comparison.
        return f"{_text(e.left, _SUM)} {e.op} {_text(e.right, _SUM)}", _CMP
    if isinstance(e, m.Arith):
        # Left-associative: only the left side may be a sum without parentheses.
        return f"{_text(e.left, _SUM)} {e.op} {_text(e.right, _ATOM)}", _SUM
    raise TypeError(f"not a model expression: {e!r}")
