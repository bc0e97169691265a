"""The parts of a structured tool result and their labels, for `--precision values` with
per-field labels (`FieldLabel`): an attacker who controls one field of a result (a
transaction's subject, an event's description) then taints only the values of that field.

The result's text is read as JSON, else as a Python literal (what `str()` of a dict or a
list prints, as AgentDojo's dict results are), else as YAML (composed into nodes, never
constructed: no tag is acted on), and walked. Every leaf, a string or a number, and every
key of a mapping (keys may be content: hotel names, e-mail addresses) is a value of the
result, in document order; booleans and null carry none (in YAML: the plain scalars
`true`, `false`, `null`, `~` and the empty one, in the core schema's cases). Scalars keep
the text they were written with: numbers and YAML timestamps are not converted (`100.0`
stays `100.0`), and a repeated YAML key keeps both its values.

A leaf's path is the keys from the top to it; lists are transparent at any depth (a key
names that field in every record of a list). A key has the path of the field it names,
and so the same label as a plain value under it. A `FieldLabel` path covers a leaf's path
when it is a prefix of it, `*` standing for any one key. The leaf's label is that of the
most specific covering path: the longest, then the one with fewer `*`, then the one whose
first `*` comes later (`a.*` before `*.b`); else the tool's `default`. Of a path declared
twice, the first declaration counts.

The labels assume the result was written by its tool's serializer, so that an attacker
controls the values of fields, not the structure: text that an attacker wrote whole can
claim any field, so such a tool is labelled as a whole.
"""
from __future__ import annotations

import ast
import json
import re
from collections import defaultdict
from functools import lru_cache

import yaml

from wfcheck.spec.model import FieldLabel, Label

Parts = tuple[tuple[Label, str], ...]


def label_parts(result_text: str, fields: tuple[FieldLabel, ...],
                default: Label) -> tuple[Parts | None, str | None]:
    """The values of a tool's result grouped by label: (label, its values joined by newlines,
    in document order), labels in the order they first occur; and no problem. A blank result
    has no parts. A result that is not structured (it does not parse, or it is a bare scalar
    such as `None`, a number or prose) gives None and the problem, for a warning: the caller
    labels it as a whole."""
    found, problem = structure(result_text, fields, default)
    return (None, problem) if found is None else (found.parts(), None)


class Structure:
    """A structured result, its parts (`label_parts`) made when first asked for: whether a
    result is structured is known once it is parsed, but most parts are never searched, so
    a JSON or Python result keeps only its text (parsed again if its parts are wanted).
    `labels`: the labels its parts may have."""
    __slots__ = ("_text", "_rules", "_parts")

    def __init__(self, text: str | None, rules: "_Rules | None", parts: Parts | None = None) -> None:
        self._text, self._rules, self._parts = text, rules, parts

    @property
    def labels(self) -> list[Label]:
        return self._rules.labels if self._rules is not None else []

    def parts(self) -> Parts:
        if self._parts is None:
            data, _ = _parse(self._text)
            budget = 2 * len(self._text) + 16
            self._parts = _grouped(_python_leaves(data, self._rules, budget), self._rules)
            self._text = None
        return self._parts


def structure(result_text: str, fields: tuple[FieldLabel, ...],
              default: Label) -> tuple[Structure | None, str | None]:
    """The result as a `Structure` and no problem, or None and the problem (see
    `label_parts`). A YAML document is labelled at once (its aliases may expand beyond
    its text, a problem only the walk finds); JSON and Python literals when asked."""
    if not result_text.strip():
        return Structure(None, None, ()), None
    data, problem = _parse(result_text)
    if problem is not None:
        return None, problem
    if not isinstance(data, (dict, list, tuple, set, frozenset, yaml.MappingNode, yaml.SequenceNode)):
        return None, _NOT_A_STRUCTURE
    rules = _RULES.get(id(fields))
    if rules is None or rules[0] is not fields:
        if len(_RULES) >= 256:
            _RULES.clear()
        rules = _RULES[id(fields)] = (fields, _rules(tuple(fields), default), default)
    elif rules[2] is not default and rules[2] != default:
        rules = (fields, _rules(tuple(fields), default), default)
    if not isinstance(data, yaml.Node):
        return Structure(result_text, rules[1]), None
    try:
        labelled = _leaves(data, rules[1], 2 * len(result_text) + 16)
    except _NotStructured as error:
        return None, str(error)
    return Structure(None, rules[1], _grouped(labelled, rules[1])), None


def _grouped(labelled: dict[int, list[str]], rules: "_Rules") -> Parts:
    labels = rules.labels
    return tuple((labels[found], "\n".join(texts)) for found, texts in labelled.items())


# ---------------------------------------------------------------- reading

_NOT_A_STRUCTURE = "the result is not a record or a list"

# YAML is composed, not constructed: its nodes keep every scalar's text as written (a number
# or a timestamp is not converted) and every key of a mapping, even a repeated one; and
# composing costs less. The C parser when it is at hand.
_YAML_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
# A line that begins a block sequence item or a mapping key: without one (and without a
# flow collection at the start), a text is not a YAML structure, and YAML is not tried.
_YAML_LINE = re.compile(r"^[ \t]*(?:-(?:[ \t]|$)|[^\s#][^\n]*?:(?:[ \t]|$))", re.MULTILINE)


# JSON numbers and constants keep their text (`json.loads` with these hooks, built once).
_JSON = json.JSONDecoder(parse_int=str, parse_float=str, parse_constant=str)
_SCAN = _JSON.scan_once
_JSON_SPACE = json.decoder.WHITESPACE   # what `decode` allows after the value
# The rules of the fields of a tool, by the identity of its tuple of fields (hashing the
# fields on each result costs more than reading a small one): (fields, rules, default).
_RULES: dict[int, tuple] = {}


def _parse(text: str):
    """(the parsed result: Python values or a YAML node, None), or (None, the problem)."""
    if text[:1] in ("{", "["):   # the C scanner without `decode`'s wrapper, which it would call
        try:
            data, end = _SCAN(text, 0)
            if end == len(text) or _JSON_SPACE.match(text, end).end() == len(text):
                return data, None
        except (StopIteration, ValueError, RecursionError):
            pass
    start = text.lstrip()[:1]
    if start in ("{", "["):
        try:
            return _JSON.decode(text), None
        except (ValueError, RecursionError):
            pass
        try:
            return ast.literal_eval(text.strip()), None
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            pass
    elif not _YAML_LINE.search(text):
        return None, _NOT_A_STRUCTURE
    try:
        return yaml.compose(text, Loader=_YAML_LOADER), None
    except (yaml.YAMLError, ValueError, RecursionError):   # ValueError: text UTF-8 cannot encode
        return None, "the result does not parse as JSON, a Python literal or YAML"


# ---------------------------------------------------------------- labelling


class _Rules:
    """The label of a path, from the fields, most specific first, as an index into `labels`
    (equal labels share one index, so that parts are grouped by equality); `index` caches
    the paths seen."""
    __slots__ = ("ordered", "default", "labels", "cache")

    def __init__(self, fields: tuple[FieldLabel, ...], default: Label) -> None:
        self.ordered = sorted(fields, key=_specificity, reverse=True)   # stable: the first of equals
        self.labels: list[Label] = []
        self.default = self._number(default)
        self.ordered = [(f.path, self._number(f.label)) for f in self.ordered]
        self.cache: dict[tuple[str, ...], int] = {}

    def _number(self, label: Label) -> int:
        if label not in self.labels:
            self.labels.append(label)
        return self.labels.index(label)

    def index(self, path: tuple[str, ...]) -> int:
        found = self.cache.get(path)
        if found is None:
            found = next((n for pattern, n in self.ordered if _covers(pattern, path)), self.default)
            if len(self.cache) < 4096:
                self.cache[path] = found
        return found


@lru_cache(maxsize=256)
def _rules(fields: tuple[FieldLabel, ...], default: Label) -> _Rules:
    return _Rules(fields, default)


def _specificity(field: FieldLabel):
    return len(field.path), -field.path.count("*"), tuple(key != "*" for key in field.path)


def _covers(pattern: tuple[str, ...], path: tuple[str, ...]) -> bool:
    return len(pattern) <= len(path) and all(p == "*" or p == k for p, k in zip(pattern, path))


class _NotStructured(Exception):
    pass


def _leaves(data, rules: _Rules, budget: int) -> dict[int, list[str]]:
    """Label index -> the texts of its leaves and keys, in document order. Raises
    _NotStructured after `budget` nodes (YAML aliases can make a small text a huge or cyclic
    structure) and at a key that is not a scalar."""
    out: dict[int, list[str]] = {}
    label = rules.index
    stack = [(data, ())]
    while stack:
        budget -= 1
        if budget < 0:
            raise _NotStructured("the result's YAML aliases expand beyond its text")
        item, path = stack.pop()
        if isinstance(item, (dict, yaml.MappingNode)):
            entries = []
            for key, value in (item.items() if isinstance(item, dict) else item.value):
                if isinstance(key, yaml.Node):
                    if not isinstance(key, yaml.ScalarNode):
                        raise _NotStructured("the result has a key that is not a scalar")
                    field = path + (key.value,)
                else:
                    field = path + (str(key),)
                entries += ((key, field), (value, field))   # a key has its field's path
            stack.extend(reversed(entries))
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend((value, path) for value in reversed(list(item)))
        elif isinstance(item, yaml.SequenceNode):
            stack.extend((value, path) for value in reversed(item.value))
        else:
            text = _text(item)
            if text:
                out.setdefault(label(path), []).append(text)
    return out


def _python_leaves(data, rules: _Rules, budget: int) -> dict[int, list[str]]:
    """`_leaves` for what JSON or a Python literal gives (dicts, lists, tuples, sets,
    strings, numbers, booleans, None), in the same order, faster: a recursive walk (such
    data has fewer nodes than its text has characters, so the budget is never reached; a
    structure nested too deep for the walk is left to `_leaves`)."""
    out: defaultdict[int, list[str]] = defaultdict(list)
    cached = rules.cache.get
    label = rules.index

    def walk(item, path: tuple) -> None:
        if isinstance(item, dict):
            for key, value in item.items():
                if type(key) is str:
                    field = path + (key,)
                    found = cached(field)
                    if found is None:
                        found = label(field)
                    if key:
                        out[found].append(key)
                else:
                    field = path + (str(key),)
                    found = label(field)
                    text = _text(key)
                    if text:
                        out[found].append(text)
                if type(value) is str:
                    if value:
                        out[found].append(value)
                else:
                    walk(value, field)
        elif isinstance(item, (list, tuple, set, frozenset)):
            found = None
            for value in item:
                if type(value) is str:
                    if value:
                        if found is None:
                            found = label(path)
                        out[found].append(value)
                else:
                    walk(value, path)
        else:
            text = _text(item)
            if text:
                out[label(path)].append(text)

    try:
        walk(data, ())
    except RecursionError:
        return _leaves(data, rules, budget)
    return out


# YAML's plain scalars that are not text (the core schema's booleans and null).
_NOT_TEXT = frozenset(("", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE"))


def _text(item) -> str | None:
    """A leaf's text; None for a boolean or null."""
    if isinstance(item, yaml.ScalarNode):
        return None if not item.style and item.value in _NOT_TEXT else item.value   # plain: no style
    if item is None or isinstance(item, bool):
        return None
    return item if isinstance(item, str) else str(item)
