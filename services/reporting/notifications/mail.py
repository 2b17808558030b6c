"""Notifications by e-mail: the Vietnamese message of each kind (HTML and plain text), and the
sender that delivers the `email_outbox` through SMTP (aiosmtplib).

Delivery is at least once: a row is marked sent after the relay accepted it, so a process
killed between the relay's acceptance and that mark (one MongoDB update: milliseconds) sends
it again. Each message's Message-ID is derived from its notification (notice and account), so
the copy is the same message to whoever receives it: the local sink (notifications/sink.py) keeps
one, and a mail client shows one. Everything else (a crash before the relay accepted, the
relay away) only delays a message; none is decided twice (services.reporting.notifications
.store).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.policy
import html
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import aiosmtplib

from services.common.background import Loop
from services.common.logging import get_logger
from services.common.mongo import Document
from services.common.settings import Settings
from services.reporting.document.numbers import vn_date
from services.reporting.notifications.notices import Notice
from services.reporting.notifications.store import NotificationStore

log = get_logger()

GREETING = {
    "reminder": "Hệ thống xin nhắc hạn công việc của đơn vị:",
    "escalation": "Hệ thống xin báo cáo Thường trực HĐND việc các đơn vị trực thuộc quá hạn:",
    "digest": "Tổng hợp hằng tuần các việc quá hạn chưa thực hiện của các đơn vị trực thuộc:",
    "answer": "Có trả lời, kết quả mới gửi đến đơn vị:",
}
MAX_ATTEMPTS_BACKOFF = timedelta(minutes=30)


def message_id(notification_id: str) -> str:
    """The same Message-ID for every copy of one notification's e-mail."""
    notice, _, account = notification_id.partition(":")
    return f"<{notice}.{account}@hdnd.notifications>"


def compose(
    notice: Notice, notification_id: str, to: str, full_name: str, unit_name: str, url: str
) -> dict[str, str]:
    """The e-mail row of one notification: subject, plain text and HTML, in Vietnamese."""
    link = f"{url.rstrip('/')}/workspace/#/thong-bao/{notification_id}"
    facts = [notice.title, *notice.lines]
    if notice.due is not None:
        facts.append(f"Thời hạn: {vn_date(notice.due)}.")
    text = "\n".join(
        [
            f"Kính gửi: {full_name} ({unit_name}),",
            "",
            GREETING[notice.kind],
            *(f"- {fact}" for fact in facts),
            "",
            f"Xem và xử lý trong Không gian làm việc: {link}",
            "",
            "Thư này do hệ thống hdnd gửi tự động; xin không trả lời thư này.",
            "Đổi cách nhận thông báo: Không gian làm việc → Thông báo → Nhận thư điện tử.",
        ]
    )
    items = "".join(f"<li>{html.escape(fact)}</li>" for fact in facts)
    body = (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        f"<title>{html.escape(notice.title)}</title></head>"
        '<body style="font-family:Arial,Helvetica,sans-serif;font-size:15px;color:#1a1a1a;'
        'max-width:640px;margin:auto">'
        '<p style="font-weight:bold;color:#a51c1c;margin-bottom:0">HỘI ĐỒNG NHÂN DÂN</p>'
        f'<p style="margin-top:0">{html.escape(unit_name)}</p><hr>'
        f"<p>Kính gửi: <b>{html.escape(full_name)}</b>,</p>"
        f"<p>{html.escape(GREETING[notice.kind])}</p><ul>{items}</ul>"
        f'<p><a href="{html.escape(link)}" style="background:#a51c1c;color:#fff;'
        'padding:8px 14px;text-decoration:none;border-radius:4px">Mở trong Không gian làm việc'
        "</a></p>"
        '<p style="color:#666;font-size:12px">Thư này do hệ thống hdnd gửi tự động; xin không'
        " trả lời thư này. Đổi cách nhận thông báo: Không gian làm việc → Thông báo → Nhận thư"
        " điện tử.</p></body></html>"
    )
    return {
        "_id": notification_id,
        "to": to,
        "subject": notice.title,
        "text": text,
        "html": body,
        "message_id": message_id(notification_id),
    }


def as_message(row: Document, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row["to"]
    message["Subject"] = row["subject"]
    message["Message-ID"] = row["message_id"]
    message["Date"] = format_datetime(datetime.now(UTC))
    message.set_content(row["text"])
    message.add_alternative(row["html"], subtype="html")
    return message


def wire_bytes(message: EmailMessage) -> bytes:
    """The message as sent: each header on one line (a Vietnamese subject is a few hundred
    bytes, within SMTP's 998), since Python's folding drops the space before a word it wraps
    outside an encoded word ("nhiệm kỳ2021–2026" in every reader)."""
    return message.as_bytes(policy=email.policy.SMTP.clone(max_line_length=None))


class MailSender:
    """Sends what waits in `email_outbox`, oldest first, and marks each sent."""

    def __init__(self, settings: Settings, store: NotificationStore) -> None:
        self.settings = settings
        self.store = store
        self.loop = Loop("mail-sender")
        self.wake = asyncio.Event()

    def _password(self) -> str | None:
        path = self.settings.smtp_password_file
        return path.read_text().strip() if path is not None else None

    async def send_pending(self) -> int:
        """One pass; how many were sent."""
        rows = await self.store.pending_emails(50)
        if not rows or self.settings.smtp_host is None:
            return 0
        s = self.settings
        client = aiosmtplib.SMTP(
            hostname=s.smtp_host, port=s.smtp_port, start_tls=s.smtp_starttls, timeout=30
        )
        sent = 0
        try:
            await client.connect()
            if s.smtp_username:
                await client.login(s.smtp_username, self._password() or "")
            for row in rows:
                try:
                    data = wire_bytes(as_message(row, s.mail_from))
                    await client.sendmail(parseaddr(s.mail_from)[1], [row["to"]], data)
                except aiosmtplib.SMTPResponseException as exc:
                    await self._failed(row, f"{exc.code} {exc.message}")
                    continue
                await self.store.mark_emailed(row["_id"])
                sent += 1
        except (aiosmtplib.SMTPException, OSError) as exc:
            log.warning("mail_relay_unreachable", error=str(exc))
        finally:
            if client.is_connected:
                client.close()
        return sent

    async def _failed(self, row: Document, error: str) -> None:
        attempts = int(row.get("attempts", 0)) + 1
        wait = min(timedelta(seconds=2**attempts), MAX_ATTEMPTS_BACKOFF)
        await self.store.email_failed(row, error, datetime.now(UTC) + wait)
        log.warning("mail_refused", mail=row["_id"], error=error, attempts=attempts)

    async def _run(self) -> None:
        while not self.loop.stopping.is_set():
            try:
                await self.send_pending()
            except Exception as exc:  # MongoDB away: try again
                log.warning("mail_sender_failed", error=str(exc))
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), 1.0)

    def start(self) -> None:
        self.loop.start(self._run())

    async def stop(self) -> None:
        self.wake.set()
        await self.loop.stop(grace=5)


async def wait_sent(store: NotificationStore, within: float = 10.0) -> None:
    """Until nothing waits in the e-mail outbox (tests, `hdnd notify --once`)."""
    deadline = asyncio.get_running_loop().time() + within
    while await store.pending_emails(1):
        if asyncio.get_running_loop().time() > deadline:
            return
        await asyncio.sleep(0.1)
