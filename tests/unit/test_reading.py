"""Reading records away from the consumer: the fast canonical bytes, and worker answers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import Envelope, Source
from contracts import coordination as c
from contracts.hierarchy import HierarchyChanged, Merge
from contracts.keys import KeyRing, generate, generate_keys, registry_key
from contracts.signing import Signer, Verifier, fast_signed_bytes
from services.common.workers import CHUNK, Offload
from services.reporting.read.projector.reading import _holds, read_chunk
from tests.builders import held_voter_contact
from tests.forged import envelope_of

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def with_payload(payload: dict[str, Any]) -> Envelope:
    return Envelope(
        event_id="6f1c8a3e-2b4d-4c5e-9f7a-0b1c2d3e4f50",
        type="meeting.held",
        version=2,
        unit="00001",
        occurred_at=datetime(2025, 3, 3, 5, tzinfo=UTC),
        recorded_at=datetime(2025, 3, 3, 6, tzinfo=UTC),
        source=Source(service="meetings", instance="t"),
        sequence=1,
        payload=payload,
    )


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(), json_values, max_size=6))
def test_the_fast_canonical_bytes_are_the_canonical_bytes_without_floats(
    payload: dict[str, Any],
) -> None:
    envelope = with_payload(payload)
    assert fast_signed_bytes(envelope) == envelope.signed_bytes()


def test_a_signature_over_floats_written_otherwise_still_holds(tmp_path: Path) -> None:
    """json writes 1e-07 where orjson writes 1e-7: the canonical bytes are tried next, in the
    consumer (Claim.holds) and in a worker (reading._holds) alike; an altered one still fails."""
    generate_keys(tmp_path, ["00001"])
    signed = Signer.from_dir(tmp_path).sign(with_payload({"lat": 1e-7, "x": 0.1}), ("00001",))
    assert fast_signed_bytes(signed) != signed.signed_bytes()
    verifier = Verifier.from_dir(tmp_path, lambda unit, day: ("00001",))
    assert verifier.claim(signed).holds()
    assert signed.signature is not None
    key = _keys(tmp_path)["00001"]
    assert _holds(key, signed.signature.value, signed)
    altered = signed.model_copy(update={"payload": {"lat": 2e-7, "x": 0.1}})
    assert not verifier.claim(altered).holds()
    assert not _holds(key, signed.signature.value, altered)


def test_workers_read_a_batch_as_this_process_does(tmp_path: Path) -> None:
    """More records than a chunk, so worker processes answer; altered and garbled records
    come back as not holding and refused, in their places."""
    generate_keys(tmp_path, ["12"])
    signer = Signer.from_dir(tmp_path)
    values = []
    for i in range(CHUNK * 2 + 7):
        event = held_voter_contact("03400", date(2025, 8, 1 + i % 28), seq=i + 1)
        envelope = signer.sign(event.envelope, ("03400", "12"))
        if i % 9 == 4:
            envelope = envelope.model_copy(update={"sequence": 10_000 + i})  # altered
        values.append(b"not json" if i % 11 == 6 else envelope.to_bytes())
    here = read_chunk(values, str(tmp_path / "public"))
    offload = Offload[bytes, Any](read_chunk, str(tmp_path / "public"))
    for value in values:
        offload.add(value)
    assert offload.results() == here
    for i, reading in enumerate(here):
        if i % 11 == 6:
            assert reading.refused and reading.refused.startswith("invalid envelope")
        else:
            assert reading.refused is None and reading.holds == (i % 9 != 4)
            assert reading.shares and reading.shares[0][0] == "03400"


def test_workers_send_back_the_events_judging_reads_the_payload_of(tmp_path: Path) -> None:
    """A hierarchy change and a proposal come back from a worker process decoded, as read
    here: judging takes their payloads from the reading, never from the bytes again."""
    generate_keys(tmp_path, ["12"])
    generate(tmp_path, registry_key())
    signer = Signer.from_dir(tmp_path)
    day = date(2026, 1, 1)
    merge = HierarchyChanged(
        change_no=1, effective=day, change=Merge(units=["03445"], into="03442")
    )
    proposal = c.ProposalRaised(
        to_unit="12", kind=c.ProposalKind.SUGGESTION, title="Đề xuất", raised_on=day
    )
    kept = [
        signer.sign(envelope_of(merge, "12", day, "registry", 1), ["12"]),
        signer.sign(envelope_of(proposal, "03390", day, "t", 1), ["03390", "12"]),
    ]
    contacts = [held_voter_contact("03390", day, seq=i + 1).envelope for i in range(CHUNK)]
    values = [e.to_bytes() for e in [*kept, *(signer.sign(e, ["12"]) for e in contacts)]]
    offload = Offload[bytes, Any](read_chunk, str(tmp_path / "public"))
    for value in values:
        offload.add(value)
    here = read_chunk(values, str(tmp_path / "public"))
    assert offload.results() == here
    change, raised, contact = here[:3]
    assert change.holds and change.event is not None and change.event.payload == merge
    assert raised.holds and raised.event is not None and raised.event.payload == proposal
    assert contact.event is None  # the rest are judged on their reading alone


def _keys(directory: Path) -> dict[str | None, bytes]:
    return {key.name.unit: key.raw for key in KeyRing(directory / "public")}
