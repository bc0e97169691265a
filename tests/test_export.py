"""Exports of the state machine: Graphviz dot and Mermaid (golden files) and JSON.

`pytest --update-goldens` (or WFCHECK_UPDATE_GOLDENS=1) rewrites tests/golden/graph/.
"""
from __future__ import annotations

import json
from pathlib import Path

from wfcheck.api import check_text
from wfcheck.spec import model as m
from wfcheck.export.graph import to_dot, to_json, to_mermaid

GOLDEN = Path(__file__).parent / "golden" / "graph"

REFUND = """workflow refund
labels confidentiality: public < secret
labels integrity: trusted > untrusted
agent bot, clerk, customer
var verified: bool = false
var refunds: 0..3 = 0
tool verify(user) by bot, clerk
  outcome ok { verified = true }
  outcome failed
tool refund(order) by bot, clerk writes when verified { refunds = refunds + 1 }
event timeout
event close by clerk
state start initial
state open
state done final
start -> open on verify.ok
start -> start on verify.failed
open -> open on refund when refunds < 3 and not (refunds == 2 and at open)
open -> open on message customer to bot
open -> done on close, timeout { verified = false }
"""


def model_of(text: str, path: str = "refund.wf") -> m.Model:
    result = check_text(text, path)
    assert result.model is not None, [d.message for d in result.diagnostics]
    return result.model


def test_dot_golden(golden):
    golden(GOLDEN / "refund.dot", to_dot(model_of(REFUND)))


def test_mermaid_golden(golden):
    golden(GOLDEN / "refund.mmd", to_mermaid(model_of(REFUND)))


def test_dot_merges_agents_but_not_outcomes_or_the_environment():
    text = to_dot(model_of(REFUND))
    assert '"start" -> "open" [label="verify.ok by bot|clerk / verified = true"];' in text
    assert '"start" -> "start" [label="verify.failed by bot|clerk"];' in text
    assert '"open" -> "done" [label="close by clerk / verified = false"];' in text
    assert '"open" -> "done" [label="timeout / verified = false"];' in text
    assert text.count(" -> ") == 1 + 6  # the arrow into `start`, then one per label
    assert text.endswith("}\n")


def test_dot_does_not_merge_different_guards():
    text = to_dot(model_of("""workflow g
agent a, b
var x: 0..3 = 0
tool t() by a, b
state s initial
state d final
s -> d on t by a when x == 0
s -> d on t by b when x == 1
"""))
    assert '[label="t by a [x == 0]"]' in text
    assert '[label="t by b [x == 1]"]' in text


def test_dot_escapes_quotes_and_backslashes():
    # Without a `workflow` header the model is named after the file.
    model = model_of("agent a\nevent e by a\nstate s initial final\ns -> s on e\n", 'say "hi"\\.wf')
    assert model.name == 'say "hi"\\'
    assert to_dot(model).startswith('digraph "say \\"hi\\"\\\\" {\n')


def test_dot_start_node_does_not_clash_with_a_state():
    text = to_dot(model_of("agent a\nevent e by a\nstate __start initial\nstate d final\n__start -> d on e\n"))
    assert '"__start_" [shape=point, style=invis];' in text
    assert '"__start_" -> "__start";' in text
    assert '"__start" [shape=circle];' in text


def test_mermaid_escapes_label_characters():
    text = to_mermaid(model_of(REFUND))
    assert "open --> open : refund by bot|clerk [verified and refunds #lt; 3 and not " \
           "(refunds == 2 and at open)] / refunds = refunds + 1\n" in text
    assert "<" not in text


def test_mermaid_aliases_keyword_state_names_and_shows_isolated_states():
    text = to_mermaid(model_of("""workflow k
agent a
event e by a
state note initial
state defaults final
state lonely
note -> defaults on e
"""))
    assert text == """stateDiagram-v2
    state "note" as s_note
    state "defaults" as s_defaults
    lonely
    [*] --> s_note
    s_note --> s_defaults : e by a
    s_defaults --> [*]
"""


def test_json_round_trips_and_keeps_every_edge():
    data = to_json(model_of(REFUND))
    assert json.loads(json.dumps(data)) == data
    assert data["workflow"] == "refund"
    assert [(s["name"], s["initial"], s["final"]) for s in data["states"]] == [
        ("start", True, False), ("open", False, False), ("done", False, True)]
    assert data["states"][2]["span"] == {"file": "refund.wf", "line": 15, "column": 7,
                                         "end_line": 15, "end_column": 11}
    assert data["agents"] == ["bot", "clerk", "customer"]
    assert data["labels"] == {"confidentiality": ["public", "secret"],
                              "integrity": ["untrusted", "trusted"]}
    edges = data["edges"]
    assert [e["index"] for e in edges] == list(range(len(edges)))
    assert len(edges) == 2 + 2 + 2 + 1 + 2  # verify.ok, verify.failed, refund per agent; message; close, timeout
    refund = next(e for e in edges if e["action"]["name"] == "refund")
    assert refund["action"] == {"kind": "tool", "name": "refund", "agent": "bot",
                                "receiver": None, "outcome": None}
    assert refund["guard"] == "verified and refunds < 3 and not (refunds == 2 and at open)"
    assert refund["assigns"] == ["refunds = refunds + 1"]
    assert refund["span"]["line"] == 18
    message = next(e for e in edges if e["action"]["kind"] == "message")
    assert message["action"] == {"kind": "message", "name": "message", "agent": "customer",
                                 "receiver": "bot", "outcome": None}
    assert message["guard"] is None and message["assigns"] == []
    timeout = next(e for e in edges if e["action"]["name"] == "timeout")
    assert timeout["action"]["agent"] is None


PRECISE = """workflow bank
labels confidentiality: public < internal < secret
labels integrity: trusted > untrusted
agent assistant
tool search(query, day: date) by assistant returns internal { description: untrusted, "start time".*: secret }
tool send_money(recipient: iban, order: "ord-[0-9]+") by assistant writes needs trusted on recipient
state s initial final
s -> s on search, send_money
property steered: no untrusted influence on send_money(recipient, order), assistant
property leak: no flow from secret to send_money
"""


def test_json_tools_carry_parameters_fields_and_argument_level_bounds():
    data = to_json(model_of(PRECISE, "bank.wf"))
    assert json.loads(json.dumps(data)) == data
    search, send = data["tools"]
    assert search["params"] == [{"name": "query", "kind": None, "pattern": None},
                                {"name": "day", "kind": "date", "pattern": None}]
    assert search["default"] == {"confidentiality": "internal", "integrity": "trusted"}
    assert search["fields"] == [
        {"path": ["description"], "label": {"confidentiality": "internal", "integrity": "untrusted"}},
        {"path": ["start time", "*"], "label": {"confidentiality": "secret", "integrity": "trusted"}}]
    assert search["returns"] == {"confidentiality": "secret", "integrity": "untrusted"}
    assert (search["sink"], search["sink_params"], search["needs"], search["needs_params"]) == (
        None, None, None, None)
    assert send["params"][1] == {"name": "order", "kind": "pattern", "pattern": "ord-[0-9]+"}
    assert (send["default"], send["fields"]) == (None, [])
    assert (send["needs"], send["needs_params"]) == ("trusted", ["recipient"])
    assert send["span"]["line"] == 6


def test_json_flow_parts_carry_their_argument_lists():
    properties = {p["name"]: p for p in to_json(model_of(PRECISE, "bank.wf"))["properties"]}
    assert properties["steered"]["parts"] == [
        {"kind": "flow_to_tool", "source_kind": "integ", "source": "untrusted", "tools": ["send_money"],
         "params": ["recipient", "order"]},
        {"kind": "flow_to_agent", "source_kind": "integ", "source": "untrusted", "agent": "assistant"}]
    assert properties["leak"]["parts"][0]["params"] is None
    assert properties["send_money.needs"]["implicit"]
    assert properties["send_money.needs"]["parts"] == [
        {"kind": "integrity_need", "tool": "send_money", "level": "trusted", "params": ["recipient"]}]


def test_json_names_the_kind_of_every_property_part():
    text = REFUND + """tool send(to) by bot sends sink public on to
open -> open on send
property a: never refund by bot
property b: refund requires earlier verify.ok
property c: at most 2 refund
property d: always refunds < 4
property e: terminates
property f: no deadlock
property g: no flow from verify to send(to), clerk
"""
    properties = {p["name"]: p["parts"] for p in to_json(model_of(text))["properties"]}
    assert {name: [part["kind"] for part in parts] for name, parts in properties.items()} == {
        "a": ["never"], "b": ["order"], "c": ["count"], "d": ["always"], "e": ["terminates"],
        "f": ["no_deadlock"], "g": ["flow_to_tool", "flow_to_agent"], "send.sink": ["sink_bound"],
        "refunds.range": ["in_range"]}
    assert properties["g"][0] == {"kind": "flow_to_tool", "source_kind": "tool", "source": "verify",
                                  "tools": ["send"], "params": ["to"]}
    assert properties["send.sink"][0]["level"] == "public"
