"""Deadlines that remind and escalate, on real servers, a real SMTP sink and a clock the test
moves: a commune that misses its 6-month report is reminded 7 days and 1 day before, the
province is told the day after and again in the weekly digest, each e-mail exactly once;
people choose what comes by e-mail; an admin's new rules are an event and the next reminders
follow them; answers coming down are told once; what another province's key forges tells
nobody and counts nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from pymongo.errors import PyMongoError

from contracts import decode_event
from contracts.notifications import NotificationSent
from contracts.oversight import (
    Committee,
    OpinionAnswered,
    OpinionForwarded,
    RecommendationIssued,
    SupervisionFinished,
)
from contracts.timezone import VIETNAM_TZ
from services.common.clock import FileClock
from services.common.kafka import ensure_topics
from services.common.settings import Settings
from services.reporting.app import create_app as reporting_app
from services.reporting.notifications.sink import Mailbox, MailSink
from tests.conftest import ISSUER_DIR, Running, eventually, start_app, token
from tests.forged import Compromised
from tests.integration.test_schema_evolution import publish_raw
from tests.topics import records_on

pytestmark = pytest.mark.integration

PROVINCE, COMMUNE, OTHER_COMMUNE = "12", "03390", "03394"  # Lai Châu, Xã Bình Lư (2025 era)
ELSEWHERE = "11"  # Điện Biên: another province, its own key


@dataclass
class Deployment(Running):
    """The province's reporting running as notifier, with its settings, clock and mailbox."""

    settings: Settings
    clock: FileClock
    mailbox: Mailbox

    async def at(self, day: date, hour: int = 9) -> None:
        """Move the clock to `day` and sweep at once."""
        self.clock.set(datetime.combine(day, time(hour), VIETNAM_TZ))
        self.app.state.reporting.notifications.poke()

    async def person(
        self, username: str, unit: str, role: str = "secretary", email: bool = True
    ) -> str:
        """An account made by the province's admin; its id."""
        body: dict[str, Any] = {"username": username, "full_name": f"Cán bộ {username}"}
        body |= {"unit": unit, "role": role, "position": "Chuyên viên"}
        if email:
            body["email"] = f"{username}@hdnd.example.vn"
        r = await self.client.post("/accounts", json=body, headers=as_(PROVINCE, "admin"))
        assert r.status_code == 201, r.text
        return str(r.json()["account"]["id"])

    async def bell(self, account: str, unit: str) -> dict[str, Any]:
        r = await self.client.get("/notifications", headers=as_(unit, "viewer", account))
        assert r.status_code == 200, r.text
        return dict(r.json())

    def mails_to(self, username: str) -> list[str]:
        address = f"{username}@hdnd.example.vn"
        return [str(a.message["Subject"]) for a in self.mailbox.arrivals if address in a.to]


def as_(unit: str, role: str, user: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(unit, role, user=user or f'{role}-{unit}')}"}


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    mail = MailSink(Mailbox(tmp_path / "mail"))
    mail.start()
    yield mail
    mail.stop()


def notifying(settings: Settings, tmp_path: Path, sink: MailSink) -> Settings:
    """The province's reporting: token issuer (accounts), notifier, e-mail to `sink`."""
    return settings.model_copy(
        update={
            "units": [PROVINCE],
            "issuer_keys_dir": ISSUER_DIR,
            "token_jwks_file": None,
            "clock_file": tmp_path / "clock",
            "notify_interval_ms": 200,
            "smtp_host": "127.0.0.1",
            "smtp_port": sink.port,
            "public_url": "https://hdnd.laichau.example.vn",
        }
    )


@pytest.fixture
async def deployment(
    stack: AsyncExitStack, settings: Settings, tmp_path: Path, sink: MailSink
) -> Deployment:
    served = notifying(settings, tmp_path, sink)
    clock = FileClock(tmp_path / "clock")
    # a Tuesday: no weekly digest is due while the test makes its accounts (sweeps run)
    clock.set(datetime(2026, 6, 2, 9, tzinfo=VIETNAM_TZ))
    await ensure_topics(served, served.topics.every)  # the consumers find every topic at once
    app = reporting_app(served)
    running = await start_app(stack, app, "http://reporting", headers={})
    return Deployment(running.app, running.client, served, clock, sink.mailbox)


async def notices_on_topic(settings: Settings, expected: int) -> list[NotificationSent]:
    records = await records_on(settings, settings.topics.reporting, expected)
    found = [decode_event(r.value or b"") for r in records]
    return [e.payload for e in found if isinstance(e.payload, NotificationSent)]


async def test_a_commune_missing_its_6_month_report_is_reminded_and_the_province_told_once(
    deployment: Deployment,
) -> None:
    lan = await deployment.person("lan.bl", COMMUNE)
    minh = await deployment.person("minh.bl", COMMUNE, role="viewer")
    hoa = await deployment.person("hoa.tinh", PROVINCE, role="admin")
    # Minh wants no reminder by e-mail: in the workspace only
    r = await deployment.client.put(
        "/auth/preferences",
        json={"email_kinds": ["escalation", "answer"]},
        headers=as_(COMMUNE, "viewer", minh),
    )
    assert r.status_code == 200, r.text
    r = await deployment.client.get("/auth/preferences", headers=as_(COMMUNE, "viewer", minh))
    assert r.json()["email_kinds"] == ["answer", "escalation"], r.text

    await deployment.at(date(2026, 6, 27))  # 8 days before 2026-07-05: nothing yet
    for day, lan_mails in ((date(2026, 6, 28), 1), (date(2026, 7, 3), 1), (date(2026, 7, 4), 2)):
        await deployment.at(day)

        async def reminded(n: int = lan_mails) -> None:
            assert len(deployment.mails_to("lan.bl")) == n

        await eventually(reminded)
    bell = await deployment.bell(lan, COMMUNE)
    assert bell["unread"] == 2
    titles = [item["title"] for item in bell["items"]]
    assert titles[1].startswith("Nhắc hạn: gửi báo cáo 6 tháng đầu năm 2026 của Xã Bình Lư")
    assert "ngày 05 tháng 7 năm 2026 (còn 7 ngày)" in titles[1] and "(còn 1 ngày)" in titles[0]
    assert (await deployment.bell(minh, COMMUNE))["unread"] == 2  # in the workspace always
    assert deployment.mails_to("minh.bl") == []  # but no reminder by e-mail, as he chose

    await deployment.at(date(2026, 7, 6))  # the day after: the province is told

    async def told() -> None:
        assert [s for s in deployment.mails_to("hoa.tinh") if s.startswith("Quá hạn")]

    await eventually(told)
    items = (await deployment.bell(hoa, PROVINCE))["items"]
    (escalation,) = [i for i in items if i["kind"] == "escalation"]
    assert "Xã Bình Lư (03390)" in escalation["lines"] and escalation["link"] == "#/"
    assert escalation["title"].startswith("Quá hạn: gửi báo cáo 6 tháng đầu năm 2026")
    late = "Xã Bình Lư: gửi báo cáo 6 tháng đầu năm 2026, hạn 05/07/2026"

    await deployment.at(date(2026, 7, 13))  # Monday, a week later: the digest, still late

    async def digested() -> None:
        items = (await deployment.bell(hoa, PROVINCE))["items"]
        assert [i for i in items if i["kind"] == "digest" and late in i["lines"]]

    await eventually(digested)
    for day in (date(2026, 7, 13), date(2026, 7, 13), date(2026, 7, 6)):  # sweeps again: nothing
        await deployment.at(day, hour=17)
    await deployment.at(date(2026, 7, 13), hour=18)

    async def all_sent() -> None:
        hoa_mails = sorted(s.split(":")[0] for s in deployment.mails_to("hoa.tinh"))
        # its own report's reminder; the escalation; the digests of Monday 6 (last year's
        # reports still missing) and Monday 13 (this one too)
        assert hoa_mails == ["Nhắc hạn", "Quá hạn", "Tổng hợp hằng tuần", "Tổng hợp hằng tuần"]

    await eventually(all_sent)
    ids = Counter(a.message_id for a in deployment.mailbox.arrivals)
    assert ids and set(ids.values()) == {1}, ids  # every e-mail exactly once
    assert len(deployment.mails_to("lan.bl")) == 2 and deployment.mails_to("minh.bl") == []
    html = next(a for a in deployment.mailbox.arrivals if "lan.bl@" in a.to[0]).message
    body = html.get_body(("html",))
    assert body is not None and "https://hdnd.laichau.example.vn/workspace/#/thong-bao/" in str(
        body.get_content()
    )

    sent = await notices_on_topic(deployment.settings, 5)
    about_commune = Counter((n.kind, COMMUNE in n.units) for n in sent)
    assert about_commune[("reminder", True)] == 2 and about_commune[("escalation", True)] == 1

    async def counted() -> None:
        r = await deployment.client.get(
            f"/units/{COMMUNE}/summary?period=2026", headers=as_(PROVINCE, "viewer")
        )
        figures = r.json()["figures"]
        assert (figures["reminders_sent"], figures["escalations_sent"]) == (2, 1), figures

    await eventually(counted)


async def test_new_rules_from_an_admin_are_an_event_and_the_next_reminders_follow_them(
    deployment: Deployment,
) -> None:
    lan = await deployment.person("lan.bl", COMMUNE)
    current = await deployment.client.get("/deadline-rules", headers=as_(COMMUNE, "viewer"))
    rules = current.json()["rules"]
    assert current.json()["version"] == 0 and rules["remind_days_before"] == [7, 1]
    rules["remind_days_before"] = [3]
    refused = await deployment.client.put(
        "/deadline-rules", json={"rules": rules}, headers=as_(COMMUNE, "admin")
    )
    assert refused.status_code == 403 and refused.json()["detail"][0]["type"] == "not_admin"
    by_secretary = await deployment.client.put(
        "/deadline-rules", json={"rules": rules}, headers=as_(PROVINCE, "secretary")
    )
    assert by_secretary.status_code == 403
    changed = await deployment.client.put(
        "/deadline-rules", json={"rules": rules, "based_on": 0}, headers=as_(PROVINCE, "admin")
    )
    assert changed.status_code == 200 and changed.json()["version"] == 1, changed.text
    stale = await deployment.client.put(
        "/deadline-rules", json={"rules": rules, "based_on": 0}, headers=as_(PROVINCE, "admin")
    )
    assert stale.status_code == 409 and stale.json()["detail"][0]["loc"] == ["body", "based_on"]

    await deployment.at(date(2026, 6, 28))  # the old 7-day reminder's day: no longer one
    await deployment.at(date(2026, 7, 2))  # 3 days before

    async def reminded() -> None:
        assert len(deployment.mails_to("lan.bl")) == 1

    await eventually(reminded)
    assert "(còn 3 ngày)" in deployment.mails_to("lan.bl")[0]
    (item,) = (await deployment.bell(lan, COMMUNE))["items"]
    assert item["variant"] == "3"
    records = await records_on(deployment.settings, deployment.settings.topics.reporting, 2)
    kinds = [decode_event(r.value or b"").envelope.type for r in records]
    assert "deadline_rules.changed" in kinds
    history = await deployment.client.get(
        "/deadline-rules/history", headers=as_(PROVINCE, "viewer")
    )
    assert [v["version"] for v in history.json()] == [1]


async def test_answers_coming_down_are_told_once_and_a_forged_recommendation_tells_nobody(
    deployment: Deployment, unit_keys: Path
) -> None:
    lan = await deployment.person("lan.bl", COMMUNE)
    other = await deployment.person("an.other", OTHER_COMMUNE)
    await deployment.at(date(2026, 3, 12))
    raised = {
        "proposal_id": "kn-1",
        "to_unit": PROVINCE,
        "kind": "recommendation",
        "title": "Kiến nghị sửa đường liên thôn",
        "raised_on": "2026-03-10",
    }
    r = await deployment.client.post(
        f"/units/{COMMUNE}/proposals", json=raised, headers=as_(COMMUNE, "secretary")
    )
    assert r.status_code == 201, r.text
    answer = {"answered_on": "2026-03-11", "answer": "Đã bố trí vốn sửa đường trong quý II."}

    async def received() -> None:
        r = await deployment.client.post(
            f"/units/{PROVINCE}/proposals/kn-1/answer",
            json=answer,
            headers=as_(PROVINCE, "secretary"),
        )
        assert r.status_code in (200, 201), r.text

    await eventually(received)
    # a recommendation of the province's supervision of commune 03394; and one "issued" by
    # Điện Biên's key naming Lai Châu's commune 03390, which it is not above
    day = date(2026, 3, 11)
    supervision = SupervisionFinished(
        supervision_id="gs-1",
        activity="thematic_supervision",
        title="Giám sát đất đai",
        body="committee",
        committee=Committee.LEGAL,
        field="land",
        started_on=day,
        finished_on=day,
        supervised_units=[OTHER_COMMUNE],
        recommendations=1,
    )
    issued = RecommendationIssued(
        recommendation_id="kn-gs-1",
        supervision_id="gs-1",
        issued_on=day,
        deadline=date(2026, 6, 30),
        text="Rà soát hồ sơ đất",
        addressed_to="UBND xã Nậm Tăm",
    )
    forged = supervision.model_copy(
        update={"supervision_id": "gs-x", "supervised_units": [COMMUNE]}
    )
    forged_issue = issued.model_copy(update={"supervision_id": "gs-x", "recommendation_id": "x"})
    ours, theirs = Compromised(unit_keys, PROVINCE), Compromised(unit_keys, ELSEWHERE)
    await publish_raw(
        deployment.settings,
        deployment.settings.topics.oversight,
        [
            ours.record(supervision, PROVINCE, day),
            ours.record(issued, PROVINCE, day),
            theirs.record(forged, ELSEWHERE, day),
            theirs.record(forged_issue, ELSEWHERE, day),
        ],
    )
    await deployment.at(date(2026, 3, 12))

    async def told() -> None:
        items = (await deployment.bell(lan, COMMUNE))["items"]
        assert len(items) == 1 and items[0]["kind"] == "answer", items
        assert items[0]["rule"] == "proposal_answered" and "Đã bố trí vốn" in items[0]["lines"][0]
        recs = (await deployment.bell(other, OTHER_COMMUNE))["items"]
        assert len(recs) == 1 and recs[0]["rule"] == "recommendation", recs
        assert "UBND xã Nậm Tăm" in recs[0]["title"]

    await eventually(told)
    for hour in (10, 11, 12):
        await deployment.at(date(2026, 3, 12), hour)
    await deployment.at(date(2026, 3, 13))
    assert len((await deployment.bell(lan, COMMUNE))["items"]) == 1  # once, and nothing forged
    assert len((await deployment.bell(other, OTHER_COMMUNE))["items"]) == 1

    async def mailed_once() -> None:  # the sender mails after the sweep decided
        ids = Counter(a.message_id for a in deployment.mailbox.arrivals)
        assert sorted(ids.values()) == [1, 1], ids

    await eventually(mailed_once)

    marked = await deployment.client.post(
        f"/notifications/{(await deployment.bell(lan, COMMUNE))['items'][0]['id']}/read",
        headers=as_(COMMUNE, "viewer", lan),
    )
    assert marked.status_code == 200 and marked.json()["read_at"] is not None
    assert (await deployment.bell(lan, COMMUNE))["unread"] == 0
    others = await deployment.client.post(
        f"/notifications/{marked.json()['id']}/read", headers=as_(OTHER_COMMUNE, "viewer", other)
    )
    assert others.status_code == 404  # nobody reads or marks another's notification


async def test_an_opinion_the_agency_has_not_answered_is_reminded_and_its_answer_told_once(
    deployment: Deployment, unit_keys: Path
) -> None:
    """An opinion Xã Bình Lư forwarded on 02/03 has 40 days (the default rule): reminded 7 days
    before; answered on 06/04, the commune is told and nobody above is told it was late."""
    lan = await deployment.person("lan.bl", COMMUNE)
    hoa = await deployment.person("hoa.tinh", PROVINCE, role="admin")
    await deployment.at(date(2026, 3, 2))
    raised, agency = date(2026, 2, 20), "UBND xã Bình Lư"
    forwarded = OpinionForwarded(
        opinion_id="yk-1", raised_on=raised, forwarded_on=date(2026, 3, 2), agency=agency
    )
    ours = Compromised(unit_keys, PROVINCE)
    await publish_raw(
        deployment.settings,
        deployment.settings.topics.oversight,
        [ours.record(forwarded, COMMUNE, date(2026, 3, 2))],
    )

    def opinions(bell: dict[str, Any]) -> list[dict[str, Any]]:
        return [i for i in bell["items"] if i["rule"] == "opinion"]

    async def reminded() -> None:
        await deployment.at(date(2026, 4, 4))  # 11/04 less 7 days (the item may come later)
        items = opinions(await deployment.bell(lan, COMMUNE))
        assert len(items) == 1, items
        item = items[0]
        assert item["kind"] == "reminder" and item["due_on"] == "2026-04-11", item
        assert f"trả lời ý kiến cử tri đã chuyển {agency} ngày 02/03/2026" in item["title"]

    await eventually(reminded)
    answered = OpinionAnswered(
        opinion_id="yk-1", raised_on=raised, answered_on=date(2026, 4, 6), answer="Đã sửa cầu."
    )
    await publish_raw(
        deployment.settings,
        deployment.settings.topics.oversight,
        [ours.record(answered, COMMUNE, date(2026, 4, 6))],
    )

    async def told() -> None:
        await deployment.at(date(2026, 4, 7))
        kinds = [i["kind"] for i in opinions(await deployment.bell(lan, COMMUNE))]
        assert kinds == ["answer", "reminder"], kinds

    await eventually(told)
    sweep = deployment.app.state.reporting.notifications.sweep
    for day in (date(2026, 4, 7), date(2026, 4, 10), date(2026, 4, 12)):  # the day after: done
        await deployment.at(day)
        await sweep_once(sweep)  # a whole sweep on that day, whatever the loop did meanwhile
    assert len(opinions(await deployment.bell(lan, COMMUNE))) == 2
    assert opinions(await deployment.bell(hoa, PROVINCE)) == []

    async def mailed() -> None:
        subjects = [s for s in deployment.mails_to("lan.bl") if "báo cáo" not in s]
        assert len(subjects) == 2 and subjects[1].startswith("Ý kiến cử tri của Xã Bình Lư"), (
            subjects
        )

    await eventually(mailed)


async def sweep_once(sweep: Any) -> None:
    """One whole sweep, run beside the notifier's own loop: when both write the same notices
    at once, MongoDB aborts one transaction as transient, and the loop would simply sweep
    again next round; so does this."""
    for _ in range(5):
        try:
            await sweep.run()
            return
        except PyMongoError as exc:
            if not exc.has_error_label("TransientTransactionError"):
                raise
    await sweep.run()
