"""SIGKILL of the reporting process in the middle of a sweep of reminders, then a restart:
nothing is sent twice and nothing is lost, in the workspace, on the topic and at the SMTP
sink."""

from __future__ import annotations

from collections import Counter
from contextlib import AsyncExitStack
from datetime import date, datetime
from pathlib import Path

import pytest

from contracts import decode_event
from contracts.notifications import NotificationSent
from contracts.timezone import VIETNAM_TZ
from services.common.clock import FileClock
from services.common.hierarchy import Hierarchy
from services.common.kafka import ensure_topics
from services.common.settings import Settings
from services.reporting.app import create_app as reporting_app
from services.reporting.notifications.sink import MailSink
from tests.conftest import eventually, start_app
from tests.faults.support import ServiceProcess, databases
from tests.integration.test_notifications import PROVINCE, as_, notifying, sink  # noqa: F401
from tests.topics import records_on

pytestmark = [pytest.mark.faults, pytest.mark.integration]

PAUSE_AFTER = 3  # notices the first process decides before it stalls (and is killed)


async def test_a_notifier_killed_mid_sweep_sends_nothing_twice_and_loses_nothing(
    settings: Settings,
    processes: list[ServiceProcess],
    tmp_path: Path,
    stack: AsyncExitStack,
    sink: MailSink,  # noqa: F811
) -> None:
    served = notifying(settings, tmp_path, sink)
    FileClock(tmp_path / "clock").set(datetime(2026, 6, 28, 9, tzinfo=VIETNAM_TZ))
    await ensure_topics(served, served.topics.every)
    # accounts, made through the API of a reporting app that notifies nobody itself
    quiet = served.model_copy(update={"notify": False, "relay": False})
    accounts = await start_app(stack, reporting_app(quiet, consume=False), "http://r", headers={})
    communes = [u.code for u in Hierarchy.load().children(PROVINCE, date(2026, 6, 28))][:6]
    for i, commune in enumerate(communes):
        body = {
            "username": f"thuky{i}",
            "full_name": f"Thư ký {i}",
            "unit": commune,
            "role": "secretary",
            "email": f"thuky{i}@hdnd.example.vn",
        }
        r = await accounts.client.post("/accounts", json=body, headers=as_(PROVINCE, "admin"))
        assert r.status_code == 201, r.text

    notifier = ServiceProcess(
        "reporting",
        served.model_copy(update={"notify_fault_pause_after": PAUSE_AFTER}),
        tmp_path / "reporting.log",
    )
    processes.append(notifier)
    notifier.start()
    async with databases(served) as db:
        notices, emails = db.reporting["notices"], db.reporting["email_outbox"]

        async def stalled_mid_sweep() -> None:
            assert await notices.count_documents({}) == PAUSE_AFTER, notifier.tail()
            assert await emails.count_documents({"sent": True}) == PAUSE_AFTER

        await eventually(stalled_mid_sweep, within=60)
        assert "notify_fault_pause" in notifier.tail(200)
        notifier.kill()  # mid-sweep: 3 of the 6 reminders decided, their e-mails sent

        notifier.settings = served
        notifier.start()

        async def every_commune_reminded() -> None:
            assert await notices.count_documents({}) == len(communes), notifier.tail()
            assert await emails.count_documents({"sent": False}) == 0
            assert len(sink.mailbox.arrivals) == len(communes)

        await eventually(every_commune_reminded, within=60)
        for account_mails in Counter(a.to[0] for a in sink.mailbox.arrivals).values():
            assert account_mails == 1
        assert set(Counter(a.message_id for a in sink.mailbox.arrivals).values()) == {1}
        assert await db.reporting["notifications"].count_documents({}) == len(communes)

    records = await records_on(served, served.topics.reporting, len(communes))
    sent = [decode_event(r.value or b"").payload for r in records]
    notified = Counter(p.notice_id for p in sent if isinstance(p, NotificationSent))
    assert len(notified) == len(communes)  # one notice each (a republished row is one event)
    notifier.stop()
