"""The e-mail of a notification (Vietnamese, HTML and text, its Message-ID from the
notification) and the local sink that keeps a message sent twice once, counting it twice."""

from __future__ import annotations

from datetime import date
from email import message_from_bytes, policy
from pathlib import Path

from typer.testing import CliRunner

from deploy.cli.main import app
from services.reporting.notifications.mail import as_message, compose, message_id, wire_bytes
from services.reporting.notifications.notices import Notice
from services.reporting.notifications.sink import Mailbox

REMINDER = Notice(
    "reminder",
    "report",
    "2026-H1",
    "03390",
    ("03390",),
    date(2026, 7, 5),
    date(2026, 6, 28),
    "Nhắc hạn: gửi báo cáo 6 tháng đầu năm 2026 của Xã Bình Lư hạn ngày 05 tháng 7 năm 2026"
    " (còn 7 ngày)",
    variant="7",
)


def test_a_reminder_e_mail_says_it_in_vietnamese_with_its_date_and_link() -> None:
    row = compose(REMINDER, "abc:7c12", "lan@x.vn", "Nguyễn Thị Lan", "Xã Bình Lư", "https://h.vn/")
    assert row["message_id"] == message_id("abc:7c12") == "<abc.7c12@hdnd.notifications>"
    assert "Kính gửi: Nguyễn Thị Lan (Xã Bình Lư)," in row["text"]
    assert "Thời hạn: ngày 05 tháng 7 năm 2026." in row["text"]
    assert "https://h.vn/workspace/#/thong-bao/abc:7c12" in row["text"]
    assert "Mở trong Không gian làm việc" in row["html"] and 'lang="vi"' in row["html"]
    message = as_message(row, "HĐND <thong-bao@hdnd.local>")
    assert message["Subject"] == REMINDER.title and message["Message-ID"] == row["message_id"]
    assert message.get_body(("html",)) is not None and message.get_body(("plain",)) is not None


def test_the_sink_keeps_a_message_sent_twice_once_and_hdnd_mail_shows_it(tmp_path: Path) -> None:
    row = compose(REMINDER, "abc:7c12", "lan@x.vn", "Lan", "Xã Bình Lư", "https://h.vn")
    data = bytes(as_message(row, "hdnd@x.vn"))
    box = Mailbox(tmp_path)
    key = box.keep(data, ["lan@x.vn"])
    assert box.keep(data, ["lan@x.vn"]) == key  # the same Message-ID: the same message
    (listed,) = box.listed()
    assert listed["arrivals"] == 2 and listed["subject"] == REMINDER.title

    runner = CliRunner()
    shown = runner.invoke(app, ["mail", "list", "--dir", str(tmp_path)])
    assert shown.exit_code == 0 and key in shown.output
    text = runner.invoke(app, ["mail", "show", key, "--dir", str(tmp_path)])
    assert text.exit_code == 0 and "Thời hạn: ngày 05 tháng 7 năm 2026." in text.output


def test_a_long_vietnamese_subject_reaches_the_mailbox_with_every_space() -> None:
    """Python's header folding puts the space before a word it wraps outside the encoded
    word, where readers drop it ("nhiệm kỳ2021–2026"): the sender writes each header on one
    line."""
    title = (
        "Nhắc hạn: gửi báo cáo nhiệm kỳ 2021–2026 của Xã Bình Lư hạn ngày 05 tháng 4 năm 2026"
        " (còn 1 ngày)"
    )
    notice = Notice(
        "reminder", "report", "2021-2026", "03390", ("03390",), None, date.today(), title
    )
    row = compose(notice, "abc:1", "lan@x.vn", "Lan", "Xã Bình Lư", "https://h.vn")
    data = wire_bytes(as_message(row, "HĐND <thong-bao@hdnd.local>"))
    assert str(message_from_bytes(data, policy=policy.default)["Subject"]) == title
    assert max(len(line) for line in data.split(b"\r\n")) <= 998  # SMTP's limit holds
