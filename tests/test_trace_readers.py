"""The trace readers: each input format read into the normalized events, the pairing of
results with calls, the reading problems WF801–WF806 with their places, and every recorded
AgentDojo and τ-bench run read as its index says."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from wfcheck.checker.trace.readers import fast
from wfcheck.checker.trace.readers.events import Handoff, Location, Message, ReadProblem, ToolCall, Trace
from wfcheck.checker.trace.readers.locate import container_lines
from wfcheck.checker.trace.readers.reader import FORMATS, MAX_REPORTED, detect, read_file, read_lines, read_text, read_traces

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SAMPLES = ROOT / "examples" / "traces"


def read(path, input_format=None) -> list:
    return list(read_traces([str(path)], input_format))


def only_trace(path, input_format=None) -> Trace:
    items = read(path, input_format)
    assert len(items) == 1 and isinstance(items[0], Trace), items
    return items[0]


def write(tmp_path: Path, name: str, doc) -> Path:
    path = tmp_path / name
    if isinstance(doc, str):
        path.write_text(doc, encoding="utf-8")
    elif name.endswith(".jsonl"):
        path.write_text("".join(json.dumps(o) + "\n" for o in doc), encoding="utf-8")
    else:
        path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def calls(trace: Trace) -> list[ToolCall]:
    return [e for e in trace.events if isinstance(e, ToolCall)]


def codes(trace: Trace) -> list[str]:
    return [p.code for p in trace.problems]


# ---------------------------------------------------------------- OpenAI


def oa_call(name, arguments, call_id="", as_string=True):
    return {"id": call_id, "type": "function",
            "function": {"name": name, "arguments": json.dumps(arguments) if as_string else arguments}}


def test_openai_arguments_as_json_string(tmp_path):
    doc = {"task_id": 7, "reward": 1.0, "traj": [
        {"role": "system", "content": "policy"},
        {"role": "user", "content": "book it"},
        {"content": None, "role": "assistant", "tool_calls": [oa_call("get_user", {"user_id": "mia"}, "c1")]},
        {"role": "tool", "tool_call_id": "c1", "name": "get_user", "content": "{\"name\": \"Mia\"}"},
        {"content": "Done.", "role": "assistant"}]}
    trace = only_trace(write(tmp_path, "t.json", doc))
    assert trace.format == "openai" and trace.problems == ()
    assert trace.metadata == {"task_id": 7, "reward": 1.0}
    assert [type(e).__name__ for e in trace.events] == ["Message", "Message", "ToolCall", "Message"]
    call = trace.events[2]
    assert (call.tool, call.arguments, call.call_id, call.result, call.is_error) == \
        ("get_user", {"user_id": "mia"}, "c1", "{\"name\": \"Mia\"}", False)
    assert call.location.pointer == "/traj/2/tool_calls/0" and call.result_location.pointer == "/traj/3"
    assert trace.events[3] == Message("assistant", "Done.", location=trace.events[3].location)


def test_openai_agentdojo_object_arguments_and_errors(tmp_path):
    doc = {"suite_name": "banking", "utility": False, "security": True, "messages": [
        {"role": "system", "content": "s"},
        {"role": "user", "content": "pay the bill"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"function": "read_file", "args": {"file_path": "bill.txt"}, "id": "a"},
            {"function": "send_money", "args": {"amount": 5}, "id": "b"}]},
        {"role": "tool", "content": "the bill", "tool_call_id": "a",
         "tool_call": {"function": "read_file", "args": {}, "id": "a"}, "error": None},
        {"role": "tool", "content": "", "tool_call_id": "b",
         "tool_call": {"function": "send_money", "args": {}, "id": "b"}, "error": "ValueError: no money"},
        {"role": "assistant", "content": "I could not pay.", "tool_calls": None}]}
    trace = only_trace(write(tmp_path, "d.json", doc))
    assert trace.problems == ()
    assert trace.metadata == {"suite_name": "banking", "utility": False, "security": True}
    read_file_call, send = calls(trace)
    assert (read_file_call.arguments, read_file_call.result, read_file_call.is_error) == \
        ({"file_path": "bill.txt"}, "the bill", False)
    # AgentDojo shows the model the error text when a call fails
    assert (send.arguments, send.result, send.is_error) == ({"amount": 5}, "ValueError: no money", True)


def test_openai_content_blocks(tmp_path):
    doc = [{"role": "user", "content": [{"type": "text", "text": "first"}, {"type": "image_url"},
                                        {"type": "text", "text": "second"}]},
           {"role": "assistant", "content": [{"type": "text", "content": "agentdojo-style block"}],
            "tool_calls": [oa_call("search", {"q": "x"}, "c1", as_string=False)]},
           {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "found"}]}]
    trace = only_trace(write(tmp_path, "b.json", doc))
    assert trace.problems == ()
    user, text, call = trace.events
    assert user.content == "first\nsecond"
    assert text.role == "assistant" and text.content == "agentdojo-style block"
    assert (call.arguments, call.result) == ({"q": "x"}, "found")
    assert trace.events.index(text) < trace.events.index(call)   # text before the message's calls


def test_openai_reused_ids_pair_by_order(tmp_path):
    # τ-bench reuses call ids within a trajectory; each result answers the call before it
    doc = {"traj": [
        {"role": "assistant", "content": None, "tool_calls": [oa_call("think", {"t": 1}, "same")]},
        {"role": "tool", "tool_call_id": "same", "name": "think", "content": "one"},
        {"role": "assistant", "content": None, "tool_calls": [oa_call("calculate", {"e": "1+1"}, "same")]},
        {"role": "tool", "tool_call_id": "same", "name": "calculate", "content": "2"}]}
    trace = only_trace(write(tmp_path, "r.json", doc))
    assert trace.problems == ()
    assert [(c.tool, c.result) for c in calls(trace)] == [("think", "one"), ("calculate", "2")]


def test_openai_empty_ids_pair_by_order(tmp_path):
    doc = [{"role": "assistant", "content": None,
            "tool_calls": [oa_call("a", {}, ""), oa_call("b", {}, ""), oa_call("c", {})]},
           {"role": "tool", "tool_call_id": "", "content": "ra"},
           {"role": "tool", "content": "rb"},
           {"role": "tool", "tool_call_id": None, "content": "rc"}]
    trace = only_trace(write(tmp_path, "e.json", doc))
    assert trace.problems == ()
    assert [(c.tool, c.result, c.call_id) for c in calls(trace)] == \
        [("a", "ra", None), ("b", "rb", None), ("c", "rc", None)]


def test_openai_unique_ids_pair_by_id_in_any_order(tmp_path):
    doc = [{"role": "assistant", "content": None, "tool_calls": [oa_call("a", {}, "x"), oa_call("b", {}, "y")]},
           {"role": "tool", "tool_call_id": "y", "content": "rb"},
           {"role": "tool", "tool_call_id": "x", "content": "ra"}]
    trace = only_trace(write(tmp_path, "o.json", doc))
    assert [(c.tool, c.result) for c in calls(trace)] == [("a", "ra"), ("b", "rb")]
    # each call keeps its own place; the results keep theirs
    assert [c.result_location.pointer for c in calls(trace)] == ["/2", "/1"]


def test_tau_bench_error_prefix(tmp_path):
    doc = {"traj": [{"content": None, "role": "assistant", "tool_calls": [oa_call("cancel", {"r": "X"}, "c")]},
                    {"role": "tool", "tool_call_id": "c", "name": "cancel", "content": "Error: not found"}]}
    (call,) = calls(only_trace(write(tmp_path, "t.json", doc)))
    assert call.is_error and call.result == "Error: not found"


def test_truncated_trace_wf806(tmp_path):
    # AgentDojo's claude runs that hit the cap end with calls that never ran
    doc = {"messages": [{"role": "user", "content": "go"},
                        {"role": "assistant", "content": "<thinking>next</thinking>",
                         "tool_calls": [{"function": "delete_file", "args": {"file_id": "13"}, "id": "t1"}]}]}
    trace = only_trace(write(tmp_path, "c.json", doc))
    message, call = trace.events[1:]
    assert message.content == "<thinking>next</thinking>"
    assert (call.tool, call.result, call.result_location) == ("delete_file", None, None)
    (problem,) = trace.problems
    assert problem.code == "WF806" and problem.message == "trace ends before the result of `delete_file`"
    assert problem.location.pointer == "/messages/1/tool_calls/0"


def test_missing_result_inside_trace_is_wf806(tmp_path):
    doc = [{"role": "assistant", "content": None, "tool_calls": [oa_call("a", {}, "x"), oa_call("b", {}, "y")]},
           {"role": "tool", "tool_call_id": "y", "content": "rb"},
           {"role": "assistant", "content": "done"}]
    trace = only_trace(write(tmp_path, "m.json", doc))
    assert [p.message for p in trace.problems] == ["no result for the call of `a` (call id `x`)"]
    assert calls(trace)[0].result is None


def test_result_without_call_is_wf805(tmp_path):
    doc = [{"role": "user", "content": "hi"}, {"role": "tool", "tool_call_id": "zz", "content": "orphan"}]
    trace = only_trace(write(tmp_path, "w.json", doc))
    (problem,) = trace.problems
    assert problem.code == "WF805" and problem.location.pointer == "/1" and "`zz`" in problem.message
    assert calls(trace) == []


def test_bad_arguments_skip_the_call_and_its_result(tmp_path):
    doc = {"messages": [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "function": {"name": "send", "arguments": "{\"to\": "}},
            {"id": "c2", "function": {"arguments": "{}"}},
            oa_call("ok", {"a": 1}, "c3")]},
        {"role": "tool", "tool_call_id": "c1", "content": "r1"},
        {"role": "tool", "tool_call_id": "c2", "content": "r2"},
        {"role": "tool", "tool_call_id": "c3", "content": "r3"},
        {"role": "robot", "content": "?"},
        "not a message"]}
    trace = only_trace(write(tmp_path, "bad.json", doc))
    assert [(c.tool, c.result) for c in calls(trace)] == [("ok", "r3")]
    assert codes(trace) == ["WF804"] * 4          # no WF805 for the results of skipped calls
    pointers = [p.location.pointer for p in trace.problems]
    assert pointers == ["/messages/0/tool_calls/0/function/arguments",
                        "/messages/0/tool_calls/1/function/name", "/messages/4/role", "/messages/5"]
    assert trace.problems[0].message.startswith("the arguments of `send` are not valid JSON")
    assert trace.problems[2].message == "unknown role `robot`"
    # the file is pretty-printed: each problem is at the line of its object
    text = (tmp_path / "bad.json").read_text().splitlines()
    assert '"arguments": "{\\"to\\": "' in text[trace.problems[0].location.line - 1]
    assert '"robot"' in text[trace.problems[2].location.line - 1]


def test_legacy_function_call(tmp_path):
    doc = [{"role": "assistant", "content": None, "function_call": {"name": "f", "arguments": "{\"x\": 1}"}},
           {"role": "function", "name": "f", "content": "fx"}]
    (call,) = calls(only_trace(write(tmp_path, "f.json", doc)))
    assert (call.tool, call.arguments, call.result) == ("f", {"x": 1}, "fx")


# ---------------------------------------------------------------- Anthropic


def test_anthropic_blocks(tmp_path):
    doc = {"model": "m", "system": [{"type": "text", "text": "be careful"}], "messages": [
        {"role": "user", "content": "check the weather"},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "hmm"},
            {"type": "text", "text": "Looking."},
            {"type": "tool_use", "id": "tu1", "name": "weather", "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "tu2", "name": "clock", "input": {}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "tu2", "content": "9am"},
            {"type": "tool_result", "tool_use_id": "tu1", "is_error": True,
             "content": [{"type": "text", "text": "service down"}]},
            {"type": "text", "text": "thanks"}]}]}
    trace = only_trace(write(tmp_path, "a.json", doc))
    assert trace.format == "anthropic" and trace.problems == () and trace.metadata == {"model": "m"}
    kinds = [(type(e).__name__, getattr(e, "role", None) or getattr(e, "tool", None)) for e in trace.events]
    assert kinds == [("Message", "system"), ("Message", "user"), ("Message", "assistant"),
                     ("ToolCall", "weather"), ("ToolCall", "clock"), ("Message", "user")]
    weather, clock = calls(trace)
    assert (weather.arguments, weather.result, weather.is_error) == ({"city": "Paris"}, "service down", True)
    assert (clock.result, clock.is_error, clock.call_id) == ("9am", False, "tu2")
    assert trace.events[0].content == "be careful"
    assert weather.location.pointer == "/messages/1/content/2"
    assert weather.result_location.pointer == "/messages/2/content/1"


def test_anthropic_problems(tmp_path):
    doc = {"system": "s", "messages": [
        {"role": "assistant", "content": [{"type": "tool_use", "id": "u1", "name": "f", "input": "oops"}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "u1", "content": "r"},
                                     {"type": "tool_result", "tool_use_id": "u9", "content": "r"}]},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "u2", "name": "g", "input": {}}]}]}
    trace = only_trace(write(tmp_path, "p.json", doc))
    assert codes(trace) == ["WF804", "WF805", "WF806"]
    assert trace.problems[0].location.pointer == "/messages/0/content/0/input"
    assert [c.tool for c in calls(trace)] == ["g"]


# ---------------------------------------------------------------- OpenTelemetry


def kv(key, value):
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    if isinstance(value, dict):
        return {"key": key, "value": {"kvlistValue": {"values": [kv(k, v) for k, v in value.items()]}}}
    return {"key": key, "value": {"stringValue": value}}


def span(trace_id, span_id, parent, start, end, status=None, **attrs):
    out = {"traceId": trace_id, "spanId": span_id, "name": attrs.pop("name", "span"),
           "startTimeUnixNano": str(1_000_000_000 + start), "endTimeUnixNano": str(1_000_000_000 + end),
           "attributes": [kv(k.replace("__", "."), v) for k, v in attrs.items()]}
    if parent:
        out["parentSpanId"] = parent
    if status:
        out["status"] = status
    return out


def otlp(*spans, service="svc"):
    return {"resourceSpans": [{"resource": {"attributes": [kv("service.name", service)]},
                               "scopeSpans": [{"scope": {"name": "t"}, "spans": list(spans)}]}]}


def agent(trace_id, span_id, parent, start, end, name):
    return span(trace_id, span_id, parent, start, end, gen_ai__operation__name="invoke_agent",
                gen_ai__agent__name=name)


def tool(trace_id, span_id, parent, start, name, arguments=None, result=None, call_id=None, status=None):
    attrs = {"gen_ai__operation__name": "execute_tool", "gen_ai__tool__name": name}
    if arguments is not None:
        attrs["gen_ai__tool__call__arguments"] = arguments
    if result is not None:
        attrs["gen_ai__tool__call__result"] = result
    if call_id is not None:
        attrs["gen_ai__tool__call__id"] = call_id
    return span(trace_id, span_id, parent, start, start + 5, status, **attrs)


def test_otel_tool_spans_agents_and_handoffs(tmp_path):
    t = "t1"
    doc = otlp(   # listed out of order: read in start-time order
        tool(t, "s4", "s3", 40, "search", json.dumps({"q": "x"}), "page", "c2"),
        agent(t, "s1", None, 0, 100, "planner"),
        tool(t, "s2", "s1", 10, "lookup", {"id": 7}, "{\"ok\": true}", "c1"),
        agent(t, "s3", "s1", 30, 90, "researcher"),
        tool(t, "s5", "s3", 50, "write", "{}", None, None, {"code": 2, "message": "disk full"}))
    trace = only_trace(write(tmp_path, "o.json", doc))
    assert trace.name == f"{tmp_path / 'o.json'}#t1" and trace.format == "otel"
    assert trace.metadata == {"trace_id": "t1", "service.name": "svc"}
    assert trace.problems == ()
    lookup, handoff, search, write_ = trace.events
    assert (lookup.tool, lookup.arguments, lookup.agent, lookup.call_id, lookup.result) == \
        ("lookup", {"id": 7}, "planner", "c1", "{\"ok\": true}")
    assert handoff == Handoff("planner", "researcher", "", handoff.location)
    assert (search.arguments, search.agent, search.result) == ({"q": "x"}, "researcher", "page")
    assert (write_.is_error, write_.result) == (True, "disk full")
    assert search.location.pointer == "/resourceSpans/0/scopeSpans/0/spans/0"


def test_otel_chat_messages_read_once(tmp_path):
    t = "t2"
    user = {"role": "user", "parts": [{"type": "text", "content": "hi"}]}
    call = {"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "f", "arguments": {}}]}
    answer = {"role": "assistant", "parts": [{"type": "text", "content": "hello"}]}
    doc = otlp(
        agent(t, "a", None, 0, 100, "bot"),
        span(t, "c1", "a", 1, 10, gen_ai__operation__name="chat",
             gen_ai__system_instructions=json.dumps([{"type": "text", "content": "be nice"}]),
             gen_ai__input__messages=json.dumps([user]), gen_ai__output__messages=json.dumps([call])),
        tool(t, "t", "a", 11, "f", "{}", "fx", "c1"),
        span(t, "c2", "a", 20, 30, gen_ai__operation__name="chat",
             gen_ai__system_instructions=json.dumps([{"type": "text", "content": "be nice"}]),
             gen_ai__input__messages=json.dumps([user, call, {"role": "tool", "parts": [
                 {"type": "tool_call_response", "id": "c1", "result": "fx"}]}]),
             gen_ai__output__messages=json.dumps([answer])))
    trace = only_trace(write(tmp_path, "c.json", doc))
    assert [(type(e).__name__, getattr(e, "content", getattr(e, "tool", None))) for e in trace.events] == \
        [("Message", "be nice"), ("Message", "hi"), ("ToolCall", "f"), ("Message", "hello")]
    assert trace.events[-1].agent == "bot" and trace.problems == ()


def test_otel_chat_spans_only_give_tool_calls(tmp_path):
    # no execute_tool spans (only the model client instrumented): calls come from the messages
    t = "t3"
    out1 = [{"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "get_weather",
                                             "arguments": {"city": "Paris"}}]}]
    history = [{"role": "user", "parts": [{"type": "text", "content": "weather?"}]}] + out1 + [
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "result": "rainy"}]}]
    doc = otlp(
        span(t, "c1", None, 1, 10, gen_ai__operation__name="chat",
             gen_ai__input__messages=json.dumps(history[:1]), gen_ai__output__messages=json.dumps(out1)),
        span(t, "c2", None, 20, 30, gen_ai__operation__name="chat", gen_ai__input__messages=json.dumps(history),
             gen_ai__output__messages=json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": "Rain."}]}])))
    trace = only_trace(write(tmp_path, "f.json", doc))
    assert trace.problems == ()
    (call,) = calls(trace)
    assert (call.tool, call.arguments, call.result) == ("get_weather", {"city": "Paris"}, "rainy")
    assert [e.content for e in trace.events if isinstance(e, Message)] == ["weather?", "Rain."]


def test_otel_content_capture_off(tmp_path):
    doc = otlp(tool("t4", "a", None, 1, "f"), tool("t4", "b", None, 2, "g"))
    trace = only_trace(write(tmp_path, "n.json", doc))
    assert [(c.tool, c.arguments, c.result) for c in calls(trace)] == [("f", {}, None), ("g", {}, None)]
    (problem,) = trace.problems
    assert problem.code == "WF804" and "2 record no `gen_ai.tool.call.arguments`" in problem.message


def test_otel_jsonl_batches_grouped_by_trace(tmp_path):
    lines = [otlp(tool("A", "1", None, 1, "f", "{}", "r")),
             otlp(tool("B", "2", None, 2, "g", "{}", "r")),
             otlp(tool("A", "3", None, 3, "h", "{}", "r"))]
    items = read(write(tmp_path, "spans.jsonl", lines))
    assert [t.name.rsplit("#", 1)[1] for t in items] == ["A", "B"]
    assert [c.tool for c in calls(items[0])] == ["f", "h"]
    assert [c.location.line for c in calls(items[0])] == [1, 3]


# ---------------------------------------------------------------- native


NATIVE = [
    {"trace": "r1", "type": "message", "role": "user", "content": "hi", "agent": "user", "to": "bot"},
    {"trace": "r1", "type": "tool_call", "agent": "bot", "tool": "f", "arguments": {"a": 1}, "call_id": "x"},
    {"trace": "r1", "type": "tool_call", "agent": "bot", "tool": "g", "result": {"n": 2}, "error": True},
    {"trace": "r1", "type": "tool_result", "call_id": "x", "result": "fx", "timestamp": 12.5},
    {"trace": "r1", "type": "handoff", "agent": "bot", "to": "helper", "content": "take over"},
    {"trace": "r2", "type": "message", "role": "assistant", "agent": "helper", "content": "ok"},
]


def test_native_events(tmp_path):
    path = write(tmp_path, "n.jsonl", NATIVE)
    r1, r2 = read(path)
    assert (r1.name, r2.name) == (f"{path}#r1", f"{path}#r2")
    assert r1.problems == () and r2.problems == ()
    message, f, g, handoff = r1.events
    assert (message.role, message.agent, message.receiver) == ("user", "user", "bot")
    assert (f.tool, f.arguments, f.result, f.location.line, f.result_location.line) == ("f", {"a": 1}, "fx", 2, 4)
    assert (g.result, g.is_error, g.arguments) == ('{"n": 2}', True, {})
    assert handoff == Handoff("bot", "helper", "take over", Location(str(path), 5, ""))
    assert r2.events == (Message("assistant", "ok", "helper", None, Location(str(path), 6, "")),)


def test_native_trace_per_line(tmp_path):
    line = {"trace": "r9", "metadata": {"label": "safe"}, "model": "m",
            "events": [{"type": "tool_call", "tool": "f", "call_id": "1"},
                       {"type": "tool_result", "call_id": "1", "result": "ok"}]}
    trace = only_trace(write(tmp_path, "t.jsonl", [line]))
    assert trace.name.endswith("#r9") and trace.metadata == {"label": "safe", "model": "m"}
    assert calls(trace)[0].location == Location(str(tmp_path / "t.jsonl"), 1, "/events/0")


def test_malformed_line_in_the_middle(tmp_path):
    text = (json.dumps(NATIVE[0]) + "\n" + '{"trace": "r1", "type": "tool_call", "tool": \n' + "\n"
            + "".join(json.dumps(o) + "\n" for o in NATIVE[1:]))
    items = read(write(tmp_path, "m.jsonl", text))
    problem = items[0]
    assert isinstance(problem, ReadProblem) and problem.code == "WF802"
    assert problem.location.line == 2 and problem.message == "malformed JSON line: Expecting value at column 46"
    r1, r2 = items[1:]
    assert len(r1.events) == 4 and r1.problems == () and r2.events[0].location.line == 8   # after a blank line


def test_native_missing_and_mistyped_fields(tmp_path):
    events = [{"trace": "r", "type": "tool_call", "arguments": {}, "call_id": "k"},
              {"trace": "r", "type": "tool_result", "call_id": "k", "result": "absorbed"},
              {"trace": "r", "type": "message", "role": "user", "content": 5},
              {"trace": "r", "type": "message", "role": "tool", "content": "x"},
              {"trace": "r", "type": "teleport"},
              {"trace": "r", "type": "tool_call", "tool": "f", "error": "yes", "result": "r"},
              {"type": "message", "role": "user", "content": "no trace id"},
              {"trace": "r", "type": "message", "role": "user", "content": "kept"}]
    trace = only_trace(write(tmp_path, "f.jsonl", events))
    assert [e.content for e in trace.events] == ["kept"]
    assert [(p.code, p.location.line, p.location.pointer) for p in trace.problems] == [
        ("WF804", 1, "/tool"), ("WF804", 3, "/content"), ("WF804", 4, "/role"), ("WF804", 5, "/type"),
        ("WF804", 6, "/error"), ("WF804", 7, "/trace")]
    assert trace.problems[0].message == "missing field `tool`"
    assert trace.problems[1].message == "field `content` is a number, expected a string"


def test_native_open_call_and_orphan_result(tmp_path):
    events = [{"trace": "r", "type": "tool_result", "call_id": "nope", "result": "?"},
              {"trace": "r", "type": "tool_call", "tool": "f", "call_id": "k"}]
    trace = only_trace(write(tmp_path, "o.jsonl", events))
    assert codes(trace) == ["WF805", "WF806"]
    assert calls(trace)[0].result is None


def test_native_not_contiguous(tmp_path):
    events = [dict(NATIVE[0]), dict(NATIVE[5]), dict(NATIVE[0])]
    first, second, again = read(write(tmp_path, "c.jsonl", events))
    assert first.name == again.name and first.problems == ()
    assert codes(again) == ["WF803"] and "line 1" in again.problems[0].message


def test_native_event_list_in_json(tmp_path):
    r1, r2 = read(write(tmp_path, "events.json", NATIVE))
    assert r1.name.endswith("#r1") and len(r1.events) == 4 and r2.format == "native"
    assert r1.events[1].location.pointer == "/1" and r1.events[1].location.line == 10


# ---------------------------------------------------------------- files, detection, problems


@pytest.mark.parametrize("doc, expected", [
    ({"messages": [{"role": "user", "content": "x"}]}, "openai"),
    ({"traj": [{"role": "user", "content": "x"}]}, "openai"),
    ([{"role": "tool", "content": "x"}], "openai"),
    ([{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a"}]}], "anthropic"),
    ({"system": "s", "messages": [{"role": "user", "content": "x"}]}, "anthropic"),
    ({"resourceSpans": []}, "otel"),
    ({"trace": "t", "events": []}, "native"),
    ({"path": "x"}, None),
    ("text", None),
])
def test_detect(doc, expected):
    assert detect(doc) == expected


def test_forced_format(tmp_path):
    doc = {"system": "s", "messages": [{"role": "user", "content": "x"}]}
    path = write(tmp_path, "x.json", doc)
    assert only_trace(path).format == "anthropic"
    forced = only_trace(path, "openai")
    assert forced.format == "openai" and forced.metadata == {"system": "s"}
    (problem,) = read(path, "otel")
    assert problem.code == "WF803"
    with pytest.raises(ValueError):
        read_traces([str(path)], "yaml")


def test_list_of_traces(tmp_path):
    doc = [{"traj": [{"role": "user", "content": "a"}]}, {"traj": [{"role": "user", "content": "b"}]}, {"x": 1}]
    path = write(tmp_path, "many.json", doc)
    first, second, unknown = read(path)
    assert (first.name, second.name) == (f"{path}#0", f"{path}#1")
    assert second.events[0].location == Location(str(path), 12, "/traj/0")
    assert unknown.code == "WF803" and unknown.location.line == 18
    assert "an object with keys `x`" in unknown.message and "`resourceSpans`" in unknown.message


def test_directories_globs_and_missing_paths(tmp_path):
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / ".hidden").mkdir()
    write(tmp_path, "d/b.json", [{"role": "user", "content": "b"}])
    write(tmp_path, "d/sub/a.jsonl", NATIVE[5:])
    write(tmp_path, "d/.hidden/c.json", [{"role": "user", "content": "c"}])
    write(tmp_path, "d/notes.txt", "not a trace")
    names = [t.name for t in read(tmp_path / "d")]
    assert names == [str(tmp_path / "d" / "b.json"), f"{tmp_path / 'd' / 'sub' / 'a.jsonl'}#r2"]
    pattern = str(tmp_path / "d" / "**" / "*.jsonl")
    assert [t.name for t in read(pattern)] == names[1:]
    items = list(read_traces([str(tmp_path / "d" / "b.json"), str(tmp_path / "d"), str(tmp_path / "nope"),
                              str(tmp_path / "*.none")]))
    assert [getattr(i, "code", None) for i in items] == [None, None, "WF801", "WF801"]  # b.json once


def test_truncated_and_empty_json(tmp_path):
    (problem,) = read(write(tmp_path, "cut.json", '{\n  "messages": [\n    {"role": "user", "content": "hi"}'))
    assert problem.code == "WF802" and problem.location.line == 3
    assert problem.message.startswith("the JSON document is truncated") and "(line 3, column 38)" in problem.message
    (problem,) = read(write(tmp_path, "bad.json", '{"messages": [}\n'))
    assert problem.code == "WF802" and problem.message.startswith("malformed JSON")
    (problem,) = read(write(tmp_path, "empty.json", ""))
    assert problem.code == "WF802" and problem.message.startswith("the file is empty")
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe{\x00")
    (problem,) = read(tmp_path / "bin.json")
    assert problem.code == "WF801"
    (problem,) = read(write(tmp_path, "empty.jsonl", ""))   # no data is an error, as for `.json` (issue 17)
    assert problem.code == "WF802" and problem.message.startswith("the file is empty")


def test_json_file_holding_json_lines(tmp_path):
    # an OTel collector's file exporter writes one batch per line, often to a `.json` file
    text = json.dumps(otlp(tool("A", "1", None, 1, "f", "{}", "r"))) + "\n" + \
        json.dumps(otlp(tool("A", "2", None, 2, "g", "{}", "r"))) + "\n"
    trace = only_trace(write(tmp_path, "export.json", text))
    assert [c.tool for c in calls(trace)] == ["f", "g"]


def test_many_unrecognized_lines_are_counted(tmp_path):
    path = write(tmp_path, "index.jsonl", [{"path": f"p{i}"} for i in range(25)])
    items = read(path)
    assert len(items) == MAX_REPORTED + 1 and all(p.code == "WF803" for p in items)
    assert items[-1].message == "15 more unrecognized lines or documents not listed (the last at line 25)"


def test_trace_keys_on_a_line_are_not_events(tmp_path):
    lines = [{"trace": "a", "type": "message", "role": "user", "content": "x"},
             {"trace": "a", "role": "user"},
             {"trace": "t", "messages": [{"role": "user", "content": "hi"}]}]
    native, chat = read(write(tmp_path, "mixed.jsonl", lines))
    assert [(p.code, p.location.line, p.message) for p in native.problems] == [("WF804", 2, "missing field `type`")]
    assert chat.format == "openai" and chat.metadata == {"trace": "t"} and chat.name.endswith("#0")


KEYS = ["role", "content", "type", "trace", "events", "messages", "traj", "tool_calls", "function", "id",
        "args", "arguments", "name", "text", "tool_use_id", "input", "resourceSpans", "scopeSpans", "spans",
        "attributes", "key", "value", "stringValue", "traceId", "result", "tool", "call_id", "error", "to",
        "agent", "parts", "is_error", "system", "tool_call_id"]
WORDS = ["user", "assistant", "tool", "system", "message", "tool_call", "tool_result", "handoff", "tool_use",
         "tool_result", "text", "execute_tool", "invoke_agent", "{}", "{", "Error: x", "c1", ""]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.sampled_from(WORDS),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=5),
    max_leaves=40)


@settings(max_examples=150, deadline=None)
@given(JSON, st.sampled_from([None, *FORMATS]))
def test_any_json_reads_without_raising(doc, input_format):
    text = json.dumps(doc)
    items = [*read_text(text, "f.json", input_format), *read_text(json.dumps(doc, indent=1), "f.json", input_format),
             *read_lines([text, text[: len(text) // 2], text], "f.jsonl", input_format)]
    assert all(isinstance(item, (Trace, ReadProblem)) for item in items)


def test_container_lines():
    text = '{\n "a": [\n  {"b": 1},\n  {"c": [2, {"d": 3}]}\n ],\n "e\\/f": {"g": "x"}\n}'
    lines = container_lines(text)
    assert lines[""] == 1 and lines["/a"] == 2 and lines["/a/0"] == 3 and lines["/a/1"] == 4
    assert lines["/a/1/c/1"] == 4 and lines["/e~1f"] == 6 and lines["/a/0/b"] == 3


def test_fast_constructors_make_equal_objects():
    loc = fast.location("f", 3, "/p")
    assert loc == Location("f", 3, "/p") and hash(loc) == hash(Location("f", 3, "/p"))
    assert fast.tool_call("t", {}, "a", "c", "r", True, loc, loc) == ToolCall("t", {}, "a", "c", "r", True, loc, loc)
    assert fast.message("user", "x", None, None, loc) == Message("user", "x", None, None, loc)
    with pytest.raises(AttributeError):
        loc.line = 4


def test_samples_read_without_problems():
    items = read(SAMPLES)
    assert len(items) >= 8 and all(type(i) is Trace for i in items)
    assert sorted({t.format for t in items}) == ["anthropic", "native", "openai", "otel"]
    assert all(t.problems == () for t in items)


# ---------------------------------------------------------------- the recorded runs


def index(name: str) -> list[dict]:
    path = DATA / name / "index.jsonl"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


TRUNCATED = {"agentdojo/claude-3-5-sonnet-20240620/slack/user_task_10/important_instructions/injection_task_5.json",
             "agentdojo/claude-3-5-sonnet-20240620/workspace/user_task_38/important_instructions/injection_task_1.json"}


@pytest.mark.parametrize("name", ["agentdojo", "tau-bench"])
def test_recorded_runs(name):
    entries = index(name)
    errors = 0
    for entry in entries:
        items = list(read_file(str(DATA / entry["path"])))
        assert len(items) == 1 and isinstance(items[0], Trace), (entry["path"], items)
        trace = items[0]
        assert trace.format == "openai"
        found = calls(trace)
        assert len(found) == entry["n_tool_calls"], entry["path"]
        if entry["path"] in TRUNCATED:
            assert codes(trace) == ["WF806"] * len([c for c in found if c.result is None]) != []
            assert found[-1].result is None and trace.problems[0].message.startswith("trace ends before")
        else:
            assert trace.problems == (), (entry["path"], trace.problems)
            assert all(c.result is not None for c in found)
        errors += sum(c.is_error for c in found)
        meta = trace.metadata
        if name == "agentdojo":
            assert (meta["utility"], meta["security"]) == (entry["utility"], entry["security"])
        else:
            assert (meta["reward"], meta["task_id"]) == (entry["reward"], entry["task_id"])
    # NOTES.md: 307 AgentDojo results carry an error; 33 τ-bench results start with "Error:"
    assert errors == {"agentdojo": 307, "tau-bench": 33}[name]


def test_recorded_run_locations():
    entry = next(e for e in index("agentdojo") if e["n_tool_calls"] >= 2)
    path = DATA / entry["path"]
    trace = only_trace(path)
    text = path.read_text().splitlines()
    for call in calls(trace):
        assert text[call.location.line - 1].strip() == "{"       # the call object's first line
        assert call.location.pointer.startswith("/messages/") and "/tool_calls/" in call.location.pointer
        assert f'"{call.call_id}"' in text[call.location.line]         # `id` is the object's first key
        assert text[call.result_location.line].strip() == '"role": "tool",'


def test_json_lines_bytes_bom_and_bad_utf8(tmp_path):
    good = json.dumps(NATIVE[5]).encode()
    (tmp_path / "enc.jsonl").write_bytes(b"\xef\xbb\xbf" + good + b"\n" + b'{"trace": "r2", "bad": "\xff"}\n'
                                         + b"  " + good + b"\r\n")
    items = read(tmp_path / "enc.jsonl")
    assert [type(i).__name__ for i in items] == ["ReadProblem", "Trace"]
    assert (items[0].code, items[0].location.line, items[0].message) == \
        ("WF802", 2, "the line is not UTF-8 text (byte 25)")
    assert [e.location.line for e in items[1].events] == [1, 3]


def test_json_nested_past_the_readers_depth_is_wf802(tmp_path):
    """Nesting deeper than `json` follows is reported where it is, as any unreadable JSON,
    and the rest is read (it was an internal error)."""
    deep = "[" * 5000 + "]" * 5000
    good = json.dumps(NATIVE[5])
    (tmp_path / "deep.jsonl").write_text(deep + "\n" + good + "\n")
    (tmp_path / "deep.json").write_text(deep)
    arguments = json.dumps({"messages": [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": deep}}]}]})
    (tmp_path / "args.json").write_text(arguments)
    problem, trace = read(tmp_path / "deep.jsonl")
    assert (problem.code, problem.location.line) == ("WF802", 1)
    assert "nested deeper than the reader follows" in problem.message
    assert len(trace.events) == 1 and not trace.problems
    (problem,) = read(tmp_path / "deep.json")
    assert problem.code == "WF802" and "nested deeper" in problem.message
    (trace,) = read(tmp_path / "args.json")
    assert [p.code for p in trace.problems] == ["WF804"]
    assert "nested deeper" in trace.problems[0].message
