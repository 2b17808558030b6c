"""The actor on the envelope (người ghi nhận): signed with the rest when present, absent from the
signed bytes and the wire form when not, so every envelope signed before actors still verifies
byte for byte and old history reads with no actor."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from contracts import Actor, Envelope, EventDraft, Source, decode_event
from contracts.meetings import MeetingCancelled
from contracts.signing import fast_signed_bytes, verify_claims
from services.common.recording import system_actor
from services.common.tokens import TokenError, principal_from_claims

# Written and signed by the code before actors existed (main at 9c5c495), key = bytes(range(32)).
BEFORE_ACTORS = (
    '{"event_id":"6f1c2b1e-0c4e-4a55-9d0e-3c1f3e0b9a11","type":"meeting.cancelled","version":1,'
    '"unit":"03390","occurred_at":"2025-03-01T12:00:00+07:00","recorded_at":"2025-03-01T09:30:00Z",'
    '"source":{"service":"meetings","instance":"lai-chau-1"},"sequence":7,'
    '"correlation_id":"6f1c2b1e-0c4e-4a55-9d0e-3c1f3e0b9a11","causation_id":null,'
    '"payload":{"meeting_id":"tx-2025-03","kind":"voter_contact","scheduled_for":"2025-03-05",'
    '"cancelled_on":"2025-03-01","reason":"Mưa bão, hoãn tiếp xúc cử tri"},'
    '"signature":{"kind":"unit","unit":"12","kid":null,"value":"F9gWtRV/dZTySKk7OeeL0o5TXspjuYPw0cz/'
    '93PnmZqnjmQOddsymN6VLKq2sb95WfK/bu4NO2iL6fmFuvSeBw=="}}'
).encode()
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PUBLIC = KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
LAN = Actor(id="acc-7f3a", name="Nguyễn Thị Lan", kind="person")


def holds(envelope: Envelope) -> bool:
    """The signature verifies over the fast and over the canonical bytes."""
    assert envelope.signature is not None
    value = base64.b64decode(envelope.signature.value)
    messages = [fast_signed_bytes(envelope), envelope.signed_bytes()]
    return all(verify_claims([(PUBLIC, value, m) for m in messages]))


def signed(envelope: Envelope) -> Envelope:
    value = base64.b64encode(KEY.sign(envelope.signed_bytes())).decode()
    signature = {"kind": "unit", "unit": "12", "value": value}
    return Envelope.model_validate({**envelope.model_dump(), "signature": signature})


def test_an_envelope_signed_before_actors_verifies_and_reads_with_no_actor() -> None:
    event = decode_event(BEFORE_ACTORS)
    envelope = event.envelope
    assert envelope.actor is None
    assert holds(envelope)
    assert envelope.to_bytes() == BEFORE_ACTORS  # the wire form, byte for byte
    assert b"actor" not in envelope.signed_bytes()


def test_the_actor_is_signed_with_the_rest_of_the_envelope() -> None:
    before = decode_event(BEFORE_ACTORS).envelope
    envelope = signed(before.model_copy(update={"actor": LAN, "signature": None}))
    assert holds(envelope)
    again = decode_event(envelope.to_bytes()).envelope
    assert again.actor == LAN and holds(again)
    forged = again.model_copy(update={"actor": LAN.model_copy(update={"name": "Trần Văn Hùng"})})
    assert not holds(forged)
    dropped = again.model_copy(update={"actor": None})
    assert not holds(dropped)


def test_a_draft_keeps_the_actor_it_was_caused_by() -> None:
    cancelled = decode_event(BEFORE_ACTORS).payload
    draft = EventDraft(
        type=MeetingCancelled.TYPE,
        version=MeetingCancelled.VERSION,
        unit="03390",
        occurred_at=datetime(2025, 3, 1, tzinfo=UTC),
        payload=cancelled,
    )
    assert draft.by(None).actor is None
    by_lan = draft.by(LAN)
    hung = Actor(id="acc-2", name="Trần Văn Hùng", kind="person")
    assert by_lan.by(hung).actor == LAN  # a cause's actor is not overwritten
    sealed = by_lan.seal(Source(service="meetings", instance="i"), 1)
    assert sealed.actor == LAN


@pytest.mark.parametrize(
    "actor",
    [
        {"id": "", "name": "Lan", "kind": "person"},
        {"id": "a", "name": "x" * 201, "kind": "person"},
        {"id": "a", "name": "Lan\x00", "kind": "person"},
        {"id": "a", "name": "Lan", "kind": "robot"},
        {"id": "a", "name": "Lan", "kind": "person", "role": "admin"},
    ],
)
def test_an_actor_is_bounded(actor: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        Actor.model_validate(actor)


# -- who a token names, and the system -------------------------------------------------------


def claims(**given: object) -> dict[str, object]:
    """The claims of a token the issuer signed (services.common.tokens checks them)."""
    now = int(datetime.now(UTC).timestamp())
    base = {"sub": "acc-1", "role": "secretary", "unit": "12", "iss": "hdnd-12", "aud": "hdnd"}
    return base | {"jti": "j-1", "iat": now, "exp": now + 60} | given


def test_a_token_names_its_holder_for_the_events_they_record() -> None:
    named = principal_from_claims(claims(sub="acc-7f3a", name=LAN.name))
    assert named.actor() == LAN
    anonymous = principal_from_claims(claims(sub="secretary-12", role="viewer"))
    assert anonymous.actor() == Actor(id="secretary-12", name="secretary-12", kind="person")
    service = claims(sub="svc-bao-cao", name="Phần mềm báo cáo", kind="service", role="viewer")
    assert principal_from_claims(service).actor().kind == "service"


@pytest.mark.parametrize(
    "given",
    [{"kind": "robot"}, {"name": ""}, {"name": "x" * 201}, {"name": "Lan\n"}, {"sub": "a\x00"}],
)
def test_a_token_whose_holder_cannot_name_an_actor_is_refused(given: dict[str, str]) -> None:
    with pytest.raises(TokenError):
        principal_from_claims(claims(**given))


def test_the_system_acts_for_the_operators_command() -> None:
    actor = system_actor("hdnd hierarchy merge")
    assert actor.kind == "system" and actor.name.endswith("(hdnd hierarchy merge)")
    assert actor.id.startswith("system:")
