"""Hash chains (issue 20, item 8): what a stream's envelopes name, and what changing any of
them leaves behind. Pure: envelopes are sealed and signed here as the outbox seals them."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from contracts import Envelope, Source
from contracts.audit import AuditRoot, StreamHead, root_of
from contracts.chain import GENESIS, Chains, hash_of, link_of
from contracts.signing import Signer, fast_signed_bytes, verify_claims
from deploy.audit import Audit
from services.common.parking import placeholder_of
from tests.builders import held_voter_contact

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PUBLIC = KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
SIGNER = Signer({"12": KEY})
SOURCE = Source(service="meetings", instance="lai-chau")
START = datetime(2025, 3, 2, 8, tzinfo=UTC)

# An envelope as it was published before streams were chained (signed by the code of that
# time, with the key above): it must keep its bytes and its signature.
OLD_PUBLIC = "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg="
OLD_ENVELOPE = (
    '{"event_id":"0b9d3c1e-2f4a-4c6b-9e8d-7a6b5c4d3e2f","type":"meeting.held","version":2,'
    '"unit":"03390","occurred_at":"2025-03-02T08:00:00Z","recorded_at":"2025-03-02T09:30:00Z",'
    '"source":{"service":"meetings","instance":"lai-chau"},"sequence":41,'
    '"correlation_id":null,"causation_id":null,"payload":{"meeting_id":"vc-1",'
    '"title":"Tiếp xúc cử tri trước kỳ họp","voters":120},"signature":{"kind":"unit",'
    '"unit":"12","kid":"56475aa75463474c","value":"sXcdgs9eLsdee7be4toTV03JFzuigxbEApGDSyjyZ2n'
    '/i/5ZRiGbhO0OBP2okTjkP5skJsvnpc9a0gGiN1ExBQ=="}}'
).encode()


def holds(envelope: Envelope) -> bool:
    assert envelope.signature is not None
    signature = base64.b64decode(envelope.signature.value)
    return verify_claims([(PUBLIC, signature, envelope.signed_bytes())])[0]


def check(envelope: Envelope) -> str | None:
    return None if holds(envelope) else "bad signature by unit 12"


def sign(envelope: Envelope) -> Envelope:
    return SIGNER.sign(envelope.model_copy(update={"signature": None}), ["03390", "12"])


def contact(voters: int) -> dict[str, Any]:
    """A voter contact's `meeting.held` payload, as it travels."""
    return held_voter_contact("03390", START.date(), 1, voters).envelope.payload


def sealed(sequence: int, prev: str | None, voters: int = 100, unit: str = "03390") -> Envelope:
    return sign(
        Envelope(
            event_id=uuid4(),
            type="meeting.held",
            version=2,
            unit=unit,
            occurred_at=START,
            recorded_at=START + timedelta(minutes=sequence),
            source=SOURCE,
            sequence=sequence,
            payload=contact(voters),
            prev=prev,
        )
    )


def chain(length: int, first: int = 1) -> list[Envelope]:
    """A stream as the outbox writes it: each envelope names the hash of the one before."""
    out: list[Envelope] = []
    prev = GENESIS
    for sequence in range(first, first + length):
        out.append(sealed(sequence, prev))
        prev = hash_of(out[-1])
    return out


def changed(envelope: Envelope, **update: Any) -> Envelope:
    """`envelope` with fields changed, and its signature left as it was."""
    return envelope.model_copy(update=update)


def audited(published: list[Envelope], stored: list[Envelope] | None = None) -> Audit:
    audit = Audit(check)
    for offset, envelope in enumerate(published):
        audit.record(envelope.to_bytes(), "hdnd.meetings", 0, offset)
    for envelope in stored or []:
        audit.row("hdnd_meetings", {"_id": envelope.sequence, "value": envelope.to_bytes()})
    return audit


# -- the envelope -------------------------------------------------------------------------


def test_an_envelope_signed_before_chains_keeps_its_bytes_and_its_signature() -> None:
    envelope = Envelope.model_validate_json(OLD_ENVELOPE)
    assert envelope.prev is None
    assert envelope.to_bytes() == OLD_ENVELOPE  # read and written again, byte for byte
    assert base64.b64encode(PUBLIC).decode() == OLD_PUBLIC
    assert b'"prev"' not in envelope.signed_bytes()
    assert fast_signed_bytes(envelope) == envelope.signed_bytes()
    assert holds(envelope)


def test_prev_is_inside_the_signed_bytes() -> None:
    envelope = sealed(2, hash_of(sealed(1, GENESIS)))
    assert f'"prev":"{envelope.prev}"'.encode() in envelope.signed_bytes()
    assert fast_signed_bytes(envelope) == envelope.signed_bytes()
    assert holds(envelope)
    assert not holds(changed(envelope, prev="f" * 64))
    with pytest.raises(ValidationError, match="prev"):
        Envelope.model_validate(envelope.model_dump() | {"prev": "not a hash"})


# -- chains -------------------------------------------------------------------------------


def test_a_chain_with_copies_of_its_records_holds() -> None:
    stream = chain(5)
    published = [*stream[:3], stream[1], stream[2], *stream[3:], stream[0]]  # republished
    assert audited(published, stream).finish() == []


def test_a_stream_begun_before_chains_goes_on_with_a_chain_from_genesis() -> None:
    old = [sealed(1, None), sealed(2, None)]
    new = chain(3, first=3)
    assert audited([*old, *new]).finish() == []
    reasons = [f.reason for f in audited([*old, new[0], sealed(4, None)]).finish()]
    assert reasons == ["no prev, though the stream is chained up to sequence 3"]
    again = sealed(4, GENESIS)
    reasons = [f.reason for f in audited([*old, new[0], again]).finish()]
    assert reasons == ["starts a new chain (genesis prev) after sequence 3"]


def test_the_stand_in_of_a_parked_envelope_keeps_the_chain() -> None:
    stream = chain(3)
    row = {"value": stream[1].to_bytes()}
    stand_in = sign(placeholder_of(row, "MessageSizeTooLargeError: too large"))
    assert (stand_in.sequence, stand_in.prev) == (2, stream[1].prev)
    assert link_of(stand_in) == hash_of(stream[1])  # what sequence 3 names as prev
    assert audited([stream[0], stand_in, stream[2]]).finish() == []


def test_a_topic_alone_names_the_record_after_a_resigned_edit_and_a_root_the_last() -> None:
    stream = chain(4)
    edited = sign(changed(stream[1], payload=contact(9000)))
    [finding] = audited([stream[0], edited, *stream[2:]]).finish()
    assert (finding.where, finding.reason) == (
        "hdnd.meetings 0:2",
        "prev does not match the hash of sequence 2",
    )
    last = sign(changed(stream[3], payload=contact(9000)))
    head = StreamHead(stream=stream[3].stream, sequence=4, hash=hash_of(stream[3]))
    root = sign(
        changed(
            sealed(1, GENESIS, unit="12"),
            type="audit.root",
            version=1,
            source=Source(service="meetings-audit", instance="lai-chau"),
            payload=AuditRoot(
                day=date(2025, 3, 2), as_of=START, streams=[head], root=root_of([head])
            ).model_dump(mode="json"),
        )
    )
    audit = Audit(check)
    audit.record(root.to_bytes(), "hdnd.audit", 0, 0)  # the roots are read first
    for offset, envelope in enumerate([*stream[:3], last]):
        audit.record(envelope.to_bytes(), "hdnd.meetings", 0, offset)
    [finding] = audit.finish()
    assert finding.where == "hdnd.meetings 0:3"
    assert finding.reason == "not the hash the root at hdnd.audit 0:0 names for it"


def test_a_root_is_the_hash_of_its_sorted_lines() -> None:
    heads = [
        StreamHead(stream=f"meetings/x/0339{i}", sequence=i + 1, hash=f"{i}" * 64) for i in (2, 1)
    ]
    lines = "".join(f"meetings/x/0339{i} {i + 1} {str(i) * 64}\n" for i in (1, 2))
    assert root_of(heads) == hashlib.sha256(lines.encode()).hexdigest()
    body = {"day": "2025-03-02", "as_of": START.isoformat(), "streams": [], "root": "0" * 64}
    with pytest.raises(ValidationError, match="root is not the hash of the streams listed"):
        AuditRoot.model_validate(body)


# -- any tampering is named where it was done ------------------------------------------------


def tampered(envelope: Envelope, how: str) -> Envelope:
    """`envelope` changed as an attacker would: content with or without signing again (whoever
    holds the key), its prev, or its sequence."""
    more = contact(7)
    if how == "edit":
        return changed(envelope, payload=more)
    if how == "resign":
        return sign(changed(envelope, payload=more))
    if how == "prev":
        return sign(changed(envelope, prev="e" * 64))
    assert how == "genesis"
    return sign(changed(envelope, prev=GENESIS, event_id=uuid4()))


HOW = st.sampled_from(["edit", "resign", "prev", "genesis"])


@given(length=st.integers(2, 12), data=st.data(), how=HOW)
def test_any_change_to_a_stored_envelope_is_named_at_it(
    length: int, data: st.DataObject, how: str
) -> None:
    stream = chain(length)
    at = data.draw(st.integers(1 if how == "genesis" else 0, length - 1))
    stored = [*stream[:at], tampered(stream[at], how), *stream[at + 1 :]]
    findings = audited(stream, stored).finish()
    assert [f.where for f in findings] == [f"hdnd_meetings/outbox/{at + 1}"], findings
    assert (
        "the stored row differs from the published record (hdnd.meetings 0:" in findings[0].reason
    )


@given(length=st.integers(1, 12), data=st.data(), how=HOW)
def test_any_record_appended_to_rewrite_a_topic_is_named_at_it(
    length: int, data: st.DataObject, how: str
) -> None:
    """A topic is never edited in place: who holds a key can only append. A second version of
    a sequence already published, or a next record that does not follow, is named."""
    stream = chain(length)
    at = data.draw(st.integers(0, length - 1))
    forged = tampered(stream[at], how)
    if data.draw(st.booleans()) and how != "edit":  # or as the next record of the stream
        forged = sign(changed(forged, sequence=length + 1))
        if how == "resign":
            forged = sign(changed(forged, prev="d" * 64))
    findings = audited([*stream, forged]).finish()
    assert [f.where for f in findings] == [f"hdnd.meetings 0:{length}"], findings


def test_chains_remember_little_per_record() -> None:
    chains = Chains()
    for envelope in chain(100):
        assert chains.take(envelope, "here") is None
    known = chains.streams[SOURCE.stream("03390")]
    assert len(known.digests) == 800 and len(known.places) == 100
