"""Which rows of a relayed batch are parked: the first unacknowledged row of each stream, when
what refused it was about the row itself (services.common.parking)."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from typing import Any
from uuid import uuid4

from aiokafka.errors import (
    KafkaConnectionError,
    MessageSizeTooLargeError,
    OutOfOrderSequenceNumber,
    TopicAuthorizationFailedError,
)
from bson import Binary

from contracts import Source, decode_event
from contracts.chain import hash_of
from services.common.parking import placeholder_of, refused_for_good
from tests.builders import held_voter_contact


def _row(stream: str, seq: int, event_type: str = "meeting.held") -> dict[str, Any]:
    return {"_id": f"{stream}#{seq}", "stream": stream, "seq": seq, "event_type": event_type}


async def _answered(*outcomes: BaseException | None) -> list[asyncio.Future[Any]]:
    futures: list[asyncio.Future[Any]] = []
    for outcome in outcomes:
        future = asyncio.get_running_loop().create_future()
        if outcome is None:
            future.set_result("acknowledged")
        else:
            future.set_exception(outcome)
        futures.append(future)
    return futures


async def test_the_first_row_of_a_stream_refused_for_its_size_is_parked_not_what_follows() -> None:
    rows = [_row("a", 1), _row("a", 2), _row("a", 3), _row("b", 1), _row("c", 1)]
    futures = await _answered(
        None,
        MessageSizeTooLargeError(),
        OutOfOrderSequenceNumber(),  # behind the refused one: waits for a fresh producer
        KafkaConnectionError(),  # the broker away: retried
        TopicAuthorizationFailedError(),  # about the instance, not the row: retried
    )
    assert [row["_id"] for row, _ in refused_for_good(rows, futures, None)] == ["a#2"]


async def test_a_row_the_producer_refused_before_sending_is_parked() -> None:
    rows = [_row("a", 1), _row("b", 7), _row("b", 8)]
    futures = await _answered(None)
    parked = refused_for_good(rows, futures, MessageSizeTooLargeError("1,397,301 bytes"))
    assert [(row["_id"], str(exc).endswith("1,397,301 bytes")) for row, exc in parked] == [
        ("b#7", True)
    ]


async def test_a_placeholder_is_never_parked_and_a_stream_refused_earlier_waits() -> None:
    rows = [_row("a", 1, "event.parked"), _row("b", 1), _row("b", 2)]
    futures = await _answered(MessageSizeTooLargeError(), KafkaConnectionError())
    assert refused_for_good(rows, futures, MessageSizeTooLargeError()) == []


def test_the_placeholder_stands_in_the_parked_events_stream_and_place() -> None:
    source = Source(service="meetings", instance="xa-tam-duong")
    parked = held_voter_contact("03390", date(2025, 3, 1), 41, source=source).envelope
    parked = parked.model_copy(update={"correlation_id": uuid4()})
    value = Binary(parked.to_bytes())
    placeholder = placeholder_of({"value": value}, "MessageSizeTooLargeError: too large")
    decoded = decode_event(placeholder.to_bytes())
    assert (placeholder.stream, placeholder.sequence) == (parked.stream, 41)
    assert (placeholder.unit, placeholder.occurred_at) == (parked.unit, parked.occurred_at)
    assert placeholder.causation_id == parked.event_id
    assert placeholder.correlation_id == parked.correlation_id
    assert json.loads(decoded.payload.model_dump_json()) == {
        "event_id": str(parked.event_id),
        "event_type": "meeting.held",
        "event_version": 2,
        "size_bytes": len(value),
        "reason": "MessageSizeTooLargeError: too large",
        "parked_hash": hash_of(parked),  # what the next envelope names as prev
    }
    assert placeholder.prev == parked.prev
    assert "Tổ 1" not in placeholder.to_bytes().decode()  # nothing of the parked content
