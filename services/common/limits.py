"""Size limits that keep one record from stalling an instance (README, "Sizes").

Three guards stand between a request and the broker's message size limit. The contracts bound
each list and text to what councils write. A request body over `HDND_REQUEST_MAX_BYTES`
(1 MiB) is refused with 413 before anything parses it (`RequestBodyLimit`). And an event whose
serialized envelope would pass `HDND_EVENT_MAX_BYTES` (512 KiB, half a broker's default
message size) is refused with 422 naming its largest part, inside the write's transaction, so
nothing is written (`check_event_size`, called by the outbox): the bounds alone allow
combinations larger than that (500 opinions of 2,000 three-byte characters).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.errors import DomainError
from services.common.settings import Settings

RECORD_OVERHEAD = 1024  # what a Kafka record adds to the envelope: key, headers, framing


class EventTooLarge(DomainError):
    """The event a write would emit is larger than a broker should be asked to take. `field`
    names its largest list or text, the part to record fewer or shorter items of."""

    def __init__(self, field: str, size: int, limit: int, part: int) -> None:
        super().__init__(
            field,
            f"the event would be {size:,} bytes, over the limit of {limit:,}; {field or 'it'}"
            f" takes {part:,} of them: record fewer or shorter items",
            kind="event_too_large",
        )
        self.size, self.limit, self.part = size, limit, part

    def renamed(self, **heads: str) -> EventTooLarge:
        """The same refusal with the first part of its field renamed (`corrected="meeting"`):
        for a route whose body names the part otherwise than the event does."""
        head, dot, rest = self.field.partition(".")
        return EventTooLarge(
            f"{heads.get(head, head)}{dot}{rest}", self.size, self.limit, self.part
        )


def event_limit(settings: Settings) -> int:
    """The largest envelope a write may emit: `HDND_EVENT_MAX_BYTES`, and never more than the
    producer could send (`HDND_KAFKA_MAX_REQUEST_BYTES`), so what it can never send is refused
    at write time rather than parked by the relay."""
    return min(settings.event_max_bytes, settings.kafka_max_request_bytes - RECORD_OVERHEAD)


def check_event_size(value: bytes, payload: Mapping[str, Any], limit: int) -> None:
    """Refuse (EventTooLarge) a serialized envelope `value` over `limit` bytes, naming the
    largest part of its `payload`."""
    if len(value) > limit:
        field, part = largest_part(payload)
        raise EventTooLarge(field, len(value), limit, part)


def largest_part(payload: Mapping[str, Any]) -> tuple[str, int]:
    """The dotted path of the largest list or text in a JSON payload and its size in compact
    JSON (UTF-8): what to shorten. A list counts with everything in it, so a long list of
    items is named rather than one of them; sizes are summed once, bottom up."""
    best = ("", 0)

    def size(value: Any, path: str) -> int:
        if isinstance(value, Mapping):
            parts = [
                _json_size(k) + 1 + size(v, f"{path}.{k}" if path else k) for k, v in value.items()
            ]
        elif isinstance(value, list):
            parts = [size(v, f"{path}.{i}") for i, v in enumerate(value)]
        else:
            return _noted(value, path, _json_size(value))
        return _noted(value, path, 2 + sum(parts) + max(0, len(parts) - 1))

    def _noted(value: Any, path: str, n: int) -> int:
        nonlocal best
        if isinstance(value, list | str) and n > best[1]:
            best = (path, n)
        return n

    size(payload, "")
    return best


def _json_size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode())


class RequestBodyLimit:
    """ASGI middleware: a request body over `max_bytes` answers 413 before the app reads any
    of it. A declared Content-Length is judged at once; a body without one (chunked) is read
    up to the limit first and handed on whole, or refused as soon as it passes the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None:
            if declared > self.max_bytes:
                await self._refuse(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        received: list[Message] = []
        total = 0
        while True:
            message = await receive()
            received.append(message)
            total += len(message.get("body", b""))
            if total > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            if message["type"] != "http.request" or not message.get("more_body", False):
                break

        async def replay() -> Message:
            return received.pop(0) if received else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = {
            "loc": ["body"],
            "msg": f"the request body is over {self.max_bytes} bytes",
            "type": "too_large",
        }
        await JSONResponse({"detail": [detail]}, status_code=413)(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None


# Half of a UTF-16 surrogate pair, as JSON spells it (`\ud800`); as raw bytes it is no UTF-8.
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class WholeCharactersOnly:
    """ASGI middleware: JSON may carry half of a surrogate pair (`"\\ud800"`), which Python
    decodes into a str that neither UTF-8, a password hasher nor MongoDB accepts, so a handler
    would fail on it with a 500; and a body that is no UTF-8 at all gets FastAPI's 400, which
    no route documents. Both answer 422 naming where, first. Bodies are already bounded by
    `RequestBodyLimit`; a decode and a regex scan are all a clean one costs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        received: list[Message] = []
        body = b""
        while True:
            message = await receive()
            received.append(message)
            body += message.get("body", b"")
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        detail = _not_whole(body) if _is_json(scope) else None
        if detail is not None:
            await JSONResponse({"detail": [detail]}, status_code=422)(scope, receive, send)
            return

        async def replay() -> Message:
            return received.pop(0) if received else await receive()

        await self.app(scope, replay, send)


def _is_json(scope: Scope) -> bool:
    """What FastAPI would read as JSON: a JSON content type, or none at all."""
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return b"json" in value.lower()
    return True


def _not_whole(body: bytes) -> dict[str, Any] | None:
    """The refusal of a body that is not whole UTF-8 characters (None: it is)."""
    try:
        body.decode()
    except UnicodeDecodeError as exc:  # FastAPI would answer an undocumented 400
        return {
            "loc": ["body", exc.start],
            "msg": "the body is not UTF-8 text (JSON must be)",
            "type": "json_invalid",
        }
    where = _half_character(body) if _SURROGATE.search(body) else None
    if where is None:
        return None
    return {
        "loc": ["body", *where],
        "msg": "the text holds half of a UTF-16 surrogate pair: send whole characters",
        "type": "string_unicode",
    }


def _half_character(body: bytes) -> list[str | int] | None:
    """Where the first text that is not whole characters is (None: none, or not JSON, which
    the route refuses itself)."""
    try:
        value = json.loads(body)
    except ValueError:
        return None

    def shown(text: str) -> str:
        return text.encode("utf-8", "backslashreplace").decode()

    def find(value: Any, path: list[str | int]) -> list[str | int] | None:
        if isinstance(value, str):
            try:
                value.encode()
            except UnicodeEncodeError:
                return path
            return None
        if not isinstance(value, dict | list):
            return None
        items: Any = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str) and find(key, []) is not None:
                return [*path, shown(key)]
            found = find(item, [*path, key])
            if found is not None:
                return found
        return None

    return find(value, [])
