"""The outbox relay: pending rows published in stream order and marked sent.

If Kafka is away the rows wait, and the relay drains them when it returns. A crash between
publish and mark re-publishes rows, which consumers drop by their (stream, sequence). A row the
broker refuses for good is parked, a placeholder taking its place (services.common.parking).
A transaction left open by a killed process is ended (`end_orphaned_transactions`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from services.common.background import Loop, cancel
from services.common.logging import get_logger
from services.common.mongo import Document
from services.common.outbox import Outbox
from services.common.parking import refused_for_good

log = get_logger()


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
