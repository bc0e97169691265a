"""Lean identifiers for workflow names: escaped where they are not plain identifiers, and
made unique within their scope.

A `.wf` name is a letter or `_` followed by letters, digits and `_`, but generated names
also come from property names such as `refund.range` and from agent and tool names joined
with dots (`conf.assistant`). Dots and other characters become `_` (a dotted Lean name
would be a namespace path); a name that is a Lean keyword, or starts with `_`, is written
in guillemets (`«end»`); a name already taken in its scope gets a numeric suffix.
"""
from __future__ import annotations

import re

# Tokens of Lean 4's grammar (commands, terms, tactics, attributes) that cannot be used as
# plain identifiers, and words reserved by the module system of recent versions. Escaping
# a word that happens not to be a keyword is harmless, so the list errs on the long side.
KEYWORDS = frozenset("""
    abbrev at attribute axiom begin break by calc catch class continue declare_syntax_cat def
    deriving do else end example exists export extends finally for forall from fun have hiding
    if import in include inductive infix infixl infixr instance let local macro macro_rules
    match meta module mut mutual namespace noncomputable nomatch nofun notation obtain of open
    opaque partial postfix prefix private protected public renaming return rfl section set_option
    show sorry structure suffices syntax termination_by decreasing_by then theorem try unless
    universe unsafe using variable where with fun λ Type Sort Prop at only generalizing
    omit export elab elab_rules initialize builtin_initialize private_decl irreducible_def
    mutual nonrec extern implemented_by inline simp decide assert exact apply intro cases
    induction show_term await raw_syntax expose
""".split())

# Names generated for every inductive type or structure (by the kernel, `deriving` and the
# equation compiler); a constructor or field with one of these names would clash.
AUXILIARY = frozenset("""
    rec recOn casesOn noConfusion noConfusionType below ibelow brecOn binductionOn mk ctorIdx
    toCtorIdx ofNat ctorElim ctorElimType sizeOf sizeOf_spec injEq inj ext ext_iff
""".split())

_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9_']*\Z")


def sanitize(name: str) -> str:
    """A name made of identifier characters only (dots and the like become `_`)."""
    text = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not text:
        return "x"
    return text if not text[0].isdigit() else "x" + text


def escape(ident: str) -> str:
    """`ident` as written in Lean source: guillemets unless it is a plain identifier."""
    if _PLAIN.match(ident) and ident not in KEYWORDS:
        return ident
    return f"«{ident}»"


def camel(name: str) -> str:
    """`coding_agent` -> `CodingAgent` (for module and type names)."""
    parts = [p for p in sanitize(name).split("_") if p]
    text = "".join(p[:1].upper() + p[1:] for p in parts) or "X"
    return text if not text[0].isdigit() else "X" + text


class Scope:
    """Identifiers taken in one Lean scope (a namespace, a type's constructors, a structure's
    fields). `fresh(base)` returns an unused identifier derived from `base`."""

    def __init__(self, reserved=()) -> None:
        self.taken: set[str] = set(reserved)

    def fresh(self, base: str) -> str:
        ident = sanitize(base)
        candidate, n = ident, 1
        while candidate in self.taken or candidate in AUXILIARY:
            candidate = f"{ident}_{n}"
            n += 1
        self.taken.add(candidate)
        return candidate
