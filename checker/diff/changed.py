"""Which lines of the new version's files differ from the old version's, so that findings
can be placed on the lines a pull request changed. Each file the new model names is paired
with the old one's: the main file with the main file, an imported file with the old
version's file of the same name (the same path when both import it)."""
from __future__ import annotations

import difflib
from pathlib import Path

from wfcheck.spec.model import Model


def _files(model: Model) -> list[str]:
    spans = [model.span, *(e.span for e in model.edges), *(t.span for t in model.tools),
             *(p.span for p in model.properties)]
    return list(dict.fromkeys(s.file for s in spans if s.line))


def _lines(path: str) -> list[str] | None:
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None


def changed_lines(old: Model, new: Model) -> dict[str, frozenset[int]]:
    """new file -> its 1-based lines that are new or changed against its old counterpart.
    A file with no readable counterpart is left out (nothing is known about it)."""
    old_files = _files(old)
    by_name = {Path(f).name: f for f in old_files}
    out: dict[str, frozenset[int]] = {}
    for path in _files(new):
        before = old.span.file if path == new.span.file else path if path in old_files else by_name.get(Path(path).name)
        if before is None:
            continue
        old_text, new_text = _lines(before), _lines(path)
        if old_text is None or new_text is None:
            continue
        matcher = difflib.SequenceMatcher(None, old_text, new_text, autojunk=False)
        out[path] = frozenset(j + 1 for tag, _, _, j1, j2 in matcher.get_opcodes() if tag in ("replace", "insert")
                              for j in range(j1, j2))
    return out
