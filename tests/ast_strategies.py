"""Hypothesis strategies for random, syntactically valid `ast.Workflow` values.

Every node type and every optional clause can appear; names need not resolve (these feed
the formatter round-trip, not the analysis). The AST shapes are exactly those the parser
can produce: at least two names in a chain, at least two operands in a BoolOp, a literal
as a variable's initial value, a tool with updates or outcomes but not both, and so on.
"""
from __future__ import annotations

import re
from importlib import resources

from hypothesis import strategies as st

from wfcheck.spec import ast

MAX_DECLS = 6
MAX_EXPR_DEPTH = 3


def grammar_keywords() -> frozenset[str]:
    """Every word-like string literal of the grammar (`"tool"`, `"by"`, ...)."""
    text = resources.files("wfcheck.spec").joinpath("grammar.lark").read_text(encoding="utf-8")
    return frozenset(re.findall(r'"([A-Za-z_]+)"', text))


KEYWORDS = grammar_keywords()

# ---------------------------------------------------------------- leaves

_FIRST = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"
names = st.builds(
    str.__add__, st.sampled_from(_FIRST), st.text(alphabet=_FIRST + "0123456789", max_size=5),
).filter(lambda s: s not in KEYWORDS)
idents = names.map(ast.Ident)


def ident_lists(min_size: int = 1, max_size: int = 3) -> st.SearchStrategy[tuple[ast.Ident, ...]]:
    return st.lists(idents, min_size=min_size, max_size=max_size).map(tuple)


optional_idents = st.none() | idents
ints = st.integers(min_value=-20, max_value=20)

# Printable, single-line: the lexer's COMMENT is `#[^\n]*`, and the formatter prints a
# comment verbatim on a line of its own.
_comment_text = st.text(
    alphabet=st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=12)
comment_lines = _comment_text.map(lambda s: "#" + s)
comment_blocks = st.lists(comment_lines, max_size=2).map(tuple)

# STRING is `"[^"\n]*"`, kept verbatim (no escapes).
paths = st.text(alphabet=st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp"),
                                       exclude_characters='"'), max_size=10)

# ---------------------------------------------------------------- expressions

literals = st.one_of(
    st.booleans().map(ast.BoolLit),
    ints.map(ast.IntLit),
    names.map(ast.Ref),
)
atoms = literals | idents.map(ast.AtState)


_BOOL_OPS = st.sampled_from(["and", "or"])
_CMP_OPS = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
_ADD_OPS = st.sampled_from(["+", "-"])


@st.composite
def expressions(draw, depth: int = MAX_EXPR_DEPTH) -> ast.Expr:
    """An expression tree of at most `depth` levels of operators above its atoms."""
    kind = draw(st.sampled_from(["atom", "not", "boolop", "compare", "arith"]))
    if depth == 0 or kind == "atom":
        return draw(atoms)
    sub = expressions(depth - 1)
    if kind == "not":
        return ast.Not(draw(sub))
    if kind == "boolop":
        return ast.BoolOp(draw(_BOOL_OPS), tuple(draw(st.lists(sub, min_size=2, max_size=3))))
    if kind == "compare":
        return ast.Compare(draw(_CMP_OPS), draw(sub), draw(sub))
    return ast.Arith(draw(_ADD_OPS), draw(sub), draw(sub))


exprs = expressions()
optional_exprs = st.none() | exprs

updates = st.builds(ast.Update, idents, exprs | st.builds(ast.AnyValue))
update_lists = st.lists(updates, max_size=2).map(tuple)
nonempty_update_lists = st.lists(updates, min_size=1, max_size=2).map(tuple)

# ---------------------------------------------------------------- actions

actions = st.one_of(
    st.builds(ast.NamedAction, idents, st.none()),
    st.builds(ast.NamedAction, idents, idents),
    st.builds(ast.MessageAction, st.sampled_from(["message", "handoff"]), idents, idents),
)
action_lists = st.lists(actions, min_size=1, max_size=3).map(tuple)
agent_lists = ident_lists(min_size=0)  # empty: no `by` clause

# ---------------------------------------------------------------- declarations

types = st.one_of(
    st.builds(ast.BoolType),
    st.builds(ast.RangeType, ints, ints),
    st.builds(ast.EnumType, ident_lists()),
)

headers = st.builds(ast.Header, idents, comments=comment_blocks)
imports = st.builds(ast.Import, paths, comments=comment_blocks)
labels = st.builds(
    ast.LabelsDecl,
    st.sampled_from(["confidentiality", "integrity"]),
    st.lists(ident_lists(min_size=2, max_size=3), min_size=1, max_size=2).map(tuple),
    comments=comment_blocks,
)
agents = st.builds(ast.AgentDecl, ident_lists(), comments=comment_blocks)
variables = st.builds(ast.VarDecl, idents, types, literals, comments=comment_blocks)

outcomes = st.builds(ast.Outcome, idents, update_lists)


# A parameter is untyped, has a kind name, or a regular expression (never both).
params = st.one_of(
    st.builds(ast.Param, names),
    st.builds(ast.Param, names, idents),
    st.builds(ast.Param, names, st.none(), paths.map(ast.Regex)),
)
# Keys of a result field: plain names, anything quoted, or the wildcard `*`.
field_keys = st.one_of(names, paths, st.just("*"))
result_fields = st.builds(
    ast.ResultField, st.lists(field_keys, min_size=1, max_size=3).map(tuple),
    ident_lists(min_size=1, max_size=2))


@st.composite
def tools(draw) -> ast.ToolDecl:
    body = draw(st.sampled_from(["none", "updates", "outcomes"]))
    sink, needs = draw(optional_idents), draw(optional_idents)
    # `on p, q` only after a level; None is no `on`.
    bound_params = st.none() | ident_lists()
    return ast.ToolDecl(
        draw(idents),
        params=tuple(draw(st.lists(params, max_size=3))),
        agents=draw(agent_lists),
        effect=draw(st.sampled_from([None, "reads", "writes", "sends"])),
        returns=draw(ident_lists(min_size=0, max_size=2)),
        fields=tuple(draw(st.lists(result_fields, max_size=2))),
        sink=sink,
        sink_params=draw(bound_params) if sink is not None else None,
        needs=needs,
        needs_params=draw(bound_params) if needs is not None else None,
        declassify=draw(optional_idents),
        endorse=draw(optional_idents),
        guard=draw(optional_exprs),
        updates=draw(nonempty_update_lists) if body == "updates" else (),
        outcomes=(draw(st.lists(outcomes, min_size=1, max_size=3).map(tuple))
                  if body == "outcomes" else ()),
        comments=draw(comment_blocks),
    )


events = st.builds(ast.EventDecl, idents, agent_lists, comments=comment_blocks)
states = st.builds(ast.StateDecl, ident_lists(), st.booleans(), st.booleans(),
                   comments=comment_blocks)
transitions = st.builds(
    ast.Transition, idents, idents, action_lists,
    agents=agent_lists, declassify=optional_idents, endorse=optional_idents,
    guard=optional_exprs, updates=update_lists, comments=comment_blocks,
)

property_bodies = st.one_of(
    st.builds(ast.Never, action_lists, agent_lists, optional_exprs),
    st.builds(ast.Flow, idents,
              st.lists(st.builds(ast.FlowSink, names, st.none() | ident_lists()), min_size=1,
                       max_size=3).map(tuple),
              st.sampled_from(["flow", "influence"])),
    st.builds(ast.Order, action_lists, action_lists, agent_lists),
    st.builds(ast.Count, ints, action_lists, agent_lists),
    st.builds(ast.Always, exprs),
    st.builds(ast.Terminates),
    st.builds(ast.NoDeadlock),
)
properties = st.builds(ast.PropertyDecl, idents, property_bodies, comments=comment_blocks)

match_atoms = st.one_of(
    st.builds(ast.MatchArg, idents, st.sampled_from(["matches", "contains", "=="]), paths),
    st.builds(ast.MatchOutput, st.sampled_from(["matches", "contains", "=="]), paths),
    st.builds(ast.MatchError),
)
matches = st.recursive(
    match_atoms,
    lambda inner: st.one_of(
        inner.map(ast.Not),
        st.builds(ast.BoolOp, st.sampled_from(["and", "or"]),
                  st.lists(inner, min_size=2, max_size=3).map(tuple))),
    max_leaves=4)
map_targets = st.builds(ast.NamedAction, idents, optional_idents)
trace_names = st.one_of(names, paths.filter(lambda p: p not in ("agent", "reply", "user")))
mappings = st.one_of(
    st.builds(ast.MapTool, trace_names, map_targets, st.none() | matches, comments=comment_blocks),
    st.builds(ast.MapText, st.sampled_from(["reply", "user"]), map_targets, st.none() | matches,
              comments=comment_blocks),
    st.builds(ast.MapAgent, trace_names, idents, comments=comment_blocks),
    st.builds(ast.PrecisionDecl, st.sampled_from(["conservative", "values"]), comments=comment_blocks),
)

decls = st.one_of(headers, imports, labels, agents, variables, tools(), events, states,
                  transitions, properties, mappings)

workflows = st.builds(
    ast.Workflow,
    st.lists(decls, max_size=MAX_DECLS).map(tuple),
    trailing_comments=comment_blocks,
)
