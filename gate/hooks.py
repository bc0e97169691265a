"""Framework hooks: thin adapters that put a gated session (an in-process `Session` or a
`RemoteSession` of the service) in front of an agent's tools.

- OpenAI Agents SDK: `openai_guardrails(session)` -> (input, output) tool guardrails; the
  input guardrail decides the call (a refusal is `reject_content` with the reason, so the
  model sees why), the output guardrail takes the call with its result.
- LangChain: `GateCallbackHandler(session)`; `on_tool_start` decides and raises
  `ToolRefused` for a refused call (the handler sets `raise_error`, so LangChain does not
  swallow it), `on_tool_end`/`on_tool_error` take the call with its result.
"""
from __future__ import annotations

import json
from dataclasses import replace

from .session import tool_call


class ToolRefused(Exception):
    """A tool call the gate refused; the message names the property and the cause."""


def _arguments(raw) -> dict:
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw) if raw else {}
    except (TypeError, ValueError, RecursionError):
        return {"input": raw}
    return value if isinstance(value, dict) else {"input": value}


def openai_guardrails(session, agent: str | None = None):
    """The (input, output) tool guardrails of the OpenAI Agents SDK for `session`; attach
    them to a function tool: `tool_input_guardrails=[i]`, `tool_output_guardrails=[o]`."""
    from agents import ToolGuardrailFunctionOutput, tool_input_guardrail, tool_output_guardrail

    pending: dict = {}

    @tool_input_guardrail(name="wfcheck_gate")
    def check_call(data):
        ctx = data.context
        call = tool_call(ctx.tool_name, _arguments(ctx.tool_arguments), agent, ctx.tool_call_id)
        decision = session.decide(call)
        if not decision.allowed:
            return ToolGuardrailFunctionOutput.reject_content(decision.reason(), {"allowed": False})
        pending[ctx.tool_call_id] = (call, decision)
        return ToolGuardrailFunctionOutput.allow({"allowed": True})

    @tool_output_guardrail(name="wfcheck_gate_record")
    def record_result(data):
        call, decision = pending.pop(data.context.tool_call_id)
        session.step(replace(call, result=str(data.output)), decision)
        return ToolGuardrailFunctionOutput.allow()

    return check_call, record_result


def langchain_handler(session, agent: str | None = None):
    """A LangChain callback handler gating every tool run it sees."""
    from langchain_core.callbacks import BaseCallbackHandler

    class GateCallbackHandler(BaseCallbackHandler):
        raise_error = True

        def __init__(self) -> None:
            self.pending: dict = {}

        def on_tool_start(self, serialized, input_str, *, run_id, inputs=None, **kwargs):
            name = (serialized or {}).get("name") or kwargs.get("name")
            call = tool_call(name, _arguments(inputs if inputs is not None else input_str), agent, str(run_id))
            decision = session.decide(call)
            if not decision.allowed:
                raise ToolRefused(decision.reason())
            self.pending[run_id] = (call, decision)

        def on_tool_end(self, output, *, run_id, **kwargs):
            found = self.pending.pop(run_id, None)
            if found is not None:
                text = output if isinstance(output, str) else getattr(output, "content", None) or str(output)
                session.step(replace(found[0], result=str(text)), found[1])

        def on_tool_error(self, error, *, run_id, **kwargs):
            found = self.pending.pop(run_id, None)
            if found is not None:
                session.step(replace(found[0], result=str(error), is_error=True), found[1])

    return GateCallbackHandler()
