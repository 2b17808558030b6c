"""The write-behind working set against a real mongod: what it holds in memory never counts
an event twice, even when another writer moves the same stream positions under it; a
hierarchy change is a barrier flush, all or nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from aiokafka.structs import TopicPartition

from services.common.hierarchy import Hierarchy
from services.common.mongo import connect
from services.common.settings import Settings
from services.reporting.activity.entries import Entry
from services.reporting.read.projector.fold import fold, place_event
from services.reporting.read.projector.store import ProjectionStore
from services.reporting.read.projector.working_set import Offset, StalePositions, WorkingSet
from tests.builders import held_voter_contact
from tests.unit.test_hierarchy_changes import BASE, POOL, contact

pytestmark = pytest.mark.integration


async def test_a_peer_writing_the_same_streams_makes_a_flush_start_over_not_count_twice(
    settings: Settings,
) -> None:
    hierarchy = Hierarchy.load()
    commune = hierarchy.children("106", "legacy")[0].code
    event = held_voter_contact(commune, date(2025, 3, 10), seq=1, voters=7)
    stream, offset = event.envelope.stream, Offset("facts", 0, 0)
    placed = place_event(hierarchy, event)
    client = connect(settings, "test-write-behind")
    store = ProjectionStore(client[settings.database_for("reporting")])
    await store.create_indexes()
    try:
        first, second = (
            WorkingSet(client, store, hierarchy, interval=0.0, limit=100) for _ in range(2)
        )
        for working in (first, second):  # both read the stream before either wrote it
            await working.know([stream])
        for working in (first, second):
            assert working.pending.count(stream, 1, placed)  # new to each of them
            working.read([offset])
        await first.drain()
        with pytest.raises(StalePositions):
            await second.drain()
        assert second.streams == {} and second.records == 0  # it forgot what it held

        await second.know([stream])  # read again from MongoDB: the event is known there
        assert not second.pending.count(stream, 1, placed)
        second.read([offset])
        await second.drain()

        expected = fold(hierarchy, [event]).changes
        for (unit, month), doc in expected.items():
            stored = await store.unit_months.find_one({"_id": f"{unit}:{month}"})
            assert stored is not None
            assert stored["total"] == {k: v for k, v in doc.total.items() if v}, unit
        assert first.committed == 1 and second.committed == 1
    finally:
        await client.drop_database(settings.database_for("reporting"))
        await client.close()


REPARENT = POOL[0]  # 00002 from district 001 to 002, from 1 April 2024
LOGGED = Entry(  # its activity log entry, as reading.py makes it of a change naming its actor
    "hierarchy.changed#1",
    "e-1",
    "hierarchy.changed",
    "00002",
    REPARENT.effective,
    datetime(2024, 3, 20, tzinfo=UTC),
    ("op-1", "Người vận hành", "operator"),
    None,
    "",
)
FACTS, TREE = Offset("facts", 0, 0), Offset("hierarchy", 0, 3)


async def _unit_months(store: ProjectionStore) -> dict[str, tuple[str | None, int]]:
    """Each month document's parent and voters reached in total."""
    return {
        d["_id"]: (d["parent"], d.get("total", {}).get("voters_reached", 0))
        async for d in store.unit_months.find()
    }


async def test_a_hierarchy_change_is_a_barrier_flush_of_what_was_folded_before_it(
    settings: Settings,
) -> None:
    """What was folded before the change is written with it, in one transaction with the
    offsets read up to it, and moved by it; what follows is folded under the changed tree. The
    same change again changes nothing."""
    client = connect(settings, "test-write-behind")
    store = ProjectionStore(client[settings.database_for("reporting")])
    await store.create_indexes()
    hierarchy = BASE.copy()
    working = WorkingSet(client, store, hierarchy, interval=3600.0, limit=1_000)
    try:
        before = contact("00002", date(2024, 5, 10), 1, 7)
        await working.know([before.envelope.stream])
        assert working.pending.add(before)
        working.read([FACTS, TREE])
        assert await working.change(REPARENT, LOGGED)
        assert working.records == 0 and working.adopted == 1  # nothing waits: all written
        assert hierarchy.lineage("00002", date(2024, 5, 10)) == ("00002", "002", "01")
        assert await _unit_months(store) == {
            "00002:2024-05": ("002", 7),
            "001:2024-05": ("01", 0),
            "002:2024-05": ("01", 7),
            "01:2024-05": (None, 7),
        }
        assert await store.positions.load() == {
            TopicPartition("facts", 0): 1,
            TopicPartition("hierarchy", 0): 4,
        }
        assert [c.change_no for c in await store.load_changes()] == [1]
        logged = await store.activity.find_one({"_id": LOGGED.key})
        assert logged is not None and logged["lineage"] == ["00002", "002", "01"]  # as changed

        after = contact("00002", date(2024, 6, 3), 2, 5)
        assert working.pending.add(after)
        working.read([Offset("facts", 0, 1)])
        working.read([Offset("hierarchy", 0, 4)])
        assert not await working.change(REPARENT, LOGGED)  # published again: nothing moves
        assert working.adopted == 1
        months = await _unit_months(store)
        assert months["002:2024-06"] == ("01", 5) and "001:2024-06" not in months
    finally:
        await client.drop_database(settings.database_for("reporting"))
        await client.close()


async def test_a_barrier_that_fails_writes_nothing_and_keeps_the_tree(settings: Settings) -> None:
    """The change's own writes fail in the barrier's transaction: nothing of it, nor of what
    was folded before it, nor the offsets, is in MongoDB; the working set forgot what it held
    and the tree is as it was; done again, the record counts once, where the change puts it."""
    client = connect(settings, "test-write-behind")
    store = ProjectionStore(client[settings.database_for("reporting")])
    await store.create_indexes()
    hierarchy = BASE.copy()
    working = WorkingSet(client, store, hierarchy, interval=3600.0, limit=1_000)
    event = contact("00002", date(2024, 5, 10), 1, 7)
    log_change = store.log_change

    async def fail(*_: object) -> None:
        raise RuntimeError("mongod went away")

    try:
        store.log_change = fail  # type: ignore[method-assign]
        await working.know([event.envelope.stream])
        working.pending.add(event)
        working.read([FACTS, TREE])
        with pytest.raises(RuntimeError, match="went away"):
            await working.change(REPARENT)
        assert await _unit_months(store) == {} and await store.positions.load() == {}
        assert working.streams == {} and working.records == 0 and working.adopted == 0
        assert hierarchy.lineage("00002", date(2024, 5, 10)) == ("00002", "001", "01")

        store.log_change = log_change  # type: ignore[method-assign]
        await working.know([event.envelope.stream])
        assert working.pending.add(event)
        working.read([FACTS, TREE])
        assert await working.change(REPARENT)
        months = await _unit_months(store)
        assert months["002:2024-05"] == ("01", 7) and months["001:2024-05"] == ("01", 0)
    finally:
        await client.drop_database(settings.database_for("reporting"))
        await client.close()


async def test_once_caught_up_a_flush_starts_at_once_and_while_behind_it_waits_to_coalesce(
    settings: Settings,
) -> None:
    """Behind, what is folded waits for the interval (or the limit) so that a flush carries
    many batches; once the consumer has read everything there is, the next flush starts at
    once (one at a time still): freshness, not the interval, is then what matters."""
    hierarchy = Hierarchy.load()
    commune = hierarchy.children("106", "legacy")[0].code
    client = connect(settings, "test-write-behind")
    store = ProjectionStore(client[settings.database_for("reporting")])
    await store.create_indexes()
    working = WorkingSet(client, store, hierarchy, interval=3600.0, limit=1_000)
    try:
        for seq in (1, 2):
            event = held_voter_contact(commune, date(2025, 3, 10), seq=seq, voters=7)
            await working.know([event.envelope.stream])
            assert working.pending.count(event.envelope.stream, seq, place_event(hierarchy, event))
            working.read([Offset("facts", 0, seq - 1)])
            await working.settle()
            assert working.flushing is None  # behind: waits for more
            await working.settle(caught_up=True)
            assert working.flushing is not None and working.records == 0  # on its way
            await working.drain()
            assert working.committed == seq
        stored = await store.unit_months.find_one({"_id": f"{commune}:2025-03"})
        assert stored is not None and stored["total"]["voters_reached"] == 14
    finally:
        await client.drop_database(settings.database_for("reporting"))
        await client.close()
