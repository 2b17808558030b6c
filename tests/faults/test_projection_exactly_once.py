"""Exactly-once effect of the reporting projection: duplicates, crashes before a commit, lost
offsets, and SIGKILL of the reporting process while it catches up."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from contracts import Envelope
from services.common.consumer import Record
from services.common.settings import Settings
from services.reporting.wiring import Reporting
from tests.conftest import eventually
from tests.faults.support import (
    Databases,
    EventFactory,
    ServiceProcess,
    databases,
    end_offsets,
    expected,
    publish,
    read_topic,
    running_reporting,
    wait_caught_up,
)

pytestmark = [pytest.mark.faults, pytest.mark.integration]


async def test_every_event_published_two_or_three_times_in_any_order_counts_once(
    settings: Settings,
) -> None:
    """Each event goes out 2-3 times, copies scattered up to 40 messages apart (so a copy may
    land in the same batch as its original or many batches later, and a stream's sequences
    arrive out of order, as after a relay retry); then the whole topic is published again."""
    settings = settings.model_copy(update={"consumer_batch": 13})
    topic = settings.topics.meetings
    events = EventFactory(settings).make(700)
    rng = random.Random(2)
    slots = sorted(
        (i + rng.randint(0, 40), rng.random(), i)
        for i, _ in enumerate(events)
        for _copy in range(rng.choice((2, 3)))
    )
    messages = [events[i] for _, _, i in slots]
    half = len(messages) // 2

    await publish(settings, topic, messages[:half])
    async with databases(settings) as db, running_reporting(settings):
        await publish(settings, topic, messages[half:])  # while the projector is at work
        await wait_caught_up(settings, db)
        await db.assert_exact(events)

        await publish(settings, topic, [r.value for r in await read_topic(settings, topic)])
        await wait_caught_up(settings, db)
        await db.assert_exact(events)
    assert len(await read_topic(settings, topic)) == 2 * len(messages) >= 4 * len(events)


class SimulatedCrash(RuntimeError):
    """The process dies after the figures were written in the transaction, before its commit."""


async def test_a_crash_between_the_writes_and_the_commit_leaves_no_trace_and_is_redelivered(
    settings: Settings,
) -> None:
    """The projector writes figures, stream positions and Kafka offsets in one transaction.
    Fail it after all three writes, before the commit: MongoDB must show nothing of that batch
    (offsets included), and the consumer must read the same records again and count them once.
    (A flush every 50 records, so that the fourth is well before the end.)"""
    settings = settings.model_copy(update={"consumer_batch": 50, "flush_events": 50})
    events = EventFactory(settings).make(600)
    await publish(settings, settings.topics.meetings, events)

    crashed, resume = asyncio.Event(), asyncio.Event()
    seen: dict[str, Any] = {"applies": 0, "after": []}

    def prepare(reporting: Reporting) -> None:
        apply, handle = reporting.store.apply, reporting.consumer.handle

        async def apply_then_die(session: Any, fold: Any, records: Sequence[Record]) -> None:
            await apply(session, fold, records)  # every write of the batch, inside the txn
            seen["applies"] += 1
            if seen["applies"] == 4:
                raise SimulatedCrash("before the commit")

        async def handle_watched(records: Sequence[Record]) -> None:
            if crashed.is_set():
                await resume.wait()  # hold the restarted consumer until MongoDB was inspected
                seen["after"].extend((r.topic, r.partition, r.offset) for r in records)
                return await handle(records)
            seen["before"] = (await db.positions(), await db.projection())
            try:
                await handle(records)
            except SimulatedCrash:
                seen["crashed"] = [(r.topic, r.partition, r.offset) for r in records]
                crashed.set()
                raise

        reporting.store.apply = apply_then_die  # type: ignore[method-assign]
        reporting.consumer.handle = handle_watched

    async with databases(settings) as db, running_reporting(settings, prepare) as reporting:
        await asyncio.wait_for(crashed.wait(), 60)
        positions, projection = seen["before"]
        assert positions, "three batches were committed before the crash"
        assert await db.positions() == positions  # the offsets did not move …
        assert await db.projection() == projection  # … and no figure of the batch is visible
        resume.set()
        await wait_caught_up(settings, db)
        await db.assert_exact(events)
        assert set(seen["crashed"]) <= set(seen["after"])  # the same records, read again
        assert reporting.consumer.status.restarts >= 1


async def test_offsets_rolled_back_redeliver_events_that_are_not_counted_again(
    settings: Settings,
) -> None:
    """Were offsets committed apart from the figures (and that commit lost), events would come
    again: the stream sequences stored with the figures drop every one of them."""
    events = EventFactory(settings).make(800)
    await publish(settings, settings.topics.meetings, events)
    async with databases(settings) as db:
        async with running_reporting(settings):
            await wait_caught_up(settings, db)
        positions = db.reporting["consumer_positions"]
        rolled_back = 0
        async for doc in positions.find():
            back_to = doc["next_offset"] // 3 if doc["partition"] % 2 else 0
            rolled_back += doc["next_offset"] - back_to
            await positions.update_one({"_id": doc["_id"]}, {"$set": {"next_offset": back_to}})
        assert rolled_back > 300
        async with running_reporting(settings) as reporting:
            await wait_caught_up(settings, db)
            status = reporting.consumer.status

            async def all_read_again() -> None:
                assert status.handled == rolled_back

            await eventually(all_read_again)
        await db.assert_exact(events)  # … none counted again


async def _records_below(settings: Settings, positions: dict[str, int]) -> list[bytes]:
    records = await read_topic(settings, settings.topics.meetings)
    return [r.value for r in records if r.offset < positions.get(f"{r.topic}:{r.partition}", 0)]


async def _progressed(db: Databases, beyond: int, process: ServiceProcess) -> int:
    async def moved() -> int:
        done = sum((await db.positions()).values())
        assert beyond < done, f"no batch committed in life {process.lives}:\n{process.tail()}"
        return done

    done: int = await eventually(moved, within=60, interval=0.02)
    return done


async def test_sigkill_of_the_reporting_process_while_it_catches_up(
    settings: Settings, processes: list[ServiceProcess], tmp_path: Path
) -> None:
    """`python -m services.reporting` folds 3000 events in batches of 40 and is
    SIGKILLed as soon as it has committed a batch (twice), then restarted. At each kill the
    figures must equal exactly the events below the stored offsets (figures and offsets commit
    together), and in the end every event counts once."""
    settings = settings.model_copy(update={"consumer_batch": 40})
    factory = EventFactory(settings)
    events: list[Envelope] = factory.make(3000)
    await publish(settings, settings.topics.meetings, events)
    reporting = ServiceProcess(
        "reporting", settings, tmp_path / "reporting.log", {"HDND_LOG_LEVEL": "info"}
    )
    processes.append(reporting)

    async with databases(settings) as db:
        kills, done = 0, 0
        while kills < 2:
            assert reporting.lives < 6, reporting.tail()
            reporting.start()
            done = await _progressed(db, done, reporting)
            reporting.kill()
            positions = await db.positions()
            done = sum(positions.values())
            wanted = expected(await _records_below(settings, positions))
            assert await db.projection() == wanted  # consistent at the instant of the kill
            ends = await end_offsets(settings, settings.topics.facts)
            if done < sum(ends.values()):
                kills += 1
            else:  # it had finished before the kill landed: give it more to do
                more = factory.make(3000)
                events += more
                await publish(settings, settings.topics.meetings, more)

        reporting.start()
        await reporting.healthy()
        await wait_caught_up(settings, db)
        await db.assert_exact(events)
