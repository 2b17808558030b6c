"""Reading a Kafka topic from its beginning, as tests do to see what was published."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord, TopicPartition

from services.common.kafka import partitions_of
from services.common.settings import Settings
from tests.conftest import eventually


@asynccontextmanager
async def from_the_beginning(
    settings: Settings, topic: str
) -> AsyncIterator[tuple[AIOKafkaConsumer, list[TopicPartition]]]:
    """A consumer assigned every partition of `topic` at offset 0 (no group, no commits)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, group_id=None, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = await partitions_of(consumer, [topic])
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        yield consumer, partitions
    finally:
        await consumer.stop()


async def records_on(
    settings: Settings, topic: str, expected: int
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record on `topic` once at least `expected` arrived, and whatever came with them."""
    records: list[ConsumerRecord[bytes, bytes]] = []
    async with from_the_beginning(settings, topic) as (consumer, _):

        async def all_arrived() -> None:
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                records.extend(batch)
            assert len(records) >= expected

        await eventually(all_arrived)
        for batch in (await consumer.getmany(timeout_ms=500)).values():
            records.extend(batch)  # anything beyond what was expected would show up here
    return records
