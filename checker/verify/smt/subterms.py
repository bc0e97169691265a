"""Walking z3 terms: every distinct subterm once."""
from __future__ import annotations

from typing import Iterator

import z3


def subterms(term: z3.ExprRef) -> Iterator[z3.ExprRef]:
    """`term` and every term inside it, each once (shared subterms are not walked again)."""
    seen, todo = set(), [term]
    while todo:
        t = todo.pop()
        if t.get_id() in seen:
            continue
        seen.add(t.get_id())
        yield t
        todo.extend(t.children())


def free_constants(term: z3.ExprRef) -> list[z3.ExprRef]:
    """The uninterpreted constants in a term, each once."""
    return [t for t in subterms(term) if z3.is_const(t) and t.decl().kind() == z3.Z3_OP_UNINTERPRETED]


def has_quantifier(term: z3.ExprRef) -> bool:
    return any(z3.is_quantifier(t) for t in subterms(term))
