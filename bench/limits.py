"""What hdnd's projector is measured against (`python -m bench.peers`): the broker's and
MongoDB's raw limits, a naive FastStream subscriber, and Quix Streams."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Sequence
from functools import partial

from faststream.kafka import KafkaBroker, KafkaMessage
from pydantic import BaseModel

from bench.common import (
    progress,
)
from bench.rollup import increments_of
from contracts import Decoded
from services.common.hierarchy import Hierarchy
from services.common.kafka import make_consumer, partitions_of
from services.common.mongo import OPERATOR, connect, credentials, in_transaction
from services.common.settings import Settings
from services.reporting.read.projector.fold import Fold
from services.reporting.read.projector.store import ProjectionStore


async def raw_consume(settings: Settings, total: int) -> float:
    """aiokafka over every partition from offset 0, counting records: the broker's limit."""
    consumer = make_consumer(settings, client_id="hdnd-bench-raw")
    await consumer.start()
    try:
        assigned = await partitions_of(consumer, [settings.topics.meetings])
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        seen = 0
        with progress() as bar:
            task = bar.add_task("raw consume (aiokafka)", total=total)
            started = time.perf_counter()
            while seen < total:
                fetched = await consumer.getmany(timeout_ms=100, max_records=10_000)
                got = sum(len(v) for v in fetched.values())
                seen += got
                bar.advance(task, got)
            return total / (time.perf_counter() - started)
    finally:
        await consumer.stop()


async def bulk_write_limit(
    settings: Settings, hierarchy: Hierarchy, events: Sequence[Decoded[BaseModel]]
) -> float:
    """Fold batches in memory first, then time only their writes, one transaction each."""
    step = settings.consumer_batch
    folds = []
    for start in range(0, len(events), step):
        batch = Fold(hierarchy, {})
        for event in events[start : start + step]:
            batch.add(event)
        folds.append(batch)
    client = connect(settings, "hdnd-bench-bulk")
    store = ProjectionStore(client[f"{settings.database_prefix}_bulk"])
    await store.create_indexes()
    try:
        with progress() as bar:
            task = bar.add_task("bulk-write limit (MongoDB)", total=len(events))
            started = time.perf_counter()
            for batch in folds:
                await in_transaction(client, partial(store.flush, fold=batch))
                bar.advance(task, batch.applied)
            return len(events) / (time.perf_counter() - started)
    finally:
        await client.close()


async def naive(settings: Settings, hierarchy: Hierarchy, seconds: float) -> tuple[float, int]:
    """A FastStream per-message subscriber: one `update_one` per document, no batching."""
    client = connect(settings, "hdnd-bench-naive")
    unit_months = client[f"{settings.database_prefix}_naive"]["unit_months"]
    broker = KafkaBroker(settings.kafka_bootstrap_servers, logger=None)
    handled: list[float] = []

    @broker.subscriber(
        settings.topics.meetings,
        group_id=f"{settings.database_prefix}-naive",
        auto_offset_reset="earliest",
    )
    async def handle(msg: KafkaMessage) -> None:
        for doc, incs in increments_of(hierarchy, msg.body).items():
            await unit_months.update_one({"_id": doc}, {"$inc": incs}, upsert=True)
        handled.append(time.perf_counter())

    await broker.start()
    try:
        with progress() as bar:
            task = bar.add_task(f"naive FastStream ({seconds:.0f} s)", total=seconds)
            until = time.perf_counter() + seconds + 30  # the group's first join takes a while
            while time.perf_counter() < until and (
                not handled or handled[-1] - handled[0] < seconds
            ):
                await asyncio.sleep(0.2)
                if handled:
                    bar.update(task, completed=min(seconds, handled[-1] - handled[0]))
    finally:
        await broker.stop()
        await client.close()
    if len(handled) < 2:
        return 0.0, len(handled)
    return (len(handled) - 1) / (handled[-1] - handled[0]), len(handled)


async def quix(
    settings: Settings, total: int, python: str, limit: float
) -> tuple[float, str | None]:
    """Quix Streams in its own process and virtualenv (`bench.quix_peer`; it pins a pydantic
    older than the project's); (events/s, error)."""
    database = f"{settings.database_prefix}_quix"
    signed_in = json.dumps(credentials(settings, OPERATOR))
    process = await asyncio.create_subprocess_exec(
        python,
        "-m",
        "bench.quix_peer",
        settings.kafka_bootstrap_servers,
        settings.topics.meetings,
        settings.mongodb_uri,
        database,
        str(total),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "HDND_BENCH_MONGODB_CREDENTIALS": signed_in},
    )
    assert process.stdout is not None and process.stderr is not None
    result: tuple[int, float] | None = None
    with progress() as bar:
        task = bar.add_task("Quix Streams 3.28.1", total=total)
        try:
            async with asyncio.timeout(limit):
                async for line in process.stdout:
                    words = line.decode().split()
                    if words[:1] == ["progress"]:
                        bar.update(task, completed=int(words[1]))
                    elif words[:1] == ["result"]:
                        result = int(words[1]), float(words[2])
                await process.wait()
        except TimeoutError:
            pass
        finally:  # done, out of time, or a Ctrl-C stopping the benchmark: never left behind
            if process.returncode is None:
                process.kill()
            await process.wait()
    if result is None or result[1] <= 0:
        error = (await process.stderr.read()).decode().strip().splitlines()[-3:]
        return 0.0, " / ".join(error) or f"exit {process.returncode}"
    return result[0] / result[1], None
