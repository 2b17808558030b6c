"""The meetings lifecycle on real servers: schedule → hold | cancel, correct; every event type
through the outbox and Kafka into the reporting projection; refusals write nothing; v1
`meeting.held` (on the topic and in stored documents) is read as v2."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaProducer

from contracts import Envelope
from contracts.signing import Signer
from contracts.timezone import VIETNAM_TZ
from services.common.hierarchy import Hierarchy
from services.common.kafka import ensure_topics
from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from tests.conftest import Running, eventually, start_app
from tests.integration.test_rollup import session, summary, system, voter_contact

pytestmark = pytest.mark.integration

# Tỉnh Lai Châu (12) › Huyện Tam Đường (106) › Thị trấn Tam Đường (03390), before the reform.
PROVINCE, DISTRICT, COMMUNE = "12", "106", "03390"
SOON = date.today() + timedelta(days=40)  # a day in the future, whenever the test runs
OPINIONS = [
    {"opinion_id": "yk-1", "text": "Cấp giấy đất chậm", "field": "land", "addressed_to": "UBND"},
    {"opinion_id": "yk-2", "text": "Tranh chấp đất", "field": "land", "addressed_to": "UBND"},
]


def plan(meeting_id: str, kind: str, day: str, number: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "meeting_id": meeting_id,
        "kind": kind,
        "title": "Dự kiến tổ chức",
        "scheduled_for": day,
    }
    if number is not None:
        body["session"] = {"session_type": "regular", "term": "2021-2026", "number_in_term": number}
    return body


def held_session(meeting_id: str, day: str, number: int, **changes: Any) -> dict[str, Any]:
    return session(meeting_id, day) | {
        "number_in_term": number,
        "delegates_elected": 50,
        "delegates_present": 45,
        "questions_asked": 6,
        **changes,
    }


def v1_contact_event(settings: Settings, meeting_id: str, day: str, voters: int) -> bytes:
    """`meeting.held` v1 exactly as the meetings service wrote it before v2, signed."""
    held_on = date.fromisoformat(day)
    payload = {"meeting": voter_contact(meeting_id, day, voters=voters, opinions=3)}
    payload["meeting"]["location"] = None
    envelope = Envelope.model_validate(
        {
            "event_id": str(uuid4()),
            "type": "meeting.held",
            "version": 1,
            "unit": COMMUNE,
            "occurred_at": datetime.combine(held_on, time(12), tzinfo=VIETNAM_TZ).isoformat(),
            "recorded_at": datetime.now(UTC).isoformat(),
            "source": {"service": "meetings", "instance": "before-v2"},
            "sequence": 1,
            "payload": payload,
        }
    )
    assert settings.keys_dir is not None
    signer = Signer.from_dir(settings.keys_dir)
    return signer.sign(envelope, Hierarchy.load().lineage(COMMUNE, held_on)).to_bytes()


async def post(app: Running, path: str, body: dict[str, Any], expect: int = 201) -> Any:
    r = await app.client.post(path, json=body)
    assert r.status_code == expect, r.text
    return r.json()


async def test_every_lifecycle_event_reaches_the_projection(
    stack: AsyncExitStack, settings: Settings
) -> None:
    meetings, reporting = await system(stack, settings)
    units = f"/units/{DISTRICT}/meetings"

    # Scheduled in the future (the province: districts are gone after 2025-06-30).
    await post(
        meetings,
        f"/units/{PROVINCE}/scheduled-meetings",
        plan("tx-12", "voter_contact", SOON.isoformat()),
    )
    # Scheduled then held, as v2 content; then corrected into the next month.
    await post(
        meetings,
        f"/units/{DISTRICT}/scheduled-meetings",
        plan("kh-10", "session", "2025-03-05", 10),
    )
    held = await post(meetings, f"{units}/kh-10/hold", held_session("kh-10", "2025-03-05", 10))
    assert held["status"] == "held"
    # Scheduled then cancelled.
    await post(
        meetings, f"/units/{DISTRICT}/scheduled-meetings", plan("hn-1", "conference", "2025-03-20")
    )
    await post(meetings, f"{units}/hn-1/cancel", {"reason": "Trùng lịch kỳ họp"})
    # Held directly, v2: itemised opinions, and the two new kinds.
    contact = voter_contact("vc-v2", "2025-02-10", voters=100, opinions=2) | {"opinions": OPINIONS}
    await post(meetings, f"/units/{COMMUNE}/meetings", contact)
    await post(
        meetings,
        f"/units/{COMMUNE}/meetings",
        {
            "kind": "delegate_report",
            "meeting_id": "bc-1",
            "title": "Đại biểu báo cáo với cử tri",
            "held_on": "2025-03-11",
            "delegates_reporting": 3,
            "voters_attending": 70,
        },
    )
    await post(
        meetings,
        f"/units/{COMMUNE}/meetings",
        {
            "kind": "delegate_rating",
            "meeting_id": "nx-1",
            "title": "Lấy ý kiến nhận xét của cử tri",
            "held_on": "2025-03-12",
            "delegates_rated": 2,
            "voters_participating": 40,
            "ratings": {"good": 60, "fair": 15, "poor": 5},
        },
    )
    correction = {
        "meeting": held_session("kh-10", "2025-04-02", 10, resolutions_adopted=15),
        "reason": "Ghi nhầm ngày họp",
    }
    fixed = await post(meetings, f"{units}/kh-10/correct", correction)
    assert fixed["status"] == "corrected"
    retried = await post(meetings, f"{units}/kh-10/correct", correction, expect=200)
    assert retried["status"] == "unchanged"
    # A v1 event from before the upgrade, straight onto the topic.
    await ensure_topics(settings, [settings.topics.meetings])
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        v1 = v1_contact_event(settings, "vc-v1", "2025-02-12", voters=30)
        await producer.send_and_wait(settings.topics.meetings, v1, key=COMMUNE.encode())
    finally:
        await producer.stop()

    async def all_counted() -> dict[str, Any]:
        s = await summary(reporting, PROVINCE, "2025-H1")
        assert s["figures"]["voter_contacts"] == 2 and s["figures"]["delegate_ratings"] == 1
        assert s["figures"]["meetings_cancelled"] == 1 and s["figures"]["sessions"] == 1
        assert s["figures"]["resolutions_adopted"] == 15
        return s

    h1 = (await eventually(all_counted))["figures"]
    assert h1["voters_reached"] == 130 and h1["voter_opinions_raised"] == 5
    assert h1["voter_opinions_field_land"] == 2
    assert (h1["meetings_scheduled"], h1["meetings_scheduled_session"]) == (2, 1)
    assert h1["meetings_cancelled_conference"] == 1
    assert (h1["delegate_reports"], h1["delegates_reporting"], h1["delegate_report_voters"]) == (
        1,
        3,
        70,
    )
    assert (h1["delegate_ratings_given"], h1["delegate_ratings_good"]) == (80, 60)
    assert (h1["session_seats"], h1["session_seats_present"], h1["session_questions"]) == (
        50,
        45,
        6,
    )
    rates = (await summary(reporting, PROVINCE, "2025-H1"))["rates"]
    assert rates["session_attendance_rate"] == 90.0 and rates["meeting_cancellation_rate"] == 50.0

    march = (await summary(reporting, DISTRICT, "2025-03"))["figures"]
    april = (await summary(reporting, DISTRICT, "2025-04"))["figures"]
    assert (march["sessions"], march["resolutions_adopted"], march["session_seats"]) == (0, 0, 0)
    assert march["meetings_scheduled_session"] == 1  # the plan stays where it was planned
    assert (april["sessions"], april["resolutions_adopted"], april["session_seats"]) == (1, 15, 50)
    future = (await summary(reporting, PROVINCE, SOON.strftime("%Y-%m")))["figures"]
    assert future["meetings_scheduled_voter_contact"] == 1

    # The service answers each meeting with its state.
    listed = (await meetings.client.get(f"/units/{DISTRICT}/meetings")).json()
    assert [(m["meeting_id"], m["status"]) for m in listed] == [
        ("hn-1", "cancelled"),
        ("kh-10", "held"),
    ]
    cancelled = (await meetings.client.get(units, params={"status": "cancelled"})).json()
    assert [m["cancellation"]["reason"] for m in cancelled] == ["Trùng lịch kỳ họp"]
    today = datetime.now(VIETNAM_TZ).date().isoformat()  # no day given: called off today
    assert [m["cancellation"]["cancelled_on"] for m in cancelled] == [today]
    one = (await meetings.client.get("/meetings/kh-10")).json()
    assert (one["status"], one["held_on"], one["corrections"]) == ("held", "2025-04-02", 1)
    assert (await meetings.client.get("/meetings/tx-12")).json()["status"] == "scheduled"


async def test_refusals_name_the_field_and_write_nothing(
    stack: AsyncExitStack, settings: Settings
) -> None:
    meetings = await start_app(stack, meetings_app(settings), "http://meetings")
    runtime = meetings.app.state.meetings.runtime
    units = f"/units/{DISTRICT}/meetings"

    async def refused(path: str, body: dict[str, Any], status: int, field: str) -> None:
        before = await runtime.outbox.rows.count_documents({})
        snapshot = await runtime.db["meetings"].find({}).sort("_id").to_list()
        r = await meetings.client.post(path, json=body)
        assert r.status_code == status, r.text
        locs = [".".join(map(str, d["loc"])) for d in r.json()["detail"]]
        assert any(field in loc for loc in locs), locs
        assert await runtime.outbox.rows.count_documents({}) == before
        assert await runtime.db["meetings"].find({}).sort("_id").to_list() == snapshot

    too_many = held_session("kh-x", "2025-03-05", 3, delegates_present=51)
    await refused(units, too_many, 422, "delegates_present")
    uncounted = voter_contact("vc-x", "2025-03-01", voters=10, opinions=3) | {"opinions": OPINIONS}
    await refused(f"/units/{COMMUNE}/meetings", uncounted, 422, "opinions")

    await post(meetings, units, held_session("kh-9", "2025-01-10", 9))
    await refused(units, held_session("kh-9b", "2025-02-10", 9), 409, "body.number_in_term")
    await refused(
        f"/units/{DISTRICT}/scheduled-meetings",
        plan("kh-9c", "session", "2025-05-01", 9),
        409,
        "body.session.number_in_term",
    )
    await post(
        meetings,
        f"/units/{DISTRICT}/scheduled-meetings",
        plan("kh-11", "session", "2025-05-01", 11),
    )
    await refused(f"{units}/kh-11/hold", held_session("kh-11", "2999-01-01", 11), 422, "held_on")
    await refused(
        f"{units}/kh-11/correct",
        {"meeting": held_session("kh-11", "2025-05-01", 11)},
        409,
        "meeting_id",
    )
    await refused(f"{units}/kh-9/cancel", {"reason": "Không cần"}, 409, "meeting_id")
    await refused(f"{units}/kh-9/hold", held_session("kh-9", "2025-01-10", 9), 409, "meeting_id")
    await refused(f"{units}/no-such/cancel", {"reason": "Không cần"}, 404, "meeting_id")
    await refused(
        f"{units}/kh-9/correct", {"meeting": held_session("kh-9", "2999-01-01", 9)}, 422, "held_on"
    )
    await runtime.db["meetings"].update_one(  # as if scheduled on 2025-04-01 (Vietnam)
        {"_id": "kh-11"}, {"$set": {"recorded_at": datetime(2025, 3, 31, 18, tzinfo=UTC)}}
    )
    for day in ("2025-03-31", SOON.isoformat()):  # before its scheduling; in the future
        cancel = {"reason": "Không cần", "cancelled_on": day}
        await refused(f"{units}/kh-11/cancel", cancel, 422, "body.cancelled_on")
    cancel = {"reason": "Thay bằng kỳ họp chuyên đề", "cancelled_on": "2025-04-01"}
    await post(meetings, f"{units}/kh-11/cancel", cancel)
    one = (await meetings.client.get("/meetings/kh-11")).json()
    assert one["cancellation"]["cancelled_on"] == "2025-04-01"
    await refused(f"{units}/kh-11/hold", held_session("kh-11", "2025-05-01", 11), 409, "meeting_id")
    await refused(f"{units}/kh-11/cancel", {"reason": "Lần nữa"}, 409, "meeting_id")
    # A cancelled session's number is free again.
    await post(
        meetings,
        f"/units/{DISTRICT}/scheduled-meetings",
        plan("kh-11b", "session", "2025-05-08", 11),
    )


async def test_documents_written_before_v2_read_in_the_current_shape_and_can_be_corrected(
    stack: AsyncExitStack, settings: Settings
) -> None:
    meetings = await start_app(stack, meetings_app(settings), "http://meetings")
    service = meetings.app.state.meetings
    old = voter_contact("vc-old", "2025-02-10", voters=40, opinions=2) | {"location": None}
    await service.store.meetings.insert_one(  # as the store wrote it before the lifecycle
        {
            "_id": "vc-old",
            "unit": COMMUNE,
            "kind": "voter_contact",
            "held_on": "2025-02-10",
            "meeting": old,
            "event_id": str(uuid4()),
            "recorded_at": datetime.now(UTC),
        }
    )
    await service.store.create_indexes()  # what a restart of the upgraded service does
    got = (await meetings.client.get("/meetings/vc-old")).json()
    assert (got["status"], got["opinions"], got["voters_attending"]) == ("held", [], 40)
    again = await meetings.client.post(f"/units/{COMMUNE}/meetings", json=old)
    assert again.status_code == 200 and again.json()["status"] == "unchanged"
    corrected = old | {"opinions_raised": 2, "opinions": OPINIONS}
    await post(meetings, f"/units/{COMMUNE}/meetings/vc-old/correct", {"meeting": corrected})
    row = await service.runtime.outbox.rows.find_one({"event_type": "meeting.corrected"})
    event = Envelope.model_validate_json(row["value"])
    assert (
        event.payload["previous"]["opinions"] == []
        and len(event.payload["corrected"]["opinions"]) == 2
    )
