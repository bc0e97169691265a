"""`wfcheck lsp`: a language server for `.wf` files over stdio (pygls). Diagnostics are
`check`'s (same codes and spans) on every change; hover shows a tool's labels and effects
and a property's last verdict (verified when the file is saved); definition, references,
completion and symbols come from the name index (index.py); formatting is `fmt`'s."""
from __future__ import annotations

import threading
from urllib.parse import unquote, urlparse

from lsprotocol import types as t
from pygls.lsp.server import LanguageServer

from wfcheck.checker.verify.run import verify_model
from wfcheck.spec.fmt import format_workflow
from wfcheck.spec.frontend import check_text
from wfcheck.spec.graph import structural_findings
from wfcheck.spec.parser import parse_text
from wfcheck.spec.version import __version__

from .hover import describe
from .index import Index, index

SYMBOL_KIND = {"agent": t.SymbolKind.Class, "state": t.SymbolKind.EnumMember, "variable": t.SymbolKind.Variable,
               "tool": t.SymbolKind.Function, "event": t.SymbolKind.Event, "property": t.SymbolKind.Property,
               "label": t.SymbolKind.Constant, "workflow": t.SymbolKind.Module}
COMPLETION_KIND = {"agent": t.CompletionItemKind.Class, "state": t.CompletionItemKind.EnumMember,
                   "variable": t.CompletionItemKind.Variable, "tool": t.CompletionItemKind.Function,
                   "event": t.CompletionItemKind.Event, "property": t.CompletionItemKind.Property,
                   "label": t.CompletionItemKind.Constant, "workflow": t.CompletionItemKind.Module}
SEVERITY = {"error": t.DiagnosticSeverity.Error, "warning": t.DiagnosticSeverity.Warning}


class WfServer(LanguageServer):
    """The server, with what it knows of each open document: its last valid model and the
    verdicts of its last verification."""

    def __init__(self) -> None:
        super().__init__("wfcheck", __version__)
        self.models: dict[str, object] = {}
        self.verdicts: dict[str, dict[str, str]] = {}
        self.lock = threading.Lock()


server = WfServer()


def path_of(uri: str) -> str:
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else uri


def _range(line: int, column: int, end_line: int, end_column: int) -> t.Range:
    """A 1-based source region as an LSP (0-based) range."""
    return t.Range(start=t.Position(line=max(line - 1, 0), character=max(column - 1, 0)),
                   end=t.Position(line=max(end_line - 1, 0), character=max(end_column - 1, 0)))


def diagnostics(uri: str, text: str) -> list[t.Diagnostic]:
    """`wfcheck check`'s findings for the document (errors of imported files left out)."""
    path = path_of(uri)
    result = check_text(text, path)
    found = list(result.diagnostics)
    if result.ok:
        server.models[uri] = result.model
        found += structural_findings(result.model)
    out = []
    for d in found:
        if d.span.file != path and d.span.line:
            continue
        s = d.span
        message = d.message + (f"\nhelp: {d.help}" if d.help else "")
        out.append(t.Diagnostic(range=_range(s.line or 1, s.column or 1, s.end_line or 1, s.end_column or 1),
                                message=message, severity=SEVERITY.get(d.severity.value, t.DiagnosticSeverity.Information),
                                code=d.code, source="wfcheck"))
    return out


def _publish(uri: str) -> None:
    document = server.workspace.get_text_document(uri)
    server.text_document_publish_diagnostics(
        t.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics(uri, document.source), version=document.version))


@server.feature(t.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: WfServer, params: t.DidOpenTextDocumentParams) -> None:
    _publish(params.text_document.uri)


@server.feature(t.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: WfServer, params: t.DidChangeTextDocumentParams) -> None:
    _publish(params.text_document.uri)


@server.feature(t.TEXT_DOCUMENT_DID_SAVE)
@server.thread()
def did_save(ls: WfServer, params: t.DidSaveTextDocumentParams) -> None:
    """Verify on save (in a thread: the editor keeps going), for hover's verdicts."""
    uri = params.text_document.uri
    model = server.models.get(uri)
    if model is None:
        return
    report = verify_model(model, timeout=5.0)
    with server.lock:
        server.verdicts[uri] = {r.name: r.status for r in report.results}
    ls.window_log_message(t.LogMessageParams(type=t.MessageType.Info, message=f"verified {path_of(uri)}: " + ", ".join(
        f"{r.name} {r.status}" for r in report.results)))


def _index(uri: str) -> tuple[Index, str]:
    source = server.workspace.get_text_document(uri).source
    return index(source), source


def _word_at(uri: str, position: t.Position):
    idx, source = _index(uri)
    return idx, idx.at(position.line + 1, position.character + 1), source


def _location(uri: str, occ) -> t.Location:
    return t.Location(uri=uri, range=_range(occ.line, occ.column, occ.line, occ.end_column))


@server.feature(t.TEXT_DOCUMENT_HOVER)
def hover(ls: WfServer, params: t.HoverParams) -> t.Hover | None:
    idx, occ, source = _word_at(params.text_document.uri, params.position)
    if occ is None or idx.declaration(occ.name) is None:
        return None
    declaration = idx.declaration(occ.name)
    with server.lock:
        verdicts = dict(server.verdicts.get(params.text_document.uri, {}))
    text = describe(declaration, source, server.models.get(params.text_document.uri), verdicts)
    return t.Hover(contents=t.MarkupContent(kind=t.MarkupKind.Markdown, value=text),
                   range=_range(occ.line, occ.column, occ.line, occ.end_column))


@server.feature(t.TEXT_DOCUMENT_DEFINITION)
def definition(ls: WfServer, params: t.DefinitionParams) -> t.Location | None:
    idx, occ, _ = _word_at(params.text_document.uri, params.position)
    declaration = idx.declaration(occ.name) if occ else None
    return _location(params.text_document.uri, declaration.at) if declaration else None


@server.feature(t.TEXT_DOCUMENT_REFERENCES)
def references(ls: WfServer, params: t.ReferenceParams) -> list[t.Location]:
    idx, occ, _ = _word_at(params.text_document.uri, params.position)
    if occ is None or idx.declaration(occ.name) is None:
        return []
    declaration = idx.declaration(occ.name)
    return [_location(params.text_document.uri, u) for u in idx.references(occ.name)
            if params.context.include_declaration or u != declaration.at]


@server.feature(t.TEXT_DOCUMENT_COMPLETION, t.CompletionOptions(trigger_characters=[" ", "."]))
def completion(ls: WfServer, params: t.CompletionParams) -> t.CompletionList:
    idx, _ = _index(params.text_document.uri)
    items = [t.CompletionItem(label=d.name, kind=COMPLETION_KIND[d.kind], detail=d.kind)
             for d in idx.declarations if d.kind != "workflow"]
    return t.CompletionList(is_incomplete=False, items=items)


@server.feature(t.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def symbols(ls: WfServer, params: t.DocumentSymbolParams) -> list[t.DocumentSymbol]:
    idx, _ = _index(params.text_document.uri)
    out = []
    for d in idx.declarations:
        whole = _range(d.at.line, 1, d.last_line + 1, 1)
        out.append(t.DocumentSymbol(name=d.name, kind=SYMBOL_KIND[d.kind], detail=d.kind, range=whole,
                                    selection_range=_range(d.at.line, d.at.column, d.at.line, d.at.end_column)))
    return out


@server.feature(t.TEXT_DOCUMENT_FORMATTING)
def formatting(ls: WfServer, params: t.DocumentFormattingParams) -> list[t.TextEdit]:
    """`wfcheck fmt` as one edit of the whole text; none while the text has syntax errors."""
    document = server.workspace.get_text_document(params.text_document.uri)
    workflow, errors = parse_text(document.source, path_of(params.text_document.uri))
    text = "" if errors else format_workflow(workflow)
    if errors or text == document.source:
        return []
    lines = document.source.split("\n")
    return [t.TextEdit(range=_range(1, 1, len(lines) + 1, 1), new_text=text)]


def serve() -> None:
    server.start_io()
