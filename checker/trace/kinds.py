"""What values an argument of a declared kind carries, and how they are matched, for
`--precision values` (docs/language.md, "Values precision").

A tool parameter may declare what its values are (`send_money(recipient: iban)`). The kind
decides which *probes* are taken from an argument: lower-cased strings looked up in the
content read earlier in the trace. A probe *raises* a label when a read text holds it (the
written label takes that text's label); a probe that does not raise is still looked up, so
that it can be reported, but never raises a label by itself. Lists and dicts carry the union
of the probes of their string and number leaves (a `participants` list of e-mails); dict
keys are not looked at. `True`, `False` and `None` carry none.

- untyped (no kind): the values `provenance.candidate_values` finds, unchanged (a whole
  argument of 5 to 500 characters, a short one with a digit, the tokens with a digit or
  `@ . / :`, URLs also without their scheme).
- `id`: the whole value, stripped and lower-cased, however short (`delete_file("13")`).
- `email`: each e-mail address in the value, lower-cased.
- `url`: each URL (with a scheme, from `www.`, or a bare domain with an optional path),
  without trailing `/` or punctuation, and also without its scheme (`www.` is kept).
- `iban`: each IBAN (2 letters, 2 digits, 11 to 30 letters or digits, written compact or in
  groups of four), spaces removed; also in groups of four, the printed form.
- `path`: the whole value, and its last component (the file name) when it has at least
  `MIN_FILE_NAME` characters.
- `number`: each number in the value (a JSON number, or the numbers written in a string,
  `1,200.50` read as 1200.5), in canonical forms: without trailing fractional zeros
  (`100.0` -> `100`), with two decimals when it has one (`98.7` -> also `98.70`), and with
  thousands separators when it has four or more integer digits (`1200` -> also `1,200`);
  the sign is dropped. A number with fewer than `MIN_NUMBER_DIGITS` significant digits (its
  digits from the first non-zero one, trailing fractional zeros dropped: `100` has 3,
  `98.70` 3, `1000` 4, `0.05` 1) does not raise: a short number is never derived by
  coincidence alone. A number is matched as a word like any probe, so `1000` is also found
  in `1000.5`.
- `date`: each date in the value, in any form `date_tokens` reads (an ISO date, with or
  without a time of day, is the usual one), as its month-day token (`2024-05-01` ->
  `m05d01`). The year is not compared: an injected "the 1st of May" names no year. The
  time of day never counts. An index that matches dates appends `date_tokens(text)` to
  every text it keeps, so that the token is found where the date is mentioned in any form.
- `text`: derived only through a distinctive span: (a) the tokens untyped extraction finds
  inside it (a digit or `@ . / :`: e-mails, URLs, IBANs, long numbers), and (b) every
  *shingle*, a run of `SHINGLE_WORDS` consecutive words (maximal runs of letters and
  digits), matched as those words in that order separated by anything but letters and
  digits (`phrase`). A two-word subject (`feedback scores`) never raises a label; a sentence
  copied from a web page does.
- `pattern`: each match of the parameter's regular expression in the value (matched as
  written, case-sensitively unless the pattern says `(?i)`), lower-cased.

Matching (`occurs`): a probe is found in a text (lower-cased) as a whole word
(`provenance.holds`: it cuts no run of letters and digits in two), a shingle as its word
sequence. Either way every run of letters and digits of a probe is a maximal run of a text
that holds it, so the index's postings find its candidate texts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from wfcheck.spec.values import SCHEME, VALUE_MARK, occurs as occurs_word

from .provenance import _Table, _marked_tokens, _may_have_values, candidate_values, runs

SHINGLE_WORDS = 5       # words in a shingle of a `text` argument
MIN_NUMBER_DIGITS = 4   # significant digits for a number to raise a label by itself
MIN_FILE_NAME = 5       # characters for a path's last component to be a probe of its own


@dataclass(frozen=True, slots=True)
class Probe:
    """A lower-cased string to look up in what was read. `raises`: a text that holds it
    gives the argument that text's label. `phrase`: a shingle, its words separated by one
    space, matched as a word sequence."""
    text: str
    raises: bool = True
    phrase: bool = False


def probes(value, kind: str | None = None, pattern: str | None = None) -> tuple[Probe, ...]:
    """The probes of one argument value (str, number, list or dict as JSON gives it) of a
    parameter of `kind` (`pattern`: the regular expression of kind "pattern")."""
    if kind is None:
        return tuple(Probe(v) for v in sorted(candidate_values(value)))
    if kind not in _STRING_KINDS:
        raise ValueError(f"unknown parameter kind {kind!r}")
    found: dict[str, Probe] = {}
    _collect(value, kind, pattern, found)
    return tuple(found.values())


EMPTY: frozenset = frozenset()


def value_sets(value, kind: str | None = None, pattern: str | None = None):
    """The probes of `probes(value, kind, pattern)` as three sets, what the trace monitor
    looks up: the texts of those that raise, the texts of those that do not, and those of
    the shingles. Cached for a string (most arguments are)."""
    if type(value) is str:
        key = (value, kind, pattern)
        out = _STRING_SETS.get(key)
        if out is None:
            out = _string_sets(value, kind, pattern)
            if len(_STRING_SETS) >= _MAX_CACHED:
                _STRING_SETS.clear()
            _STRING_SETS[key] = out
        return out
    if kind is None:
        return frozenset(candidate_values(value)), EMPTY, EMPTY
    found = probes(value, kind, pattern)
    return (frozenset(p.text for p in found if p.raises and not p.phrase),
            frozenset(p.text for p in found if not p.raises),
            frozenset(p.text for p in found if p.phrase))


_STRING_SETS: dict[tuple, tuple] = {}


def _string_sets(item: str, kind: str | None, pattern: str | None):
    """`value_sets` of one string, made without `Probe` objects (a text has dozens)."""
    if kind is None:
        return frozenset(candidate_values(item)), EMPTY, EMPTY
    if kind == "text":
        tokens, shingles = _text(item, pattern)
        return frozenset(tokens), EMPTY, frozenset(shingles)
    if kind == "number":
        found = _number(item, pattern)
        return (frozenset(t for t, raises in found if raises),
                frozenset(t for t, raises in found if not raises) if found else EMPTY, EMPTY)
    if kind not in _STRING_KINDS:
        raise ValueError(f"unknown parameter kind {kind!r}")
    return frozenset(_STRING_KINDS[kind](item, pattern)), EMPTY, EMPTY


def _collect(item, kind: str, pattern: str | None, found: dict[str, Probe]) -> None:
    if isinstance(item, dict):
        for v in item.values():
            _collect(v, kind, pattern, found)
        return
    if isinstance(item, (list, tuple)):
        for v in item:
            _collect(v, kind, pattern, found)
        return
    if isinstance(item, str):
        new = _string_probes(item, kind, pattern)
    elif isinstance(item, (int, float)) and not isinstance(item, bool):
        new = _number_probes(_decimal(item)) if kind == "number" else _string_probes(str(item), kind, pattern)
    else:   # True, False, None
        return
    for probe in new:   # the same text is the same probe (`raises` follows from the text)
        found.setdefault(probe.text, probe)


_STRING_PROBES: dict[tuple, tuple[Probe, ...]] = {}
_MAX_CACHED = 4096


def _string_probes(item: str, kind: str, pattern: str | None) -> tuple[Probe, ...]:
    """The probes of one string (cached: a monitor's `check` and `step` look at the same
    arguments)."""
    key = (item, kind, pattern)
    out = _STRING_PROBES.get(key)
    if out is None:
        found = _STRING_KINDS[kind](item, pattern)
        if kind == "number":
            out = tuple(Probe(text, raises) for text, raises in found)
        elif kind == "text":
            out = tuple(Probe(text) for text in found[0]) + tuple(Probe(text, phrase=True) for text in found[1])
        else:
            out = tuple(map(Probe, found))
        if len(_STRING_PROBES) >= _MAX_CACHED:
            _STRING_PROBES.clear()
        _STRING_PROBES[key] = out
    return out


# ---------------------------------------------------------------- one kind each
# Each gives the texts of the probes of one string: all raising; `_number` (text, raises)
# pairs; `_text` (tokens, shingles).

def _id(item: str, _pattern) -> list[str]:
    text = item.strip().lower()
    return [text] if text else []


_EMAIL = re.compile(r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,}(?![\w\-]|\.\w)")


def _email(item: str, _pattern) -> list[str]:
    return _EMAIL.findall(item.lower())


_URL = re.compile(r"[a-z][a-z0-9+.\-]*://[^\s<>\"'`]+"
                  r"|(?<![\w@.\-])(?:[\w\-]+\.)+[^\W\d_]{2,}(?![\w\-@])(?:[/?#][^\s<>\"'`]*)?")
_URL_TAIL = ".,;:!?)]}/"


def _url(item: str, _pattern) -> list[str]:
    out = []
    for m in _URL.finditer(item.lower()):
        url = m.group().rstrip(_URL_TAIL)
        bare = SCHEME.sub("", url)
        out.append(url)
        if bare and bare != url:
            out.append(bare)
    return out


_IBAN = re.compile(r"(?<![^\W_])[a-z]{2}\d{2}(?:[a-z0-9]{11,30}|(?: [a-z0-9]{4}){2,7}(?: [a-z0-9]{1,4})?)(?![^\W_])")


def _iban(item: str, _pattern) -> list[str]:
    out = []
    for m in _IBAN.finditer(item.lower()):
        compact = m.group().replace(" ", "")
        if 15 <= len(compact) <= 34:
            out.append(compact)
            out.append(" ".join(compact[i:i + 4] for i in range(0, len(compact), 4)))
    return out


_SEPARATOR = re.compile(r"[/\\]")


def _path(item: str, _pattern) -> list[str]:
    text = item.strip().lower()
    if not text:
        return []
    name = _SEPARATOR.split(text.rstrip("/\\"))[-1]
    out = [text]
    if len(name) >= MIN_FILE_NAME and name != text:
        out.append(name)
    return out


# A number as written: with thousands separators, or plain; with an optional fraction.
_NUMBER = re.compile(r"(?<![\d.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\d]|[.,]\d)")


def _number(item: str, _pattern) -> list[tuple[str, bool]]:
    out = []
    for m in _NUMBER.findall(item):
        out += _number_forms(Decimal(m.replace(",", "")))
    return out


def _decimal(number: int | float) -> Decimal:
    return Decimal(repr(number)) if isinstance(number, float) else Decimal(number)


def _number_probes(number: Decimal) -> list[Probe]:
    """The canonical forms of a number (see the module's docstring)."""
    return [Probe(form, raises) for form, raises in _number_forms(number)]


def _number_forms(number: Decimal) -> list[tuple[str, bool]]:
    """The canonical forms of a number, each with whether it raises."""
    if not number.is_finite():
        return []
    text = format(abs(number).normalize(), "f")
    whole, _, fraction = text.partition(".")
    raises = len(text.replace(".", "").lstrip("0")) >= MIN_NUMBER_DIGITS
    forms = [text]
    if len(whole) > 3:
        forms.append(f"{int(whole):,}" + (f".{fraction}" if fraction else ""))
    if len(fraction) == 1:
        forms += [form + "0" for form in forms]
    return [(form, raises) for form in forms]


def _date(item: str, _pattern) -> list[str]:
    return date_tokens(item)


def _text(item: str, _pattern) -> tuple[list[str], list[str]]:
    """The tokens of a `text` value (in order, each once) and its shingles."""
    text = item.lower()
    tokens: list[str] = []
    if len(text) < 20 or _may_have_values(text):
        # The token step of untyped extraction (`provenance._string_values`).
        for token in _marked_tokens(text):
            token = token.strip(".:/-")
            if len(token) >= 5 and VALUE_MARK.search(token):
                tokens.append(token)
                if "://" in token:
                    bare = SCHEME.sub("", token)
                    if bare != token and len(bare) >= 5:
                        tokens.append(bare)
    words = runs(text)
    return list(dict.fromkeys(tokens)), list(map(" ".join, zip(*(words[i:] for i in range(SHINGLE_WORDS)))))


def _pattern(item: str, pattern: str | None) -> list[str]:
    if pattern is None:
        raise ValueError("a parameter of kind 'pattern' needs its regular expression")
    return [m.group().lower() for m in _compiled(pattern).finditer(item) if m.group()]


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


_STRING_KINDS = {"id": _id, "email": _email, "url": _url, "iban": _iban, "path": _path,
                 "number": _number, "date": _date, "text": _text, "pattern": _pattern}

# ---------------------------------------------------------------- matching


def occurs(probe: Probe, text: str) -> bool:
    """`text` (lower-cased) holds `probe`: as a whole word, or a shingle as its words in
    order with only characters other than letters and digits between them."""
    if not probe.phrase:
        return occurs_word(probe.text, text)
    regex = _phrase(probe.text)
    found = regex.search(text)
    while found is not None:
        at = found.start()
        if at == 0 or not text[at - 1].isalnum():
            return True
        found = regex.search(text, at + 1)
    return False


@lru_cache(maxsize=16384)
def _phrase(phrase: str) -> re.Pattern:
    """A shingle's regular expression: its words with non-alphanumerics between, the last
    one whole. It begins with the first word, not with a look-behind, so that the regex
    engine can skip ahead to that word; `occurs` checks the boundary before it (30 times
    faster on long texts)."""
    return re.compile(r"[\W_]+".join(map(re.escape, phrase.split(" "))) + r"(?![^\W_])")


# ---------------------------------------------------------------- dates mentioned in a text

_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = (r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_SPACE = r"(?:[ \t]+|[ \t]*\r?\n[ \t]+)"   # a line break only in a wrapped (indented) line
_DAY = rf"(?:the{_SPACE})?(\d{{1,2}})(?:st|nd|rd|th)?\b"
_TO = r"\s*(?:-|\u2013|\u2014|to|until|till|through|thru|and)\s*"
_MONTH_WORD = re.compile(_MONTH + r"(?![a-z])")
# Month first, matched at the month: `May 1`, `May 1st-5th`, `May 30 to June 2`.
_MONTH_FIRST = re.compile(rf"{_MONTH}\.?{_SPACE}{_DAY}(?:{_TO}(?:{_MONTH}\.?{_SPACE})?{_DAY})?")
# Day first, ending at the month: `1 May`, `the 1st to the 5th of May`.
_DAY_FIRST = re.compile(rf"(?<![\d.,])\b{_DAY}(?:{_TO}{_DAY})?{_SPACE}(?:of{_SPACE})?{_MONTH}\Z")
_DAY_FIRST_REACH = 60   # characters before the month that a day-first date can take
_ISO = re.compile(r"(?<!\d)(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?!\d)")
_HAS_DIGIT = re.compile(r"\d")
_ISO_CHARS = _Table(lambda ch: ch in "0123456789-/")
_DAYS_IN = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def date_tokens(text: str) -> list[str]:
    """The month-day tokens (`m05d01`) of the dates mentioned in `text`, each once, sorted:
    ISO dates (`2024-05-01`, `2024/05/01`, with or without a time), and dates with a month
    name, full or of three letters, in any case (`May 1`, `May 1st, 2024`, `1 May`, `the 1st
    of May 2024`), with both ends of a range (`May 1-5`, `1st to 5th May`, `from the 1st to
    the 5th of May 2024`). Not read: numeric day-month orders (`05/01/2024`), which are
    ambiguous. Fast on text without dates: ISO dates are looked for only in runs of digits,
    `-` and `/` of eight or more characters, month names only where one occurs as a word."""
    if not _HAS_DIGIT.search(text):
        return []
    low = text.lower()
    found: set[tuple[int, int]] = set()   # (month, day)
    if "-" in low or "/" in low:
        for token in _ISO_CHARS.split(low):
            if len(token) >= 8:
                found.update((int(m[2]), int(m[3])) for m in _ISO.findall(token))
    for name in _MONTH_NAMES:
        at = low.find(name)
        while at >= 0:
            if at == 0 or not low[at - 1].isalpha():
                _named_dates(low, at, found)
            at = low.find(name, at + 3)
    out = [f"m{month:02d}d{day:02d}" for month, day in sorted(found)
           if 1 <= month <= 12 and 1 <= day <= _DAYS_IN[month]]
    return out


def _named_dates(low: str, at: int, found: set[tuple[int, int]]) -> None:
    """Add the dates written with the month name that begins at `at`, if it is one."""
    word = _MONTH_WORD.match(low, at)
    if word is None:
        return
    month = _month(word[1])
    after = _MONTH_FIRST.match(low, at)
    if after is not None:
        found.add((month, int(after[2])))
        if after[4] is not None:
            found.add((_month(after[3]) if after[3] else month, int(after[4])))
    before = _DAY_FIRST.search(low, max(0, at - _DAY_FIRST_REACH), word.end())
    if before is not None:
        found.add((month, int(before[1])))
        if before[2] is not None:
            found.add((month, int(before[2])))


def _month(name: str) -> int:
    return _MONTH_NAMES.index(name[:3]) + 1
