"""A session of the HTTP policy service seen from the agent's process, with the methods of
an in-process `Session` that the hooks use (`decide`, `step`, `finish`)."""
from __future__ import annotations

from dataclasses import dataclass

from wfcheck.checker.trace.readers.events import ToolCall

from .session import event_record


@dataclass(frozen=True)
class RemoteDecision:
    allowed: bool
    text: str | None = None

    def reason(self) -> str:
        return self.text or ""


class RemoteSession:
    """`RemoteSession("http://127.0.0.1:8700", token, spec)` opens a session on the service."""

    def __init__(self, base_url: str, token: str, spec: str | None = None, client=None) -> None:
        import httpx

        self.http = client or httpx.Client(base_url=base_url, headers={"authorization": f"Bearer {token}"})
        reply = self._post("/sessions", {"spec": spec} if spec else {})
        self.id = reply["id"]

    def _post(self, path: str, body: dict | None = None) -> dict:
        response = self.http.post(path, json=body or {})
        if response.status_code >= 400:
            raise RuntimeError(f"wfcheck gate service: {response.status_code} {response.text}")
        return response.json()

    def _event(self, event) -> dict:
        record = event_record(self.id, event)
        del record["trace"]
        return record

    def decide(self, call: ToolCall) -> RemoteDecision:
        reply = self._post(f"/sessions/{self.id}/check", {"event": self._event(call)})
        return RemoteDecision(reply["allowed"], reply.get("reason"))

    def step(self, event, decision=None) -> list:
        return self._post(f"/sessions/{self.id}/step", {"event": self._event(event)})["violations"]

    def finish(self) -> list:
        return self._post(f"/sessions/{self.id}/finish")["violations"]

    def report(self) -> dict:
        return self.http.get(f"/sessions/{self.id}").json()
