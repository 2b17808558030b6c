"""Batch consumers whose positions live in MongoDB, written with the data they produced.

A consumer is assigned every partition of its topics (no consumer group), seeks each one to
the position stored in MongoDB, and hands whole batches to a handler. The handler writes its
result *and* the new positions in one transaction, so a crash or restart resumes exactly
after the last committed batch: nothing skipped, nothing applied twice.

Caught-up partitions are paused for `idle_backoff` before fetching again, because a broker
that answers empty fetches at once (noida-db) would otherwise make an idle consumer spin.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord, TopicPartition
from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from services.common.kafka import make_consumer, partitions_of
from services.common.logging import get_logger
from services.common.mongo import Document
from services.common.settings import Settings

log = get_logger()
Record: TypeAlias = ConsumerRecord[bytes, bytes]
BatchHandler = Callable[[Sequence[Record]], Awaitable[None]]


class PositionStore:
    """Next offset to read per topic-partition, in the consumer's own database."""

    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self.collection = collection

    async def load(self) -> dict[TopicPartition, int]:
        positions: dict[TopicPartition, int] = {}
        async for doc in self.collection.find():
            positions[TopicPartition(doc["topic"], doc["partition"])] = int(doc["next_offset"])
        return positions

    @staticmethod
    def updates(records: Sequence[Record]) -> list[UpdateOne]:
        """Writes that advance positions past `records`; go in the same transaction as the data."""
        last: dict[tuple[str, int], int] = {}
        for r in records:
            last[(r.topic, r.partition)] = max(last.get((r.topic, r.partition), -1), r.offset)
        return [
            UpdateOne(
                {"_id": f"{topic}:{partition}"},
                {
                    "$set": {"topic": topic, "partition": partition},
                    "$max": {"next_offset": offset + 1},
                },
                upsert=True,
            )
            for (topic, partition), offset in last.items()
        ]


@dataclass
class ConsumerStatus:
    running: bool = False
    caught_up: bool = False
    handled: int = 0
    batches: int = 0
    lag: int = 0
    last_error: str | None = None
    positions: dict[str, int] = field(default_factory=dict)


class BatchConsumer:
    """Feeds batches of records from `topics` to `handle`, starting at stored positions."""

    def __init__(
        self,
        settings: Settings,
        name: str,
        topics: Sequence[str],
        positions: PositionStore,
        handle: BatchHandler,
        heartbeat_every: float = 30.0,
    ) -> None:
        self.settings = settings
        self.name = name
        self.topics = list(topics)
        self.positions = positions
        self.handle = handle
        self.heartbeat_every = heartbeat_every
        self.status = ConsumerStatus()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run_forever(), name=f"consumer-{self.name}")

    async def stop(self) -> None:
        """Finish the batch in hand, then leave; its positions are already stored with it."""
        self._stopping.set()
        if self._task:
            await self._task

    async def _run_forever(self) -> None:
        backoff = 0.5
        while not self._stopping.is_set():
            try:
                await self._run()
            except Exception as exc:
                self.status.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("consumer_failed", consumer=self.name, error=self.status.last_error)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), backoff)
                backoff = min(backoff * 2, 10.0)
            else:
                backoff = 0.5
        self.status.running = False

    async def _run(self) -> None:
        consumer = make_consumer(self.settings, client_id=f"hdnd-{self.name}")
        await consumer.start()
        try:
            assigned = await partitions_of(consumer, self.topics)
            consumer.assign(assigned)
            stored = await self.positions.load()
            for tp in assigned:
                if tp in stored:
                    consumer.seek(tp, stored[tp])
                else:
                    await consumer.seek_to_beginning(tp)
            self.status.running = True
            self.status.last_error = None
            await self._loop(consumer, assigned)
        finally:
            await consumer.stop()

    async def _loop(self, consumer: AIOKafkaConsumer, assigned: list[TopicPartition]) -> None:
        idle = self.settings.idle_backoff_ms / 1000
        window_start, window_count = time.monotonic(), 0
        while not self._stopping.is_set():
            fetched = await consumer.getmany(
                timeout_ms=100, max_records=self.settings.consumer_batch
            )
            records = [r for tp in sorted(fetched) for r in fetched[tp]]
            if records:
                started = time.perf_counter()
                await self.handle(records)
                self.status.handled += len(records)
                self.status.batches += 1
                window_count += len(records)
                await self._note_lag(consumer, assigned)
                log.info(
                    "batch_handled",
                    consumer=self.name,
                    count=len(records),
                    lag=self.status.lag,
                    latency_ms=round((time.perf_counter() - started) * 1000, 1),
                )
            else:
                await self._note_lag(consumer, assigned)
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

    async def _idle_until_new_records(
        self, consumer: AIOKafkaConsumer, assigned: list[TopicPartition], idle: float
    ) -> None:
        """Pause fetching; every `idle` seconds ask only for the end offsets (one small
        request) and resume when a partition has grown. A paused consumer does not fetch, so
        an idle service costs next to nothing even on a broker that never waits on fetches."""
        consumer.pause(*assigned)
        try:
            while not self._stopping.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), idle)
                ends = await consumer.end_offsets(assigned)
                positions = [await consumer.position(tp) for tp in assigned]
                if any(ends[tp] > pos for tp, pos in zip(assigned, positions, strict=True)):
                    return
        finally:
            consumer.resume(*assigned)

    async def _note_lag(self, consumer: AIOKafkaConsumer, assigned: list[TopicPartition]) -> None:
        lag = 0
        for tp in assigned:
            position = await consumer.position(tp)
            self.status.positions[f"{tp.topic}:{tp.partition}"] = position
            high = consumer.highwater(tp)
            if high is not None:
                lag += max(0, high - position)
        self.status.lag = lag
