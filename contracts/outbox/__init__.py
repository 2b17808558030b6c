"""What the outbox relay itself publishes (on every topic of events, key = unit code).

- `event.parked`: the placeholder of an event the broker refused for good (too large for it).
  Such an event can never be published: left in the outbox it would stall every later event
  of the instance, and left out of its stream it would leave a gap in the stream's sequence
  that consumers would wait on forever. So the relay parks it in the service's database, with
  the reason (`hdnd outbox parked`), and publishes this in its place: same topic, key, stream
  and sequence, signed like it. Consumers count nothing for it; their stream positions move
  past it. It carries no personal data: the parked event's id, type, size and the reason.
  It takes the parked envelope's `prev` and names its hash (`parked_hash`), which the envelope
  after it names as `prev`: the stream's hash chain goes on through it (contracts.chain).
"""

from __future__ import annotations

from typing import ClassVar, Final
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import CHAIN_HASH
from contracts.topics import EVERY_TOPIC

TOPIC: Final = EVERY_TOPIC  # the `Topics` property its events travel on


class EventParked(BaseModel):
    """`event.parked` v1: the event `event_id` of this stream and sequence was refused for good
    by the broker and parked by the service that wrote it; nothing to count in its place.
    `occurred_at` is the parked event's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    TYPE: ClassVar[str] = "event.parked"
    VERSION: ClassVar[int] = 1

    event_id: UUID = Field(description="The parked event's id.")
    event_type: str = Field(
        min_length=1, max_length=100, pattern=r"^[a-z_]+(\.[a-z_]+)+$", examples=["meeting.held"]
    )
    event_version: int = Field(ge=1, le=1000)
    size_bytes: int = Field(ge=0, le=2**31, description="Its serialized envelope, in bytes.")
    reason: str = Field(
        min_length=1,
        max_length=500,
        examples=["MessageSizeTooLargeError: [Error 10] MessageSizeTooLargeError"],
        description="The broker's (or producer's) refusal, as the relay was told it.",
    )
    parked_hash: str | None = Field(
        default=None,
        pattern=CHAIN_HASH,
        description="SHA-256 (hex) of the parked envelope's canonical signed bytes: the `prev`"
        " the next envelope of the stream names. Absent on stand-ins from before chains.",
    )
