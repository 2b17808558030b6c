"""The broker and mongod go away and come back (on the fault tests' private stack): no write
accepted meanwhile is lost, none is counted twice, and one unit's events stay in order."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from contextlib import AsyncExitStack
from typing import Any

import pytest

from contracts import Envelope
from deploy.local import LocalStack
from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from services.reporting.app import create_app as reporting_app
from tests.conftest import Running, eventually, start_app
from tests.faults.support import (
    Databases,
    EventFactory,
    captured_logs,
    databases,
    meeting_body,
    publish,
    read_topic,
    units,
    wait_caught_up,
)

pytestmark = [pytest.mark.faults, pytest.mark.integration]


async def post(meetings: Running, unit: str, body: dict[str, Any]) -> None:
    """Record a meeting as a careful client does: retry with the same meeting_id until the
    service answers that it has it (201 recorded, or 200 unchanged after a lost answer)."""
    while True:
        try:
            r = await meetings.client.post(f"/units/{unit}/meetings", json=body, timeout=150)
        except Exception:  # the app raised (e.g. MongoDB away for longer than a retry)
            await asyncio.sleep(0.2)
            continue
        if r.status_code in (200, 201):
            return
        assert r.status_code >= 500, r.text
        await asyncio.sleep(0.2)


def meetings_to_post(count: int, seed: int) -> list[tuple[str, dict[str, Any]]]:
    rng = random.Random(seed)
    return [(rng.choice(units()), meeting_body(rng, f"m{seed}-{i}")) for i in range(count)]


async def ready(service: Running) -> dict[str, Any]:
    r = await service.client.get("/ready")
    body: dict[str, Any] = r.json()
    return body


def assert_in_order_per_unit(records: list[Any]) -> None:
    """On the topic, the first copy of each event of a stream comes in sequence order 1, 2, 3
    … (a re-published copy may follow later; it is dropped downstream)."""
    firsts: dict[str, list[int]] = defaultdict(list)
    for record in records:
        envelope = Envelope.model_validate_json(record.value)
        seen = firsts[envelope.stream]
        if envelope.sequence not in seen:
            seen.append(envelope.sequence)
    for stream, sequences in firsts.items():
        assert sequences == list(range(1, len(sequences) + 1)), (stream, sequences)


async def test_with_the_broker_stopped_writes_are_accepted_and_drain_in_order_when_it_returns(
    private_settings: Settings, private_stack: LocalStack, stack: AsyncExitStack
) -> None:
    settings = private_settings
    meetings = await start_app(stack, meetings_app(settings), "http://meetings")
    await start_app(stack, reporting_app(settings), "http://reporting")
    logs = stack.enter_context(captured_logs())
    db = await stack.enter_async_context(databases(settings))
    before, during = meetings_to_post(20, seed=1), meetings_to_post(25, seed=2)

    for unit, body in before:
        await post(meetings, unit, body)
    await wait_projected(settings, db, await db.outbox_values())

    await asyncio.to_thread(private_stack.stop_kafka)
    try:

        async def noticed_while_idle() -> None:  # nothing to publish: the relay's ping tells
            body = await ready(meetings)
            assert body["kafka"] == "unreachable" and body["outbox_pending"] == 0, body

        await eventually(noticed_while_idle, within=30)
        for unit, body in during:  # accepted although Kafka is away
            r = await meetings.client.post(f"/units/{unit}/meetings", json=body)
            assert r.status_code == 201, r.text

        async def says_so() -> None:
            body = await ready(meetings)
            assert body["ready"] is True  # it can take writes …
            assert body["kafka"] == "unreachable"  # … and says where they are stuck
            assert body["outbox_pending"] == len(during)

        await eventually(says_so, within=30)
        warnings = [e for e in logs if e["level"] == "warning" and e["event"].startswith("relay_")]
        assert warnings, "the relay logs a warning while the broker is away"
    finally:
        await asyncio.to_thread(private_stack.start_kafka)

    async def drained() -> None:
        body = await ready(meetings)
        assert body["kafka"] == "ok" and body["outbox_pending"] == 0, body

    await eventually(drained, within=60)
    accepted = await db.outbox_values()
    assert len(accepted) == len(before) + len(during)
    await wait_projected(settings, db, accepted)
    assert_in_order_per_unit(await read_topic(settings, settings.topics.meetings))


async def wait_projected(settings: Settings, db: Databases, values: list[Any]) -> None:
    await wait_caught_up(settings, db)
    await db.assert_exact(values)


@pytest.mark.parametrize("server", ["kafka", "mongod"])
async def test_a_server_restart_while_events_flow_loses_nothing_and_doubles_nothing(
    server: str, private_settings: Settings, private_stack: LocalStack, stack: AsyncExitStack
) -> None:
    """The projector is catching up a backlog in batches of 40 and the meetings service is
    taking writes over HTTP when the broker (or mongod) is stopped and started again."""
    settings = private_settings.model_copy(update={"consumer_batch": 40})
    backlog = EventFactory(settings).make(2500)
    await publish(settings, settings.topics.meetings, backlog)
    meetings = await start_app(stack, meetings_app(settings), "http://meetings")
    reporting = await start_app(stack, reporting_app(settings), "http://reporting")
    db = await stack.enter_async_context(databases(settings))

    async def write_all() -> None:
        for unit, body in meetings_to_post(40, seed=3):
            await post(meetings, unit, body)

    writer = asyncio.create_task(write_all())

    async def mid_flow() -> None:
        done = sum((await db.positions()).values())
        assert 0 < done < len(backlog) - 500, done

    await eventually(mid_flow, within=60, interval=0.02)
    if server == "kafka":
        await asyncio.to_thread(private_stack.stop_kafka)
        await asyncio.to_thread(private_stack.start_kafka)
    else:
        await asyncio.to_thread(private_stack.stop_mongo)
        await asyncio.to_thread(private_stack.start_mongo)
    await asyncio.wait_for(writer, 240)

    async def drained() -> None:
        assert await db.meetings["outbox"].count_documents({"sent": False}) == 0

    await eventually(drained, within=60)
    accepted = await db.outbox_values()
    assert len(accepted) == 40
    await wait_projected(settings, db, [*backlog, *accepted])
    status = reporting.app.state.reporting.consumer.status

    async def all_handled() -> None:  # the last batch's count lands after its commit
        assert status.running and status.handled >= len(backlog) + 40

    await eventually(all_handled)
    assert_in_order_per_unit(await read_topic(settings, settings.topics.meetings))
