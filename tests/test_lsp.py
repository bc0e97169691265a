"""`wfcheck lsp` driven over stdio by pygls's own client with LSP messages: diagnostics as
`check` gives them, hover, definition, references, completion, symbols and formatting."""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls")
from lsprotocol import types as t  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402

from wfcheck.api import check_file  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SUPPORT = ROOT / "examples" / "support.wf"


def _pos(text: str, needle: str, nth: int = 0) -> t.Position:
    """The position of the nth occurrence of `needle` (plus one column: inside the word)."""
    offset = -1
    for _ in range(nth + 1):
        offset = text.index(needle, offset + 1)
    line = text.count("\n", 0, offset)
    return t.Position(line=line, character=offset - (text.rfind("\n", 0, offset) + 1) + 1)


def _session(script):
    """Start the server, open nothing, run `script(client, diagnostics)`, shut down."""
    async def run():
        client = LanguageClient("wfcheck-test", "1")
        published: dict[str, list] = {}
        arrived = asyncio.Event()

        @client.feature(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params):
            published[params.uri] = params.diagnostics
            arrived.set()

        await client.start_io(sys.executable, "-m", "wfcheck", "lsp")
        try:
            await asyncio.wait_for(client.initialize_async(t.InitializeParams(capabilities=t.ClientCapabilities())), 60)
            client.initialized(t.InitializedParams())
            return await asyncio.wait_for(script(client, published, arrived), 60)
        finally:
            await asyncio.wait_for(client.shutdown_async(None), 20)
            client.exit(None)
            await client.stop()

    return asyncio.run(run())


def _open(client, uri: str, text: str, version: int = 1) -> None:
    client.text_document_did_open(t.DidOpenTextDocumentParams(
        text_document=t.TextDocumentItem(uri=uri, language_id="wf", version=version, text=text)))


async def _wait(arrived, published, uri):
    while uri not in published:
        arrived.clear()
        await arrived.wait()
    return published.pop(uri)


def test_diagnostics_are_checks_own_and_follow_edits(tmp_path):
    bad = ROOT / "tests" / "golden" / "diagnostics" / "syntax.wf"
    text = bad.read_text(encoding="utf-8")
    want = [(d.code, d.span.line, d.span.column) for d in check_file(str(bad)).diagnostics]
    uri = bad.as_uri()

    async def script(client, published, arrived):
        _open(client, uri, text)
        first = await _wait(arrived, published, uri)
        fixed = SUPPORT.read_text(encoding="utf-8")
        client.text_document_did_change(t.DidChangeTextDocumentParams(
            text_document=t.VersionedTextDocumentIdentifier(version=2, uri=uri),
            content_changes=[t.TextDocumentContentChangeWholeDocument(text=fixed)]))
        second = await _wait(arrived, published, uri)
        return first, second

    first, second = _session(script)
    assert want and [(d.code, d.range.start.line + 1, d.range.start.character + 1) for d in first] == want
    assert all(d.source == "wfcheck" for d in first)
    assert [d for d in second if d.severity == t.DiagnosticSeverity.Error] == []


def test_navigation_hover_completion_symbols():
    text = SUPPORT.read_text(encoding="utf-8")
    uri = SUPPORT.as_uri()
    doc = t.TextDocumentIdentifier(uri=uri)

    async def script(client, published, arrived):
        _open(client, uri, text)
        await _wait(arrived, published, uri)
        use = _pos(text, "lookup_card, search_web")  # in a transition
        definition = await client.text_document_definition_async(t.DefinitionParams(text_document=doc, position=use))
        refs = await client.text_document_references_async(
            t.ReferenceParams(text_document=doc, position=_pos(text, "serving ->"),
                              context=t.ReferenceContext(include_declaration=True)))
        hover_tool = await client.text_document_hover_async(t.HoverParams(text_document=doc, position=use))
        hover_prop = await client.text_document_hover_async(t.HoverParams(text_document=doc, position=_pos(text, "injection_safe")))
        client.text_document_did_save(t.DidSaveTextDocumentParams(text_document=doc))
        verdict = None
        for _ in range(200):  # verification runs in the server's thread
            hover = await client.text_document_hover_async(t.HoverParams(text_document=doc, position=_pos(text, "injection_safe")))
            if "not verified" not in hover.contents.value:
                verdict = hover.contents.value
                break
            await asyncio.sleep(0.1)
        items = await client.text_document_completion_async(t.CompletionParams(text_document=doc, position=t.Position(line=40, character=0)))
        syms = await client.text_document_document_symbol_async(t.DocumentSymbolParams(text_document=doc))
        return definition, refs, hover_tool, hover_prop, verdict, items, syms

    definition, refs, hover_tool, hover_prop, verdict, items, syms = _session(script)
    declared = text.splitlines().index(next(l for l in text.splitlines() if l.startswith("tool lookup_card")))
    assert definition.range.start.line == declared and definition.range.start.character == 5
    lines = {r.range.start.line + 1 for r in refs}
    declared_state = next(ln + 1 for ln, l in enumerate(text.splitlines()) if l.startswith("state ") and "serving" in l)
    assert declared_state in lines and {ln + 1 for ln, l in enumerate(text.splitlines()) if l.startswith("serving ->")} <= lines
    assert "result label: `secret`, `trusted`" in hover_tool.contents.value
    assert "effect: `reads`" in hover_tool.contents.value
    assert "not verified yet" in hover_prop.contents.value
    assert verdict is not None and "last verdict: **violated**" in verdict
    labels = {i.label for i in items.items}
    assert {"assistant", "serving", "lookup_card", "refunds", "secret", "hang_up"} <= labels
    assert {s.name for s in syms} >= {"waiting", "issue_refund", "card_not_emailed", "verified"}


def test_formatting_is_fmts_layout(tmp_path):
    from wfcheck.api import format_file

    messy = tmp_path / "messy.wf"
    messy.write_text(SUPPORT.read_text(encoding="utf-8").replace("state waiting initial", "state   waiting    initial"),
                     encoding="utf-8")
    want = format_file(str(messy)).text
    uri = messy.as_uri()

    async def script(client, published, arrived):
        _open(client, uri, messy.read_text(encoding="utf-8"))
        await _wait(arrived, published, uri)
        return await client.text_document_formatting_async(
            t.DocumentFormattingParams(text_document=t.TextDocumentIdentifier(uri=uri),
                                       options=t.FormattingOptions(tab_size=2, insert_spaces=True)))

    edits = _session(script)
    assert len(edits) == 1 and edits[0].new_text == want and "state   waiting" not in want
