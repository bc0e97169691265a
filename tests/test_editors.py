"""The TextMate grammar in editors/ knows every keyword of the language (read from the
parser's own terminals) and its patterns scope the bundled examples as the parser's
words do: a comment is a comment, a keyword a keyword."""
from __future__ import annotations

import json
import re
from pathlib import Path

from wfcheck.spec.parser import _lark
from wfcheck.spec.tokens import COMMENT, KEYWORD, words

ROOT = Path(__file__).resolve().parent.parent
GRAMMAR = json.loads((ROOT / "editors" / "wf.tmLanguage.json").read_text(encoding="utf-8"))


def _keywords() -> set[str]:
    found = set()
    for terminal in _lark().terminals:
        pattern = terminal.pattern
        if pattern.type == "str" and pattern.value.isidentifier():
            found.add(pattern.value)
        elif pattern.type == "re" and re.fullmatch(r"\(\?:[a-z|]+\)", pattern.value):
            found.update(pattern.value[3:-1].split("|"))
    return found


def _patterns():
    repo = GRAMMAR["repository"]
    return [(name, re.compile(repo[name]["match"])) for name in (p["include"][1:] for p in GRAMMAR["patterns"])]


def _scope(line: str, column: int) -> str | None:
    """The rule that scopes the character at `column` (0-based): first match leftmost, as TextMate does."""
    position = 0
    while position < len(line):
        best = None
        for name, pattern in _patterns():
            m = pattern.search(line, position)
            if m and m.end() > m.start() and (best is None or m.start() < best[1].start()):
                best = (name, m)
        if best is None:
            return None
        name, m = best
        if m.start() <= column < m.end():
            return name
        position = m.end()
    return None


def test_every_keyword_is_highlighted():
    repo = GRAMMAR["repository"]
    covered = set()
    for rule in ("declaration", "keyword", "constant", "type"):
        covered |= {w for w in _keywords() if re.search(repo[rule]["match"], w if rule != "declaration" else w + " x")}
    assert _keywords() - covered == set()


def test_examples_are_scoped_as_the_parser_reads_them():
    checked = 0
    for path in sorted((ROOT / "examples").glob("*.wf")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for word in words(path.read_text(encoding="utf-8")):
            if word.kind not in (COMMENT, KEYWORD):
                continue
            scope = _scope(lines[word.line - 1], word.column - 1)
            want = {"comment"} if word.kind == COMMENT else {"declaration", "keyword", "constant", "type"}
            assert scope in want, (path.name, word)
            checked += 1
    assert checked > 300
