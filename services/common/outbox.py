"""Transactional outbox: events are written with the data that caused them, then relayed.

A write and its events commit in one MongoDB transaction (`Outbox.append`), so an accepted
write can never lose its event and an event never describes a write that did not happen.
`OutboxRelay` publishes pending rows in stream order and marks them sent; if Kafka is away
the rows wait, and the relay drains them when it returns. A crash between publish and mark
re-publishes rows, which consumers drop by their (stream, sequence).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bson import Binary
from faststream.kafka import KafkaBroker
from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from contracts import Envelope, EventDraft, Source
from contracts.signing import Lineage, Signer
from services.common.logging import get_logger
from services.common.mongo import Document

log = get_logger()


class Outbox:
    """The `outbox` and `outbox_sequences` collections of one service database."""

    def __init__(
        self,
        db: AsyncDatabase[Document],
        source: Source,
        signer: Signer | None = None,
        lineage: Lineage | None = None,
    ) -> None:
        self.rows = db["outbox"]
        self.sequences = db["outbox_sequences"]
        self.source = source
        self.signer = signer
        self.lineage = lineage

    async def create_indexes(self) -> None:
        await self.rows.create_index(
            [("created_at", ASCENDING), ("seq", ASCENDING)],
            name="pending",
            partialFilterExpression={"sent": False},
        )

    async def append(
        self, session: AsyncClientSession, topic: str, drafts: Sequence[EventDraft]
    ) -> list[Envelope]:
        """Seal `drafts` with their stream sequence and store them; call inside a transaction.

        The sequence counter is bumped in the same transaction, so a stream has no gaps and a
        concurrent writer to the same unit waits (write conflict → retry) rather than reorders.
        """
        sealed: list[Envelope] = []
        now = datetime.now(UTC)
        for draft in drafts:
            stream = self.source.stream(draft.unit)
            counter = await self.sequences.find_one_and_update(
                {"_id": stream},
                {"$inc": {"seq": 1}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
                session=session,
            )
            assert counter is not None
            envelope = draft.seal(self.source, int(counter["seq"]), recorded_at=now)
            sealed.append(self._signed(envelope))
        await self.rows.insert_many(
            [_row(envelope, topic, now) for envelope in sealed], session=session
        )
        return sealed

    def _signed(self, envelope: Envelope) -> Envelope:
        if self.signer is None:
            return envelope
        lineage = self.lineage(envelope.unit, envelope.business_day) if self.lineage else None
        return self.signer.sign(envelope, lineage or (envelope.unit,))

    async def pending_count(self) -> int:
        return await self.rows.count_documents({"sent": False})

    async def pending(self, limit: int) -> list[Document]:
        cursor = self.rows.find({"sent": False}).sort([("created_at", 1), ("seq", 1)])
        return await cursor.limit(limit).to_list()

    async def mark_sent(self, ids: Sequence[Any]) -> None:
        if ids:
            await self.rows.update_many(
                {"_id": {"$in": list(ids)}},
                {"$set": {"sent": True, "sent_at": datetime.now(UTC)}},
            )


def _row(envelope: Envelope, topic: str, now: datetime) -> Document:
    return {
        "_id": str(envelope.event_id),
        "stream": envelope.stream,
        "seq": envelope.sequence,
        "topic": topic,
        "key": envelope.unit,
        "headers": envelope.headers(),
        "value": Binary(envelope.to_bytes()),
        "event_type": envelope.type,
        "created_at": now,
        "sent": False,
    }


@dataclass
class RelayStatus:
    connected: bool = False
    last_error: str | None = None
    published: int = 0


class OutboxRelay:
    """Publishes the outbox to Kafka; runs as a background task beside the HTTP app."""

    def __init__(
        self,
        outbox: Outbox,
        broker: KafkaBroker,
        batch: int = 500,
        poll_interval: float = 0.25,
        max_backoff: float = 5.0,
        prepare: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.outbox = outbox
        self.broker = broker
        self.batch = batch
        self.poll_interval = poll_interval
        self.max_backoff = max_backoff
        self.prepare = prepare
        self.status = RelayStatus()
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def notify(self) -> None:
        """Called after a commit that wrote outbox rows, so they go out without waiting a poll."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        """Stop after the current batch: whatever is not yet marked stays pending, not lost."""
        self._stopping.set()
        self._wake.set()
        if self._task:
            await self._task
        if self.status.connected:
            with contextlib.suppress(Exception):
                await self.broker.stop()

    async def _run(self) -> None:
        backoff = self.poll_interval
        while not self._stopping.is_set():
            try:
                if not self.status.connected:
                    await self.broker.connect()
                    if self.prepare is not None:
                        await self.prepare()
                    self.status.connected = True
                    log.info("relay_connected")
                sent = await self.drain_once()
                self.status.last_error = None
                backoff = self.poll_interval
                if sent < self.batch:
                    await self._sleep(self.poll_interval)
            except Exception as exc:  # Kafka or MongoDB away: keep rows, back off, retry
                self.status.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("relay_failed", error=self.status.last_error, retry_in_s=backoff)
                await self._sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

    async def drain_once(self) -> int:
        """Publish one batch of pending rows; mark the ones the broker acknowledged."""
        rows = await self.outbox.pending(self.batch)
        if not rows:
            return 0
        started = time.perf_counter()
        futures = [
            await self.broker.publish(
                bytes(row["value"]),
                row["topic"],
                key=row["key"].encode(),
                headers=row["headers"],
                no_confirm=True,
            )
            for row in rows
        ]
        results = await asyncio.gather(*futures, return_exceptions=True)
        acked = [
            row["_id"]
            for row, r in zip(rows, results, strict=True)
            if not isinstance(r, BaseException)
        ]
        await self.outbox.mark_sent(acked)
        self.status.published += len(acked)
        log.info(
            "outbox_relayed",
            count=len(acked),
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        failed = next((r for r in results if isinstance(r, BaseException)), None)
        if failed is not None:
            raise failed
        return len(acked)
