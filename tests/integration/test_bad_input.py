"""Bad input gets a clear refusal and writes nothing; bad events are dead-lettered."""

from __future__ import annotations

import json
from contextlib import AsyncExitStack
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from services.reporting.app import create_app as reporting_app
from tests.conftest import Running, eventually, start_app
from tests.integration.test_rollup import session, summary, voter_contact
from tests.topics import records_on

pytestmark = pytest.mark.integration
COMMUNE = "03390"  # Thị trấn Tam Đường, Huyện Tam Đường (106), Tỉnh Lai Châu (12), before 2025


async def nothing_written(meetings: Running) -> None:
    runtime = meetings.app.state.meetings.runtime
    assert await runtime.db["meetings"].count_documents({}) == 0
    assert await runtime.outbox.rows.count_documents({}) == 0


@pytest.mark.parametrize(
    ("unit", "change", "status", "field"),
    [
        (COMMUNE, {"voters_attending": -5}, 422, "voters_attending"),
        (COMMUNE, {"timing": "during_lunch"}, 422, "timing"),
        (COMMUNE, {"held_on": "2025-02-30"}, 422, "held_on"),
        (COMMUNE, {"held_on": "2999-01-01"}, 422, "held_on"),
        (COMMUNE, {"kind": "picnic"}, 422, "body"),
        ("99999", {}, 422, "unit"),
        ("12a", {}, 422, "unit"),
        ("01", {}, 403, "unit"),  # Hà Nội: not served by an instance serving Lai Châu
    ],
)
async def test_refusals_name_the_field_and_write_nothing(
    stack: AsyncExitStack,
    settings: Settings,
    unit: str,
    change: dict[str, Any],
    status: int,
    field: str,
) -> None:
    served = settings.model_copy(update={"units": ["12"]})
    meetings = await start_app(stack, meetings_app(served), "http://meetings")
    body = voter_contact("vc-bad", "2025-03-01", voters=10, opinions=1) | change
    r = await meetings.client.post(f"/units/{unit}/meetings", json=body)
    assert r.status_code == status, r.text
    detail = r.json()["detail"]
    assert any(field in ".".join(map(str, d["loc"])) for d in detail), detail
    await nothing_written(meetings)


async def test_training_bridge_point_outside_the_organiser_is_refused(
    stack: AsyncExitStack, settings: Settings
) -> None:
    meetings = await start_app(stack, meetings_app(settings), "http://meetings")
    training = {
        "kind": "training",
        "title": "Tập huấn",
        "held_on": "2025-03-01",
        "format": "online",
        "topics": ["Kỹ năng thẩm tra"],
        "bridge_points": [{"unit": "106", "attendees": 20}, {"unit": "105", "attendees": 9}],
    }
    r = await meetings.client.post("/units/106/meetings", json=training)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "bridge_points", "1", "unit"]
    assert "105" in r.json()["detail"][0]["msg"]
    await nothing_written(meetings)


async def test_retried_post_is_idempotent_and_a_reused_id_conflicts(
    stack: AsyncExitStack, settings: Settings
) -> None:
    meetings = await start_app(stack, meetings_app(settings), "http://meetings")
    body = session("ky-hop-1", "2025-01-10")
    assert (await meetings.client.post("/units/106/meetings", json=body)).status_code == 201
    again = await meetings.client.post("/units/106/meetings", json=body)
    assert again.status_code == 200 and again.json()["status"] == "unchanged"
    other = await meetings.client.post("/units/106/meetings", json=body | {"delegates_present": 1})
    assert other.status_code == 409
    assert await meetings.app.state.meetings.runtime.outbox.rows.count_documents({}) == 1


async def test_bad_events_are_dead_lettered_and_the_partition_keeps_flowing(
    stack: AsyncExitStack, settings: Settings
) -> None:
    meetings, reporting = (
        await start_app(stack, meetings_app(settings), "http://meetings"),
        await start_app(stack, reporting_app(settings), "http://reporting"),
    )
    good = voter_contact("vc-good", "2025-03-02", voters=10, opinions=1)
    first = await meetings.client.post(f"/units/{COMMUNE}/meetings", json=good)
    assert first.status_code == 201
    event = (await meetings.app.state.meetings.runtime.outbox.rows.find_one())["value"]
    forged_unit = json.loads(event) | {"unit": "99999", "sequence": 99}
    newer = json.loads(event) | {"version": 7, "sequence": 98}
    poison = [b"\xff not json", json.dumps(forged_unit).encode(), json.dumps(newer).encode()]

    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for value in poison:  # same key → same partition as the good events
            await producer.send_and_wait(settings.topics.meetings, value, key=COMMUNE.encode())
    finally:
        await producer.stop()
    later = voter_contact("vc-after-poison", "2025-03-09", voters=5, opinions=0)
    assert (await meetings.client.post(f"/units/{COMMUNE}/meetings", json=later)).status_code == 201

    async def both_counted() -> None:
        s = await summary(reporting, "12", "2025-03")
        assert s["figures"]["voter_contacts"] == 2 and s["figures"]["voters_reached"] == 15

    await eventually(both_counted)

    letters = await records_on(settings, settings.topics.dead_letter, expected=3)
    assert sorted(r.value for r in letters) == sorted(poison)
    reasons = [dict(r.headers)["dlq-reason"].decode() for r in letters]
    assert any("invalid envelope" in reason for reason in reasons)
    assert any("99999" in reason for reason in reasons)
    assert any("unsupported version 7" in reason for reason in reasons)
    for r in letters:
        headers = dict(r.headers)
        assert headers["dlq-topic"].decode() == settings.topics.meetings
        assert int(headers["dlq-offset"]) >= 0
