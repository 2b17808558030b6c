"""Retention of outbox rows on real servers: published rows go after the configured age, rows
still owed to the topics stay however old they are."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import pytest

from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from tests.builders import meeting
from tests.conftest import eventually, start_app

pytestmark = pytest.mark.integration

SECOND = 1 / 86_400  # HDND_OUTBOX_RETENTION_DAYS of one second


def standing(meeting_id: str) -> dict[str, object]:
    held = meeting("standing_committee", meeting_id, "Phiên họp Thường trực HĐND", "2025-03-04")
    return held | {"meeting_type": "regular"}


async def test_published_rows_older_than_the_retention_age_are_pruned_by_the_service(
    stack: AsyncExitStack, settings: Settings
) -> None:
    served = settings.model_copy(update={"units": ["12"], "outbox_retention_days": 2 * SECOND})
    app = await start_app(stack, meetings_app(served), "http://meetings")
    rows = app.app.state.meetings.runtime.outbox.rows
    r = await app.client.post("/units/105/meetings", json=standing("tt-1"))
    assert r.status_code == 201, r.text
    event_id = r.json()["event_id"]

    async def published() -> None:
        row = await rows.find_one({"_id": event_id})
        assert row is not None and row["sent"], row

    await eventually(published)

    async def pruned() -> None:
        assert await rows.find_one({"_id": event_id}) is None

    await eventually(pruned, within=15)
    stored = await app.app.state.meetings.store.find("tt-1")
    assert stored is not None and stored["status"] == "held"  # only the row went


async def test_only_published_rows_past_the_age_are_pruned_never_pending_ones(
    stack: AsyncExitStack, settings: Settings
) -> None:
    """Three rows as the relay leaves them: published long ago, published just now, and
    never published (the broker away for weeks). Only the first goes."""
    from services.common.retention import OutboxPruner

    served = settings.model_copy(update={"units": ["12"], "relay": False})
    app = await start_app(stack, meetings_app(served), "http://meetings")
    outbox = app.app.state.meetings.runtime.outbox
    for meeting_id in ("old", "new", "owed"):
        r = await app.client.post("/units/105/meetings", json=standing(meeting_id))
        assert r.status_code == 201, r.text
    long_ago = datetime.now(UTC) - timedelta(days=90)
    ids = {d["_id"]: d["event_id"] async for d in app.app.state.meetings.store.meetings.find()}
    await outbox.rows.update_one({"_id": ids["old"]}, {"$set": {"sent": True, "sent_at": long_ago}})
    await outbox.rows.update_one(
        {"_id": ids["new"]}, {"$set": {"sent": True, "sent_at": datetime.now(UTC)}}
    )
    await outbox.rows.update_one({"_id": ids["owed"]}, {"$set": {"created_at": long_ago}})

    pruner = OutboxPruner(outbox, timedelta(days=30))
    await pruner.create_index()
    assert await pruner.prune_once() == 1
    left = {d["_id"] async for d in outbox.rows.find()}
    assert left == {ids["new"], ids["owed"]}
    assert await pruner.prune_once() == 0
