"""Model expressions and updates printed back in `.wf` surface syntax.

Parentheses are the fewest the grammar needs. Binding, loosest first: `or`, `and`, `not`,
comparison (non-associative), `+`/`-` (left-associative), then atoms (literals, variables,
`at STATE`, parenthesised expressions). `and` and `or` are associative, so a conjunction
nested in a conjunction prints flat: the text parses back to an equal expression up to
that flattening.
"""
from __future__ import annotations

from . import model as m
from .system import MODEL_FORMS, Fold

# Binding strength of each form; a subexpression is parenthesised when it binds more
# loosely than its position requires.
_OR, _AND, _NOT, _CMP, _SUM, _ATOM = range(6)


def expr_text(e: m.Expr) -> str:
    """`e` as it would be written in a `.wf` file."""
    return _wrap(_print(e), _OR)


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


def _wrap(printed: tuple[str, int], needed: int) -> str:
    """A printed subexpression where the grammar needs a form binding at least as tightly
    as `needed`."""
    text, strength = printed
    return text if strength >= needed else f"({text})"


class _Printer(Fold):
    """A model expression -> its text without outer parentheses, and how tightly it binds."""

    forms = MODEL_FORMS

    def on_const(self, e):
        return _const_text(e.value), _ATOM

    def on_var(self, e):
        return e.name, _ATOM

    def on_at(self, e):
        return f"at {e.state}", _ATOM

    def _chain(self, operands, word: str, strength: int, empty: str):
        if len(operands) == 1:  # prints as its operand, in its operand's place
            return operands[0]
        if not operands:
            return empty, _ATOM
        return f" {word} ".join(_wrap(o, strength) for o in operands), strength

    def on_or(self, e, *operands):
        return self._chain(operands, "or", _OR, "false")

    def on_and(self, e, *operands):
        return self._chain(operands, "and", _AND, "true")

    def on_not(self, e, operand):
        return "not " + _wrap(operand, _NOT), _NOT

    def on_cmp(self, e, left, right):
        # Non-associative: neither side may itself be a comparison.
        return f"{_wrap(left, _SUM)} {e.op} {_wrap(right, _SUM)}", _CMP

    def on_arith(self, e, left, right):
        # Left-associative: only the left side may be a sum without parentheses.
        return f"{_wrap(left, _SUM)} {e.op} {_wrap(right, _ATOM)}", _SUM


_print = _Printer()
