"""The write-behind working set against a real mongod: what it holds in memory never counts
an event twice, even when another writer moves the same stream positions under it."""

from __future__ import annotations

from datetime import date

import pytest

from services.common.hierarchy import Hierarchy
from services.common.mongo import connect
from services.common.settings import Settings
from services.reporting.projector.fold import fold, place_event
from services.reporting.projector.store import ProjectionStore
from services.reporting.projector.working_set import Offset, StalePositions, WorkingSet
from tests.builders import held_voter_contact

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
