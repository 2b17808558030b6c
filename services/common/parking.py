"""Parking: what the outbox relay does with a row the broker refuses for good.

A refusal about the record itself can never turn into an acknowledgement: the record is larger
than the producer's `max_request_size` or the broker's `message.max.bytes`
(MessageSizeTooLargeError), or its batch larger than a segment (RecordListTooLargeError).
Retried, such a row would stall its stream and, since one batch is in flight at a time, every
later event of the instance. So the relay parks it: in one transaction the row moves to the
`outbox_parked` collection with the reason, and a signed `event.parked` placeholder (same
topic, key, stream and sequence; contracts.outbox) takes its place in the outbox, so the
stream keeps its order and has no gap for consumers to wait on. `hdnd outbox parked` lists
what was parked; `/ready` counts it.

Everything else is retried as before: a broker away, a leader moving, an out-of-sequence
answer (what the idempotent producer gets for the rows behind a refused one), and refusals
about the instance rather than the record (authorization, an invalid topic name). Those
concern every row alike: parking them would empty the outbox into the parked collection, and
a placeholder for them would be refused the same way. The relay keeps retrying and `/ready`
says why.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from aiokafka.errors import MessageSizeTooLargeError, RecordListTooLargeError, RecordTooLargeError

from contracts.chain import hash_of
from contracts.envelope import Envelope
from contracts.outbox import EventParked
from contracts.versioning import event_type, event_version
from services.common.mongo import Document

REFUSED_FOR_GOOD: tuple[type[BaseException], ...] = (
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
)
PLACEHOLDER = event_type(EventParked)


def refused_for_good(
    rows: Sequence[Document],
    futures: Sequence[asyncio.Future[Any]],
    refused: BaseException | None,
) -> list[tuple[Document, BaseException]]:
    """The rows of a batch to park, with their refusal: for each stream, its first row that
    was not acknowledged, if what refused it was about the row itself (`futures` answer the
    first rows; `refused` is what refused the row after them, before it was sent). A
    placeholder is never parked: it is retried."""
    outcomes: list[BaseException | None] = [_failure(f) for f in futures]
    if refused is not None and len(futures) < len(rows):
        outcomes.append(refused)
    seen: set[str] = set()
    found: list[tuple[Document, BaseException]] = []
    for row, failure in zip(rows, outcomes, strict=False):
        if failure is None or row["stream"] in seen:
            continue
        seen.add(row["stream"])
        if isinstance(failure, REFUSED_FOR_GOOD) and row["event_type"] != PLACEHOLDER:
            found.append((row, failure))
    return found


def _failure(future: asyncio.Future[Any]) -> BaseException | None:
    if future.cancelled():
        return asyncio.CancelledError()
    return future.exception() if future.done() else None


def placeholder_of(row: Document, reason: str) -> Envelope:
    """The unsigned `event.parked` envelope standing for `row`: its unit, business time,
    stream, sequence and `prev`; caused by it, and naming its hash, which the envelope after it
    names as `prev` (contracts.chain)."""
    parked = Envelope.model_validate_json(bytes(row["value"]))
    payload = EventParked(
        event_id=parked.event_id,
        event_type=parked.type,
        event_version=parked.version,
        size_bytes=len(row["value"]),
        reason=reason[:500],
        parked_hash=hash_of(parked),
    )
    return Envelope(
        event_id=uuid4(),
        type=PLACEHOLDER,
        version=event_version(EventParked),
        unit=parked.unit,
        occurred_at=parked.occurred_at,
        recorded_at=datetime.now(UTC),
        source=parked.source,
        sequence=parked.sequence,
        correlation_id=parked.correlation_id,
        causation_id=parked.event_id,
        payload=payload.model_dump(mode="json"),
        prev=parked.prev,
    )
