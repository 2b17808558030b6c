"""Transactional outbox: events are written with the data that caused them, then relayed.

A write and its events commit in one MongoDB transaction (`Outbox.append`), so an accepted
write can never lose its event and an event never describes a write that did not happen.
`OutboxRelay` publishes pending rows in stream order and marks them sent; if Kafka is away
the rows wait, and the relay drains them when it returns. A crash between publish and mark
re-publishes rows, which consumers drop by their (stream, sequence). A row the broker refuses
for good is parked, a placeholder taking its place (services.common.parking).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bson import Binary
from faststream.kafka import KafkaBroker
from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from contracts import Actor, Envelope, EventDraft, Source
from contracts.signing import Lineage, Signer
from services.common.background import Loop, cancel
from services.common.group_commit import Deferred, Later
from services.common.heads import StreamHeads
from services.common.limits import check_event_size
from services.common.logging import get_logger
from services.common.mongo import Document, in_transaction
from services.common.parking import placeholder_of, refused_for_good

log = get_logger()


class Outbox:
    """The `outbox` and `outbox_sequences` collections of one service database."""

    def __init__(
        self,
        db: AsyncDatabase[Document],
        source: Source,
        signer: Signer | None = None,
        lineage: Lineage | None = None,
        max_event_bytes: int | None = None,
    ) -> None:
        self.rows = db["outbox"]
        self.sequences = db["outbox_sequences"]
        self.heads = StreamHeads(self.sequences)
        self.parked = db["outbox_parked"]
        self.source = source
        self.signer = signer
        self.lineage = lineage
        self.max_event_bytes = max_event_bytes
        self.later = Later()  # what a group's transactions defer to their end

    async def create_indexes(self) -> None:
        await self.rows.create_index(
            [("created_at", ASCENDING), ("seq", ASCENDING)],
            name="pending",
            partialFilterExpression={"sent": False},
        )

    async def append(
        self,
        session: AsyncClientSession,
        topic: str,
        drafts: Sequence[EventDraft],
        actor: Actor | None = None,
    ) -> list[Envelope]:
        """Seal `drafts` with their stream sequence and store them; call inside a transaction.
        Each is done by `actor` unless it names who did it already (EventDraft.by).

        The stream's head (sequence and last hash, services.common.heads) moves in the same
        transaction, so a stream has no gaps, each envelope names the hash of the one before
        (`prev`) with no fork, and a concurrent writer to the same unit waits (write conflict
        → retry) rather than reorders.
        An envelope over `max_event_bytes` refuses the whole write (EventTooLarge: the
        transaction aborts, nothing is written).
        """
        now = datetime.now(UTC)

        def seal(draft: EventDraft, sequence: int, prev: str) -> tuple[Envelope, str]:
            envelope = draft.by(actor).seal(self.source, sequence, recorded_at=now, prev=prev)
            message = envelope.signed_bytes()  # signed and hashed: serialized once
            return self._signed(envelope, message), hashlib.sha256(message).hexdigest()

        later = self.later.of(session)  # a group's transaction: heads and rows at its end

        def stream(draft: EventDraft) -> str:
            return self.source.stream(draft.unit)

        if later is None:
            sealed = await self.heads.seal(session, drafts, stream, seal)
        else:
            sealed = await self.heads.seal_later(session, drafts, stream, seal, later.moves)
        rows = [_row(envelope, topic, now) for envelope in sealed]
        if self.max_event_bytes is not None:
            for row, envelope in zip(rows, sealed, strict=True):
                check_event_size(row["value"], envelope.payload, self.max_event_bytes)
        if later is None:
            await self.rows.insert_many(rows, session=session)
        else:
            later.rows.extend(rows)
        return sealed

    async def insert_record(
        self, session: AsyncClientSession, collection: AsyncCollection[Document], doc: Document
    ) -> None:
        """Insert a new record (a document with its own unique id, written with its events)
        in the caller's transaction; in a group's, at the group's end with the others of its
        collection (DuplicateKeyError then refuses the group, which is retried one by one)."""
        later = self.later.of(session)
        if later is None:
            await collection.insert_one(doc, session=session)
        else:
            later.insert(collection, doc)

    async def flush(self, session: AsyncClientSession, deferred: Deferred) -> None:
        """Write what a group's transaction deferred (services.common.group_commit)."""
        await self.later.flush(session, deferred, self.heads, self.rows)

    def _signed(self, envelope: Envelope, message: bytes | None = None) -> Envelope:
        if self.signer is None:
            return envelope
        lineage = self.lineage(envelope.unit, envelope.business_day) if self.lineage else None
        return self.signer.sign(envelope, lineage or (envelope.unit,), message)

    async def pending_count(self) -> int:
        return await self.rows.count_documents({"sent": False})

    async def park(self, row: Document, reason: str) -> Envelope | None:
        """Move the pending `row` to `outbox_parked` with `reason` and put its signed
        placeholder in its place, in one transaction; the placeholder, or None if the row is
        no longer pending."""
        placeholder = self._signed(placeholder_of(row, reason))
        parked = {**row, "reason": reason, "parked_at": datetime.now(UTC)}
        parked |= {"size_bytes": len(row["value"]), "placeholder_id": str(placeholder.event_id)}

        async def work(session: AsyncClientSession) -> bool:
            gone = await self.rows.delete_one({"_id": row["_id"], "sent": False}, session=session)
            if gone.deleted_count == 0:
                return False
            await self.parked.insert_one(parked, session=session)
            # where the parked row stood in the pending order: nothing of its stream overtakes
            await self.rows.insert_one(
                _row(placeholder, row["topic"], row["created_at"]), session=session
            )
            return True

        done = await in_transaction(self.rows.database.client, work)
        return placeholder if done else None

    async def parked_count(self) -> int:
        return await self.parked.count_documents({})

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
    """What `/ready` and the logs say about the relay. `last_error` is about Kafka only (None
    while the broker takes events); `mongo_error` says why the outbox could not be read."""

    connected: bool = False
    last_error: str | None = None
    mongo_error: str | None = None
    published: int = 0
    parked: int = 0
    unacknowledged: int = 0
    reconnects: int = 0
    orphans_ended: int = 0


class OutboxRelay:
    """Publishes the outbox to Kafka; runs as a background task beside the HTTP app.

    Order per unit holds across outages: one batch is in flight at a time, the idempotent
    producer retries it in order until the broker is back (it is never abandoned while the
    producer lives), and a row is marked sent only if every earlier row of its stream in the
    batch was acknowledged too. If the broker does not acknowledge within `ack_timeout`, the
    relay says so (warning, `/ready`: kafka unreachable) and keeps waiting; writes meanwhile
    keep landing in the outbox. When nothing is pending, a ping every `probe_interval` keeps
    that verdict current.
    """

    def __init__(
        self,
        outbox: Outbox,
        broker: KafkaBroker,
        batch: int = 500,
        poll_interval: float = 0.25,
        max_backoff: float = 5.0,
        prepare: Callable[[], Awaitable[None]] | None = None,
        ack_timeout: float = 5.0,
        probe_interval: float = 5.0,
        mark_delay: float = 0.0,
    ) -> None:
        self.outbox = outbox
        self.broker = broker
        self.batch = batch
        self.poll_interval = poll_interval
        self.max_backoff = max_backoff
        self.prepare = prepare
        self.ack_timeout = ack_timeout
        self.probe_interval = probe_interval
        self.mark_delay = mark_delay
        self.status = RelayStatus()
        self._wake = asyncio.Event()
        self._background = Loop("outbox-relay")
        self._last_contact = 0.0
        self._next_reap = 0.0

    def notify(self) -> None:
        """Called after a commit that wrote outbox rows, so they go out without waiting a poll."""
        self._wake.set()

    def start(self) -> None:
        self._background.start(self._run())

    async def stop(self) -> None:
        """Stop after the current batch: whatever is not yet marked stays pending, not lost
        (the next start publishes it again; consumers drop the copies by stream sequence)."""
        self._background.stopping.set()
        self._wake.set()  # so a relay between polls sees the stop at once
        await self._background.stop()
        await self._disconnect()

    async def _run(self) -> None:
        backoff = self.poll_interval
        while not self._background.stopping.is_set():
            try:
                await self._reap_orphans()
                if not self.status.connected:
                    await self._connect()
                sent = await self._drain_watched()
                self.status.mongo_error = None
                backoff = self.poll_interval
                if sent < self.batch:
                    await self._sleep(self.poll_interval)
                    if sent == 0:
                        await self._probe()
            except PyMongoError as exc:  # the outbox cannot be read or marked: rows wait
                self.status.mongo_error = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "relay_failed",
                    dependency="mongodb",
                    error=self.status.mongo_error,
                    retry_in_s=backoff,
                )
                await self._sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
            except Exception as exc:  # Kafka refused or is away: fresh producer, back off
                self.status.last_error = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "relay_failed",
                    dependency="kafka",
                    error=self.status.last_error,
                    outbox_pending=await self._pending_count(),
                    retry_in_s=backoff,
                )
                # Nothing is in flight here (drain_once waited for every send), so dropping
                # the producer cannot reorder or lose anything.
                self.status.reconnects += 1
                await self._disconnect()
                await self._sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)

    async def _connect(self) -> None:
        await self.broker.connect()
        if self.prepare is not None:
            await self.prepare()
        self.status.connected = True
        self._kafka_ok()
        log.info("relay_connected")

    async def _disconnect(self) -> None:
        """Drop the producer; the next round connects a fresh one. Bounded, because a producer
        still holding undelivered batches (only when stopping while the broker is away) would
        wait for a broker that may never answer; those rows are not marked, so they stay
        pending and go out again after the next start."""
        self.status.connected = False
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.broker.stop(), 2.0)

    def _kafka_ok(self) -> None:
        if self.status.last_error is not None:
            log.info("relay_recovered", previous_error=self.status.last_error)
        self.status.last_error = None
        self._last_contact = time.monotonic()

    async def _pending_count(self) -> int | None:
        try:
            return await self.outbox.pending_count()
        except PyMongoError:
            return None

    async def _probe(self) -> None:
        """Nothing to publish: ask the broker now and then whether it is there, so `/ready`
        does not keep saying ok about a broker that went away while the outbox was empty."""
        if time.monotonic() - self._last_contact < self.probe_interval:
            return
        if await self.broker.ping(timeout=min(2.0, self.ack_timeout)):
            self._kafka_ok()
        elif self.status.last_error is None:
            self.status.last_error = "KafkaConnectionError: the broker did not answer a ping"
            log.warning("relay_broker_unreachable", error=self.status.last_error)

    async def _reap_orphans(self) -> None:
        """Every few seconds, end this service's transactions left open by a process that
        died in the middle of one (SIGKILL, OOM, lost host). MongoDB keeps such a transaction,
        and the write locks it holds, for `transactionLifetimeLimitSeconds` (60 s by default):
        meanwhile every transaction touching the same documents (a unit's sequence counter,
        the province's figures, the consumed offsets) conflicts and retries, so the restarted
        service would stall for up to a minute."""
        now = time.monotonic()
        if now < self._next_reap:
            return
        self._next_reap = now + ORPHAN_AFTER
        client = self.outbox.rows.database.client
        app_name = client.options.pool_options.metadata.get("application", {}).get("name")
        if not app_name:
            return
        with contextlib.suppress(PyMongoError):
            ended = await end_orphaned_transactions(client, app_name, ORPHAN_AFTER)
            self.status.orphans_ended += ended

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        self._wake.clear()

    async def drain_once(self) -> int:
        """Publish one batch of pending rows; mark the ones the broker acknowledged whose
        stream has no unacknowledged row before them in the batch."""
        rows = await self.outbox.pending(self.batch)
        if not rows:
            return 0
        started = time.perf_counter()
        futures: list[asyncio.Future[Any]] = []
        refused: BaseException | None = None
        for row in rows:
            try:
                futures.append(
                    await self.broker.publish(
                        bytes(row["value"]),
                        row["topic"],
                        key=row["key"].encode(),
                        headers=row["headers"],
                        no_confirm=True,
                    )
                )
            except Exception as exc:  # e.g. no metadata for the topic: the broker is away
                refused = exc
                break
        # Whatever was handed to the producer is awaited before anything else happens, so a
        # later batch can never overtake it.
        self.status.unacknowledged = len(futures)
        await self._await_acks(futures)
        self.status.unacknowledged = 0
        acked = _acknowledged_prefixes(rows[: len(futures)], futures)
        if self.mark_delay:  # fault injection only: widen the publish → mark window
            await asyncio.sleep(self.mark_delay)
        await self.outbox.mark_sent(acked)
        self.status.published += len(acked)
        log.info(
            "outbox_relayed",
            count=len(acked),
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        if await self._park(refused_for_good(rows, futures, refused)):
            # The rows behind a parked one wait for the next round, which a fresh producer
            # runs: one the broker refused goes on out of sequence for that partition.
            await self._disconnect()
            return len(acked)
        failed = refused or next(
            (f.exception() for f in futures if f.done() and not f.cancelled() and f.exception()),
            None,
        )
        if failed is not None:
            raise failed
        self._kafka_ok()
        return len(acked)

    async def _park(self, refused: Sequence[tuple[Document, BaseException]]) -> int:
        """Park each row refused for good (logged as an error); how many were refused."""
        for row, exc in refused:
            reason = f"{type(exc).__name__}: {exc}"
            placeholder = await self.outbox.park(row, reason)
            if placeholder is None:
                continue
            self.status.parked += 1
            log.error(
                "outbox_row_parked",
                event_id=row["_id"],
                event_type=row["event_type"],
                stream=row["stream"],
                sequence=row["seq"],
                topic=row["topic"],
                size_bytes=len(row["value"]),
                reason=reason,
                placeholder_id=str(placeholder.event_id),
            )
        return len(refused)

    async def _await_acks(self, futures: Sequence[asyncio.Future[Any]]) -> None:
        """Every send ends acknowledged or failed: the idempotent producer retries in order
        until the broker is back, so nothing handed to it is abandoned while it lives."""
        if futures:
            await asyncio.wait(futures)

    async def _drain_watched(self) -> int:
        """`drain_once`, watched: if a batch takes longer than `ack_timeout` (no metadata, no
        acknowledgement), the broker counts as unreachable (warning, `/ready`) and the relay
        keeps waiting for it. Only a stop gives up on it, after `ack_timeout`: what is not
        marked stays pending, not lost."""
        drain = asyncio.create_task(self.drain_once(), name="outbox-drain")
        started = warned = time.monotonic()
        while True:
            done, _ = await asyncio.wait({drain}, timeout=min(1.0, self.ack_timeout))
            if done:
                return drain.result()
            now = time.monotonic()
            if self._background.stopping.is_set() and now - started >= self.ack_timeout:
                await cancel(drain)
                return 0
            if now - warned >= self.ack_timeout:
                warned = now
                self.status.last_error = (
                    f"KafkaTimeoutError: a batch has waited {now - started:.0f} s for the "
                    "broker; it looks unreachable"
                )
                log.warning(
                    "relay_waiting_for_broker",
                    error=self.status.last_error,
                    unacknowledged=self.status.unacknowledged,
                    outbox_pending=await self._pending_count(),
                )


ORPHAN_AFTER = 10.0  # idle this long inside a transaction: its process is gone (a busy
# machine can leave a live one idle for seconds between operations; 3 s killed live ones)


async def end_orphaned_transactions(
    client: AsyncMongoClient[Document], app_name: str, inactive_for: float
) -> int:
    """End the transactions of clients named `app_name` that have had no operation running
    for `inactive_for` seconds; returns how many. Our transactions never idle that long while
    their process lives (they run a few quick operations back to back), and even if one did,
    every transaction here is retried whole by `with_transaction`, so ending one is safe."""
    cursor = await client.admin.aggregate(
        [
            {"$currentOp": {"idleSessions": True, "allUsers": False}},
            {
                "$match": {
                    "appName": app_name,
                    "active": False,
                    "transaction.timeInactiveMicros": {"$gte": int(inactive_for * 1_000_000)},
                }
            },
        ]
    )
    orphans = [op async for op in cursor if op.get("lsid")]
    if not orphans:
        return 0
    await client.admin.command("killSessions", [{"id": op["lsid"]["id"]} for op in orphans])
    for op in orphans:
        log.warning(
            "mongo_orphaned_transaction_ended",
            app=app_name,
            client=op.get("client"),
            open_s=round(op["transaction"].get("timeOpenMicros", 0) / 1_000_000, 1),
        )
    return len(orphans)


def _acknowledged_prefixes(
    rows: Sequence[Document], futures: Sequence[asyncio.Future[Any]]
) -> list[Any]:
    """Ids of acknowledged rows, stopping each stream at its first unacknowledged row, so a
    row is never marked sent while an earlier row of its stream still waits."""
    blocked: set[str] = set()
    acked: list[Any] = []
    for row, future in zip(rows, futures, strict=True):
        ok = future.done() and not future.cancelled() and future.exception() is None
        if ok and row["stream"] not in blocked:
            acked.append(row["_id"])
        else:
            blocked.add(row["stream"])
    return acked
