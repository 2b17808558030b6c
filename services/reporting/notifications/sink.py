"""A local SMTP sink (aiosmtpd): `make run` delivers hdnd's e-mail to it, and tests start one of
their own. It keeps each message once by its Message-ID, in a Maildir (`new/<key>.eml`, the
key a hash of the Message-ID), and counts every arrival, so a copy sent again after a crash
(same Message-ID) shows as a repeat, not as a second message. `hdnd mail list|show` and the
workspace's Hộp thư thử nghiệm read the same directory (`Mailbox`)."""

from __future__ import annotations

import hashlib
import json
import socket
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

MAX_MESSAGE = 2 * 1024 * 1024


def key_of(message_id: str) -> str:
    return hashlib.sha256(message_id.strip().encode()).hexdigest()[:24]


@dataclass
class Arrival:
    message_id: str
    to: list[str]
    message: EmailMessage


@dataclass
class Mailbox:
    """The sink's directory: messages (new/<key>.eml) and how often each arrived (counts.json)."""

    directory: Path
    arrivals: list[Arrival] = field(default_factory=list)

    def __post_init__(self) -> None:
        (self.directory / "new").mkdir(parents=True, exist_ok=True)

    @property
    def _counts_path(self) -> Path:
        return self.directory / "counts.json"

    def counts(self) -> dict[str, int]:
        try:
            return dict(json.loads(self._counts_path.read_text()))
        except (OSError, ValueError):
            return {}

    def keep(self, data: bytes, recipients: list[str]) -> str:
        parsed = message_from_bytes(data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        message_id = str(parsed.get("Message-ID") or hashlib.sha256(data).hexdigest())
        key = key_of(message_id)
        path = self.directory / "new" / f"{key}.eml"
        if not path.exists():
            partial = path.with_suffix(".tmp")
            partial.write_bytes(data)
            partial.replace(path)
        counts = self.counts()
        counts[key] = counts.get(key, 0) + 1
        self._counts_path.write_text(json.dumps(counts))
        self.arrivals.append(Arrival(message_id, recipients, parsed))
        return key

    def listed(self, limit: int = 100) -> list[dict[str, Any]]:
        paths = sorted(
            (self.directory / "new").glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True
        )
        counts = self.counts()
        return [self._summary(p, counts) for p in paths[:limit]]

    def _summary(self, path: Path, counts: dict[str, int]) -> dict[str, Any]:
        parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
        return {
            "key": path.stem,
            "message_id": parsed.get("Message-ID"),
            "from": parsed.get("From"),
            "to": parsed.get("To"),
            "subject": parsed.get("Subject"),
            "date": parsed.get("Date"),
            "arrivals": counts.get(path.stem, 1),
        }

    def read(self, key: str) -> dict[str, Any] | None:
        path = self.directory / "new" / f"{key}.eml"
        if not key.isalnum() or not path.is_file():
            return None
        parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        text = parsed.get_body(("plain",))
        rich = parsed.get_body(("html",))
        return {
            **self._summary(path, self.counts()),
            "text": text.get_content() if text is not None else None,
            "html": rich.get_content() if rich is not None else None,
        }


class _Handler:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        self.mailbox.keep(bytes(data), list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


class MailSink:
    """An SMTP server on `host`:`port` delivering into `mailbox` (a thread of its own)."""

    def __init__(self, mailbox: Mailbox, host: str = "127.0.0.1", port: int = 0) -> None:
        self.mailbox = mailbox
        if port == 0:
            with socket.socket() as probe:
                probe.bind((host, 0))
                port = probe.getsockname()[1]
        self.port = port
        self.controller = Controller(
            _Handler(mailbox), hostname=host, port=port, data_size_limit=MAX_MESSAGE
        )

    def start(self) -> int:
        """Start listening; the port."""
        self.controller.start()
        return self.port

    def stop(self) -> None:
        self.controller.stop()
