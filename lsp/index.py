"""Where each declared name of a `.wf` text is declared and used, read from the grammar's
words (spec/tokens.py) rather than from the model, so that go-to-definition, references,
completion and symbols keep working while the text has errors (as it does while typing)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from wfcheck.spec.tokens import COMMENT, KEYWORD, NAME, SPACE, Word, words

# declaration keyword -> (kind of name, whether every name on the line is declared)
DECLARES = {"agent": ("agent", True), "state": ("state", True), "var": ("variable", False),
            "tool": ("tool", False), "event": ("event", False), "property": ("property", False),
            "labels": ("label", True), "workflow": ("workflow", False), "catalog": ("workflow", False)}


@dataclass(frozen=True)
class Occurrence:
    name: str
    line: int      # 1-based
    column: int    # 1-based
    end_column: int


@dataclass(frozen=True)
class Declaration:
    name: str
    kind: str
    at: Occurrence
    last_line: int  # the declaration's last line (a tool's outcomes, ...)


@dataclass(frozen=True)
class Index:
    declarations: tuple[Declaration, ...]
    uses: tuple[Occurrence, ...]          # every name word, declarations included

    def declaration(self, name: str) -> Declaration | None:
        return next((d for d in self.declarations if d.name == name), None)

    def at(self, line: int, column: int) -> Occurrence | None:
        """The name word at a 1-based position (its end counts, as editors place the caret)."""
        return next((u for u in self.uses if u.line == line and u.column <= column <= u.end_column), None)

    def references(self, name: str) -> tuple[Occurrence, ...]:
        return tuple(u for u in self.uses if u.name == name)


def _occurrence(word: Word) -> Occurrence:
    return Occurrence(word.text, word.line, word.column, word.column + len(word.text))


def _statements(items: list[Word]):
    """The words in groups: a group starts at a word in column 1 that is not a space or a
    comment (statements start at the line's beginning; continuations are indented)."""
    group: list[Word] = []
    for word in items:
        if word.kind in (SPACE, COMMENT):
            continue
        if word.column == 1 and group:
            yield group
            group = []
        group.append(word)
    if group:
        yield group


@lru_cache(maxsize=8)  # the requests after a keystroke (hover, completion, ...) share one
def index(text: str) -> Index:
    items = list(words(text))
    declarations, uses = [], [_occurrence(w) for w in items if w.kind == NAME]
    for group in _statements(items):
        head = group[0]
        if head.kind != KEYWORD or head.text not in DECLARES:
            continue
        kind, every = DECLARES[head.text]
        names = [w for w in group[1:] if w.kind == NAME]
        if head.text == "labels":  # `labels confidentiality: a < b < c`: every name
            pass
        elif every:  # `state a, b initial`: the names up to the first keyword
            names = []
            for w in group[1:]:
                if w.kind == KEYWORD:
                    break
                if w.kind == NAME:
                    names.append(w)
        else:
            names = names[:1]
        declarations += [Declaration(w.text, kind, _occurrence(w), group[-1].line) for w in names]
    return Index(tuple(declarations), tuple(uses))
