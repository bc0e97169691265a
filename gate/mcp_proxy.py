"""The MCP proxy (`wfcheck gate mcp SPEC -- COMMAND...` or `--url URL`): an MCP server, over
stdio or (`--listen HOST:PORT`) streamable HTTP, whose tools are those of one or more
upstream MCP servers. Each `tools/call` is checked by the session first; a call that would break the spec is refused with a tool
error naming the property and the chain of where the data entered, and is never sent
upstream; an allowed call is forwarded and taken with its result (the structured content,
if any, so that result fields get their labels). An upstream that fails or takes longer
than `timeout` seconds gives the client a tool error and the call is taken as failed; the
proxy stays up. Tool names map to the spec's actions through its `map` lines, as in
`wfcheck trace`. On stdio a line that is not JSON-RPC gets a JSON-RPC error reply (-32700 or
-32600) and the proxy goes on. Over HTTP each MCP session (its `mcp-session-id`) is a gated
run of its own, with its own monitor and audit log; the upstreams are shared.
"""
from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace

import anyio
import mcp_types as types
from mcp.client.session import ClientSession
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage

from .session import Session, tool_call

MCP_SESSION_ID = "mcp-session-id"


@dataclass(frozen=True)
class Upstream:
    """One MCP server to proxy: a command line (stdio) or the URL of a streamable-HTTP one."""
    command: tuple[str, ...] = ()
    url: str | None = None


def result_text(result: types.CallToolResult) -> str:
    """What the monitor reads of a result: its structured content as JSON, else its text."""
    if result.structured_content is not None:
        return json.dumps(result.structured_content, ensure_ascii=False)
    return "\n".join(block.text if isinstance(block, types.TextContent) else block.model_dump_json()
                     for block in result.content)


def _error(text: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=text)], is_error=True)


class Proxy:
    """The gate between MCP clients and their upstream servers; `session_of(ctx)` is the
    gated run a request belongs to."""

    def __init__(self, session_of: Callable[[object], Session], timeout: float = 60.0,
                 agent: str | None = None) -> None:
        self.session_of = session_of
        self.timeout = timeout
        self.agent = agent
        self.tools: dict[str, tuple[ClientSession, types.Tool]] = {}

    async def connect(self, stack: AsyncExitStack, upstreams, startup: float = 30.0) -> None:
        """Start or reach each upstream and list its tools; ConnectionError if one fails."""
        for upstream in upstreams:
            where = upstream.url or " ".join(upstream.command)
            try:
                await self._connect(stack, upstream, startup)
            except Exception as exc:  # noqa: BLE001 - any failure to start is the upstream's
                raise ConnectionError(f"cannot start or reach the MCP server `{where}`: "
                                      f"{type(exc).__name__}: {exc}") from None

    async def _connect(self, stack: AsyncExitStack, upstream: Upstream, startup: float) -> None:
        if upstream.url is not None:
            from mcp.client.streamable_http import streamable_http_client
            read, write = await stack.enter_async_context(streamable_http_client(upstream.url))
        else:
            from mcp.client.stdio import StdioServerParameters, stdio_client
            params = StdioServerParameters(command=upstream.command[0], args=list(upstream.command[1:]))
            read, write = await stack.enter_async_context(stdio_client(params))
        client = await stack.enter_async_context(ClientSession(read, write))
        with anyio.fail_after(startup):
            await client.initialize()
            tools = (await client.list_tools()).tools
        for tool in tools:
            self.tools.setdefault(tool.name, (client, tool))

    async def list_tools(self, ctx, params) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[tool for _, tool in self.tools.values()])

    async def call_tool(self, ctx, params: types.CallToolRequestParams) -> types.CallToolResult:
        call = tool_call(params.name, dict(params.arguments or {}), self.agent)
        session = self.session_of(ctx)
        decision = session.decide(call)
        if not decision.allowed:
            return _error(decision.reason())
        found = self.tools.get(params.name)
        if found is None:
            result = _error(f"unknown tool `{params.name}`")
        else:
            try:
                with anyio.fail_after(self.timeout):
                    result = await found[0].call_tool(params.name, call.arguments)
            except TimeoutError:
                result = _error(f"the MCP server did not answer `{params.name}` within {self.timeout:g} s")
            except Exception as exc:  # the upstream failed: the client gets an error, the gate stays up
                result = _error(f"the MCP server failed on `{params.name}`: {type(exc).__name__}: {exc}")
        session.step(replace(call, result=result_text(result), is_error=bool(result.is_error)), decision)
        return result

    def server(self) -> Server:
        return Server("wfcheck-gate", on_list_tools=self.list_tools, on_call_tool=self.call_tool)


def malformed_reply(exc: Exception) -> types.JSONRPCError:
    """The JSON-RPC error for a message the transport could not read: -32700 if it is not
    JSON, else -32600 (not a JSON-RPC message), with its `id` where one can be read."""
    errors = exc.errors() if hasattr(exc, "errors") else []
    if errors and errors[0]["type"] == "json_invalid":
        return types.JSONRPCError(jsonrpc="2.0", id=None, error=types.ErrorData(
            code=types.PARSE_ERROR, message="parse error: the message is not JSON"))
    ids = [e["input"].get("id") for e in errors if isinstance(e.get("input"), dict)]
    found = next((i for i in ids if type(i) in (int, str)), None)
    return types.JSONRPCError(jsonrpc="2.0", id=found, error=types.ErrorData(
        code=types.INVALID_REQUEST, message="invalid request: not a JSON-RPC 2.0 request, notification or response"))


async def _answer_malformed(read, write, inner) -> None:
    """Pass what the transport read on to `inner`; answer what it could not read."""
    async with inner:
        async for item in read:
            if isinstance(item, Exception):
                await write.send(SessionMessage(malformed_reply(item)))
            else:
                await inner.send(item)


async def run_stdio(session: Session, upstreams, timeout: float = 60.0, agent: str | None = None) -> None:
    """Serve the proxy on this process's stdin/stdout until the client closes it."""
    proxy = Proxy(lambda ctx: session, timeout, agent)
    async with AsyncExitStack() as stack:
        await proxy.connect(stack, upstreams)
        server = proxy.server()
        async with stdio_server() as (read, write), anyio.create_task_group() as tasks:
            send, receive = anyio.create_memory_object_stream(0)
            tasks.start_soon(_answer_malformed, read, write, send)
            await server.run(receive, write, server.create_initialization_options())
    session.finish()


class HttpSessions:
    """The gated runs of an HTTP proxy, one per MCP session id, made by `new(id)` at the
    session's first request; finished when the client ends the MCP session, closed as
    they are when idle `idle_timeout` seconds (as the MCP session itself is) or at shutdown."""

    def __init__(self, new: Callable[[str], Session], idle_timeout: float) -> None:
        self.new = new
        self.idle_timeout = idle_timeout
        self.open: dict[str, tuple[Session, list]] = {}

    def of(self, ctx) -> Session:
        sid = ctx.request.headers.get(MCP_SESSION_ID) if ctx.request is not None else None
        now = time.monotonic()
        for old in [k for k, (_, last) in self.open.items() if now - last[0] > self.idle_timeout and k != sid]:
            self.open.pop(old)[0].close()
        if sid not in self.open:
            self.open[sid] = (self.new(sid or "http"), [now])
        found, last = self.open[sid]
        last[0] = now
        return found

    def finish(self, sid: str | None) -> None:
        found = self.open.pop(sid, None)
        if found is not None and not found[0].finished:
            found[0].finish()

    def close(self) -> None:
        while self.open:
            self.open.popitem()[1][0].close()


async def run_http(new_session: Callable[[str], Session], upstreams, host: str, port: int,
                   tokens: frozenset[str] = frozenset(), timeout: float = 60.0, agent: str | None = None,
                   idle_timeout: float = 1800.0, ready: Callable[[int], None] | None = None) -> None:
    """Serve the proxy over streamable HTTP at http://HOST:PORT/mcp (the mcp SDK's session
    manager on uvicorn) until stopped. `tokens`: if any, every request needs `Authorization:
    Bearer TOKEN` with one of them."""
    import uvicorn
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
    from mcp.server.transport_security import TransportSecuritySettings

    sessions = HttpSessions(new_session, idle_timeout)
    proxy = Proxy(sessions.of, timeout, agent)
    loopback = host in ("127.0.0.1", "localhost", "::1")
    security = TransportSecuritySettings(enable_dns_rebinding_protection=True,
                                         allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
                                         allowed_origins=["http://127.0.0.1:*", "http://localhost:*",
                                                          "http://[::1]:*"]) if loopback else None
    async with AsyncExitStack() as stack:
        await proxy.connect(stack, upstreams)
        manager = StreamableHTTPSessionManager(proxy.server(), security_settings=security,
                                               session_idle_timeout=idle_timeout)

        async def app(scope, receive, send) -> None:
            if scope["type"] != "http":
                return
            headers = dict(scope["headers"])
            if scope["path"].rstrip("/") != "/mcp":
                await _plain(send, 404, "WF865", "not found: the MCP endpoint is /mcp")
                return
            scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
            if tokens and (scheme.lower() != "bearer" or token not in tokens):
                await _plain(send, 401, "WF866", "missing or unknown bearer token")
                return
            await manager.handle_request(scope, receive, send)
            if scope["method"] == "DELETE":
                sessions.finish(headers.get(MCP_SESSION_ID.encode(), b"").decode("latin-1") or None)

        server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off",
                                               access_log=False))
        try:
            async with manager.run(), anyio.create_task_group() as tasks:
                tasks.start_soon(server.serve)
                while not server.started:
                    await anyio.sleep(0.05)
                if ready is not None:
                    ready(server.servers[0].sockets[0].getsockname()[1])
        finally:
            sessions.close()


async def _plain(send, status: int, code: str, text: str) -> None:
    body = json.dumps({"error": {"code": code, "message": text}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def serve_http(new_session: Callable[[str], Session], upstreams, host: str, port: int, **options) -> None:
    """`run_http` until stopped; ConnectionError if an upstream could not be started or reached."""
    _unwrapped(run_http, new_session, upstreams, host, port, **options)


def serve_stdio(session: Session, upstreams, timeout: float = 60.0, agent: str | None = None) -> None:
    """`run_stdio` to its end; ConnectionError (out of the task groups that wrap it) if an
    upstream could not be started or reached."""
    _unwrapped(run_stdio, session, upstreams, timeout, agent)


def _unwrapped(run, *args, **options) -> None:
    """`anyio.run(run, ...)`, a ConnectionError inside the task groups raised as itself."""
    try:
        anyio.run(functools.partial(run, *args, **options))
    except Exception as exc:  # noqa: BLE001 - re-raised unless it hides a ConnectionError
        found = _connection_error(exc)
        if found is None:
            raise
        raise found from None


def _connection_error(exc: BaseException) -> ConnectionError | None:
    if isinstance(exc, ConnectionError):
        return exc
    for inner in getattr(exc, "exceptions", ()):
        found = _connection_error(inner)
        if found is not None:
            return found
    return None
