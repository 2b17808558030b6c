"""The whole path on real servers: HTTP → meetings → outbox → Kafka → reporting → summary."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest

from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from services.reporting.app import create_app as reporting_app
from tests.builders import meeting, supervision
from tests.conftest import Running, eventually, start_app

pytestmark = pytest.mark.integration

# Tỉnh Lai Châu (12) › Huyện Tam Đường (106) › one of its communes; Thành phố Lai Châu (105).
PROVINCE, DISTRICT, OTHER_DISTRICT = "12", "106", "105"


async def first_commune(client: httpx.AsyncClient, district: str) -> str:
    from services.common.hierarchy import Hierarchy

    return Hierarchy.load().children(district, "legacy")[0].code


def voter_contact(meeting_id: str, day: str, voters: int, opinions: int) -> dict[str, Any]:
    return meeting("voter_contact", meeting_id, "Tiếp xúc cử tri trước kỳ họp thứ 9", day) | {
        "timing": "before_session",
        "delegate_group": "Tổ đại biểu số 2",
        "voters_attending": voters,
        "opinions_raised": opinions,
    }


def session(meeting_id: str, day: str) -> dict[str, Any]:
    return meeting("session", meeting_id, "Kỳ họp thứ chín", day) | {
        "session_type": "regular",
        "term": "2021-2026",
        "number_in_term": 9,
        "delegates_present": 48,
        "resolutions_adopted": 12,
        "questioning_held": True,
    }


async def system(stack: AsyncExitStack, settings: Settings) -> tuple[Running, Running]:
    meetings = await start_app(stack, meetings_app(settings), "http://meetings")
    reporting = await start_app(stack, reporting_app(settings), "http://reporting")
    return meetings, reporting


async def summary(reporting: Running, unit: str, period: str) -> dict[str, Any]:
    r = await reporting.client.get(f"/units/{unit}/summary", params={"period": period})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_meeting_counts_in_commune_district_and_province_for_every_period(
    stack: AsyncExitStack, settings: Settings
) -> None:
    meetings, reporting = await system(stack, settings)
    commune = await first_commune(meetings.client, DISTRICT)

    posts = [
        (commune, voter_contact("vc-1", "2025-02-10", voters=120, opinions=7)),
        (commune, voter_contact("vc-2", "2025-05-20", voters=80, opinions=3)),
        (DISTRICT, session("ky-hop-9", "2025-04-15")),
        (OTHER_DISTRICT, voter_contact("vc-3", "2025-03-01", voters=50, opinions=2)),
    ]
    for unit, body in posts:
        r = await meetings.client.post(f"/units/{unit}/meetings", json=body)
        assert r.status_code == 201, r.text

    async def province_h1_complete() -> dict[str, Any]:
        s = await summary(reporting, PROVINCE, "2025-H1")
        assert s["figures"]["voter_contacts"] == 3
        assert s["figures"]["sessions"] == 1
        return s

    province = await eventually(province_h1_complete)
    assert province["figures"]["voters_reached"] == 250
    assert province["figures"]["voter_opinions_raised"] == 12
    assert province["own"]["voter_contacts"] == 0  # the province council itself held none
    by_code = {c["code"]: c["figures"] for c in province["children"]}
    assert len(by_code) == 8  # Lai Châu had eight district-level units
    assert by_code[DISTRICT]["voter_contacts"] == 2
    assert by_code[DISTRICT]["sessions"] == 1
    assert by_code[OTHER_DISTRICT]["voters_reached"] == 50

    district = await summary(reporting, DISTRICT, "2025-H1")
    assert district["figures"]["voter_contacts"] == 2
    assert district["figures"]["resolutions_adopted"] == 12
    assert district["own"]["sessions"] == 1 and district["own"]["voter_contacts"] == 0
    assert {c["code"]: c["figures"]["voters_reached"] for c in district["children"]}[commune] == 200

    expected = {  # period → voter contacts in the commune
        "2025-02": 1,
        "2025-03": 0,
        "2025-Q1": 1,
        "2025-Q2": 1,
        "2025-H1": 2,
        "2025-02..2025-04": 1,
    }
    for period, count in expected.items():
        s = await summary(reporting, commune, period)
        assert s["figures"]["voter_contacts"] == count, period
    # Since the reform the code names Xã Bình Lư, another council: as it was, a period that
    # reaches past June 2025 is its own; as today it carries Thị trấn Tam Đường's history.
    for period in ("2025-9M", "2025"):
        s = await summary(reporting, commune, period)
        assert (s["unit"]["era"], s["figures"]["voter_contacts"]) == ("2025", 0), period
        today = await reporting.client.get(
            f"/units/{commune}/summary", params={"period": period, "view": "as_today"}
        )
        assert today.json()["figures"]["voter_contacts"] == 2, period
    assert (await summary(reporting, PROVINCE, "2025-Q2"))["figures"]["sessions"] == 1
    assert (await summary(reporting, PROVINCE, "2025-Q1"))["figures"]["sessions"] == 0


async def test_restarted_consumer_with_lost_offsets_counts_nothing_twice(
    stack: AsyncExitStack, settings: Settings
) -> None:
    """Even if the stored Kafka offsets vanish and every event is redelivered, the per-stream
    sequence numbers stored with the figures drop what was already counted."""
    meetings = await start_app(stack, meetings_app(settings), "http://meetings")
    commune = await first_commune(meetings.client, DISTRICT)
    for i in range(5):
        body = voter_contact(f"vc-{i}", f"2025-03-{i + 1:02d}", voters=10, opinions=1)
        assert (
            await meetings.client.post(f"/units/{commune}/meetings", json=body)
        ).status_code == 201

    async with AsyncExitStack() as first_run:
        reporting = await start_app(first_run, reporting_app(settings), "http://reporting")

        async def five() -> None:
            assert (await summary(reporting, PROVINCE, "2025-03"))["figures"]["voter_contacts"] == 5

        await eventually(five)
    # Consumer stopped. Forget where it was, as if the offsets had been lost.
    from pymongo import AsyncMongoClient

    from services.common.mongo import connect

    mongo: AsyncMongoClient[dict[str, Any]] = connect(settings, "test")
    db = mongo[settings.database_for("reporting")]
    assert await db["consumer_positions"].count_documents({}) > 0
    await db["consumer_positions"].delete_many({})
    await mongo.close()

    reporting = await start_app(stack, reporting_app(settings), "http://reporting")
    extra = voter_contact("vc-late", "2025-03-28", voters=10, opinions=1)
    assert (await meetings.client.post(f"/units/{commune}/meetings", json=extra)).status_code == 201

    async def six() -> None:
        s = await summary(reporting, PROVINCE, "2025-03")
        assert s["figures"]["voter_contacts"] == 6
        assert s["figures"]["voters_reached"] == 60

    await eventually(six)
    status = reporting.app.state.reporting.consumer.status
    await eventually(lambda: _assert_caught_up(status))
    s = await summary(reporting, PROVINCE, "2025-03")
    assert s["figures"]["voter_contacts"] == 6  # still six after re-reading all of history


async def _assert_caught_up(status: Any) -> None:
    assert status.caught_up


async def test_republished_outbox_rows_are_not_counted_twice(
    stack: AsyncExitStack, settings: Settings
) -> None:
    """A relay that dies between publish and mark-sent publishes the same rows again."""
    meetings, reporting = await system(stack, settings)
    commune = await first_commune(meetings.client, DISTRICT)
    for i in range(3):
        body = voter_contact(f"vc-{i}", "2025-06-01", voters=1, opinions=0)
        assert (
            await meetings.client.post(f"/units/{commune}/meetings", json=body)
        ).status_code == 201

    async def three() -> None:
        assert (await summary(reporting, commune, "2025-06"))["figures"]["voter_contacts"] == 3

    await eventually(three)
    runtime = meetings.app.state.meetings.runtime
    await runtime.outbox.rows.update_many({}, {"$set": {"sent": False}})
    runtime.relay.notify()
    await eventually(_no_pending(runtime))
    status = reporting.app.state.reporting.consumer.status
    handled_before = status.handled

    async def redelivered() -> None:
        assert status.handled >= handled_before + 3 or status.caught_up

    await eventually(redelivered)
    await eventually(lambda: _assert_caught_up(status))
    assert (await summary(reporting, commune, "2025-06"))["figures"]["voter_contacts"] == 3


def _no_pending(runtime: Any) -> Any:
    async def probe() -> None:
        assert await runtime.outbox.pending_count() == 0

    return probe


async def test_supervisions_from_oversight_roll_up_with_meetings(
    stack: AsyncExitStack, settings: Settings
) -> None:
    from services.oversight.app import create_app as oversight_app

    oversight = await start_app(stack, oversight_app(settings), "http://oversight")
    reporting = await start_app(stack, reporting_app(settings), "http://reporting")
    title, august = "Giám sát việc giải quyết đơn thư", "2025-08-04..2025-08-20"
    finished = supervision("thematic_supervision", title, "committee", "petitions", august)
    body = finished | {"committee": "legal", "recommendations": 4}
    r = await oversight.client.post("/units/12/supervisions", json=body)
    assert r.status_code == 201, r.text

    async def counted() -> None:
        s = await summary(reporting, PROVINCE, "2025-Q3")
        assert s["figures"]["thematic_supervisions"] == 1
        assert s["figures"]["thematic_supervisions_field_petitions"] == 1
        assert s["figures"]["recommendations_issued"] == 4
        assert s["unit"]["era"] == "2025"  # after the reform, 12 is the new Tỉnh Lai Châu

    await eventually(counted)
