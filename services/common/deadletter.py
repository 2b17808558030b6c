"""Dead letters: events a consumer refuses go to the dead-letter topic, original bytes intact,
with the reason and where they came from, so the partition keeps flowing and an operator can
inspect and re-drive them after a fix."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from faststream.kafka import KafkaBroker

from services.common.consumer import Record
from services.common.logging import get_logger

log = get_logger()


@dataclass(frozen=True, slots=True)
class DeadLetter:
    record: Record
    reason: str


async def publish_dead_letters(
    broker: KafkaBroker, topic: str, service: str, letters: Sequence[DeadLetter]
) -> None:
    """Publish and wait for the broker's ack, before the batch's positions move past them."""
    futures = []
    for letter in letters:
        r = letter.record
        log.warning(
            "event_dead_lettered",
            reason=letter.reason,
            topic=r.topic,
            partition=r.partition,
            offset=r.offset,
        )
        headers = {
            "dlq-reason": letter.reason[:1000],
            "dlq-topic": r.topic,
            "dlq-partition": str(r.partition),
            "dlq-offset": str(r.offset),
            "dlq-service": service,
        }
        headers.update(
            {k: v.decode(errors="replace") for k, v in r.headers if not k.startswith("dlq-")}
        )
        futures.append(
            await broker.publish(r.value or b"", topic, key=r.key, headers=headers, no_confirm=True)
        )
    await asyncio.gather(*futures)
