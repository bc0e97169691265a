"""The fast JSON decoder of the trace reader against `json`, the meaning it must keep.

The native reader decodes each line with msgspec (`fast.decode_json`) and hands what msgspec
refuses to `json` (`common.parse_line`). That is only right if msgspec never reads a text
otherwise than `json` does: these tests hold it to that on random values, on random texts
near JSON, and on the reader's output, which must be the same as reading every line with
`json` alone.
"""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st

from wfcheck.checker.trace.readers import fast, native
from wfcheck.checker.trace.readers.reader import read_lines

# Values `json.dumps` can write: ints past 64 bits, every float (NaN and the infinities,
# which json writes as NaN/Infinity), and strings with lone surrogates.
_TEXT = st.text(st.characters(blacklist_categories=()), max_size=12)
_SCALARS = (st.none() | st.booleans() | st.integers() | st.integers(min_value=-2**80, max_value=2**80)
            | st.floats() | _TEXT)
VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=20)


def _dump(value, ascii_only: bool, compact: bool) -> str:
    separators = (",", ":") if compact else (", ", ": ")
    return json.dumps(value, ensure_ascii=ascii_only, separators=separators)


def _same(a, b) -> bool:
    """Equal with types and NaN: 1, 1.0 and True differ; NaN equals NaN."""
    return repr(a) == repr(b) and type(a) is type(b)


def _decoded(text: str | bytes):
    try:
        return fast.decode_json(text)
    except (ValueError, RecursionError):
        return _REFUSED


_REFUSED = object()


def _json(text: str | bytes):
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return _REFUSED


@settings(max_examples=400, deadline=None)
@given(VALUES, st.booleans(), st.booleans(), st.booleans())
def test_decodes_what_json_writes_as_json_reads_it(value, ascii_only, compact, as_bytes):
    text = _dump(value, ascii_only, compact)
    data = text.encode("utf-8", "surrogatepass") if as_bytes else text
    decoded = _decoded(data)
    if decoded is not _REFUSED:
        assert _same(decoded, _json(data))


# Texts near JSON: its punctuation, digits, escapes, literals, spaces and a few bytes that
# are not UTF-8, in any order; most are not JSON, some are.
_PIECES = st.sampled_from(
    ["{", "}", "[", "]", ",", ":", '"', "\\", "\\u", "d800", "dc00", "00e9", "0", "1", "9",
     "-", "+", ".", "e", "E", "true", "false", "null", "NaN", "Infinity", " ", "\t", "\n",
     "\r", "\x00", "\x1f", "a", "é", "\ufeff", "1" * 20, "9" * 400, "e999", "[" * 600])


@settings(max_examples=2000, deadline=None)
@given(st.lists(_PIECES, max_size=30), st.booleans())
def test_never_reads_a_text_otherwise_than_json(pieces, as_bytes):
    text = "".join(pieces)
    data = text.encode("utf-8") if as_bytes else text
    decoded = _decoded(data)
    if decoded is not _REFUSED:
        assert _same(decoded, _json(data)), text


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40))
def test_never_reads_bytes_otherwise_than_json(data):
    decoded = _decoded(data)
    if decoded is not _REFUSED:
        assert _same(decoded, _json(data.decode("utf-8"))), data


@pytest.mark.parametrize("text, value", [
    ("123456789012345678901234567890", 123456789012345678901234567890),   # past 64 bits
    ("-9223372036854775809", -9223372036854775809),
    ('{"a": 1, "a": 2, "b": 3}', {"a": 2, "b": 3}),                          # the last one wins
    ("2.2250738585072011e-308", 2.2250738585072011e-308),
    ("1e-400", 0.0),
])
def test_reads_as_json_does(text, value):
    assert _same(fast.decode_json(text), value)
    assert _same(json.loads(text), value)


@pytest.mark.parametrize("text", [
    "NaN", "-Infinity", "1e999", '"\\ud800"', "\ufeff{}", "[" * 5000 + "]" * 5000])
def test_refuses_what_json_reads_otherwise_or_cannot_follow(text):
    """Each of these goes to `json` (which reads the first five and reports the last)."""
    with pytest.raises((ValueError, RecursionError)):
        fast.decode_json(text)


def _event_lines(values: list, ascii_only: bool) -> list[bytes]:
    lines = []
    for n, value in enumerate(values):
        event = {"trace": f"t{n % 3 // 2}", "type": "tool_call", "tool": "lookup",
                 "arguments": {"query": value}, "result": value}
        lines.append(_dump(event, ascii_only, n % 2 == 0).encode("utf-8", "surrogatepass") + b"\n")
    return lines


def _json_only(line):
    raise ValueError("every line to json")


@settings(max_examples=150, deadline=None)
@given(st.lists(VALUES, min_size=1, max_size=6), st.booleans(),
       st.lists(st.sampled_from([b"{", b"\xff{}", b"\xef\xbb\xbf{}", b"  \n", b'{"a": NaN}',
                                 b"[1] 2", b"[" * 1200 + b"]" * 1200]), max_size=3))
def test_the_reader_reads_every_line_as_json_alone_would(values, ascii_only, odd_lines):
    lines = _event_lines(values, ascii_only)
    for n, line in enumerate(odd_lines):
        lines.insert(n * 2 % (len(lines) + 1), line + b"\n")
    fast_read = [repr(item) for item in read_lines(lines, "t.jsonl")]
    original = native.decode_json
    native.decode_json = _json_only
    try:
        json_read = [repr(item) for item in read_lines(lines, "t.jsonl")]
    finally:
        native.decode_json = original
    assert fast_read == json_read
