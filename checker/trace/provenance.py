"""Value provenance for `--precision values`: a fast index of the content a trace has read.

What a value is, when it occurs in a text, and what label it gets are defined in
spec/values.py (the executable form of "Values precision" in docs/language.md): a value
written by an agent has the *lowest* confidentiality and the *highest* integrity of all
content it occurred in before the step, as a whole word of the lower-cased text; a value
seen nowhere is the agent's own. This module computes the same answers as that
reference (tests/test_provenance.py compares them) without searching every text for every
value.

Under the whole-word rule every maximal run of letters and digits of a value is a maximal
run of any text that holds it. The index (`ValueIndex`) keeps the texts by kind (label,
tracked source tool, the user's words or not) and, per kind, for each such run the ids of
the texts that have it (postings). A value is looked up through the postings of its rarest
run (of a value over 40 characters, the rarest of the runs whole in its first 40: fewer to
split and look up) and checked (substring search, then the boundaries) only in those texts;
a run no text has answers at once. What is known of a value is kept and brought up to date
only with the candidate texts that arrived since.

Everything is lazy, because most content is never searched: adding a text keeps it as
given; it is lower-cased, has its call's own values blanked (which needs the call's
arguments read by their kinds) and is split into runs only when a look-up first needs a
text of its kind. A look-up for a check that reads the written label in some dimensions
(`label(..., dims)`) searches the kinds that can raise the label there first, and the
others only for a value that one of those holds (they may lower its label); a value held
by none has the lowest label in those dimensions. So the texts of a kind that no check
reads stay unsplit, and a check before any content that could raise its label costs
nothing (`can_raise`).

Cost: each text is kept, split and put into postings at most once. Looking a value up is
linear in its length plus the number of candidate texts not yet checked for it: every
(value, candidate text) pair is checked once per trace. A value all of whose runs are
frequent (a phrase of common words) has many candidates, so a trace with many such
distinct values costs more than linear time in the worst case; a value with one rare run
(an id, a number, an address) has few.
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


class _Kind:
    """One kind of text: its label, tracked source tool (or None) and whether it is the
    user's (or system's) words; its texts (ids, ascending); their postings (run of letters
    and digits -> the ids of the kind's texts that have it, ascending; an id is appended once
    per occurrence of the run; a run that a looked-up value has and no text had gets an
    empty list, to watch), made when the kind is first searched (`indexed`: how many of its
    texts are in them); and per number of words n, phrase -> the first text that has it
    (`grams`, made when a phrase is first looked up in the kind; `grammed[n]`: how many)."""
    __slots__ = ("label", "tool", "user", "ids", "postings", "indexed", "grams", "grammed")

    def __init__(self, label: tuple[int, int], tool: str | None, user: bool) -> None:
        self.label, self.tool, self.user = label, tool, user
        self.ids: list[int] = []
        self.postings: dict[str, list[int]] = {}
        self.indexed = 0
        self.grams: dict[int, dict[str, int]] = {}
        self.grammed: dict[int, int] = {}


class _Watch:
    """What the index knows of one value: per kind of text, its candidates (the live list of
    the postings of the rarest of the value's key runs, `_key_runs`, or every text of the
    kind when the value has no letter or digit) and how many of them are checked; once a
    text of a kind holds the value, the kind is in `kinds` and no longer searched (its first
    text holding the value is all that counts)."""
    __slots__ = ("value", "runs", "exact", "searched", "kinds", "labels", "tools", "user", "origin")

    def __init__(self, value: str) -> None:
        self.value = value
        self.runs = runs(value) if len(value) <= _HEAD else _key_runs(value)
        self.exact = value.isalnum()   # one run: every candidate holds the value
        self.searched: dict[_Kind, list] = {}   # kind -> [candidates, how many are checked]
        self.kinds: set[_Kind] = set()          # the kinds of the texts that hold it
        self.labels: dict[tuple[int, int], int] = {}   # label -> the first step that held it
        self.tools: set[str] = set()            # tracked tools whose results hold it
        self.user = False                       # the user's or system's words hold it
        self.origin: ValueOrigin | None = None


class ValueIndex:
    """The content seen so far in a trace: its texts with their kind (label, tracked source
    tool, whether they are the user's or system's words), searched lazily.

    Adding a text only keeps it: it is lower-cased, has the call's own values blanked out
    and its mentions appended (`add`), and is put into its kind's postings when a look-up
    first needs a text of its kind. A look-up of values for a check that reads the label in
    some dimensions searches first the kinds that can raise the label in those dimensions
    (`_raises`), and the other kinds only for a value that one of them holds: a value held
    by no text that raises a dimension has the lowest label in it. So the texts of a kind
    that no check looks at are never split into words, and a check made before any text
    that could raise its label was read costs nothing."""

    def __init__(self, conf: Lattice, integ: Lattice, tracked: tuple[str, ...],
                 mentions: Callable[[str], list[str]] | None = None,
                 own_values: Callable[[str | None, object], tuple[str, ...]] | None = None) -> None:
        self.conf, self.integ = conf, integ
        self._tracked = frozenset(tracked)
        self.mentions = mentions   # words appended to every text (the date tokens), if any
        self.own_values = own_values   # (called tool, its arguments) -> the call's own values
        self._plain = (conf.bottom, integ.top)
        # What was added, not yet given its ids and kinds (`_sort`): (text or structured
        # result, own values, step, kind or, for a structured result, the tracked tool,
        # called tool, its arguments). One tuple of things the garbage collector need
        # not follow but the arguments, which the trace holds anyway.
        self._inbox: list[tuple] = []
        # Per text: as kept (None until first needed), as given (text, own values, called
        # tool, arguments; None once kept), its step.
        self._texts: list[str | None] = []
        self._given: list[tuple | None] = []
        self._steps: list[int] = []
        self._kinds: dict[tuple, _Kind] = {}          # (conf, integ, tool, from the user) -> kind
        self._raising: dict[frozenset | None, list[_Kind]] = {}   # dims -> kinds that raise in them
        self._watches: dict[str, _Watch] = {}

    def add(self, text: str | None, conf: int, integ: int, step: int, tool: str | None = None,
            from_user: bool = False, own: tuple[str, ...] = (), arguments=None) -> None:
        """Content read at `step` with label (conf, integ): a tool's result (`tool`), the
        user's or system's words (`from_user`), or an agent's own text (neither). `own`:
        the values of the call that returned it (lower-cased), or with `arguments` (the
        call's), `own_values(tool, arguments)`, found when the text is first searched (if
        ever); blanked out of it (`blank`), so that an echo of a value does not change its
        label. With `mentions`, the text is kept with its mentions (those of the blanked
        text, but the own values) appended on a line of their own."""
        if text:
            source = tool if tool in self._tracked else None
            kind = self._kinds.get((conf, integ, source, from_user)) or self._kind(conf, integ, source, from_user)
            self._inbox.append((text, own, step, kind, tool, arguments))

    def add_parts(self, result, step: int, tool: str | None = None, own: tuple[str, ...] = (),
                  arguments=None) -> None:
        """The parts of a structured result of `tool` read at `step`: `result.parts()` gives
        (label, text) pairs, asked for only when a look-up first needs the texts; each part
        is added as `add` would, in order. `result.labels`: the labels they may have."""
        source = tool if tool in self._tracked else None
        for label in result.labels:
            if (label.conf, label.integ, source, False) not in self._kinds:
                self._kind(label.conf, label.integ, source, False)
        self._inbox.append((result, own, step, source, tool, arguments))

    def _kind(self, conf: int, integ: int, tool: str | None, from_user: bool) -> _Kind:
        kind = self._kinds.get((conf, integ, tool, from_user))
        if kind is None:
            kind = self._kinds[(conf, integ, tool, from_user)] = _Kind((conf, integ), tool, from_user)
            self._raising.clear()
        return kind

    def _sort(self) -> None:
        """Give the texts added since the last look-up their ids and kinds."""
        inbox = self._inbox
        if not inbox:
            return
        self._inbox = []
        texts, given, steps = self._texts, self._given, self._steps
        for what, own, step, kind, called, arguments in inbox:
            if type(what) is str:
                kind.ids.append(len(texts))
                texts.append(None)
                given.append((what, own, called, arguments))
                steps.append(step)
                continue
            for label, text in what.parts():
                if text:
                    self._kind(label.conf, label.integ, kind, False).ids.append(len(texts))
                    texts.append(None)
                    given.append((text, own, called, arguments))
                    steps.append(step)

    def _keep(self, pid: int) -> str:
        """The text `pid` as kept (see `add`), made now if it was not yet."""
        text = self._texts[pid]
        if text is not None:
            return text
        text, own, called, arguments = self._given[pid]
        self._given[pid] = None
        text = text.lower()
        if arguments is not None:
            own = self.own_values(called, arguments)
        if own:
            text = blank(text, own)
        if self.mentions is not None:
            extra = self.mentions(text)
            if extra and own:
                extra = [word for word in extra if word not in own]
            if extra:
                text = text + "\n" + " ".join(extra)
        self._texts[pid] = text
        return text

    def _index(self, kind: _Kind) -> None:
        """Put the texts of `kind` not yet in its postings there."""
        ids = kind.ids
        start = kind.indexed
        kind.indexed = len(ids)
        postings = kind.postings
        keep = self._keep
        for pid in ids[start:]:
            for run in runs(keep(pid)):
                try:
                    postings[run].append(pid)
                except KeyError:
                    postings[run] = [pid]

    def parts(self) -> list[tuple[int, tuple[int, int], str | None, bool, str]]:
        """The content so far: (step, label, tracked tool, from the user, lower-cased text)."""
        self._sort()
        kind_of = {pid: kind for kind in self._kinds.values() for pid in kind.ids}
        return [(step, kind_of[pid].label, kind_of[pid].tool, kind_of[pid].user, self._keep(pid))
                for pid, step in enumerate(self._steps)]

    def can_raise(self, dims=None) -> bool:
        """Could some value's label be raised in `dims` (see `label`) by the content so far?
        False: every label is the lowest there, whatever the values."""
        found = self._raising.get(dims)
        if found is None:
            found = self._raising[dims] = [k for k in self._kinds.values() if self._raises(k, dims)]
        return bool(found)

    def origin(self, value: str) -> ValueOrigin:
        """Where `value` (lower-cased, not empty) came from, given the content so far."""
        self._sort()
        watch = self._watches.get(value) or self._watch(value)
        for kind in self._kinds.values():
            if kind not in watch.kinds:
                self._search(watch, kind)
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
        ("src", TOOL)), the label is exact in those dimensions only: a value or phrase held
        by no text that raises a label in them is left out (a check that reads only those
        needs no more)."""
        conf, integ = self.conf.bottom, self.integ.top
        raising: list[ValueOrigin] = []
        kinds = self._raising.get(dims)
        if kinds is None:
            kinds = self._raising[dims] = [k for k in self._kinds.values() if self._raises(k, dims)]
        if not kinds:   # (nothing read could raise the label)
            return conf, integ, raising
        self._sort()
        watches = self._watches
        search = self._search
        for value in sorted(values) if len(values) > 1 else values:
            watch = watches.get(value) or self._watch(value)
            held = watch.kinds
            for kind in kinds:
                if kind not in held:
                    search(watch, kind)
            if not held or not any(self._raises(k, dims) for k in held):
                continue   # held by no text that raises a label in `dims`: it raises nothing there
            for kind in self._kinds.values():   # the others may lower its label
                if kind not in held:
                    search(watch, kind)
            origin = watch.origin or self._origin(watch)
            if origin.conf != self.conf.bottom or origin.integ != self.integ.top or origin.sources:
                raising.append(origin)
            conf = self.conf.join(conf, origin.conf)
            integ = self.integ.meet(integ, origin.integ)
        if phrases:
            if callable(phrases):
                phrases = phrases()
            firsts: dict[int, list] = {}
            for phrase in sorted(phrases) if len(phrases) > 1 else phrases:
                n = phrase.count(" ") + 1
                held_in = firsts.get(n)
                if held_in is None:
                    held_in = firsts[n] = [self._grams(n, kind) for kind in kinds]
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

    def _raises(self, kind: _Kind, dims) -> bool:
        """Can a text of `kind` raise a label in `dims` (None: in any dimension)? Its
        confidentiality is not the lowest ("conf"), its integrity not the highest ("integ"),
        it is a result of tool S (("src", S))."""
        c, i = kind.label
        if dims is None:
            return c != self.conf.bottom or i != self.integ.top or kind.tool is not None
        return (("conf" in dims and c != self.conf.bottom) or ("integ" in dims and i != self.integ.top)
                or (kind.tool is not None and ("src", kind.tool) in dims))

    def phrase_origin(self, phrase: str) -> ValueOrigin:
        """Where the word sequence `phrase` (lower-cased words, one space between) came
        from, given the content so far."""
        self._sort()
        return self._phrase(phrase)

    def _grams(self, n: int, kind: _Kind) -> dict[str, int]:
        """The phrases of `n` words of the texts of `kind` (phrase -> its first text), brought
        up to date. Consecutive maximal runs of letters and digits of a text are separated by
        other characters only, so a phrase occurs in a text (`kinds.occurs`) iff its words
        are consecutive runs of the text."""
        first = kind.grams.get(n)
        if first is None:
            first = kind.grams[n] = {}
            kind.grammed[n] = 0
        ids = kind.ids
        start = kind.grammed[n]
        if start < len(ids):
            kind.grammed[n] = len(ids)
            setdefault = first.setdefault
            keep = self._keep
            for pid in ids[start:]:
                words = runs(keep(pid))
                # the first text for each phrase, in C (no Python code per phrase)
                deque(map(setdefault, map(" ".join, zip(*(words[i:] for i in range(n)))), repeat(pid)), 0)
        return first

    def _phrase(self, phrase: str) -> ValueOrigin:
        """The origin of a phrase: in each kind, the first text that has it, among those
        that have the phrase's rarest word."""
        words = phrase.split(" ")
        labels: dict[tuple[int, int], int] = {}
        tools: set[str] = set()
        user = False
        texts, steps = self._texts, self._steps
        for kind in self._kinds.values():
            if kind.indexed < len(kind.ids):
                self._index(kind)
            postings = kind.postings
            lists = [postings.get(word) for word in words]
            if None in lists:
                continue
            for pid in sorted(set(min(lists, key=len))):
                if _phrase_in(words, texts[pid]):
                    step = steps[pid]
                    if labels.get(kind.label, step) >= step:
                        labels[kind.label] = step
                    if kind.tool is not None:
                        tools.add(kind.tool)
                    user = user or kind.user
                    break
        return self._origin_of(phrase, labels, tools, user, phrase=True)

    # ------------------------------------------------------------ look-ups
    def _watch(self, value: str) -> _Watch:
        watch = self._watches[value] = _Watch(value)
        return watch

    def _candidates(self, watch: _Watch, kind: _Kind) -> list[int]:
        """The live list of the candidate texts of `watch` in `kind`."""
        found = watch.runs
        if not found:   # no letter or digit: every text is a candidate
            return kind.ids
        postings = kind.postings
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

    def _search(self, watch: _Watch, kind: _Kind) -> None:
        """Check the candidates of `watch` in `kind` (not among `watch.kinds`) that arrived
        since it was last searched there."""
        if kind.indexed < len(kind.ids):
            self._index(kind)
        seen = watch.searched.get(kind)
        if seen is None:
            seen = watch.searched[kind] = [self._candidates(watch, kind), 0]
        candidates, start = seen
        end = len(candidates)
        if end <= start:
            return
        seen[1] = end
        new = candidates[start:end]   # an id may repeat: harmless
        held = new if watch.exact else self._held(watch.value, new)
        if held:   # the first text of the kind that holds it: later ones change nothing
            del watch.searched[kind]
            watch.kinds.add(kind)
            step = self._steps[held[0]]
            if watch.labels.get(kind.label, step) >= step:
                watch.labels[kind.label] = step
            if kind.tool is not None:
                watch.tools.add(kind.tool)
            watch.user = watch.user or kind.user
            watch.origin = None

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

    def _origin(self, watch: _Watch) -> ValueOrigin:
        origin = watch.origin = self._origin_of(watch.value, watch.labels, watch.tools, watch.user)
        return origin

    def _origin_of(self, value: str, labels: dict | None, tools, user: bool, phrase: bool = False) -> ValueOrigin:
        """A value's (or phrase's) origin from the labels of the texts that hold it (label ->
        the first step), their tracked tools and whether the user's words are among them."""
        if not labels:
            return ValueOrigin(value, self.conf.bottom, self.integ.top, None, frozenset())
        conf = integ = None
        if user or phrase or not SHORT.fullmatch(value):
            for c, i in labels:
                conf = c if conf is None else self.conf.meet(conf, c)
                integ = i if integ is None else self.integ.join(integ, i)
        else:   # a short id has every label it was read at (`values.value_label`)
            for c, i in labels:
                conf = c if conf is None else self.conf.join(conf, c)
                integ = i if integ is None else self.integ.meet(integ, i)
        sources = frozenset() if user else frozenset(tools)
        return ValueOrigin(value, conf, integ, labels.get((conf, integ)), sources)
