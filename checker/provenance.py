"""Value provenance for `--precision values`.

A value written by an agent (an identifier, number, e-mail, URL with or without its
scheme, IBAN, file name, a whole argument, or a short argument such as an id, matched as a
whole word) is derived from a labelled read only if it appeared in content of
that label and in no content of a lower one: its label is the *lowest* confidentiality and
the *highest* integrity of all content it appeared in before the step. A value seen nowhere
came from the agent itself (its instructions), and carries the lowest confidentiality and
highest integrity. Matching is on lower-cased text, so re-quoting a value (JSON, YAML)
does not hide it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from wfcheck.spec.lattice import Lattice

# Tokens of five or more characters made of word characters and the punctuation that
# holds values together (e-mail, URL, IBAN, paths, decimals); kept only if they carry a
# digit or such punctuation, so that ordinary words are not values.
_TOKEN = re.compile(r"[\w.@:/+\-]{5,}")
_VALUE_MARK = re.compile(r"[\d@./:]")
_SHORT = re.compile(r"(?=[a-z]*[0-9])[a-z0-9]{1,4}")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
MAX_WHOLE = 500


def candidate_values(arguments) -> set[str]:
    """The values an argument object carries, lower-cased."""
    found: set[str] = set()

    def visit(item) -> None:
        if isinstance(item, dict):
            for v in item.values():
                visit(v)
        elif isinstance(item, (list, tuple)):
            for v in item:
                visit(v)
        elif isinstance(item, bool) or item is None:
            return
        elif isinstance(item, (int, float)):
            text = str(item)
            if len(text.replace(".0", "")) >= 4:
                found.add(text.lower())
        elif isinstance(item, str):
            text = item.strip().lower()
            if 5 <= len(text) <= MAX_WHOLE:
                found.add(text)
            elif _SHORT.fullmatch(text):
                found.add(text)  # a short argument (an id like "13") as a whole word
            for token in _TOKEN.findall(text):
                token = token.strip(".:/-")
                if len(token) >= 5 and _VALUE_MARK.search(token):
                    found.add(token)
                    # A URL is the same value with or without its scheme: agents add `https://`.
                    bare = _SCHEME.sub("", token)
                    if bare != token and len(bare) >= 5:
                        found.add(bare)

    visit(arguments)
    return found


@dataclass(frozen=True, slots=True)
class ValueOrigin:
    value: str
    conf: int
    integ: int
    entered_at: int | None    # the first event index whose content held the value with this label
    sources: frozenset[str]   # tracked tools whose results held it (and no user content did)


class _Texts:
    """Append-only texts per key (per label class, per tracked tool, the user's words)."""

    def __init__(self) -> None:
        self.parts: dict[tuple, list[str]] = {}

    def add(self, key: tuple, text: str) -> None:
        self.parts.setdefault(key, []).append(text)

    def has(self, key: tuple) -> bool:
        return key in self.parts

    def holds(self, key: tuple, value: str) -> bool:
        """Some text under `key` holds `value` (see `ValueIndex._holds`)."""
        return any(ValueIndex._holds(text, value) for text in self.parts.get(key, ()))


class ValueIndex:
    """The content seen so far in a trace, by label class (conf, integ) and by source tool."""

    def __init__(self, conf: Lattice, integ: Lattice, tracked: tuple[str, ...]) -> None:
        self.conf, self.integ = conf, integ
        self.tracked = tracked
        self._by_label: dict[tuple[int, int], list[tuple[int, str]]] = {}
        # Texts per label class, per tracked tool, and the user's and system's words (values
        # there are nobody's taint), searched part by part: appending is constant time.
        self._texts = _Texts()

    def add(self, text: str | None, conf: int, integ: int, step: int, tool: str | None = None,
            from_user: bool = False) -> None:
        """Content read at `step` with label (conf, integ): a tool's result (`tool`), the
        user's or system's words (`from_user`), or an agent's own text (neither)."""
        if not text:
            return
        text = text.lower()
        key = (conf, integ)
        self._by_label.setdefault(key, []).append((step, text))
        self._texts.add(("label", key), text)
        if tool in self.tracked:
            self._texts.add(("tool", tool), text)
        if from_user:
            self._texts.add(("user",), text)

    @staticmethod
    def _holds(text: str, value: str) -> bool:
        """`value` occurs in `text`; a short value only as a whole word."""
        if len(value) >= 5:
            return value in text
        return re.search(rf"(?<![a-z0-9]){re.escape(value)}(?![a-z0-9])", text) is not None

    def origin(self, value: str) -> ValueOrigin:
        conf, integ, first = None, None, None
        for (c, i) in self._by_label:
            if self._texts.holds(("label", (c, i)), value):
                conf = c if conf is None else self.conf.meet(conf, c)
                integ = i if integ is None else self.integ.join(integ, i)
        if conf is None:
            return ValueOrigin(value, self.conf.bottom, self.integ.top, None, frozenset())
        for step, text in self._by_label.get((conf, integ), ()):
            if self._holds(text, value):
                first = step
                break
        sources = frozenset(t for t in self.tracked if self._texts.has(("tool", t))
                            and self._texts.holds(("tool", t), value) and not self._texts.holds(("user",), value))
        return ValueOrigin(value, conf, integ, first, sources)

    def written_label(self, arguments) -> tuple[int, int, list[ValueOrigin]]:
        """The label of what the arguments carry, and the values that raised it."""
        conf, integ = self.conf.bottom, self.integ.top
        raising: list[ValueOrigin] = []
        for value in sorted(candidate_values(arguments)):
            origin = self.origin(value)
            if origin.conf != self.conf.bottom or origin.integ != self.integ.top or origin.sources:
                raising.append(origin)
            conf = self.conf.join(conf, origin.conf)
            integ = self.integ.meet(integ, origin.integ)
        return conf, integ, raising
