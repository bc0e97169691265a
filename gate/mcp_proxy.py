"""The MCP proxy (`wfcheck gate mcp SPEC -- COMMAND...` or `--url URL`): an MCP server over
stdio whose tools are those of one or more upstream MCP servers. Each `tools/call` is
checked by the session first; a call that would break the spec is refused with a tool
error naming the property and the chain of where the data entered, and is never sent
upstream; an allowed call is forwarded and taken with its result (the structured content,
if any, so that result fields get their labels). An upstream that fails or takes longer
than `timeout` seconds gives the client a tool error and the call is taken as failed; the
proxy stays up. Tool names map to the spec's actions through its `map` lines, as in
`wfcheck trace`.
"""
from __future__ import annotations

import json
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace

import anyio
import mcp_types as types
from mcp.client.session import ClientSession
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

from .session import Session, tool_call


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
    """The gate between one MCP client and its upstream servers."""

    def __init__(self, session: Session, timeout: float = 60.0, agent: str | None = None) -> None:
        self.session = session
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
        decision = self.session.decide(call)
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
        self.session.step(replace(call, result=result_text(result), is_error=bool(result.is_error)), decision)
        return result


async def run_stdio(session: Session, upstreams, timeout: float = 60.0, agent: str | None = None) -> None:
    """Serve the proxy on this process's stdin/stdout until the client closes it."""
    proxy = Proxy(session, timeout, agent)
    async with AsyncExitStack() as stack:
        await proxy.connect(stack, upstreams)
        server = Server("wfcheck-gate", on_list_tools=proxy.list_tools, on_call_tool=proxy.call_tool)
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())
    session.finish()


def serve_stdio(session: Session, upstreams, timeout: float = 60.0, agent: str | None = None) -> None:
    """`run_stdio` to its end; ConnectionError (out of the task groups that wrap it) if an
    upstream could not be started or reached."""
    try:
        anyio.run(run_stdio, session, upstreams, timeout, agent)
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
