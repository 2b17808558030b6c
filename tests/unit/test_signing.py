"""Signed envelopes: who may publish for whom, and tampering is caught."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from contracts import EventDraft, InvalidEvent, Source
from contracts.keys import generate_keys
from contracts.meetings import MeetingHeld, StandingCommitteeMeeting
from contracts.signing import Signer, Verifier, verify_claims

# Province 01 › district 001 › communes 00001, 00002.
LINEAGES = {
    "01": ("01",),
    "001": ("001", "01"),
    "00001": ("00001", "001", "01"),
    "00002": ("00002", "001", "01"),
}


def lineage(unit: str, day: date) -> tuple[str, ...] | None:
    return LINEAGES.get(unit)


def envelope(unit: str) -> object:
    payload = MeetingHeld(
        meeting=StandingCommitteeMeeting(
            title="Phiên họp", held_on=date(2025, 3, 3), meeting_type="regular"
        )
    )
    draft = EventDraft(
        type="meeting.held",
        version=1,
        unit=unit,
        occurred_at=datetime(2025, 3, 3, 5, tzinfo=UTC),
        payload=payload,
    )
    return draft.seal(Source(service="meetings", instance="t"), 1)


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    generate_keys(tmp_path, ["01", "00001"])
    return tmp_path


def test_a_province_key_signs_for_its_communes_and_the_most_specific_key_wins(keys: Path) -> None:
    signer, verifier = Signer.from_dir(keys), Verifier.from_dir(keys, lineage)
    for_commune_2 = signer.sign(envelope("00002"), LINEAGES["00002"])  # type: ignore[arg-type]
    assert for_commune_2.signature is not None and for_commune_2.signature.unit == "01"
    verifier.check(for_commune_2)
    for_commune_1 = signer.sign(envelope("00001"), LINEAGES["00001"])  # type: ignore[arg-type]
    assert for_commune_1.signature is not None and for_commune_1.signature.unit == "00001"
    verifier.check(for_commune_1)


def test_a_commune_cannot_publish_for_another_commune(keys: Path) -> None:
    commune_only = Signer({"00001": Signer.from_dir(keys).keys["00001"]})
    forged = commune_only.sign(envelope("00002"), ["00001"])  # type: ignore[arg-type]
    with pytest.raises(InvalidEvent, match="signer 00001 may not publish for unit 00002"):
        Verifier.from_dir(keys, lineage).check(forged)


def test_tampering_unsigned_and_unknown_keys_are_refused(
    keys: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    verifier = Verifier.from_dir(keys, lineage)
    signed = Signer.from_dir(keys).sign(envelope("00002"), LINEAGES["00002"])  # type: ignore[arg-type]
    tampered = signed.model_copy(
        update={
            "payload": {**signed.payload, "meeting": {**signed.payload["meeting"], "title": "Khác"}}
        }
    )
    with pytest.raises(InvalidEvent, match="bad signature"):
        verifier.check(tampered)
    with pytest.raises(InvalidEvent, match="unsigned"):
        verifier.check(envelope("00002"))  # type: ignore[arg-type]
    stranger = tmp_path_factory.mktemp("stranger")
    generate_keys(stranger, ["001"])
    by_unregistered = Signer.from_dir(stranger).sign(envelope("00002"), LINEAGES["00002"])  # type: ignore[arg-type]
    with pytest.raises(InvalidEvent, match="no registered public key for unit 001"):
        verifier.check(by_unregistered)
    with pytest.raises(InvalidEvent, match="did not exist"):
        verifier.check(envelope("99999"))  # type: ignore[arg-type]


def test_signature_survives_the_trip_through_bytes(keys: Path) -> None:
    from contracts import decode_event

    signed = Signer.from_dir(keys).sign(envelope("00002"), LINEAGES["00002"])  # type: ignore[arg-type]
    Verifier.from_dir(keys, lineage).check(decode_event(signed.to_bytes()).envelope)


def test_a_batch_verified_in_the_worker_process_answers_like_one_by_one(tmp_path: Path) -> None:
    """More claims than one chunk, so the worker process answers; every altered one fails."""
    from services.common.workers import CHUNK, Offload

    generate_keys(tmp_path, ["01"])
    signer = Signer.from_dir(tmp_path)
    verifier = Verifier.from_dir(tmp_path, lineage)
    signed = signer.sign(envelope("00001"), ("00001", "001", "01"))  # type: ignore[arg-type]
    altered = signed.model_copy(update={"sequence": 2})
    claims = [verifier.claim(altered if i % 7 == 3 else signed) for i in range(CHUNK * 2 + 9)]
    checks: Offload[tuple[bytes, bytes, bytes], bool] = Offload(verify_claims)
    for claim in claims:
        checks.add(claim.plain())
    assert checks.results() == [i % 7 != 3 for i in range(len(claims))]
    assert [c.holds() for c in claims[:14]] == [i % 7 != 3 for i in range(14)]
