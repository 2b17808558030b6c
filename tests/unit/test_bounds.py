"""Every list and text the contracts accept is bounded, and an event too large is refused by
name: what keeps one record from stalling an instance (README, "Sizes")."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from contracts.meetings import MeetingHeld, VoterContact
from contracts.schema import json_schemas
from services.common.limits import EventTooLarge, check_event_size, event_limit, largest_part
from services.common.settings import Settings

# Formats whose strings are bounded by what they are.
_BOUNDED_FORMATS = {"date", "date-time", "uuid", "binary"}


def _unbounded(schema: Any, where: str) -> list[str]:
    """Paths of the strings, lists and maps in a JSON Schema that have no upper bound."""
    found: list[str] = []
    if isinstance(schema, dict):
        kind = schema.get("type")
        if kind == "string" and not (
            "maxLength" in schema
            or "enum" in schema
            or "const" in schema
            or schema.get("format") in _BOUNDED_FORMATS
            or _fixed_pattern(schema.get("pattern"))
        ):
            found.append(where)
        if kind == "array" and "maxItems" not in schema:
            found.append(where)
        if (
            kind == "object"
            and schema.get("additionalProperties")
            and "maxProperties" not in schema
        ):
            found.append(where)
        for key, value in schema.items():
            found += _unbounded(value, f"{where}.{key}")
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            found += _unbounded(value, f"{where}.{i}")
    return found


def _fixed_pattern(pattern: str | None) -> bool:
    """An anchored pattern without repetition bounds its strings itself (a unit code, a term)."""
    return bool(pattern) and pattern.startswith("^") and not any(c in pattern for c in "+*")  # type: ignore[union-attr]


def test_every_list_and_text_of_every_event_is_bounded() -> None:
    schemas = {k: v for k, v in json_schemas().items() if k != "envelope.json"}
    unbounded = [path for name, schema in schemas.items() for path in _unbounded(schema, name)]
    assert unbounded == []


def _opinion(i: int, text: str) -> dict[str, Any]:
    return {"opinion_id": f"y-{i}", "text": text, "field": "land", "addressed_to": "UBND xã"}


def _voter_contact(opinions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "kind": "voter_contact",
        "title": "Tiếp xúc cử tri",
        "held_on": "2025-03-01",
        "timing": "before_session",
        "delegate_group": "Tổ đại biểu số 1",
        "voters_attending": 80,
        "opinions_raised": len(opinions),
        "opinions": opinions,
    }


@pytest.mark.parametrize(
    ("opinions", "where"),
    [
        ([_opinion(0, "ệ" * 2001)], ("opinions", 0, "text")),  # a text: 2,000 characters
        ([_opinion(i, "Đường") for i in range(501)], ("opinions",)),  # 500 opinions a meeting
    ],
)
def test_what_councils_never_write_is_refused_by_the_contract(
    opinions: list[dict[str, Any]], where: tuple[Any, ...]
) -> None:
    with pytest.raises(ValidationError) as refused:
        VoterContact.model_validate(_voter_contact(opinions))
    assert refused.value.errors()[0]["loc"] == where


def test_an_event_over_the_size_limit_names_its_largest_list() -> None:
    """200 opinions of 2,000 three-byte characters are each within bounds, together 1.2 MB."""
    contact = VoterContact.model_validate(
        _voter_contact([_opinion(i, "ệ" * 2000) for i in range(200)])
    )
    payload = MeetingHeld(meeting=contact).model_dump(mode="json")
    assert largest_part(payload)[0] == "meeting.opinions"
    with pytest.raises(EventTooLarge) as refused:
        check_event_size(json.dumps(payload, ensure_ascii=False).encode(), payload, 512 * 1024)
    assert refused.value.field == "meeting.opinions"
    assert refused.value.kind == "event_too_large"
    assert "524288" in refused.value.message.replace(",", "")


def test_a_single_long_text_is_named_when_it_is_the_largest_part() -> None:
    payload = {"title": "x", "findings": "ệ" * 100, "units": ["01", "02"], "at": str(date.today())}
    assert largest_part(payload) == ("findings", 302)


def test_a_write_may_not_emit_what_its_producer_could_never_send() -> None:
    assert event_limit(Settings()) == 512 * 1024
    assert event_limit(Settings(kafka_max_request_bytes=64 * 1024)) == 63 * 1024
