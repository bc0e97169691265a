"""Value provenance for `--precision values`: a fast index of the content a trace has read.

What a value is, when it occurs in a text, and what label it gets are defined in
spec/values.py (the executable form of "Values precision" in docs/language.md): a value
written by an agent has the *lowest* confidentiality and the *highest* integrity of all
content it occurred in before the step, as a whole word of the lower-cased text; a value
seen nowhere is the agent's own. This module computes the same answers as that
reference (tests/test_provenance.py compares them) without searching every text for every
value.

Under the whole-word rule every maximal run of letters and digits of a value is a maximal
run of any text that holds it. The index (`ValueIndex`) keeps, for each such run, the ids
of the texts that have it (postings, appended as the texts arrive), in two sides: the texts
that can raise a value's label (any label but the lowest confidentiality with the highest
integrity, or a tracked tool's result) and the others. A value is looked up through the
postings of its rarest run (of a value over 40 characters, the rarest of the runs whole
in its first 40: fewer to split and look up) and checked (substring search, then the
boundaries) only in those texts; a run no text has answers at once. What is known of a
value is kept and brought up to date only with the candidate texts that arrived since.
`written_label` reads the second side only for a value that the first side holds: a value
held only in texts of the lowest label raises nothing.

Cost: adding a text is linear in its length. Looking a value up is linear in its length
plus the number of candidate texts not yet checked for it: every (value, candidate text)
pair is checked once per trace. A value all of whose runs are frequent (a phrase of common
words) has many candidates, so a trace with many such distinct values costs more than
linear time in the worst case; a value with one rare run (an id, a number, an address)
has few.
"""
from __future__ import annotations

from collections import deque
from itertools import repeat
from typing import Callable

from wfcheck.spec.lattice import Lattice
from wfcheck.spec.values import MAX_WHOLE, SCHEME, SHORT, VALUE_MARK, ValueOrigin, number_value, occurs

# The values of a string are those of `spec.values.string_values`, found faster: tokens by
# `str.translate` (`_tokens` finds what `TOKEN.findall` finds), prose skipped at once, and
# each string's values cached.


class _Table(dict):
    """A `str.translate` table: every character for which `keep` is false becomes a space
    (ASCII filled in at once, other characters on first sight). `ascii` is the same for
    `bytes.translate` on ASCII text."""

    def __init__(self, keep) -> None:
        super().__init__({c: c if keep(chr(c)) else 32 for c in range(128)})
        self.keep = keep
        self.ascii = bytes(self[c] for c in range(128)) + bytes(range(128, 256))

    def __missing__(self, code: int) -> int:
        out = code if self.keep(chr(code)) else 32
        self[code] = out
        return out

    def split(self, text: str) -> list[str]:
        """The maximal runs of kept characters of `text`, in order."""
        if text.isascii():
            return text.encode().translate(self.ascii).decode().split()
        return text.translate(self).split()


_WORD = _Table(str.isalnum)                                           # letters and digits
_TOKEN_CHARS = _Table(lambda ch: ch.isalnum() or ch in "_.@:/+-")    # `TOKEN`'s class
runs = _WORD.split   # the maximal runs of letters and digits of a text (the index's keys)


def _tokens(text: str) -> list[str]:
    """`TOKEN.findall(text)` (spec/values.py)."""
    return [t for t in _TOKEN_CHARS.split(text) if len(t) >= 5]


def _marked_tokens(text: str) -> list[str]:
    """The tokens of `_tokens(text)` that are not made of letters only (the others carry
    no digit or punctuation, so they are never values)."""
    return [t for t in _TOKEN_CHARS.split(text) if len(t) >= 5 and not t.isalpha()]


_NOT_MARKS = bytes(c for c in range(256) if chr(c) not in "0123456789@./:")


def _may_have_values(text: str) -> bool:
    """False only if no token of `text` carries a value: ASCII text without a digit, `@`,
    `/` or `:`, whose every `.` ends it or is followed by a space (prose)."""
    if not text.isascii():
        return True
    marks = text.encode().translate(None, _NOT_MARKS)
    if not marks or (marks == b"." and text[-1] == "."):
        return False   # (the commonest prose: one sentence)
    if marks.count(b".") != len(marks):
        return True
    return text.count(".") != text.count(". ") + text.endswith(".")


_STRING_VALUES: dict[str, tuple[str, ...]] = {}
_MAX_CACHED_STRINGS = 4096


def _string_values(item: str) -> tuple[str, ...]:
    """The values one string argument carries (cached: a monitor's `check` and `step`
    look at the same arguments)."""
    out = _STRING_VALUES.get(item)
    if out is not None:
        return out
    text = item.strip().lower()
    n = len(text)
    if 5 <= n <= MAX_WHOLE:
        found = [text]
    elif n and SHORT.fullmatch(text):
        found = [text]  # a short argument (an id like "13") as a whole word
    else:
        found = []
    if n < 20 or _may_have_values(text):
        for token in _marked_tokens(text):
            token = token.strip(".:/-")
            if len(token) >= 5 and VALUE_MARK.search(token):
                found.append(token)
                # A URL is the same value with or without its scheme: agents add `https://`.
                if "://" in token:
                    bare = SCHEME.sub("", token)
                    if bare != token and len(bare) >= 5:
                        found.append(bare)
    out = tuple(found)
    if len(_STRING_VALUES) >= _MAX_CACHED_STRINGS:
        _STRING_VALUES.clear()
    _STRING_VALUES[item] = out
    return out


def candidate_values(arguments) -> set[str]:
    """The values an argument object carries: `spec.values.values_of`."""
    found: set[str] = set()
    _visit(arguments, found)
    return found


def _visit(item, found: set[str]) -> None:
    if isinstance(item, str):
        found.update(_string_values(item))
    elif isinstance(item, dict):
        for v in item.values():
            if isinstance(v, str):
                found.update(_string_values(v))
            else:
                _visit(v, found)
    elif isinstance(item, (list, tuple)):
        for v in item:
            _visit(v, found)
    elif isinstance(item, bool) or item is None:
        return
    elif isinstance(item, (int, float)):
        text = number_value(item)
        if text is not None:
            found.add(text)


def blank(text: str, values) -> str:
    """`text` with every character of a whole-word occurrence (`occurs`) of one of `values`
    in it replaced by a space (the occurrences are those of `text` as given, so the order of
    the values does not matter)."""
    cuts: list[tuple[int, int]] = []
    end = len(text)
    for value in values:
        if not value or value not in text:
            continue
        left, right = value[0].isalnum(), value[-1].isalnum()
        n = len(value)
        i = text.find(value)
        while i >= 0:
            if ((not left or i == 0 or not text[i - 1].isalnum())
                    and (not right or i + n == end or not text[i + n].isalnum())):
                cuts.append((i, i + n))
            i = text.find(value, i + 1)
    if not cuts:
        return text
    cuts.sort()
    pieces = []
    done = 0
    for a, b in cuts:
        if b <= done:
            continue
        a = max(a, done)
        pieces += (text[done:a], " " * (b - a))
        done = b
    pieces.append(text[done:])
    return "".join(pieces)


def _phrase_in(words: list[str], text: str) -> bool:
    """The words are consecutive maximal runs of letters and digits of `text`."""
    n = len(words)
    first = words[0]
    found = runs(text)
    at = -1
    while True:
        try:
            at = found.index(first, at + 1)
        except ValueError:
            return False
        if found[at:at + n] == words:
            return True


_HEAD = 40


def _key_runs(value: str) -> list[str]:
    """Maximal runs of letters and digits of `value` to choose its candidate texts by (any
    of them will do: each is a maximal run of every text that holds the value). For a value
    longer than `_HEAD` characters, the runs that lie whole in its first `_HEAD` (fewer to
    split and look up); all of them if none does."""
    if len(value) <= _HEAD:
        return runs(value)
    head = runs(value[:_HEAD])
    if head and value[_HEAD].isalnum() and value[_HEAD - 1].isalnum():
        head.pop()   # cut in two at the end of the head: not a maximal run of the value
    return head or runs(value)


class _Watch:
    """What the index knows of one value. The texts are in two sides: 0, those that can
    raise a value's label (a label other than the lowest confidentiality and highest
    integrity, or a tracked tool's result), and 1, the others. Per side: the candidates
    (`postings`: the texts of the rarest of the value's key runs, `_key_runs`, or every text
    of the side when the value has no letter or digit; None until first read) and how many
    of them are checked (`pos`)."""
    __slots__ = ("value", "runs", "exact", "postings", "pos", "kinds", "labels", "tools", "user",
                 "raised", "origin")

    def __init__(self, value: str) -> None:
        self.value = value
        self.runs = runs(value) if len(value) <= _HEAD else _key_runs(value)
        self.exact = value.isalnum()   # one run: every candidate holds the value
        self.postings: list = [None, None]
        self.pos = [0, 0]
        # Made when a text first holds the value:
        self.kinds: set | None = None       # (label, tracked tool, from the user) of texts that hold it
        self.labels: dict[tuple[int, int], int] | None = None   # label -> the first step that held it
        self.tools: set[str] | None = None                      # tracked tools whose results hold it
        self.user = False                   # the user's or system's words hold it
        self.raised = False                 # a text of side 0 holds it
        self.origin: ValueOrigin | None = None


class ValueIndex:
    """The content seen so far in a trace: its texts with their label, tracked source tool
    and whether they are the user's (or system's) words, and an inverted index of them."""

    def __init__(self, conf: Lattice, integ: Lattice, tracked: tuple[str, ...],
                 mentions: Callable[[str], list[str]] | None = None) -> None:
        self.conf, self.integ = conf, integ
        self.tracked = tracked
        self.mentions = mentions   # words appended to every text (the date tokens), if any
        self._plain = (conf.bottom, integ.top)
        self._texts: list[str] = []
        self._steps: list[int] = []
        # Per text, its kind: ((conf, integ), tracked tool or None, from the user).
        self._kinds: list[tuple] = []
        # Per side (see `_Watch`): the ids of its texts, and its postings: run of letters
        # and digits -> the ids of the side's texts that have it, ascending (an id is
        # appended once per occurrence of the run). A run that a looked-up value has and no
        # text of the side had yet gets an empty list, to watch. Side 1 is read only for a
        # value that side 0 holds, so its postings are made when it is first read (most
        # runs never raise a value) and from then on as its texts arrive; `_indexed`: how
        # many texts of each side are in its postings.
        self._ids: tuple[list[int], list[int]] = ([], [])
        self._postings: tuple[dict[str, list[int]], dict[str, list[int]]] = ({}, {})
        self._indexed = [0, 0]
        self._eager = [True, False]
        self._watches: dict[str, _Watch] = {}
        # Phrases (word sequences): per kind of text, its texts; and per number of words n
        # and kind, phrase -> the first text of the kind that has it. These are made for a
        # kind when a phrase is first looked up in texts of that kind, then as its texts
        # come (`_grammed[(n, kind)]`: how many of its texts are in them).
        self._of_kind: dict[tuple, list[int]] = {}
        self._grams: dict[tuple[int, tuple], dict[str, int]] = {}
        self._grammed: dict[tuple[int, tuple], int] = {}
        self._grammed_kinds: dict[tuple, list[int]] = {}   # kind -> the n whose phrases it keeps

    def add(self, text: str | None, conf: int, integ: int, step: int, tool: str | None = None,
            from_user: bool = False, own: tuple[str, ...] = ()) -> None:
        """Content read at `step` with label (conf, integ): a tool's result (`tool`), the
        user's or system's words (`from_user`), or an agent's own text (neither). `own`:
        the values of the call that returned it (lower-cased), blanked out of it first
        (`blank`), so that an echo of a value does not change its label. With `mentions`,
        the text is kept with its mentions (those of the blanked text, but the own values)
        appended on a line of their own."""
        if not text:
            return
        text = text.lower()
        if own:
            text = blank(text, own)
        if self.mentions is not None:
            extra = self.mentions(text)
            if extra and own:
                extra = [word for word in extra if word not in own]
            if extra:
                text = text + "\n" + " ".join(extra)
        pid = len(self._texts)
        self._texts.append(text)
        self._steps.append(step)
        label = (conf, integ)
        if tool not in self.tracked:
            tool = None
        kind = (label, tool, from_user)
        self._kinds.append(kind)
        side = 1 if tool is None and label == self._plain else 0
        ids = self._ids[side]
        ids.append(pid)
        if self._eager[side]:   # (all its earlier texts are in: this one only)
            self._indexed[side] = len(ids)
            postings = self._postings[side]
            for run in runs(text):
                try:
                    postings[run].append(pid)
                except KeyError:
                    postings[run] = [pid]
        same = self._of_kind.get(kind)
        if same is None:
            self._of_kind[kind] = [pid]
        else:
            same.append(pid)
            if kind in self._grammed_kinds:
                for n in self._grammed_kinds[kind]:
                    self._gram(n, kind)

    def _index(self, side: int) -> None:
        """Put the texts of `side` not yet in its postings there (from now on, as they come)."""
        ids = self._ids[side]
        start = self._indexed[side]
        self._indexed[side] = len(ids)
        self._eager[side] = True
        postings = self._postings[side]
        texts = self._texts
        for pid in ids[start:]:
            for run in runs(texts[pid]):
                try:
                    postings[run].append(pid)
                except KeyError:
                    postings[run] = [pid]

    def parts(self) -> list[tuple[int, tuple[int, int], str | None, bool, str]]:
        """The content so far: (step, label, tracked tool, from the user, lower-cased text)."""
        return [(s, *k, t) for s, k, t in zip(self._steps, self._kinds, self._texts)]

    def origin(self, value: str) -> ValueOrigin:
        """Where `value` (lower-cased, not empty) came from, given the content so far."""
        watch = self._watches.get(value) or self._watch(value)
        self._update(watch, 0)
        self._update(watch, 1)
        return watch.origin or self._origin(watch)

    def written_label(self, arguments) -> tuple[int, int, list[ValueOrigin]]:
        """The label of what the arguments carry (untyped), and the values that raised it."""
        return self.label(candidate_values(arguments))

    def label(self, values, phrases=(), dims=None) -> tuple[int, int, list[ValueOrigin]]:
        """The label of the values (whole words) and phrases (word sequences, their words
        separated by one space), lower-cased: the join of their confidentiality, the meet of
        their integrity; and the values and phrases that raised it, values first, each in
        sorted order. `phrases` may be a function that gives them, called only if some text
        could hold one that raises the label. With `dims` (a set of "conf", "integ" and
        ("src", TOOL)), the label is exact in those dimensions only: a phrase held by no
        text that raises a label in them is left out (a check that reads only those needs
        no more)."""
        conf, integ = self.conf.bottom, self.integ.top
        raising: list[ValueOrigin] = []
        watches = self._watches
        for value in sorted(values) if len(values) > 1 else values:
            watch = watches.get(value)
            if watch is None:
                watch = self._first(value)
            elif watch.pos[0] < len(watch.postings[0]):
                self._update(watch, 0)
            if not watch.raised:
                # Held at most by texts of the lowest confidentiality and highest integrity,
                # and no tracked tool's: as the agent's own value, it raises nothing.
                continue
            self._update(watch, 1)
            origin = watch.origin or self._origin(watch)
            if origin.conf != self.conf.bottom or origin.integ != self.integ.top or origin.sources:
                raising.append(origin)
            conf = self.conf.join(conf, origin.conf)
            integ = self.integ.meet(integ, origin.integ)
        kinds = [kind for kind in self._of_kind if self._raises(kind, dims)] if phrases else ()
        if kinds:   # (no text that could raise the label: no phrase to look up)
            if callable(phrases):
                phrases = phrases()
            firsts: dict[int, list] = {}
            for phrase in sorted(phrases) if len(phrases) > 1 else phrases:
                n = phrase.count(" ") + 1
                held_in = firsts.get(n)
                if held_in is None:
                    held_in = firsts[n] = self._phrase_tables(n, kinds)
                for first in held_in:
                    if phrase in first:
                        break
                else:
                    continue   # held by no text that raises a label in `dims` (most are not)
                origin = self._phrase(phrase)
                if origin.conf != self.conf.bottom or origin.integ != self.integ.top or origin.sources:
                    raising.append(origin)
                conf = self.conf.join(conf, origin.conf)
                integ = self.integ.meet(integ, origin.integ)
        return conf, integ, raising

    def _raises(self, kind: tuple, dims) -> bool:
        """Can a text of `kind` raise a label in `dims` (None: in any dimension)? Its
        confidentiality is not the lowest ("conf"), its integrity not the highest ("integ"),
        it is a result of tool S (("src", S))."""
        (c, i), tool, _ = kind
        if dims is None:
            return (c, i) != self._plain or tool is not None
        return (("conf" in dims and c != self.conf.bottom) or ("integ" in dims and i != self.integ.top)
                or (tool is not None and ("src", tool) in dims))

    def phrase_origin(self, phrase: str) -> ValueOrigin:
        """Where the word sequence `phrase` (lower-cased words, one space between) came
        from, given the content so far."""
        return self._phrase(phrase)

    def _phrase_tables(self, n: int, kinds) -> list[dict[str, int]]:
        """The phrases of `n` words of the texts of `kinds` (each: phrase -> its first
        text), brought up to date (`_gram`)."""
        out = []
        for kind in kinds:
            if (n, kind) not in self._grammed:
                self._grammed[(n, kind)] = 0
                self._grams[(n, kind)] = {}
                self._grammed_kinds.setdefault(kind, []).append(n)
            self._gram(n, kind)
            out.append(self._grams[(n, kind)])
        return out

    def _phrase(self, phrase: str) -> ValueOrigin:
        """The origin of a phrase: every text that has it, through the postings of the
        phrase's rarest word (on both sides)."""
        words = phrase.split(" ")
        labels: dict[tuple[int, int], int] = {}
        tools: set[str] = set()
        user = False
        for side in (0, 1):
            if not self._eager[side]:
                self._index(side)
            postings = self._postings[side]
            lists = [postings.get(word) for word in words]
            if None in lists:
                continue
            for pid in sorted(set(min(lists, key=len))):
                if not _phrase_in(words, self._texts[pid]):
                    continue
                label, tool, from_user = self._kinds[pid]
                step = self._steps[pid]
                if labels.get(label, step) >= step:
                    labels[label] = step
                if tool is not None:
                    tools.add(tool)
                user = user or from_user
        return self._origin_of(phrase, labels, tools, user)

    def _gram(self, n: int, kind: tuple) -> None:
        """Put the texts of `kind` not yet in its phrases of `n` words there. Consecutive
        maximal runs of letters and digits of a text are separated by other characters
        only, so a phrase occurs in a text (`kinds.occurs`) iff its words are consecutive
        runs of the text."""
        ids = self._of_kind.get(kind, ())
        start = self._grammed[(n, kind)]
        if start >= len(ids):
            return
        self._grammed[(n, kind)] = len(ids)
        first = self._grams[(n, kind)]
        texts = self._texts
        setdefault = first.setdefault
        for pid in ids[start:]:
            words = runs(texts[pid])
            # the first text for each phrase, in C (no Python code per phrase)
            deque(map(setdefault, map(" ".join, zip(*(words[i:] for i in range(n)))), repeat(pid)), 0)

    # ------------------------------------------------------------ look-ups
    def _first(self, value: str) -> _Watch:
        """A value not looked up before: its watch, up to date with side 0 (`_update` for a
        new watch; a run of the value that no text of side 0 has answers at once)."""
        watch = self._watches[value] = _Watch(value)
        found = watch.runs
        if not found:
            candidates = self._ids[0]
        elif len(found) == 1:
            postings = self._postings[0]
            candidates = postings.get(found[0])
            if candidates is None:
                watch.postings[0] = postings[found[0]] = []
                return watch
        else:
            postings = self._postings[0]
            lists = list(map(postings.get, found))
            if None in lists:
                watch.postings[0] = postings[found[lists.index(None)]] = []
                return watch
            candidates = min(lists, key=len)
        watch.postings[0] = candidates
        end = len(candidates)
        if end:
            watch.pos[0] = end
            held = candidates[:end] if watch.exact else self._held(value, candidates)
            if held:
                watch.raised = True
                self._note(watch, held)
        return watch

    def _watch(self, value: str) -> _Watch:
        watch = self._watches[value] = _Watch(value)
        return watch

    def _candidates(self, watch: _Watch, side: int) -> list[int]:
        """The live list of the candidate texts of `watch` on `side`."""
        found = watch.runs
        if not found:   # no letter or digit: every text is a candidate
            return self._ids[side]
        postings = self._postings[side]
        if len(found) == 1:
            out = postings.get(found[0])
            if out is None:
                out = postings[found[0]] = []
            return out
        # Each run of the value is a run of every text that holds it: the rarest run's
        # texts are the candidates. A run that no text has: held nowhere (yet).
        lists = list(map(postings.get, found))
        if None in lists:
            out = postings[found[lists.index(None)]] = []
            return out
        return min(lists, key=len)

    def _update(self, watch: _Watch, side: int) -> None:
        """Bring `watch` up to date with the texts of `side` added since it was read."""
        if not self._eager[side]:
            self._index(side)
        postings = watch.postings[side]
        if postings is None:
            postings = watch.postings[side] = self._candidates(watch, side)
        start, end = watch.pos[side], len(postings)
        if end <= start:
            return
        watch.pos[side] = end
        new = postings[start:end]   # an id may repeat: harmless
        if not watch.exact:
            new = self._held(watch.value, new)
        if new:
            if side == 0:
                watch.raised = True
            self._note(watch, new)

    def _held(self, value: str, ids) -> list[int]:
        """The texts among `ids` (ascending) that hold `value`."""
        texts = self._texts
        if len(value) > 32:   # a short piece first: searching for a long value costs more
            probe = value[:16]
            ids = [pid for pid in ids if probe in texts[pid]]
        held = [pid for pid in ids if value in texts[pid]]   # most candidates fail here
        if held:
            if value[0].isalnum() or value[-1].isalnum():   # else every substring is whole
                held = [pid for pid in held if occurs(value, texts[pid])]
        return held

    def _note(self, watch: _Watch, held) -> None:
        """The texts `held` (ascending ids, after all noted so far on their side) hold the
        watched value. A kind of text is on one side only; a label may be on both."""
        kinds, steps = self._kinds, self._steps
        if watch.kinds is None:
            watch.kinds, watch.labels, watch.tools = set(), {}, set()
        # The first text of each kind among them: later ones change nothing.
        first = dict(zip(map(kinds.__getitem__, reversed(held)), reversed(held)))
        fresh = [(pid, kind) for kind, pid in first.items() if kind not in watch.kinds]
        for pid, kind in fresh:
            watch.kinds.add(kind)
            label, tool, user = kind
            step = steps[pid]
            if watch.labels.get(label, step) >= step:
                watch.labels[label] = step
            if tool is not None:
                watch.tools.add(tool)
            watch.user = watch.user or user
        if fresh:
            watch.origin = None

    def _origin(self, watch: _Watch) -> ValueOrigin:
        origin = watch.origin = self._origin_of(watch.value, watch.labels, watch.tools, watch.user)
        return origin

    def _origin_of(self, value: str, labels: dict | None, tools, user: bool) -> ValueOrigin:
        """A value's origin from the labels of the texts that hold it (label -> the first
        step), their tracked tools and whether the user's words are among them."""
        if not labels:
            return ValueOrigin(value, self.conf.bottom, self.integ.top, None, frozenset())
        conf = integ = None
        if user or not SHORT.fullmatch(value):
            for c, i in labels:
                conf = c if conf is None else self.conf.meet(conf, c)
                integ = i if integ is None else self.integ.join(integ, i)
        else:   # a short id has every label it was read at (`values.value_label`)
            for c, i in labels:
                conf = c if conf is None else self.conf.join(conf, c)
                integ = i if integ is None else self.integ.meet(integ, i)
        sources = frozenset() if user else frozenset(tools)
        return ValueOrigin(value, conf, integ, labels.get((conf, integ)), sources)
