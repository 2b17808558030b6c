"""Kafka connections: one FastStream broker per service for publishing, raw aiokafka consumers
for the batch consumers (they need manual partition assignment or a rebalance listener, seeks
to positions stored in MongoDB, and pause/resume, which sit below FastStream's subscriber API)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.helpers import create_ssl_context
from aiokafka.structs import TopicPartition
from faststream.kafka import KafkaBroker
from faststream.kafka.security import parse_security
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from services.common.settings import Settings

_SASL = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256, "PLAIN": SASLPlaintext}


def security(settings: Settings) -> BaseSecurity | None:
    """Who this process is to the brokers and how it checks them: the same settings reach
    compose's brokers (SASL_SSL, one SCRAM principal per service) and the local noida-db
    (PLAINTEXT: it has no TLS, offers only PLAIN and takes any password)."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    tls = protocol in ("SSL", "SASL_SSL")
    context = create_ssl_context(cafile=settings.kafka_ca_file) if tls else None
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    if settings.kafka_username is None or settings.kafka_password_file is None:
        raise RuntimeError(
            f"HDND_KAFKA_SECURITY_PROTOCOL={protocol} needs HDND_KAFKA_USERNAME and"
            " HDND_KAFKA_PASSWORD_FILE"
        )
    password = settings.kafka_password_file.read_text().strip()
    mechanism = _SASL[settings.kafka_sasl_mechanism]
    return mechanism(settings.kafka_username, password, ssl_context=context, use_ssl=tls)


def client_options(settings: Settings) -> dict[str, Any]:
    """`security` as the keyword arguments of aiokafka's clients."""
    return parse_security(security(settings))


def make_broker(settings: Settings, client_id: str) -> KafkaBroker:
    """The service's publisher: idempotent, acks from all replicas, so a retry never duplicates
    within a producer session and order per partition (= per unit) is kept."""
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        request_timeout_ms=15_000,
        max_request_size=settings.kafka_max_request_bytes,
        logger=None,
        security=security(settings),
    )


def make_consumer(
    settings: Settings, client_id: str, group_id: str | None = None
) -> AIOKafkaConsumer:
    """A consumer whose positions live in MongoDB beside the data they produced. Without
    `group_id` it is assigned partitions by hand; with one it joins that group and shares the
    partitions with the other members, but still never commits offsets to Kafka."""
    return AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=client_id,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_partition_fetch_bytes=4 * 1024 * 1024,
        **client_options(settings),
    )


async def ensure_topics(settings: Settings, topics: Iterable[str]) -> None:
    """Create the topics with the configured partition count if they do not exist yet."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id="hdnd-admin",
        **client_options(settings),
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            # Another service may create one first: that is fine.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [
                        NewTopic(t, settings.topic_partitions, settings.topic_replication)
                        for t in missing
                    ]
                )
    finally:
        await admin.close()


async def partitions_of(consumer: AIOKafkaConsumer, topics: Iterable[str]) -> list[TopicPartition]:
    """All partitions of `topics`, waiting briefly for metadata right after topic creation."""
    result: list[TopicPartition] = []
    for topic in topics:
        for _ in range(50):
            parts = consumer.partitions_for_topic(topic)
            if parts:
                break
            await consumer._client.force_metadata_update()
            await asyncio.sleep(0.1)
        else:
            raise RuntimeError(f"topic {topic} has no partitions; is the broker up?")
        result.extend(TopicPartition(topic, p) for p in sorted(parts))
    return result
