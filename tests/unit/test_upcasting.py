"""Upcasting: old versions are read in the current shape, newer ones are refused with a reason."""

from __future__ import annotations

import json
from datetime import date
from typing import Any, ClassVar
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts import REGISTRY, InvalidEvent, decode_event
from contracts.oversight import SupervisionFinished, SupervisionFinishedV1, recommendations_renamed
from contracts.registry import Registry
from contracts.versioning import upcaster
from tests.builders import LAND_SUPERVISION

V1_PAYLOAD: dict[str, Any] = {
    "supervision_id": "gs-2025-dat-dai",
    **LAND_SUPERVISION,
    "supervised_units": ["03390"],
    "findings": "Tiến độ cấp giấy chậm.",
    "recommendations_issued": 4,
}


def envelope(version: int, payload: dict[str, Any]) -> bytes:
    """An envelope as the oversight service wrote it (unsigned: decoding does not check)."""
    return json.dumps(
        {
            "event_id": str(uuid4()),
            "type": "supervision.finished",
            "version": version,
            "unit": "106",
            "occurred_at": "2025-03-28T12:00:00+07:00",
            "recorded_at": "2025-03-28T05:00:01Z",
            "source": {"service": "oversight", "instance": "before-v2"},
            "sequence": 1,
            "payload": payload,
        }
    ).encode()


def test_v1_is_read_as_v2_with_the_renamed_field_and_no_report_number() -> None:
    decoded = decode_event(envelope(1, V1_PAYLOAD))
    event = decoded.payload
    assert isinstance(event, SupervisionFinished)
    assert event.recommendations == 4 and event.report_ref is None
    assert event.model_dump(mode="json") == {
        **{k: v for k, v in V1_PAYLOAD.items() if k != "recommendations_issued"},
        "recommendations": 4,
        "report_ref": None,
    }
    # The envelope stays as written: its signature covers the v1 payload.
    assert decoded.envelope.version == 1 and decoded.envelope.payload == V1_PAYLOAD


def test_v1_defaults_are_v1s_and_v2_is_read_as_is() -> None:
    minimal = {k: v for k, v in V1_PAYLOAD.items() if k != "recommendations_issued"}
    upcast = decode_event(envelope(1, minimal)).payload
    assert isinstance(upcast, SupervisionFinished) and upcast.recommendations == 0
    v2 = {**minimal, "recommendations": 9, "report_ref": "45/BC-HĐND"}
    current = decode_event(envelope(2, v2)).payload
    assert isinstance(current, SupervisionFinished)
    assert (current.recommendations, current.report_ref) == (9, "45/BC-HĐND")


@pytest.mark.parametrize(
    ("version", "payload", "reason"),
    [
        (3, V1_PAYLOAD, "unsupported version 3 of 'supervision.finished' (newest known: 2)"),
        (
            1,
            {**V1_PAYLOAD, "recommendations_issued": -1},
            "invalid supervision.finished v1 payload: recommendations_issued",
        ),
        (1, {**V1_PAYLOAD, "recommendations": 4}, "v1 payload: recommendations: Extra inputs"),
        (2, V1_PAYLOAD, "invalid supervision.finished payload: recommendations_issued: Extra"),
    ],
)
def test_refusals_name_the_version_and_the_field_as_written(
    version: int, payload: dict[str, Any], reason: str
) -> None:
    with pytest.raises(InvalidEvent) as refused:
        decode_event(envelope(version, payload))
    assert reason in str(refused.value)


@given(
    recommendations=st.integers(min_value=0, max_value=10_000_000),
    findings=st.none() | st.text(min_size=1, max_size=50),
    units=st.lists(st.sampled_from(["03390", "03391", "03394"]), unique=True),
)
def test_every_valid_v1_payload_becomes_a_valid_v2_with_the_same_facts(
    recommendations: int, findings: str | None, units: list[str]
) -> None:
    v1 = SupervisionFinishedV1.model_validate(
        {
            **V1_PAYLOAD,
            "recommendations_issued": recommendations,
            "findings": findings,
            "supervised_units": units,
        }
    )
    v2 = SupervisionFinished.model_validate(recommendations_renamed(v1.model_dump(mode="json")))
    assert v2.recommendations == v1.recommendations_issued
    shared = set(SupervisionFinishedV1.model_fields) & set(SupervisionFinished.model_fields)
    assert {f: getattr(v2, f) for f in shared} == {f: getattr(v1, f) for f in shared}


def test_every_registered_type_can_lift_each_older_version() -> None:
    assert REGISTRY.missing_upcasters() == []
    assert REGISTRY.retired[("supervision.finished", 1)] is SupervisionFinishedV1


class SupervisionFinishedV3(SupervisionFinished):
    """A future v3 (test only): adds a follow-up deadline."""

    VERSION: ClassVar[int] = 3
    follow_up_due: date | None = None


def test_steps_chain_from_v1_through_v2_to_a_newer_current_version() -> None:
    registry = Registry()
    registry.register(SupervisionFinishedV3)  # picks up the declared v1 → v2 step
    registry.add_upcaster(
        "supervision.finished", 2, lambda v2: {**v2, "follow_up_due": None}, old=SupervisionFinished
    )
    event = registry.decode(envelope(1, V1_PAYLOAD)).payload
    assert isinstance(event, SupervisionFinishedV3)
    assert (event.recommendations, event.follow_up_due) == (4, None)


def test_a_failing_upcaster_dead_letters_instead_of_crashing() -> None:
    registry = Registry()
    registry.register(SupervisionFinishedV3)
    registry.add_upcaster("supervision.finished", 2, lambda v2: {**v2, "x": v2["missing"]})
    with pytest.raises(InvalidEvent, match=r"cannot upcast supervision\.finished v2: KeyError"):
        registry.decode(envelope(1, V1_PAYLOAD))
    without_step = Registry()
    without_step.current["supervision.finished"] = SupervisionFinishedV3
    with pytest.raises(InvalidEvent, match="no upcaster from version 1"):
        without_step.decode(envelope(1, V1_PAYLOAD))


def test_an_upcaster_joins_consecutive_versions_of_one_type_once() -> None:
    with pytest.raises(TypeError, match="consecutive versions"):
        upcaster(SupervisionFinishedV1, to=SupervisionFinishedV3)
    with pytest.raises(TypeError, match="already has an upcaster"):
        upcaster(SupervisionFinishedV1, to=SupervisionFinished)(recommendations_renamed)


def test_report_filed_v1_is_read_as_v2_without_a_document() -> None:
    """`report.filed` v2 only added the hash of an attached document: v1 reads with none, and
    a v2 filing carries it."""
    from contracts.coordination import ReportFiled, ReportFiledV1

    v1 = {
        "report_id": "bc-9t",
        "obligation": "nine_months",
        "period": "2025-9M",
        "due_on": "2025-10-10",
        "filed_on": "2025-10-08",
        "title": None,
        "report_ref": "05/BC-HĐND",
    }
    raw = json.loads(envelope(1, v1))
    raw.update(type="report.filed", source={"service": "reporting", "instance": "before-v2"})
    event = decode_event(json.dumps(raw).encode()).payload
    assert isinstance(event, ReportFiled) and event.document_sha256 is None
    assert event.model_dump(mode="json") == {**v1, "document_sha256": None}
    assert REGISTRY.retired[("report.filed", 1)] is ReportFiledV1
    raw.update(version=2, payload={**v1, "document_sha256": "ab" * 32})
    assert decode_event(json.dumps(raw).encode()).payload.document_sha256 == "ab" * 32  # type: ignore[attr-defined]
