"""Projections follow hierarchy changes exactly, on the real MongoDB store.

For random event histories and random sets of hierarchy changes landing anywhere among the
records, folded in random batch sizes the way the projector's handler does it (the real
working set, flushed after each batch, each change a barrier flush of what was folded before
it), the result equals a rebuild that knew every change first; every total is its unit's own
figures plus those of everything below it; and the country total is every record once.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymongo import AsyncMongoClient

from contracts import Decoded, InvalidEvent
from contracts.hierarchy import HierarchyChanged
from contracts.meetings import MeetingHeld
from deploy.local import Endpoints
from services.common.hierarchy import Hierarchy, era_of
from services.common.mongo import Document, connect
from services.common.settings import Settings
from services.reporting.read.projector.fold import month_of
from services.reporting.read.projector.store import ProjectionStore
from services.reporting.read.projector.working_set import Offset, WorkingSet
from tests.unit.test_hierarchy_changes import BASE, NEW, POOL, contact

pytestmark = pytest.mark.integration

Item = Decoded[MeetingHeld] | HierarchyChanged
State = dict[str, dict[Any, Any]]
_databases = itertools.count()


def _clean(figures: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in figures.items() if v}


async def project(
    client: AsyncMongoClient[Document], items: list[Item], batch: int
) -> tuple[State, Hierarchy, int]:
    """Feed items in order, `batch` at a time, the projector's way: into the working set,
    flushed after each batch, a change a barrier flush; return what MongoDB then holds
    (non-zero figures only)."""
    db = client[f"prop{os.getpid()}x{next(_databases)}"]
    store = ProjectionStore(db)
    await store.create_indexes()
    hierarchy, refused = BASE.copy(), 0
    working = WorkingSet(client, store, hierarchy, interval=3600.0, limit=1_000_000)
    try:
        for offset, item in enumerate(items):
            working.read([Offset("items", 0, offset)])
            if isinstance(item, HierarchyChanged):
                await working.change(item)
            else:
                await working.know([item.envelope.stream])
                try:
                    working.pending.add(item)
                except InvalidEvent:
                    refused += 1
            if (offset + 1) % batch == 0:
                await working.drain()
        await working.drain()
        months = {
            (d["unit"], d["month"]): (
                d["level"],
                d["parent"],
                _clean(d.get("own", {})),
                _clean(d.get("total", {})),
            )
            async for d in store.unit_months.find()
        }
        days = {
            (unit, day): _clean(figures)
            async for unit, day, figures in store.day_figures(
                {unit for unit, _ in months}, date.min, date.max
            )
        }
        state: State = {
            "months": {k: v for k, v in months.items() if v[2] or v[3]},
            "days": {k: v for k, v in days.items() if v},
        }
        return state, hierarchy, refused
    finally:
        await client.drop_database(db.name)


UNIT_CODES = {"legacy": ["01", "001", "002", "00001", "00002", "00003", "00004"]}
UNIT_CODES["2025"] = [u.code for u in NEW]

days = st.one_of(
    st.dates(date(2024, 1, 1), date(2025, 6, 30)),
    st.dates(date(2025, 7, 1), date(2026, 6, 30)),
)


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[Item], list[HierarchyChanged]]:
    events: list[Item] = []
    for seq in range(1, draw(st.integers(1, 40)) + 1):
        day = draw(days)
        unit = draw(st.sampled_from(UNIT_CODES[era_of(day)]))
        events.append(contact(unit, day, seq, draw(st.integers(1, 50))))
    chosen = draw(st.lists(st.sampled_from(POOL), unique_by=lambda c: c.change_no))
    live: list[Item] = list(events)
    for c in chosen:  # each change lands somewhere among the records
        live.insert(draw(st.integers(0, len(live))), c)
    return live, chosen


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories(), batch=st.integers(1, 7))
async def test_live_equals_rebuild_and_parents_add_up(
    servers: Endpoints, history: tuple[list[Item], list[HierarchyChanged]], batch: int
) -> None:
    live_items, changes = history
    records = [i for i in live_items if not isinstance(i, HierarchyChanged)]
    on = Settings(mongodb_uri=servers.mongodb_uri, mongodb_secrets_dir=servers.mongodb_secrets_dir)
    client: AsyncMongoClient[Document] = connect(on, "test-projection")
    try:
        live, hierarchy, refused_live = await project(client, live_items, batch)
        rebuilt, _, refused_rebuild = await project(client, [*changes, *records], 50)
    finally:
        await client.close()

    assert refused_live == refused_rebuild == 0  # records of existing units always count
    assert live == rebuilt

    # Every total is the unit's own figures plus those of everything below it, day by day,
    # under the hierarchy in force that day.
    expected: Counter[tuple[str, str, str]] = Counter()
    for (unit, day), figures in live["days"].items():
        for code in hierarchy.lineage(unit, day):
            for key, value in figures.items():
                expected[(code, month_of(day), key)] += value
    for (unit, month), (_, _, _, total) in live["months"].items():
        for key, value in total.items():
            assert expected[(unit, month, key)] == value, (unit, month, key)

    # And literally parent = own + sum of children's totals, in months without a change
    # inside them (one change in the pool takes effect mid-month).
    mid_month = {month_of(c.effective) for c in changes if c.effective.day != 1}
    for (unit, month), (_, _, own, total) in live["months"].items():
        if month in mid_month:
            continue
        summed = Counter(own)
        for (_, m), (_, parent, _, child_total) in live["months"].items():
            if m == month and parent == unit:
                summed.update(child_total)
        assert _clean(dict(summed)) == total, (unit, month)

    # Nothing is lost: the grand total over provinces is every record's figure once.
    voters = sum(e.payload.meeting.voters_attending for e in records)  # type: ignore[union-attr]
    provinces = sum(
        total.get("voters_reached", 0)
        for (_, _), (level, parent, _, total) in live["months"].items()
        if parent is None and level == "province"
    )
    assert provinces == voters
