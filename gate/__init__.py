"""`wfcheck gate`: the trace monitor put in front of a live agent. A session (session.py)
checks each tool call before it runs and records what ran in an audit log (audit.py) that
`wfcheck trace` reads back; the MCP proxy (mcp_proxy.py), the HTTP policy service
(service.py) and the framework hooks (hooks.py) are ways to reach a session."""
