"""Batch consumers whose positions live in MongoDB, written with the data they produced.

By default a consumer is assigned every partition of its topics (no consumer group), seeks
each one to the position stored in MongoDB, and hands whole batches to a handler. The handler
writes its result *and* the new positions in one transaction, so a crash or restart resumes
exactly after the last committed batch: nothing skipped, nothing applied twice.

With `HDND_CONSUMER_GROUP` set, instances join a Kafka consumer group and share the
partitions instead. Kafka's committed offsets are still not used: a rebalance first lets the
batch in hand commit (with its positions), and every newly assigned partition is sought to
the position stored in MongoDB before anything is read from it. Whatever was fetched while a
rebalance ran is dropped and read again from the stored positions. The per-stream sequence
check inside the projection's transaction stays the second line of defence.

Caught-up partitions are paused for `idle_backoff` before fetching again, because a broker
that answers empty fetches at once (noida-db) would otherwise make an idle consumer spin. The
pause never follows a drain directly: what arrived while it wrote is asked for first.

A handler that raises is taken to have met the servers failing (MongoDB or the broker away,
a transaction aborted): the consumer starts over from the stored positions, backing off up to
10 s, and says why in its status (`/ready`). A record cannot get it there: what reading,
judging or placing one record raises makes that record a dead letter before the write
(services.common.pipeline, services.reporting.read.projector.judging), and the contracts bound
every number and name a record brings to the write (contracts.envelope.MAX_SEQUENCE).

A handler is a function of a batch, or one object that writes behind (`WriteBehind`: the
projector): it returns before what it did is committed, and the consumer tells it of each
batch as soon as it is fetched (`look_ahead`, while the batch before is still handled), tells
it when a batch handled left nothing more to read (`caught_up`: write now rather than wait to
coalesce more), has it `drain` (commit everything handled so far) when a fetch finds nothing,
before partitions are given away and when stopping, and `reset` (forget what is held in
memory) when it starts over from the stored positions or is given partitions.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener
from aiokafka.errors import IllegalStateError
from aiokafka.structs import TopicPartition

from services.common.background import Loop
from services.common.kafka import make_consumer, partitions_of
from services.common.logging import get_logger
from services.common.metrics import Metrics
from services.common.positions import PositionStore as PositionStore  # most import it here
from services.common.positions import Record as Record
from services.common.settings import Settings

log = get_logger()
BatchHandler = Callable[[Sequence[Record]], Awaitable[None]]
LookAhead = Callable[[Sequence[Record]], None]


@runtime_checkable
class WriteBehind(Protocol):
    """A handler whose work is committed after it returns (see the module docstring)."""

    async def handle(self, records: Sequence[Record]) -> None: ...

    def look_ahead(self, records: Sequence[Record]) -> None: ...

    async def caught_up(self) -> None: ...

    async def drain(self) -> None: ...

    async def reset(self) -> None: ...


@dataclass
class ConsumerStatus:
    running: bool = False
    caught_up: bool = False
    handled: int = 0
    drained: int = 0  # of `handled`, how many are known committed (a write-behind handler)
    batches: int = 0
    lag: int = 0
    partition_lag: dict[tuple[str, int], int] = field(default_factory=dict)  # /metrics
    last_error: str | None = None
    positions: dict[str, int] = field(default_factory=dict)
    assigned: list[str] = field(default_factory=list)
    rebalances: int = 0
    restarts: int = 0
    dropped_after_rebalance: int = 0

    def readiness(self, *, caught_up: bool = True, handled: bool = False) -> dict[str, Any]:
        """What a service's /ready says of this consumer (each service shows its own fields)."""
        shown: dict[str, Any] = {"running": self.running}
        if caught_up:
            shown["caught_up"] = self.caught_up
        shown["lag"] = self.lag
        if handled:
            shown["handled"] = self.handled
        shown["error"] = self.last_error
        return shown


class BatchConsumer:
    """Feeds batches of records from `topics` to `handle`, starting at stored positions."""

    def __init__(
        self,
        settings: Settings,
        name: str,
        topics: Sequence[str],
        positions: PositionStore,
        handler: BatchHandler | WriteBehind,
        heartbeat_every: float = 30.0,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.name = name
        self.topics = list(topics)
        self.positions = positions
        self.handle: BatchHandler
        self.write_behind: WriteBehind | None
        if isinstance(handler, WriteBehind):
            self.handle, self.write_behind = handler.handle, handler
        else:
            self.handle, self.write_behind = handler, None
        self.heartbeat_every = heartbeat_every
        self.status = ConsumerStatus()
        self.metrics = metrics  # where its lag is reported, from its start
        self._background = Loop(f"consumer-{name}")
        # Held while a batch is handled; a rebalance takes it, so the batch in hand commits
        # (with its positions) before partitions move, and seeks happen between batches.
        self._lock = asyncio.Lock()
        self._generation = 0  # bumped by every revocation and assignment
        self._listener_error: BaseException | None = None

    @property
    def group_id(self) -> str | None:
        group = self.settings.consumer_group
        return f"{group}.{self.name}" if group else None

    def start(self) -> None:
        if self.metrics is not None:
            self.metrics.watch_consumer(self.name, self.status)
        self._background.start(self._run_forever())

    async def stop(self, grace: float = 15.0) -> None:
        """Finish the batch in hand, then leave; its positions are already stored with it.
        A consumer stuck on an absent broker is cancelled after `grace`: a batch cut short
        never commits, so it is simply read again by the next run."""
        await self._background.stop(grace)

    async def _run_forever(self) -> None:
        backoff = 0.5
        while not self._background.stopping.is_set():
            try:
                await self._run()
            except Exception as exc:  # broker or MongoDB away: start over from stored positions
                if self.write_behind is not None:
                    await self.write_behind.reset()  # memory starts over with them
                self.status.last_error = f"{type(exc).__name__}: {exc}"
                self.status.restarts += 1
                log.warning(
                    "consumer_failed",
                    consumer=self.name,
                    error=self.status.last_error,
                    retry_in_s=backoff,
                )
                await self._background.pause(backoff)
                backoff = min(backoff * 2, 10.0)
            else:
                backoff = 0.5
        self.status.running = False

    async def _run(self) -> None:
        consumer = make_consumer(
            self.settings, client_id=f"hdnd-{self.name}", group_id=self.group_id
        )
        self._listener_error = None
        await consumer.start()
        try:
            if self.group_id is None:
                assigned = await partitions_of(consumer, self.topics)
                consumer.assign(assigned)
                await self._seek_to_stored(consumer, assigned)
            else:
                await partitions_of(consumer, self.topics)  # the topics exist before joining
                consumer.subscribe(self.topics, listener=_SeekOnAssignment(self, consumer))
            self.status.running = True
            self.status.last_error = None
            await self._loop(consumer)
        finally:
            self.status.running = False
            await consumer.stop()

    async def _seek_to_stored(
        self, consumer: AIOKafkaConsumer, partitions: Sequence[TopicPartition]
    ) -> None:
        stored = await self.positions.load()
        for tp in partitions:
            if tp in stored:
                consumer.seek(tp, stored[tp])
            else:
                await consumer.seek_to_beginning(tp)
        self.status.assigned = [f"{tp.topic}:{tp.partition}" for tp in partitions]
        self.status.positions = {}  # refilled for the partitions now ours
        self.status.partition_lag = {}

    async def _loop(self, consumer: AIOKafkaConsumer) -> None:
        """Fetch, handle, repeat. A write-behind handler has the next fetch started as soon as
        a batch is in hand, and is told of it (`look_ahead`) as soon as it is fetched, so it
        (and what the handler does with it early) overlaps the batch's write; the fetch's
        generation is taken when it starts, so a rebalance while it runs drops it like any
        other."""
        ahead: list[asyncio.Task[dict[TopicPartition, list[Record]]] | None] = [None]
        try:
            await self._fetch_and_handle(consumer, ahead)
            async with self._lock:
                await self._drain()  # stopping: what was handled is committed before leaving
        finally:
            pending = ahead[0]
            if pending is not None:
                pending.cancel()
                with contextlib.suppress(BaseException):
                    await pending

    async def _fetch_and_handle(
        self,
        consumer: AIOKafkaConsumer,
        ahead: list[asyncio.Task[dict[TopicPartition, list[Record]]] | None],
    ) -> None:
        idle = self.settings.idle_backoff_ms / 1000
        window_start, window_count = time.monotonic(), 0
        ahead_generation = self._generation
        while not self._background.stopping.is_set():
            if ahead[0] is None:
                generation = self._generation
                fetched = await self._fetch(consumer)
            else:
                generation = ahead_generation
                fetched, ahead[0] = await ahead[0], None
            records = [r for tp in sorted(fetched) for r in fetched[tp]]
            async with self._lock:
                if self._listener_error is not None:
                    raise self._listener_error
                if self._generation != generation:
                    # Partitions moved while this batch was fetched: it may hold records of a
                    # partition no longer ours, or read before the seek. Read again from the
                    # stored positions instead.
                    self.status.dropped_after_rebalance += len(records)
                    await self._seek_to_stored(consumer, sorted(consumer.assignment()))
                    continue
                assigned = sorted(consumer.assignment())
                at_end = await self._note_lag(consumer, assigned)  # before the next fetch moves
                if records:
                    started = time.perf_counter()
                    if self.write_behind is not None:
                        ahead_generation = self._generation
                        told = self.write_behind.look_ahead
                        ahead[0] = asyncio.create_task(self._fetch(consumer, told))
                    await self.handle(records)
                    self.status.handled += len(records)
                    if self.write_behind is not None:
                        self.status.caught_up = False  # until it is drained
                        if at_end:
                            await self.write_behind.caught_up()
                    self.status.batches += 1
                    window_count += len(records)
            if records:
                log.info(
                    "batch_handled",
                    consumer=self.name,
                    count=len(records),
                    lag=self.status.lag,
                    latency_ms=round((time.perf_counter() - started) * 1000, 1),
                )
            else:
                if self.write_behind is not None:
                    async with self._lock:
                        await self._drain()  # nothing more to read now: make it visible
                self.status.caught_up = self.status.lag == 0
                if idle > 0 and self.status.caught_up:
                    await self._idle_until_new_records(consumer, assigned, idle)
            if time.monotonic() - window_start >= self.heartbeat_every:
                elapsed = time.monotonic() - window_start
                log.info(
                    "consumer_heartbeat",
                    consumer=self.name,
                    per_second=round(window_count / elapsed, 1),
                    lag=self.status.lag,
                    handled=self.status.handled,
                )
                window_start, window_count = time.monotonic(), 0

    async def _drain(self) -> None:
        """Have a write-behind handler commit everything handled so far."""
        if self.write_behind is not None:
            handled = self.status.handled
            await self.write_behind.drain()
            self.status.drained = handled

    async def _fetch(
        self, consumer: AIOKafkaConsumer, look_ahead: LookAhead | None = None
    ) -> dict[TopicPartition, list[Record]]:
        fetched: dict[TopicPartition, list[Record]] = await consumer.getmany(
            timeout_ms=100, max_records=self.settings.consumer_batch
        )
        if look_ahead is not None and fetched:
            look_ahead([r for tp in sorted(fetched) for r in fetched[tp]])
        return fetched

    async def _idle_until_new_records(
        self, consumer: AIOKafkaConsumer, assigned: list[TopicPartition], idle: float
    ) -> None:
        """Pause fetching; every `idle` seconds ask only for the end offsets (one small
        request) and resume when a partition has grown or the assignment changed. A paused
        consumer does not fetch, so an idle service costs next to nothing even on a broker
        that never waits on fetches. The end offsets are asked for once before the first
        pause: a drain just took as long as a write, and what came meanwhile must not wait
        `idle` more."""
        generation = self._generation
        try:
            consumer.pause(*assigned)
        except IllegalStateError:
            return  # a rebalance took some of them meanwhile
        try:
            while not self._background.stopping.is_set() and self._generation == generation:
                if assigned:
                    ends = await consumer.end_offsets(assigned)
                    positions = await self._positions(consumer, assigned)
                    if any(ends[tp] > pos for tp, pos in positions.items()):
                        self._note_partition_lags(positions, ends)  # behind again, until fetched
                        return
                await self._background.pause(idle)
        finally:
            still_ours = consumer.assignment()
            consumer.resume(*[tp for tp in assigned if tp in still_ours])

    async def _positions(
        self, consumer: AIOKafkaConsumer, partitions: Sequence[TopicPartition]
    ) -> dict[TopicPartition, int]:
        """Current positions of the partitions still assigned (a rebalance may take some)."""
        positions: dict[TopicPartition, int] = {}
        for tp in partitions:
            with contextlib.suppress(IllegalStateError):
                positions[tp] = await consumer.position(tp)
        return positions

    async def _note_lag(self, consumer: AIOKafkaConsumer, assigned: list[TopicPartition]) -> bool:
        """Note the positions and lag past what was fetched; True if that is the end of every
        partition (each one's end known from a fetch, none left to read)."""
        positions = await self._positions(consumer, assigned)
        for tp, position in positions.items():
            self.status.positions[f"{tp.topic}:{tp.partition}"] = position
        highs = {tp: consumer.highwater(tp) for tp in positions}
        self.status.lag = self._note_partition_lags(positions, highs)
        return self.status.lag == 0 and None not in highs.values()

    def _note_partition_lags(
        self, positions: dict[TopicPartition, int], ends: dict[TopicPartition, int | None]
    ) -> int:
        """Note each partition's lag (how far its end offset is past the position) for
        /metrics; returns their sum over the partitions whose end is known."""
        lag = 0
        for tp, position in positions.items():
            end = ends.get(tp)
            if end is not None:
                behind = max(0, end - position)
                self.status.partition_lag[(tp.topic, tp.partition)] = behind
                lag += behind
        return lag


class _SeekOnAssignment(ConsumerRebalanceListener):  # type: ignore[misc]
    """Group mode: partitions change hands only between batches, and start where MongoDB says."""

    def __init__(self, owner: BatchConsumer, consumer: AIOKafkaConsumer) -> None:
        self.owner = owner
        self.consumer = consumer

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        owner = self.owner
        async with owner._lock:  # the batch in hand, and all written behind, commits first
            try:
                await owner._drain()
            except Exception as exc:  # aiokafka would only log it; make the consumer restart
                owner._listener_error = exc
            finally:
                owner._generation += 1
        if revoked:
            log.info("partitions_revoked", consumer=self.owner.name, partitions=_names(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        owner = self.owner
        async with owner._lock:
            try:
                if owner.write_behind is not None:
                    await owner.write_behind.reset()  # a peer may have moved what it held
                await owner._seek_to_stored(self.consumer, sorted(assigned))
            except Exception as exc:  # aiokafka would only log it; make the consumer restart
                owner._listener_error = exc
            finally:
                owner._generation += 1
                owner.status.rebalances += 1
        log.info("partitions_assigned", consumer=owner.name, partitions=_names(assigned))


def _names(partitions: set[TopicPartition]) -> list[str]:
    return [f"{tp.topic}:{tp.partition}" for tp in sorted(partitions)]
