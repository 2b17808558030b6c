"""Contracts: the committed JSON Schemas match the models, and decoding says why it refuses."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from contracts import InvalidEvent, decode_event
from contracts.schema import SCHEMA_DIR, json_schemas, render
from tests.builders import held_voter_contact


def test_committed_json_schemas_match_the_models() -> None:
    expected = json_schemas()
    committed = {p.name for p in SCHEMA_DIR.glob("*.json")}
    assert committed == set(expected), "run `hdnd contracts export` and commit the result"
    for name, schema in expected.items():
        assert (SCHEMA_DIR / name).read_text(encoding="utf-8") == render(schema), name


def test_every_meeting_kind_is_in_the_schema() -> None:
    schema = json_schemas()["meeting.held.v1.json"]
    kinds = {
        d["properties"]["kind"]["const"]
        for d in schema["$defs"].values()
        if "kind" in d.get("properties", {})
    }
    assert kinds == {
        "session",
        "standing_committee",
        "conference",
        "training",
        "voter_contact",
        "citizen_reception",
    }


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff", "invalid envelope"),
        (b"{}", "invalid envelope"),
        (json.dumps({"type": "x.y"}).encode(), "invalid envelope"),
    ],
)
def test_refusals_say_why(raw: bytes, reason: str) -> None:
    with pytest.raises(InvalidEvent, match=reason):
        decode_event(raw)


def _envelope(**changes: Any) -> dict[str, Any]:
    sealed = held_voter_contact("00001", date(2025, 3, 1), 1).envelope
    body: dict[str, Any] = json.loads(sealed.to_bytes())
    return body | changes


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (_envelope(sequence=2**53 + 1), "invalid envelope: sequence: Input should be less than"),
        (_envelope(sequence=2**70), "invalid envelope: sequence: Input should be less than"),
        (_envelope(version=10**6), "invalid envelope: version: Input should be less than"),
        (
            _envelope(source={"service": "meetings", "instance": "xã\x00phường"}),
            "invalid envelope: source.instance: String should match pattern",
        ),
        (
            _envelope(
                type="hierarchy.changed",
                version=1,
                payload={
                    "change_no": 2**70,
                    "effective": "2026-01-01",
                    "change": {"kind": "rename", "unit": "00001", "name": "Xã Mới"},
                },
            ),
            "invalid hierarchy.changed payload: change_no: Input should be less than",
        ),
    ],
)
def test_numbers_beyond_their_bounds_and_unstorable_names_are_refused(
    body: dict[str, Any], reason: str
) -> None:
    """What a consumer would fail to write (integers beyond 64 bits, a NUL in a field name) or
    not read exactly (integers beyond 2^53 in JSON) never gets past decoding."""
    with pytest.raises(InvalidEvent, match=reason):
        decode_event(json.dumps(body).encode())


def test_the_largest_sequence_is_2_to_the_53() -> None:
    assert decode_event(json.dumps(_envelope(sequence=2**53)).encode()).envelope.sequence == 2**53
