"""The hierarchy registry on real servers: the whole country loaded once, published, followed."""

from __future__ import annotations

from contextlib import AsyncExitStack

import pytest

from contracts import EventDraft
from contracts.hierarchy import UnitRegistered
from deploy.dlq import Selection, list_letters
from deploy.registry import Registry
from services.common.hierarchy import Hierarchy
from services.common.recording import business_time
from services.common.runtime import Runtime
from services.common.settings import Settings
from services.reporting.app import create_app as reporting_app
from tests.conftest import eventually, start_app

pytestmark = pytest.mark.integration


async def test_the_whole_country_is_loaded_once_published_and_checked_by_consumers(
    stack: AsyncExitStack, settings: Settings
) -> None:
    hierarchy = Hierarchy.load()
    runtime = Runtime(settings, "hierarchy")
    stack.push_async_callback(runtime.stop)
    registry = Registry(runtime)
    await registry.create_indexes()
    await runtime.outbox.create_indexes()
    advanced: list[int] = []

    first = await registry.load(hierarchy, advanced.append)
    assert first.units == first.new == 14_149 and sum(advanced) == 14_149
    assert await registry.drain(lambda _: None, wait=120) == 14_149
    again = await registry.load(hierarchy, lambda _: None)
    assert again.new == 0 and await runtime.outbox.pending_count() == 0

    units = runtime.db["units"]
    assert await units.count_documents({"era": "legacy"}) == 63 + 696 + 10_035
    assert await units.count_documents({"era": "2025"}) == 34 + 3_321
    cong_vi = await units.find_one({"era": "legacy", "code": "00007"})
    assert cong_vi is not None
    assert cong_vi["successors"][0] == "00008" and cong_vi["valid_to"] == "2025-06-30"
    assert cong_vi["parent"] == "001" and cong_vi["level"] == "commune" and cong_vi["lat"]

    # The projector reads every registration, finds each equal to its own dataset, and
    # dead-letters one that is not (a service on another dataset would count elsewhere).
    reporting = await start_app(stack, reporting_app(settings), "http://reporting")
    tampered = hierarchy.registered(hierarchy.unit("00007", "legacy")).model_copy(
        update={"parent": "002"}
    )
    assert isinstance(tampered, UnitRegistered)

    async def publish_tampered(session: object) -> None:
        draft = EventDraft(
            type=tampered.TYPE,
            version=tampered.VERSION,
            unit="01",
            occurred_at=business_time(hierarchy.unit("01", "legacy").valid_to),  # type: ignore[arg-type]
            payload=tampered,
        )
        await runtime.outbox.append(session, settings.topics.hierarchy, [draft])  # type: ignore[arg-type]

    await runtime.write(publish_tampered)
    await registry.drain(lambda _: None, wait=30)

    async def all_read() -> None:
        status = reporting.app.state.reporting.consumer.status
        assert status.handled >= 14_150 and status.caught_up

    await eventually(all_read, within=120)

    async def dead_lettered() -> list[str]:
        listing = await list_letters(settings, Selection(reason="00007"), limit=10)
        # At least once: a batch retried after a transient error publishes its letters again.
        assert listing.matching >= 1
        return [letter.reason for letter in listing.letters]

    for reason in await eventually(dead_lettered):
        assert "is ('commune', '001', 'Phường Cống Vị') here" in reason, reason
