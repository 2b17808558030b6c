"""The peers benchmark's freshness is timed on a broker that no longer holds what hdnd has
already read (bench.common.trim): it deletes every record the run's topics hold so far,
nothing that comes after, and no other run's topics."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.common import memory_dir, trim
from deploy.local import Endpoints
from services.common.kafka import ensure_topics, partitions_of
from services.common.settings import Settings
from tests.conftest import isolated_settings


async def _send(settings: Settings, topic: str, count: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for i in range(count):
            await producer.send_and_wait(topic, f"record {i}".encode(), key=str(i).encode())
    finally:
        await producer.stop()


async def _held(settings: Settings, topic: str) -> tuple[int, list[bytes]]:
    """How many records the broker still holds on `topic`, and their values."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        partitions = await partitions_of(consumer, [topic])
        starts = await consumer.beginning_offsets(partitions)
        ends = await consumer.end_offsets(partitions)
        held = sum(ends[tp] - starts[tp] for tp in partitions)
        consumer.assign(partitions)
        values: list[bytes] = []
        for _ in range(20):  # a broker that gives fewer than it says it holds fails the test
            if len(values) >= held:
                break
            for records in (await consumer.getmany(timeout_ms=500)).values():
                values += [r.value or b"" for r in records]
        return held, values
    finally:
        await consumer.stop()


async def test_trim_deletes_what_is_held_so_far_and_keeps_what_comes_after(
    settings: Settings, servers: Endpoints, unit_keys: Path
) -> None:
    isolated = isolated_settings(servers, unit_keys)
    topic, other = settings.topics.meetings, isolated.topics.meetings
    await ensure_topics(settings, [topic, settings.topics.oversight])
    await ensure_topics(isolated, [other])
    await _send(settings, topic, 12)
    await _send(isolated, other, 3)

    assert await trim(settings) == 12
    assert (await _held(settings, topic))[0] == 0
    assert (await _held(isolated, other))[0] == 3  # another run's topics are not touched

    await _send(settings, topic, 2)  # what comes after is kept, and read as ever
    held, values = await _held(settings, topic)
    assert (held, sorted(values)) == (2, [b"record 0", b"record 1"])
    assert await trim(settings) == 2
    assert await trim(settings) == 0


def test_the_broker_stays_on_disk_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BENCH_BROKER_ON_DISK", raising=False)
    assert memory_dir(spare=0) == "/dev/shm"  # room enough: in memory (Linux has /dev/shm)
    assert memory_dir(spare=1 << 60) is None  # no room: on disk
    monkeypatch.setenv("BENCH_BROKER_ON_DISK", "1")
    assert memory_dir(spare=0) is None  # asked: on disk, whatever the room
