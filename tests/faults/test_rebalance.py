"""Two reporting instances in one consumer group (HDND_CONSUMER_GROUP) while events flow: a
second instance joins, then the first leaves; partitions move twice and nothing counts twice."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import AsyncExitStack
from typing import Any

import pytest

from contracts import Envelope
from services.common.consumer import Record
from services.common.settings import Settings
from services.reporting.wiring import Reporting
from tests.conftest import eventually
from tests.faults.support import (
    EventFactory,
    databases,
    publish,
    running_reporting,
    wait_caught_up,
)

pytestmark = [pytest.mark.faults, pytest.mark.integration]

PARTITIONS = 15  # three fact topics, the hierarchy and the identity topic × three partitions


class Feed:
    """Publishes small waves of events until stopped: the traffic a rebalance happens in."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.factory = EventFactory(settings)
        self.published: list[Envelope] = []
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while not self._stop.is_set():
            wave = self.factory.make(40)
            await publish(self.settings, self.settings.topics.meetings, wave)
            self.published += wave
            await asyncio.sleep(0.05)

    async def stop(self) -> list[Envelope]:
        self._stop.set()
        await self._task
        return self.published


async def test_a_rebalance_in_a_consumer_group_never_double_counts(settings: Settings) -> None:
    settings = settings.model_copy(
        update={"consumer_group": f"{settings.database_prefix}-reporting", "consumer_batch": 50}
    )
    duplicates: list[int] = []

    def count_duplicates(reporting: Reporting) -> None:
        apply = reporting.store.apply

        async def counted(session: Any, fold: Any, records: Sequence[Record]) -> None:
            await apply(session, fold, records)
            duplicates.append(fold.duplicates)

        reporting.store.apply = counted  # type: ignore[method-assign]

    async with databases(settings) as db, AsyncExitStack() as first_life:
        feed = Feed(settings)
        first = await first_life.enter_async_context(running_reporting(settings, count_duplicates))
        a, b = first.consumer.status, None

        async def first_has_all() -> None:
            assert len(a.assigned) == PARTITIONS and a.handled > 0

        await eventually(first_has_all, within=60)

        async with running_reporting(settings, count_duplicates) as second:
            b = second.consumer.status

            async def shared() -> None:
                assert a.assigned and b.assigned, (a.assigned, b.assigned)
                assert sorted(a.assigned + b.assigned) == sorted(set(a.assigned + b.assigned))
                assert len(a.assigned) + len(b.assigned) == PARTITIONS
                assert b.handled > 0

            await eventually(shared, within=60)
            handled_before = b.handled
            await first_life.aclose()  # the first instance leaves while events keep coming

            async def second_has_all() -> None:
                assert len(b.assigned) == PARTITIONS and b.handled > handled_before + 200

            await eventually(second_has_all, within=60)
            published = await feed.stop()
            await wait_caught_up(settings, db)
            await db.assert_exact(published)
            assert b.rebalances >= 2 and a.rebalances >= 2

            async def all_handled() -> None:  # the last batch's count lands after its commit
                assert a.handled + b.handled >= len(published)

            await eventually(all_handled)

    # The first line of defence held: partitions changed hands only between batches, from the
    # positions stored with the figures, so the sequence check never had to drop anything.
    assert sum(duplicates) == 0
