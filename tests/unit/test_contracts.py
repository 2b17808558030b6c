"""Contracts: the committed JSON Schemas match the models, and decoding says why it refuses."""

from __future__ import annotations

import json

import pytest

from contracts import InvalidEvent, decode_event
from contracts.schema import SCHEMA_DIR, json_schemas, render


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
