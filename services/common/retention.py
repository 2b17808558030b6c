"""Published outbox rows are deleted once they are older than the retention age.

A row is needed until the broker has the event (the topics keep every event for good, and
projections are rebuilt from them); after that it only answers "what did this instance send,
and when" for a short audit window, while it still holds whatever free text the event carried
(voter opinions, petition summaries). So each relaying process deletes rows published more than
`HDND_OUTBOX_RETENTION_DAYS` ago, every few minutes. Rows not yet published are never touched,
however old: they are events still owed to the topics.

A loop rather than a TTL index: its age can be changed by restarting with another setting (a
TTL index would need `collMod`), and it runs as often as a short test age needs, while
mongod's TTL monitor wakes once a minute at best.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pymongo import ASCENDING
from pymongo.errors import PyMongoError

from services.common.background import Loop
from services.common.logging import get_logger
from services.common.outbox import Outbox

log = get_logger()

PUBLISHED_INDEX = "published_by_age"


class OutboxPruner:
    """Deletes the published rows of one outbox older than `retention`, every `interval`
    (by default a quarter of the age, at most every 10 minutes)."""

    def __init__(self, outbox: Outbox, retention: timedelta, interval: float | None = None):
        self.outbox = outbox
        self.retention = retention
        seconds = retention.total_seconds() / 4
        self.interval = interval if interval is not None else max(0.2, min(600.0, seconds))
        self.pruned = 0
        self._background = Loop("outbox-pruner")

    async def create_index(self) -> None:
        await self.outbox.rows.create_index(
            [("sent_at", ASCENDING)],
            name=PUBLISHED_INDEX,
            partialFilterExpression={"sent": True},
        )

    async def prune_once(self) -> int:
        """Delete the published rows older than the retention age now; returns how many."""
        cutoff = datetime.now(UTC) - self.retention
        done = await self.outbox.rows.delete_many({"sent": True, "sent_at": {"$lt": cutoff}})
        self.pruned += done.deleted_count
        if done.deleted_count:
            log.info("outbox_pruned", count=done.deleted_count, older_than=cutoff.isoformat())
        return done.deleted_count

    def start(self) -> None:
        self._background.start(self._run())

    async def stop(self) -> None:
        await self._background.stop(grace=5.0)

    async def _run(self) -> None:
        while not self._background.stopping.is_set():
            try:
                await self.prune_once()
            except PyMongoError as exc:  # MongoDB away: the rows wait for the next round
                log.warning("outbox_prune_failed", error=f"{type(exc).__name__}: {exc}")
            await self._background.pause(self.interval)
