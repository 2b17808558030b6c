"""The envelope every hdnd event travels in (see shared/design.md, "Events")."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from contracts.keys import KeyKind, KeyName
from contracts.timezone import VIETNAM_TZ

UnitCode = Annotated[
    str,
    StringConstraints(pattern=r"^(\d{2}|\d{3}|\d{5})$"),
    Field(
        description="Official administrative unit code: 2 digits for a province, "
        "3 for a district (until 2025-06-30), 5 for a commune.",
        examples=["06", "058", "01855"],
    ),
]


MAX_SEQUENCE = 2**53
"""The largest number an event may carry (a stream's sequence, a change number): every integer
up to it is exact as a JSON number in any reader and fits the 64-bit integers MongoDB stores,
so a record can never fail at write time for its size."""

StreamPart = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]+$")]
"""Text that becomes part of a MongoDB field name (a stream's): no NUL, no control characters."""


class InvalidEvent(ValueError):
    """Raised when bytes on a topic are not an event this code can accept; says why."""


class Source(BaseModel):
    """Which service instance emitted the event; (service, instance, unit) is one stream."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    service: StreamPart = Field(min_length=1, max_length=64)
    instance: StreamPart = Field(min_length=1, max_length=128)

    def stream(self, unit: str) -> str:
        """The stream whose `sequence` numbers are monotonic: one per source and unit.

        A stream is keyed by unit because the unit code is the Kafka key, so a stream lives
        in exactly one partition and its order survives the trip.
        """
        return f"{self.service}/{self.instance}/{unit}"


ActorKind = Literal["person", "service", "system"]


class Actor(BaseModel):
    """Who did what an event records (người ghi nhận): a person's account, a service account,
    or the system acting for an operator's command. Claimed by the instance that signed the
    envelope: the signature vouches that the instance says so, not for the person."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: StreamPart = Field(
        min_length=1, max_length=128, description="The account id (a token's `sub`)."
    )
    name: StreamPart = Field(
        min_length=1, max_length=200, description="The display name, as it was then."
    )
    kind: ActorKind = Field(
        description="person: a named account; service: a service account's API token;"
        " system: the software acting for an operator's command (the hierarchy registry)."
    )


class Signature(BaseModel):
    """Ed25519 signature over the canonical envelope, by a unit key or a registry key.

    A unit key signs facts: its unit must be the event's unit or one of its ancestors on the
    event's date (a commune's service cannot publish for another commune, a province's may for
    its communes). A registry key signs only hierarchy events, a province registry's only
    those naming units of its province. `kind` and `kid` only say which registered key to
    verify with; what counts is that key's own registration (contracts.keys).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: KeyKind = Field(
        default="unit", description="unit: a unit's key; registry: the hierarchy registry's."
    )
    unit: UnitCode | None = Field(
        default=None,
        description="The signing unit (unit key), or the province a registry key is limited"
        " to (none: the national registry).",
    )
    kid: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{16}$",
        description="Key id: the first 16 hex digits of the SHA-256 of the raw public key."
        " Absent on events signed before key ids: the key the unit had when it was recorded.",
    )
    value: str = Field(min_length=1, max_length=200, description="Base64 of the signature.")

    @property
    def key_name(self) -> KeyName:
        return KeyName(self.kind, self.unit)


CHAIN_HASH = r"^[0-9a-f]{64}$"  # a SHA-256, in lower-case hex

OPTIONAL_SIGNED: tuple[str, ...] = ("prev", "actor")
"""Envelope fields added after envelopes were first signed: inside the signed bytes (and the
wire bytes) only when set, so an envelope without them has exactly the bytes it had before
they existed, and every signature already on the topics still verifies."""


class Envelope(BaseModel):
    """Metadata around a payload. `occurred_at` (business time) decides the reporting period."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID
    type: str = Field(pattern=r"^[a-z_]+(\.[a-z_]+)+$", examples=["meeting.held"])
    version: int = Field(ge=1, le=1_000)
    unit: UnitCode
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
    source: Source
    sequence: int = Field(
        ge=1, le=MAX_SEQUENCE, description="Monotonic per stream (source and unit), at most 2^53."
    )
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    payload: dict[str, Any]
    signature: Signature | None = None
    prev: str | None = Field(
        default=None,
        pattern=CHAIN_HASH,
        description="SHA-256 (hex) of the canonical signed bytes of the envelope before this one"
        " in its stream (contracts.chain); 64 zeros for the first of a chain; absent on"
        " envelopes written before streams were chained.",
    )
    actor: Actor | None = Field(
        default=None, description="Who did it; none on events written before actors were kept."
    )

    @property
    def stream(self) -> str:
        return self.source.stream(self.unit)

    @property
    def business_day(self) -> date:
        """The day the fact happened, in Vietnam's time zone (UTC+7), which is what counts."""
        return self.occurred_at.astimezone(VIETNAM_TZ).date()

    def unset_optional(self) -> set[str]:
        """The OPTIONAL_SIGNED fields this envelope does not carry."""
        return {name for name in OPTIONAL_SIGNED if getattr(self, name) is None}

    def signed_body(self) -> dict[str, Any]:
        """What the signature covers: everything but the signature and unset optional fields."""
        return self.model_dump(mode="json", exclude={"signature", *self.unset_optional()})

    def signed_bytes(self) -> bytes:
        """Canonical bytes the signature covers: sorted keys, no whitespace, no signature."""
        body = self.signed_body()
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude=self.unset_optional() or None).encode()

    def headers(self) -> dict[str, str]:
        """Type and version travel as headers too, so routers need not parse the body."""
        return {"event-type": self.type, "event-version": str(self.version)}


class EventDraft(BaseModel):
    """An event as the domain decides it, before the outbox gives it a sequence number."""

    model_config = ConfigDict(frozen=True)

    type: str
    version: int
    unit: str
    occurred_at: AwareDatetime
    payload: BaseModel
    event_id: UUID = Field(default_factory=uuid4)
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    actor: Actor | None = None

    def by(self, actor: Actor | None) -> EventDraft:
        """The draft done by `actor`, unless it names who did it already (an event a consumer
        writes carries the actor of the event that caused it)."""
        if actor is None or self.actor is not None:
            return self
        return self.model_copy(update={"actor": actor})

    def seal(
        self,
        source: Source,
        sequence: int,
        recorded_at: datetime | None = None,
        prev: str | None = None,
    ) -> Envelope:
        return Envelope(
            event_id=self.event_id,
            type=self.type,
            version=self.version,
            unit=self.unit,
            occurred_at=self.occurred_at,
            recorded_at=recorded_at or datetime.now(UTC),
            source=source,
            sequence=sequence,
            correlation_id=self.correlation_id,
            causation_id=self.causation_id,
            payload=self.payload.model_dump(mode="json"),
            prev=prev,
            actor=self.actor,
        )
