"""A fake OpenAI-compatible server on 127.0.0.1 that misbehaves on cue.

Serves ``POST /v1/chat/completions`` and ``POST /v1/completions`` from a thread. Each reply echoes
what it was asked (``echo:<last message or prompt>|seed=<seed>``) so a test can check that every
result landed on the right job. Faults are scripted two ways:

* ``server.faults``: a queue of actions served to the next requests in arrival order;
* ``server.rule``: ``(path, body) -> action | None``, consulted for every request (a permanent
  fault for some prompts).

Actions: ``"ok"``, ``"429"`` / ``"429:<retry-after>"``, ``"500"`` (any status code),
``"hang:<seconds>"`` (sleep, then answer: longer than the client timeout means a timeout),
``"malformed"`` (200 with a broken JSON body), ``"nochoices"`` (200, valid JSON, no choices),
``"drop"`` (close the connection without answering), ``"nousage"`` (a good reply without usage),
``"length"`` (a good reply cut at max_tokens), ``"leak"`` (401 echoing the Authorization header,
as a careless server might).

Example:
    with FakeOpenAIServer() as server:
        server.faults.extend(["429:1", "500", "drop"])
        engine = OpenAIEngine("fake", base_url=server.url)
"""

from __future__ import annotations

import collections
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Rule = Callable[[str, dict[str, Any]], str | None]


@dataclass
class Seen:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    time: float
    action: str


@dataclass
class FakeOpenAIServer:
    faults: collections.deque = field(default_factory=collections.deque)
    rule: Rule | None = None
    seen: list[Seen] = field(default_factory=list)
    inflight: int = 0
    max_inflight: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def next_action(self, path: str, body: dict[str, Any]) -> str:
        with self._lock:
            if self.rule is not None:
                action = self.rule(path, body)
                if action is not None:
                    return action
            return self.faults.popleft() if self.faults else "ok"

    def record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    def enter(self, delta: int) -> None:
        with self._lock:
            self.inflight += delta
            self.max_inflight = max(self.max_inflight, self.inflight)


def reply_text(path: str, body: dict[str, Any]) -> str:
    asked = body["prompt"] if "prompt" in body else body["messages"][-1]["content"]
    return f"echo:{asked}|seed={body.get('seed')}"


def _handler(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like real servers

        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.loads(raw or b"{}")
            path = self.path
            if path not in ("/v1/chat/completions", "/v1/completions"):
                return self._send(404, {"error": {"message": f"no route {path}"}})
            action = server.next_action(path, body)
            server.record(Seen(path, dict(self.headers), body, time.monotonic(), action))
            server.enter(+1)
            try:
                self._answer(path, body, action)
            finally:
                server.enter(-1)

        def _answer(self, path: str, body: dict[str, Any], action: str) -> None:
            if action == "drop":
                self.close_connection = True
                return
            if action.startswith("hang:"):
                time.sleep(float(action.split(":")[1]))
                action = "ok"
            if action == "malformed":
                return self._send(200, b'{"choices": [{"message": {"content": "cut sh')
            if action == "leak":
                auth = self.headers.get("Authorization", "")
                return self._send(401, {"error": {"message": f"bad credentials {auth}"}})
            if action == "nochoices":
                return self._send(200, {"id": "x", "object": "chat.completion"})
            if action.split(":")[0].isdigit():
                status, _, retry_after = action.partition(":")
                headers = {"Retry-After": retry_after} if retry_after else {}
                return self._send(int(status), {"error": {"message": "injected"}}, headers)
            text = reply_text(path, body)
            if path == "/v1/completions":
                choice = {"index": 0, "text": text, "finish_reason": "stop"}
            else:
                message = {"role": "assistant", "content": text}
                choice = {"index": 0, "message": message, "finish_reason": "stop"}
            if action == "length":
                choice["finish_reason"] = "length"
            out: dict[str, Any] = {"id": "x", "choices": [choice]}
            if action != "nousage":
                out["usage"] = {"prompt_tokens": 11, "completion_tokens": len(text.split())}
            self._send(200, out)

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout): nothing to do

    return Handler
