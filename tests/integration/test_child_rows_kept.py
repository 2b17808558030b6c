"""A unit's child rows are kept between summaries (services.reporting.read.views.Views) and
are never stale: on mongod, through the projector's own writes (Fold, ProjectionStore).

The hard case is a write that leaves the parent's totals as they were: two communes' voter
contacts corrected in one batch, one by -5 voters and the other by +5. The district's figures
are the same; its rows are not.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from contracts import Decoded
from contracts.meetings import MeetingCorrected, VoterContact
from contracts.timezone import VIETNAM_TZ
from deploy.local import Endpoints
from services.common.hierarchy import Hierarchy
from services.common.mongo import Document, connect, in_transaction
from services.reporting.read.periods import parse_period
from services.reporting.read.projector.fold import Fold
from services.reporting.read.projector.store import ProjectionStore, month_document
from services.reporting.read.views import UnitSummary, Views
from tests.builders import held_voter_contact, sealed
from tests.conftest import isolated_settings

pytestmark = pytest.mark.integration

DISTRICT = "106"  # Huyện Tam Đường (Lai Châu)
DAY = date(2025, 3, 10)
PERIOD = parse_period("2025-Q1")


def contact(unit: str, voters: int) -> VoterContact:
    return VoterContact(
        meeting_id=f"tx-{unit}",
        title="Tiếp xúc cử tri",
        held_on=DAY,
        timing="after_session",
        delegate_group="Tổ 1",
        voters_attending=voters,
        opinions_raised=1,
    )


def corrected(unit: str, seq: int, was: int, now: int) -> Decoded[MeetingCorrected]:
    payload = MeetingCorrected(
        meeting_id=f"tx-{unit}", previous=contact(unit, was), corrected=contact(unit, now)
    )
    return sealed(payload, unit, datetime.combine(DAY, time(15), tzinfo=VIETNAM_TZ), seq)


@pytest.fixture
async def db(servers: Endpoints, unit_keys: Path) -> AsyncIterator[AsyncDatabase[Document]]:
    client = connect(isolated_settings(servers, unit_keys), "rows")
    database: AsyncDatabase[Document] = client[f"rows{os.getpid()}"]
    try:
        yield database
    finally:
        await client.drop_database(database.name)
        await client.close()


async def test_rows_kept_are_read_again_whenever_a_child_was_written(
    db: AsyncDatabase[Document],
) -> None:
    tree = Hierarchy.load()
    a, b = [c.code for c in tree.children(DISTRICT, "legacy")[:2]]
    store = ProjectionStore(db)
    await store.create_indexes()
    views = Views(store.unit_months, tree)

    async def fold(*records: Decoded[Any]) -> None:
        async def write(session: AsyncClientSession) -> None:
            batch = Fold(tree, {})
            for r in records:
                batch.add(r)
            await store.apply(session, batch, [])

        await in_transaction(db.client, write)

    async def summary() -> UnitSummary:
        found = await views.summary(DISTRICT, PERIOD)
        assert found is not None
        return found

    async def rows() -> dict[str, int]:
        children = (await summary()).children
        return {c.code: f["voters_reached"] for c, f in children if c.code in (a, b)}

    async def revs() -> list[int]:
        ids = [month_document(u, "2025-03") for u in (a, DISTRICT, "12")]
        by_id = {d["_id"]: d["rev"] async for d in store.unit_months.find({"_id": {"$in": ids}})}
        return [by_id[i] for i in ids]

    await fold(held_voter_contact(a, DAY, 1, voters=10), held_voter_contact(b, DAY, 1, voters=5))
    assert await rows() == {a: 10, b: 5}
    assert await revs() == [1, 1, 1]  # one write of the commune, its district, its province
    totals = (await summary()).figures

    await fold(corrected(a, 2, was=10, now=5), corrected(b, 2, was=5, now=10))
    assert await revs() == [2, 2, 2]  # a child's write is its parents' too
    assert (await summary()).figures == totals  # the district's figures: the same
    assert await rows() == {a: 5, b: 10}  # its rows: read again

    # What answers is the rows kept: a write behind the projector's back (a child's month, no
    # rev, its parents untouched) is not seen until the key changes, here the tree's revision.
    behind = {"$inc": {"total.voters_reached": 100}}
    await store.unit_months.update_one({"_id": month_document(a, "2025-03")}, behind)
    assert await rows() == {a: 5, b: 10}
    before = tree.revision
    tree.adopt(tree.copy())
    assert tree.revision > before
    assert await rows() == {a: 105, b: 10}
