"""The HTTP policy service (`wfcheck gate serve`): sessions over HTTP, one monitor each.

    POST /sessions                {"spec": NAME}            -> {"id", "spec", "violations"}
    POST /sessions/{id}/check     {"event": {...}}          -> the decision; a refused call is taken
    POST /sessions/{id}/step      {"event": {...}}          -> the verdict of an event that ran
    POST /sessions/{id}/finish                              -> the `terminates` verdict
    GET  /sessions/{id}                                     -> the report, as `wfcheck trace --format json`
    POST /specs/{name}/reload                               -> reload a spec (a failed check keeps the old)

Events are native trace events (docs/traces.md). Every request carries `Authorization:
Bearer TOKEN`; a token may use the specs it is scoped to, and sees only the sessions it
opened (another token's session is "unknown", 404). Memory is bounded: sessions idle for
`idle_timeout` seconds are closed, a session takes at most `max_events` events, there are
at most `max_sessions` open, a finished session's report is kept for `idle_timeout` and at
most `max_sessions` of them; a request body is at most `max_body` bytes. Bad input is a 4xx
with a WF86x code (docs/errors.md), never a 500. A check's or step's answer says in its
`Server-Timing` header how long reading the event and deciding took (not
the HTTP framing, not the wait for the body) (bench/bench_gate.py reads it). `check` and
`step` are served by a lean ASGI function of their own (`build_app`): they are what an
agent sends per event.
"""
from __future__ import annotations

import json
import os
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from wfcheck.checker.trace.readers.events import ToolCall

from .session import DEFAULT_MAX_EVENTS, GateError, Session
from .specs import ReloadFailed, Specs


@dataclass(frozen=True)
class Limits:
    max_events: int = DEFAULT_MAX_EVENTS
    max_sessions: int = 10_000
    max_body: int = 1 << 20
    idle_timeout: float = 600.0


@dataclass
class _Open:
    session: Session
    spec: str
    token: str
    last: float


@dataclass
class _Done:
    """A finished session: its report as JSON text, not a tree of dicts (a thousand such
    trees would be scanned by every full garbage collection, a pause of milliseconds)."""
    report: bytes
    token: str
    last: float


@dataclass
class Gate:
    """The service's state: specs, tokens (token -> the spec names it may use; "*" for all),
    open sessions and finished reports, and where audit logs go (None: nowhere)."""
    specs: Specs
    tokens: dict[str, frozenset[str]]
    limits: Limits = field(default_factory=Limits)
    audit_dir: str | None = None
    fsync: str = "flush"
    open: dict[str, _Open] = field(default_factory=dict)
    done: OrderedDict = field(default_factory=OrderedDict)

    def authorize(self, header: str | None) -> str:
        """The token of an `Authorization: Bearer TOKEN` header, or WF866."""
        scheme, _, token = (header or "").partition(" ")
        if scheme.lower() != "bearer" or token not in self.tokens:
            raise GateError("WF866", "missing or unknown bearer token", 401)
        return token

    def allowed(self, token: str, spec: str) -> bool:
        scope = self.tokens[token]
        return "*" in scope or spec in scope

    def expire(self, now: float) -> None:
        """Close sessions idle too long and forget old reports."""
        cutoff = now - self.limits.idle_timeout
        for sid in [sid for sid, o in self.open.items() if o.last < cutoff]:
            self.open.pop(sid).session.close()
        while self.done and next(iter(self.done.values())).last < cutoff:
            self.done.popitem(last=False)
        while len(self.done) > self.limits.max_sessions:
            self.done.popitem(last=False)

    def session(self, sid: str, token: str) -> _Open:
        found = self.open.get(sid)
        if found is None or found.token != token:
            if sid in self.done and self.done[sid].token == token:
                raise GateError("WF863", f"session `{sid}` is finished", 409)
            raise GateError("WF865", f"unknown session `{sid}`", 404)
        return found


async def _body(receive, declared: str | None, limit: int) -> dict | None:
    """The JSON object of a request read from the ASGI `receive`, within the size limit;
    None if the client went away before the body was complete (nothing is done then)."""
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise GateError("WF864", f"request body of {declared} bytes is over the limit of {limit}", 413)
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise GateError("WF864", f"request body is over the limit of {limit} bytes", 413)
        chunks.append(chunk)
        more = message.get("more_body", False)
    raw = b"".join(chunks)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise GateError("WF861", f"the body is not JSON: {exc}") from None
    if type(body) is not dict:
        raise GateError("WF861", "the body must be a JSON object")
    return body


class ClientGone(Exception):
    """The client closed the connection before its request was read: no answer is sent."""


async def _request_body(request: Request, gate: Gate) -> dict:
    body = await _body(request.receive, request.headers.get("content-length"), gate.limits.max_body)
    if body is None:
        raise ClientGone()
    return body


def _violations(verdict) -> list:
    return [v.to_json() for v in verdict.violations]


def take(gate: Gate, token: str, sid: str, verb: str, body: dict) -> tuple[dict, float]:
    """`check` or `step` an event of session `sid`: the answer, and the milliseconds that
    reading the event and deciding took."""
    found = gate.session(sid, token)
    start = time.perf_counter()
    if "event" not in body:
        raise GateError("WF861", "the body must have an `event`")
    session = found.session
    event = session.parse(body["event"])
    found.last = time.monotonic()
    if verb == "step":
        answer = {"violations": _violations(session.step(event))}
    else:
        answer = (session.decide(event) if isinstance(event, ToolCall) else session.check(event)).to_json()
    return answer, (time.perf_counter() - start) * 1000


def _json_bytes(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


async def _send(send, status: int, payload: dict, extra: tuple = ()) -> None:
    body = _json_bytes(payload)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *extra]})
    await send({"type": "http.response.body", "body": body})


def _event_route(path: str) -> tuple[str, str] | None:
    """`/sessions/{sid}/check` or `/step` -> (sid, verb)."""
    parts = path.split("/")
    if len(parts) == 4 and parts[1] == "sessions" and parts[3] in ("check", "step") and parts[2]:
        return parts[2], parts[3]
    return None


def build_app(gate: Gate):
    """The ASGI app serving `gate`. `check` and `step`, the calls an agent makes per event,
    are answered by a lean ASGI function (no routing table, request or response objects);
    the rest by starlette."""

    async def create(request: Request) -> Response:
        token = gate.authorize(request.headers.get("authorization"))
        body = await _request_body(request, gate)
        name = body.get("spec")
        if name is None and len(gate.specs.by_name) == 1:
            name = next(iter(gate.specs.by_name))
        if type(name) is not str or gate.specs.get(name) is None or not gate.allowed(token, name):
            raise GateError("WF865", f"unknown spec `{name}`" if type(name) is str else "the body must name a `spec`",
                            404 if type(name) is str else 422)
        now = time.monotonic()
        gate.expire(now)
        if len(gate.open) >= gate.limits.max_sessions:
            raise GateError("WF862", f"{len(gate.open)} sessions are open, the limit; finish some", 429)
        sid = secrets.token_hex(12)
        audit = os.path.join(gate.audit_dir, f"{sid}.jsonl") if gate.audit_dir else None
        session = Session(gate.specs.get(name).monitor, sid, audit, gate.fsync, gate.limits.max_events)
        gate.open[sid] = _Open(session, name, token, now)
        return JSONResponse({"id": sid, "spec": name, "audit": audit,
                             "violations": [v.to_json() for v in session.violations]}, 201)

    async def finish(request: Request) -> Response:
        token = gate.authorize(request.headers.get("authorization"))
        sid = request.path_params["sid"]
        found = gate.session(sid, token)
        verdict = found.session.finish()
        report = _json_bytes(found.session.report(gate.specs.get(found.spec).path).to_json())
        del gate.open[sid]
        gate.done[sid] = _Done(report, token, time.monotonic())
        gate.expire(time.monotonic())
        return JSONResponse({"violations": _violations(verdict)})

    async def report(request: Request) -> Response:
        token = gate.authorize(request.headers.get("authorization"))
        sid = request.path_params["sid"]
        done = gate.done.get(sid)
        if done is not None and done.token == token:
            return Response(done.report, media_type="application/json")
        found = gate.session(sid, token)
        return JSONResponse(found.session.report(gate.specs.get(found.spec).path).to_json())

    async def reload(request: Request) -> Response:
        token = gate.authorize(request.headers.get("authorization"))
        name = request.path_params["name"]
        if gate.specs.get(name) is None or not gate.allowed(token, name):
            raise GateError("WF865", f"unknown spec `{name}`", 404)
        try:
            loaded = gate.specs.reload(name)
        except ReloadFailed as exc:
            return JSONResponse({"error": {"code": "WF867", "message": f"spec `{name}` was not reloaded: {exc.why}; "
                                           "the spec in force is unchanged",
                                           "diagnostics": exc.text}}, 422)
        return JSONResponse({"spec": name, "workflow": loaded.model.name, "reloaded": True})

    async def on_gate_error(request: Request, exc: GateError) -> Response:
        return JSONResponse(exc.to_json(), exc.status)

    async def on_http_error(request: Request, exc) -> Response:
        return JSONResponse({"error": {"code": "WF865", "message": str(exc.detail)}}, exc.status_code)

    async def on_client_gone(request: Request, exc: ClientGone) -> Response:
        return Response(status_code=400)    # never read: the client has gone

    from starlette.exceptions import HTTPException

    routes = [Route("/sessions", create, methods=["POST"]),
              Route("/sessions/{sid}/finish", finish, methods=["POST"]),
              Route("/sessions/{sid}", report, methods=["GET"]),
              Route("/specs/{name}/reload", reload, methods=["POST"])]
    rest = Starlette(routes=routes, exception_handlers={GateError: on_gate_error, HTTPException: on_http_error,
                                                        ClientGone: on_client_gone})

    async def app(scope, receive, send) -> None:
        route = _event_route(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if route is None:
            await rest(scope, receive, send)
            return
        auth = length = None
        for key, value in scope["headers"]:
            if key == b"authorization":
                auth = value.decode("latin-1")
            elif key == b"content-length":
                length = value.decode("latin-1")
        try:
            token = gate.authorize(auth)
            body = await _body(receive, length, gate.limits.max_body)
            if body is None:
                return      # the client went away before its request was whole: nothing is taken
            answer, took = take(gate, token, *route, body)
        except GateError as exc:
            await _send(send, exc.status, exc.to_json())
            return
        await _send(send, 200, answer, ((b"server-timing", f"check;dur={took:.3f}".encode()),))

    return app


def parse_tokens(items) -> dict[str, frozenset[str]]:
    """`TOKEN` (every spec) or `TOKEN=spec1,spec2` -> token -> its specs."""
    out = {}
    for item in items:
        token, _, scope = item.partition("=")
        out[token] = frozenset(s for s in scope.split(",") if s) if scope else frozenset({"*"})
    return out


def serve(gate: Gate, host: str = "127.0.0.1", port: int = 8700) -> None:
    """Run the service with uvicorn until it is stopped: on uvloop and httptools where they
    are installed (the `gate` extra has them), without access log or per-response headers
    that nobody reads; a connection is kept open 75 s between requests (uvicorn's default is
    5 s), since an agent waits for its model between events."""
    import gc

    import uvicorn

    gc.freeze()     # the specs and their compiled monitors live as long as the process: keep them out of collections
    uvicorn.run(build_app(gate), host=host, port=port, log_level="warning", access_log=False,
                server_header=False, date_header=False, timeout_keep_alive=75)
