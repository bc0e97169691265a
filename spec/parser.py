"""Text -> AST, with readable syntax errors and recovery at statement boundaries.

Recovery never edits what the user sees: a statement that failed to parse is blanked out
(spaces, newlines kept) so that every later position, line and column stays where it was,
and the file is parsed again to find the next error.
"""
from __future__ import annotations

import re
import threading
from dataclasses import replace
from functools import lru_cache
from importlib import resources

from lark import Lark, Token, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.exceptions import VisitError

from . import ast
from .diagnostics import Diagnostic, error
from .span import Span
from .transformer import ToAst

MAX_SYNTAX_ERRORS = 20

# Bad examples matched against the parser state that rejects them (lark's match_examples);
# each label is the help shown for an error in that state. tests/test_parser.py runs them.
SYNTAX_EXAMPLES: dict[str, list[str]] = {
    "write `property NAME: BODY`, with a colon after the name": [
        "property p never x",
        "property p always x",
    ],
    "a line that starts with a name is read as a transition `FROM -> TO on ACTION`; if it "
    "continues the declaration above, its clauses are out of order (a tool's go: by, "
    "reads|writes|sends, returns, sink, needs, declassify, endorse, when, then updates or outcomes)": [
        "tool t() returns secret by a",
        "tool t() sink public returns secret",
        "tool t() when x by a",
        "tool t() writes by a",
        "a b",
    ],
    "a transition reads `FROM -> TO on ACTION`": [
        "state a\na -> b finish",
        "a -> b",
    ],
    "a variable's type is `bool`, a range like `0..10`, or an enum like `{low, high}`": [
        "var x: int = 0",
        "var x: string = 0",
    ],
    "a label with two levels separates them with a comma: `returns secret, untrusted`": [
        "tool t() returns secret untrusted by a",
    ],
    "a variable needs an initial value: `var NAME: TYPE = VALUE`": [
        "var x: bool\nstate s",
        "var x: 0..3 state s",
    ],
    "updates are separated by commas: `{ x = 1, y = any }`": [
        "tool t() { x = 1 y = 2 }",
    ],
    "a field list names at least one field: `returns { subject: untrusted }`": [
        "tool t() returns {}",
    ],
    "an update reads `{ x = e }`; a field list `{ subject: untrusted }` follows `returns`": [
        "tool t() { subject: untrusted }",
        "a -> b on t { x: 1 }",
    ],
    "a field with two levels puts them in parentheses: `{ description: (internal, untrusted) }`": [
        "tool t() returns { a: secret, untrusted }",
    ],
    "a comparison has exactly two operands: write `0 < x and x < 3`, not `0 < x < 3`": [
        "property p: always 0 < x < 3",
        "tool t() when 0 < x < 3",
        "a -> b on t when x == y == z",
    ],
    "use `==` to compare": [
        "property p: always x = 1",
        "tool t() when x = 1",
    ],
}

_KEYWORD_RE = re.compile(r"^[a-z]+$")
_NAMED_TERMINALS = {
    "NAME": "a name",
    "INT": "a number",
    "STRING": 'a quoted string',
    "$END": "the end of the file",
}
_STATEMENT_START = re.compile(
    r"(workflow|catalog|import|labels|agent|var|tool|event|state|property|map|precision)\b|[A-Za-z_][A-Za-z0-9_]*\s*->")


_comment_sink = threading.local()


def _collect_comment(token: Token) -> Token:
    sink = getattr(_comment_sink, "tokens", None)
    if sink is not None:
        sink.append(token)
    return token


@lru_cache(maxsize=1)
def _lark() -> Lark:
    return build_lark(resources.files(__package__).joinpath("grammar.lark").read_text(encoding="utf-8"))


def build_lark(grammar: str) -> Lark:
    """The LALR parser of `grammar`. cache=True: lark stores the analysed grammar in the temp
    directory under a key made of the grammar's text, the options and lark's version, so a
    changed grammar (an upgrade, an edit) is analysed afresh and the tables are never stale;
    loading them takes ~0.02 s, analysing the grammar ~0.3 s."""
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=True,
                lexer_callbacks={"COMMENT": _collect_comment}, cache=True)


def _parse_tree(text: str) -> tuple[object, list[Token]]:
    """The lark tree and the comment tokens the lexer skipped."""
    _comment_sink.tokens = comments = []
    try:
        return _lark().parse(text), comments
    finally:
        _comment_sink.tokens = None


@lru_cache(maxsize=1)
def _terminal_words() -> dict[str, str]:
    words = dict(_NAMED_TERMINALS)
    for term in _lark().terminals:
        if term.pattern.type == "str":
            words[term.name] = f"`{term.pattern.value}`"
    return words


def describe_expected(expected: set[str]) -> str:
    """Terminal names -> `a name`, `on`, ... in a stable order, keywords last."""
    words = _terminal_words()
    described = sorted({words.get(name, name.lower()) for name in expected})
    described.sort(key=lambda w: (w.startswith("`") and _KEYWORD_RE.match(w.strip("`")) is not None, w))
    if len(described) > 8:
        described = described[:8] + ["…"]
    return ", ".join(described)


def _error_position(text: str, exc: UnexpectedInput) -> tuple[int, int, int, int]:
    """(offset, line, column, width) of the offending input."""
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        tok = exc.token
        return tok.start_pos, tok.line, tok.column, max(1, len(str(tok)))
    if isinstance(exc, UnexpectedCharacters):
        return exc.pos_in_stream, exc.line, exc.column, 1
    # End of input: point just after the last non-blank character.
    offset = len(text.rstrip())
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return max(offset - 1, 0), line, column, 1


def _syntax_diagnostic(text: str, file: str, exc: UnexpectedInput, hint: str | None) -> Diagnostic:
    offset, line, column, width = _error_position(text, exc)
    span = Span(file, line, column, line, column + width)
    if isinstance(exc, UnexpectedCharacters):
        char = text[offset] if offset < len(text) else ""
        if char == '"':   # a string ends on its line: `"` with no closing `"` before the newline
            return error("WF001", "unterminated string", span,
                         hint or 'close the string with `"` on the same line (strings cannot span lines)')
        return error("WF001", f"unexpected character `{char}`", span,
                     hint or "names are letters, digits and `_`; comments start with `#`")
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        expected = exc.expected if isinstance(exc, UnexpectedEOF) else exc.accepts or exc.expected
        return error("WF002", f"unexpected end of file; expected {describe_expected(set(expected))}", span, hint)
    assert isinstance(exc, UnexpectedToken)
    expected = exc.accepts or exc.expected
    return error("WF003", f"unexpected `{exc.token}`; expected {describe_expected(set(expected))}",
                 span, hint)


def _error_key(exc: UnexpectedInput) -> tuple[object, str | None] | None:
    state = getattr(exc, "state", None)
    if state is None:
        return None
    position = state.position if hasattr(state, "position") else state
    token = getattr(exc, "token", None)
    return position, (token.type if token is not None else None)


@lru_cache(maxsize=1)
def _example_keys() -> tuple[tuple[object, str | None, str], ...]:
    """(LALR state, offending token type, hint) for every bad example in the table."""
    keys = []
    for hint, examples in SYNTAX_EXAMPLES.items():
        for example in examples:
            try:
                _lark().parse(example)
            except UnexpectedInput as exc:
                key = _error_key(exc)
                if key is not None:
                    keys.append((key[0], key[1], hint))
    return tuple(keys)


def _match_hint(exc: UnexpectedInput) -> str | None:
    """The hint of the bad example that failed in the same parser state, preferring one
    that also failed on the same kind of token. Only the top of the LALR stack is compared,
    so what came before the error does not matter (lark's match_examples compares stacks)."""
    key = _error_key(exc)
    if key is None:
        return None
    candidates = [(token == key[1], hint) for state, token, hint in _example_keys() if state == key[0]]
    if not candidates:
        return None
    return max(candidates, key=lambda c: c[0])[1]


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(i + 1 for i, ch in enumerate(text) if ch == "\n")
    return starts


def _starts_statement(text: str, start: int) -> bool:
    return _STATEMENT_START.match(text, start) is not None


def _statement_region(text: str, offset: int) -> tuple[int, int]:
    """The [start, end) of the unindented statement holding `offset`, to blank out.

    When the error sits on the first token of a statement, the statement before it is the
    one left unfinished, so that one is dropped instead.
    """
    starts = _line_starts(text)
    line = max(i for i, s in enumerate(starts) if s <= offset)
    indent = len(text[starts[line]:]) - len(text[starts[line]:].lstrip(" \t"))
    if _starts_statement(text, starts[line] + indent) and indent == 0 and offset == starts[line] and line > 0:
        first = line - 1
        while first > 0 and not _starts_statement(text, starts[first]):
            first -= 1
        return starts[first], starts[line]
    first = line
    while first > 0 and not _starts_statement(text, starts[first]):
        first -= 1
    last = line + 1
    while last < len(starts) and not _starts_statement(text, starts[last]):
        last += 1
    end = starts[last] if last < len(starts) else len(text)
    return starts[first], max(end, offset + 1)


def _blank(text: str, begin: int, end: int) -> str:
    return text[:begin] + re.sub(r"[^\n]", " ", text[begin:end]) + text[end:]


def _attach_comments(workflow: ast.Workflow, comments: list[Token]) -> ast.Workflow:
    """Give each comment to the declaration it precedes or sits in (as a leading comment)."""
    decls = list(workflow.decls)
    attached: list[list[str]] = [[] for _ in decls]
    trailing: list[str] = []
    for comment in comments:
        text = str(comment)
        owner = next((i for i, d in enumerate(decls)
                      if d.span.line <= comment.line <= d.span.end_line), None)
        if owner is None:
            owner = next((i for i, d in enumerate(decls) if d.span.line > comment.line), None)
        if owner is None:
            trailing.append(text)
        else:
            attached[owner].append(text)
    new_decls = tuple(replace(d, comments=tuple(c)) if c else d for d, c in zip(decls, attached))
    return replace(workflow, decls=new_decls, trailing_comments=tuple(trailing))


def parse_text(text: str, file: str = "<input>") -> tuple[ast.Workflow, tuple[Diagnostic, ...]]:
    """Parse one file. Always returns a workflow: what parsed, with the broken statements
    left out and reported."""
    diagnostics: list[Diagnostic] = []
    working = text
    while True:
        try:
            tree, comments = _parse_tree(working)
            break
        except UnexpectedInput as exc:
            diagnostics.append(_syntax_diagnostic(working, file, exc, _match_hint(exc)))
            offset = _error_position(working, exc)[0]
            begin, end = _statement_region(working, offset)
            if len(diagnostics) >= MAX_SYNTAX_ERRORS or not working[begin:end].strip():
                return ast.Workflow((), span=Span(file, 1, 1, 1, 1)), tuple(diagnostics)
            working = _blank(working, begin, end)
    try:
        workflow = ToAst(file).transform(tree)
    except VisitError as exc:  # a transformer bug: surface the real exception
        raise exc.orig_exc from exc
    return _attach_comments(workflow, comments), tuple(diagnostics)
