"""The words of a `.wf` text as the grammar's own lexer cuts them, comments and spaces
included, so that highlighting (the HTML report) and name look-ups (the language server)
agree with the parser about what is a keyword, a name, a number or a comment."""
from __future__ import annotations

from dataclasses import dataclass

from lark.exceptions import LarkError

from .parser import _lark

KEYWORD, NAME, NUMBER, STRING, COMMENT, SPACE, PUNCTUATION, TEXT = (
    "keyword", "name", "number", "string", "comment", "space", "punctuation", "text")


@dataclass(frozen=True)
class Word:
    kind: str          # one of the constants above
    text: str
    line: int          # 1-based
    column: int        # 1-based
    offset: int        # 0-based, into the text


def _kind(terminal: str, text: str) -> str:
    if terminal == "NAME":
        return NAME
    if terminal == "INT":
        return NUMBER
    if terminal == "STRING":
        return STRING
    if terminal == "COMMENT":
        return COMMENT
    if terminal == "WS" or not text.strip():
        return SPACE
    return KEYWORD if text[:1].isalpha() else PUNCTUATION


def words(text: str) -> tuple[Word, ...]:
    """Every piece of `text` in order (they join back to `text`). Where the lexer cannot go
    on (a character no terminal matches), the rest of that line is one TEXT word and
    lexing resumes on the next line."""
    out: list[Word] = []
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    offset = 0
    while offset < len(text):
        try:
            for token in _lark().lex(text[offset:], dont_ignore=True):
                out.append(_word(token.type, str(token), offset + token.start_pos, starts))
            break
        except LarkError as exc:
            stop = offset + getattr(exc, "pos_in_stream", 0)
            out = [w for w in out if w.offset < stop]
            line_end = text.find("\n", stop)
            line_end = len(text) if line_end < 0 else line_end + 1
            begin = out[-1].offset + len(out[-1].text) if out else offset
            if begin < stop:
                out.append(_word("TEXT", text[begin:stop], begin, starts))
            out.append(Word(TEXT, text[stop:line_end], *_position(stop, starts), stop))
            offset = line_end
    return tuple(out)


def _position(offset: int, starts: list[int]) -> tuple[int, int]:
    from bisect import bisect_right

    line = bisect_right(starts, offset)
    return line, offset - starts[line - 1] + 1


def _word(terminal: str, text: str, offset: int, starts: list[int]) -> Word:
    kind = TEXT if terminal == "TEXT" else _kind(terminal, text)
    return Word(kind, text, *_position(offset, starts), offset)
