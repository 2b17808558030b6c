"""Dead letters: events a consumer refuses go to the dead-letter topic, original bytes intact,
with the reason and where they came from, so the partition keeps flowing and an operator can
inspect and re-drive them after a fix."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from faststream.kafka import KafkaBroker

from contracts import InvalidEvent
from services.common.errors import fault_reason
from services.common.logging import get_logger
from services.common.positions import Record, where

log = get_logger()


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A refused record and why. `fault`: not a rule the record broke but an exception no rule
    foresaw (its type and message are the reason), logged as an error where it was caught."""

    record: Record
    reason: str
    fault: bool = False


def refused(record: Record, exc: Exception) -> DeadLetter:
    """The dead letter of a record whose reading, judging or placing raised `exc`: a refusal
    (InvalidEvent) with its reason, anything else a fault (see `faulty`)."""
    if isinstance(exc, InvalidEvent):
        return DeadLetter(record, str(exc))
    return faulty(record, fault_reason(exc))


def faulty(record: Record, reason: str) -> DeadLetter:
    """One record made a consumer's own code fail: an error to look into, but the record's
    alone, so it is dead-lettered and the partition goes on."""
    log.error("event_failed", reason=reason, **where(record))
    return DeadLetter(record, reason, fault=True)


async def publish_dead_letters(
    broker: KafkaBroker, topic: str, service: str, letters: Sequence[DeadLetter]
) -> None:
    """Publish and wait for the broker's ack, before the batch's positions move past them."""
    futures = []
    for letter in letters:
        r = letter.record
        log.warning("event_dead_lettered", reason=letter.reason, **where(r))
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
