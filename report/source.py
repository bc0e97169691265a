"""A `.wf` file as highlighted HTML, one element per line with the id `L<line>` so that
findings can link to their source line; the words are the grammar's own (spec/tokens.py)."""
from __future__ import annotations

from html import escape

from wfcheck.spec.tokens import SPACE, words


def render_source(text: str, file_id: str) -> str:
    lines: list[list[str]] = [[]]
    for word in words(text):
        pieces = word.text.split("\n")
        for i, piece in enumerate(pieces):
            if i:
                lines.append([])
            if piece:
                lines[-1].append(escape(piece) if word.kind == SPACE else
                                 f'<span class="tok-{word.kind}">{escape(piece)}</span>')
    if len(lines) > 1 and not lines[-1]:
        lines.pop()
    rows = (f'<tr id="{file_id}-L{n}" class="src-line"><td class="ln">{n}</td><td class="code">{"".join(parts)}</td></tr>'
            for n, parts in enumerate(lines, 1))
    return f'<table class="source" data-file="{file_id}">' + "".join(rows) + "</table>"
