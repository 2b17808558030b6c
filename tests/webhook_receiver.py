"""A webhook receiver as another system would write one, from the README's recipe: it verifies
each request's signature and timestamp, dedupes by delivery id, and can be told to fail the
first tries of every delivery. A real HTTP server on a port of its own (a thread), so it
serves the services in the test's event loop and the CLI's alike."""

from __future__ import annotations

import hashlib
import hmac
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOLERANCE = 300  # seconds: an older timestamp is a replay


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def verified(secret: str, headers: Any, body: bytes, now: float) -> bool:
    """The README's recipe: a fresh timestamp, and the HMAC of "<timestamp>." + body."""
    timestamp = headers.get("X-Hdnd-Timestamp", "")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > TOLERANCE:
        return False
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest("sha256=" + mac.hexdigest(), headers.get("X-Hdnd-Signature", ""))


@dataclass
class Request:
    delivery: str
    event: str
    headers: dict[str, str]
    body: bytes
    answered: int


@dataclass
class Receiver:
    """`secret`: what it verifies with (set once the subscription is made); `failures`: how
    many tries of each delivery it answers 503 before it takes one."""

    secret: str = ""
    failures: int = 0
    port: int = field(default_factory=free_port)
    requests: list[Request] = field(default_factory=list)
    taken: dict[str, Request] = field(default_factory=dict)  # by delivery id, once each
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hdnd"

    def answer(self, headers: Any, body: bytes) -> int:
        delivery = headers.get("X-Hdnd-Delivery", "")
        with self._lock:
            if not verified(self.secret, headers, body, time.time()):
                status = 401
            elif sum(r.delivery == delivery for r in self.requests) < self.failures:
                status = 503
            else:
                status = 200
            request = Request(
                delivery, headers.get("X-Hdnd-Event", ""), dict(headers), body, status
            )
            self.requests.append(request)
            if status == 200:
                self.taken.setdefault(delivery, request)  # a repeat is acknowledged, not taken
        return status

    def tries_of(self, delivery: str) -> list[int]:
        with self._lock:
            return [r.answered for r in self.requests if r.delivery == delivery]

    @contextmanager
    def serving(self) -> Iterator[Receiver]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.send_response(receiver.answer(self.headers, body))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join()
