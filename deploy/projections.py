"""Projection versions: rebuild from the beginning of the topics beside the live one, switch.

`hdnd projections rebuild` folds every fact and hierarchy change from offset 0 into a new
version (its own collections and positions, see services.reporting.read.projector.store)
with the same
projector code the service runs, showing progress and ETA. When it has caught up with the
end of every partition it switches `projection_meta/active` to the new version in one write;
running reporting services notice within a second, answer queries from it and go on folding
from its positions. The live version kept serving the whole time and is kept for comparison
or rollback (`hdnd projections activate N`) until dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer

from services.common.consumer import BatchConsumer
from services.common.hierarchy import Hierarchy
from services.common.kafka import make_consumer, partitions_of
from services.common.mongo import OPERATOR, connect
from services.common.runtime import Runtime
from services.common.settings import Settings
from services.reporting.read.projector.handler import Projector
from services.reporting.read.projector.store import ProjectionStore
from services.reporting.wiring import projector_topics

Progress = Callable[[int, int], None]  # (done, total)


class RebuildError(RuntimeError):
    """The rebuild could not finish; the live version still answers."""


@dataclass(frozen=True, slots=True)
class Rebuilt:
    version: int
    previous: int
    records: int
    refused: int
    documents: int
    seconds: float
    switched: bool


async def end_offsets(settings: Settings, topics: list[str]) -> dict[str, int]:
    """End offset of every partition of `topics` now, keyed "topic:partition"."""
    consumer: AIOKafkaConsumer = make_consumer(settings, "hdnd-rebuild-probe")
    await consumer.start()
    try:
        parts = await partitions_of(consumer, topics)
        ends = await consumer.end_offsets(parts)
        return {f"{tp.topic}:{tp.partition}": int(end) for tp, end in ends.items()}
    finally:
        await consumer.stop()


async def _fold_until(
    consumer: BatchConsumer,
    ends: dict[str, int],
    progress: Progress,
    deadline: float,
) -> None:
    """Run `consumer` until every partition in `ends` is read to its end offset (per
    partition: a busy one cannot make up for one still behind)."""
    total = sum(ends.values())
    grace = 15.0  # for the batch in hand
    consumer.start()
    try:
        while True:
            await asyncio.sleep(0.3)
            status = consumer.status
            if status.last_error and not status.running:
                raise RebuildError(f"projector stopped: {status.last_error}")
            read = {k: min(status.positions.get(k, 0), end) for k, end in ends.items()}
            progress(sum(read.values()), total)
            if all(read[k] >= end for k, end in ends.items()):
                break
            if time.monotonic() > deadline:
                raise RebuildError(f"not caught up ({sum(read.values())}/{total})")
    except asyncio.CancelledError:
        grace = 0.0  # Ctrl-C: the half-built version is dropped, the batch in hand with it
        raise
    finally:
        await consumer.stop(grace)
    # Only once caught up: an error or a Ctrl-C above goes on as it is.
    if consumer.status.drained < consumer.status.handled:  # the last write behind failed
        raise RebuildError(f"projector stopped: {consumer.status.last_error}")


async def rebuild(
    settings: Settings,
    progress: Progress,
    *,
    switch: bool = True,
    wait: float = 3600.0,
) -> Rebuilt:
    started = time.monotonic()
    deadline = started + wait
    runtime = Runtime(settings, "reporting", mongo_user=OPERATOR)  # an operator's command
    live = ProjectionStore(runtime.db)
    half_built: ProjectionStore | None = None  # dropped if a Ctrl-C stops the rebuild
    try:
        previous = await live.active_version()
        version = max([previous, *await live.versions()]) + 1
        target = half_built = live.at(version)
        await target.drop()
        await target.create_indexes()
        topics = projector_topics(settings)
        ends = await end_offsets(settings, topics)
        projector = Projector(runtime, target, Hierarchy.load().copy(), dead_letters=False)

        def consumer_of(read: list[str]) -> BatchConsumer:
            return BatchConsumer(settings, "reporting-rebuild", read, target.positions, projector)

        # Every hierarchy change first: records of a unit a change established then count
        # wherever they are on the other topics (live met them in their real order).
        hierarchy = settings.topics.hierarchy
        first = {k: v for k, v in ends.items() if k.startswith(f"{hierarchy}:")}
        total = sum(ends.values())
        changes = consumer_of([hierarchy])
        await _fold_until(changes, first, lambda done, _: progress(done, total), deadline)
        everything = consumer_of(topics)
        await _fold_until(everything, ends, progress, deadline)
        records = changes.status.handled + everything.status.handled
        if switch:
            await live.activate(version)
        half_built = None  # whole: a Ctrl-C from here on keeps it
        documents = await target.unit_months.count_documents({})
        return Rebuilt(
            version,
            previous,
            records,
            projector.refused,
            documents,
            time.monotonic() - started,
            switch,
        )
    except asyncio.CancelledError:  # Ctrl-C: the live version answers on; the half-built goes
        if half_built is not None and await live.active_version() != half_built.version:
            await half_built.drop()  # (one switched to as the Ctrl-C came stays)
        raise
    finally:
        await runtime.mongo.close()
        await runtime.broker.stop()


@contextlib.asynccontextmanager
async def _versions_of(settings: Settings) -> AsyncIterator[ProjectionStore]:
    """The reporting database's projection versions; MongoDB is all these commands need."""
    client = connect(settings, app_name="hdnd-projections")
    try:
        yield ProjectionStore(client[settings.database_for("reporting")])
    finally:
        await client.close()


async def status(settings: Settings) -> dict[str, Any]:
    async with _versions_of(settings) as store:
        active = await store.active_version()
        versions = []
        for v in await store.versions():
            s = store.at(v)
            versions.append(
                {
                    "version": v,
                    "active": v == active,
                    "documents": await s.unit_months.count_documents({}),
                    "changes": await s.hierarchy_log.count_documents({}),
                    "offsets": sum((await s.positions.load()).values()),
                }
            )
        return {"active": active, "versions": versions}


async def activate(settings: Settings, version: int) -> None:
    async with _versions_of(settings) as store:
        if version not in await store.versions():
            raise RebuildError(f"no projection version {version}")
        await store.activate(version)


async def drop(settings: Settings, version: int) -> None:
    async with _versions_of(settings) as store:
        if version == await store.active_version():
            raise RebuildError(f"version {version} answers queries; activate another first")
        await store.at(version).drop()
