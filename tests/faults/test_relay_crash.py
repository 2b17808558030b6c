"""SIGKILL of a meetings service process while its relay works through a large backlog."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.common.runtime import Runtime
from services.common.settings import Settings
from tests.conftest import eventually
from tests.faults.support import (
    EventFactory,
    ServiceProcess,
    databases,
    end_offsets,
    running_reporting,
    wait_caught_up,
)

pytestmark = [pytest.mark.faults, pytest.mark.integration]

BACKLOG = 3000


async def accepted_backlog(settings: Settings, count: int) -> None:
    """`count` accepted writes waiting in the meetings outbox (numbered and signed by the
    service's own Outbox, in transactions), with no relay running yet."""
    runtime = Runtime(settings, "meetings")
    await runtime.outbox.create_indexes()
    drafts = EventFactory(settings).drafts(count)
    try:
        for start in range(0, count, 500):
            chunk = drafts[start : start + 500]

            async def work(session: Any, chunk: Any = chunk) -> None:
                await runtime.outbox.append(session, settings.topics.meetings, chunk)

            await runtime.write(work)
    finally:
        await runtime.stop()


async def test_sigkill_between_publish_and_mark_sent_counts_nothing_twice(
    settings: Settings, processes: list[ServiceProcess], tmp_path: Path
) -> None:
    """`python -m services.meetings` relays a backlog 200 rows at a time and is SIGKILLed
    right after a batch reached the topic and before its rows are marked sent (the relay is
    told to wait a second in that window, so the kill lands there every time). The restarted
    relay publishes those rows again. Downstream every event must count exactly once."""
    settings = settings.model_copy(update={"relay_batch": 200, "fault_delay_before_mark_ms": 1000})
    await accepted_backlog(settings, BACKLOG)
    meetings = ServiceProcess("meetings", settings, tmp_path / "meetings.log")
    processes.append(meetings)
    topic = settings.topics.meetings

    async with databases(settings) as db, running_reporting(settings):
        outbox = db.meetings["outbox"]
        between_publish_and_mark, extra = 0, 0
        while between_publish_and_mark < 2:
            marked = await outbox.count_documents({"sent": True})
            if marked == BACKLOG:
                break
            assert meetings.lives < 15, meetings.tail()
            meetings.start()

            async def published_not_marked(before: int = extra) -> None:
                published = sum((await end_offsets(settings, [topic])).values())
                assert published - await outbox.count_documents({"sent": True}) > before

            await eventually(published_not_marked, within=60, interval=0.02)
            meetings.kill()
            marked = await outbox.count_documents({"sent": True})
            published = sum((await end_offsets(settings, [topic])).values())
            if published - marked > extra:  # published, then killed before the mark
                between_publish_and_mark += 1
            extra = published - marked
        assert between_publish_and_mark >= 1, "no kill landed between publish and mark"

        meetings = ServiceProcess(
            "meetings",
            settings.model_copy(update={"fault_delay_before_mark_ms": 0}),
            tmp_path / "meetings-final.log",
        )
        processes.append(meetings)
        meetings.start()

        async def drained() -> None:
            assert await outbox.count_documents({"sent": False}) == 0

        await eventually(drained, within=60)
        meetings.stop()
        published = sum((await end_offsets(settings, [topic])).values())
        assert published > BACKLOG  # some events are on the topic twice …
        await wait_caught_up(settings, db)
        await db.assert_exact(await db.outbox_values())  # … and count once
