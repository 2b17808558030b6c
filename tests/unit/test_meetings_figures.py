"""Figures of the meetings events, pure: every event type has a fold and labelled figures, a
correction moves figures between months, and v1 `meeting.held` is read as v2."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time
from typing import Any
from uuid import uuid4

from pydantic import BaseModel

from contracts import REGISTRY, Decoded, EventDraft, MeetingHeld, Source, decode_event
from contracts.meetings import (
    CitizenReception,
    MeetingCancelled,
    MeetingCorrected,
    MeetingKind,
    MeetingScheduled,
    Session,
    VoterContact,
    VoterOpinion,
)
from contracts.oversight import OversightField
from contracts.timezone import VIETNAM_TZ
from contracts.versioning import event_type
from services.common.hierarchy import Hierarchy, Unit
from services.reporting.read.figures import FOLDS, LABELS, RATES, contributions_of, rates_of
from services.reporting.read.projector.fold import fold

H = Hierarchy.from_units(
    [
        Unit("01", "Tỉnh Thử", "province", None, "legacy"),
        Unit("001", "Huyện A", "district", "01", "legacy"),
        Unit("00001", "Xã A1", "commune", "001", "legacy"),
    ]
)
SOURCE = Source(service="meetings", instance="t")
MEETING_EVENTS: list[type[BaseModel]] = [
    MeetingHeld,
    MeetingScheduled,
    MeetingCancelled,
    MeetingCorrected,
]


def decoded(payload: BaseModel, day: date, seq: int, unit: str = "00001") -> Decoded[Any]:
    draft = EventDraft(
        type=payload.TYPE,  # type: ignore[attr-defined]
        version=payload.VERSION,  # type: ignore[attr-defined]
        unit=unit,
        occurred_at=datetime.combine(day, time(12), tzinfo=VIETNAM_TZ),
        payload=payload,
    )
    return Decoded(draft.seal(SOURCE, seq), payload)


def session(day: str, resolutions: int = 12) -> Session:
    return Session(
        meeting_id="ky-hop-9",
        title="Kỳ họp thứ chín",
        held_on=date.fromisoformat(day),
        session_type="regular",
        term="2021-2026",
        number_in_term=9,
        delegates_elected=30,
        delegates_present=27,
        resolutions_adopted=resolutions,
        questioning_held=True,
        questions_asked=5,
    )


def test_every_meeting_event_type_has_a_fold_and_every_figure_a_label() -> None:
    assert {event_type(m) for m in MEETING_EVENTS} <= set(FOLDS)
    for kind in MeetingKind:
        assert f"meetings_scheduled_{kind}" in LABELS and f"meetings_cancelled_{kind}" in LABELS
    for field in OversightField:
        assert f"voter_opinions_field_{field}" in LABELS
    for rate in RATES.values():
        assert rate.numerator in LABELS and rate.denominator in LABELS
    vietnamese = re.compile(r"[ạảãáàâầấậẩẫăằắặẳẵđêềếệểễôồốộổỗơờớợởỡưừứựửữịỉĩíìọỏõóòụủũúù]")
    assert all(vietnamese.search(label.lower()) for label in LABELS.values())


def test_held_v2_figures_itemise_opinions_petitions_and_the_new_kinds() -> None:
    contact = VoterContact(
        meeting_id="vc-1",
        title="Tiếp xúc cử tri",
        held_on=date(2025, 5, 20),
        timing="after_session",
        delegate_group="Tổ 1",
        voters_attending=80,
        opinions_raised=3,
        opinions=[
            VoterOpinion(opinion_id=f"yk-{i}", text="…", field=f, addressed_to="UBND")
            for i, f in enumerate([OversightField.LAND, OversightField.LAND, OversightField.BUDGET])
        ],
    )
    reception = CitizenReception.model_validate(
        {
            "title": "Tiếp công dân",
            "held_on": "2025-05-21",
            "reception_type": "ad_hoc",
            "citizens_received": 4,
            "petitions_received": 1,
            "petitions": [{"petition_id": "d-1", "petition_type": "denunciation", "summary": "…"}],
        }
    )
    (c,) = contributions_of(decoded(MeetingHeld(meeting=contact), date(2025, 5, 20), 1))
    assert c.figures["voter_opinions_field_land"] == 2
    assert c.figures["voter_opinions_field_budget"] == 1
    assert c.figures["voter_opinions_raised"] == 3
    (r,) = contributions_of(decoded(MeetingHeld(meeting=reception), date(2025, 5, 21), 2))
    assert r.figures["petitions_received_denunciation"] == 1
    (s,) = contributions_of(
        decoded(MeetingHeld(meeting=session("2025-04-15")), date(2025, 4, 15), 3)
    )
    assert (s.figures["session_seats"], s.figures["session_seats_present"]) == (30, 27)
    assert s.figures["session_questions"] == 5
    assert rates_of(s.figures)["session_attendance_rate"] == 90.0


def test_scheduled_and_cancelled_count_on_the_planned_day_by_kind() -> None:
    plan = MeetingScheduled(
        meeting_id="tx-1",
        kind=MeetingKind.VOTER_CONTACT,
        title="Tiếp xúc cử tri",
        scheduled_for=date(2025, 12, 3),
    )
    (s,) = contributions_of(decoded(plan, date(2025, 12, 3), 1))
    assert s.day == date(2025, 12, 3)
    assert s.figures == {"meetings_scheduled": 1, "meetings_scheduled_voter_contact": 1}
    cancelled = MeetingCancelled(
        meeting_id="tx-1",
        kind=MeetingKind.VOTER_CONTACT,
        scheduled_for=date(2025, 12, 3),
        cancelled_on=date(2025, 11, 20),
        reason="Trùng lịch",
    )
    (c,) = contributions_of(decoded(cancelled, date(2025, 12, 3), 2))
    assert c.day == date(2025, 12, 3)
    assert c.figures == {"meetings_cancelled": 1, "meetings_cancelled_voter_contact": 1}
    assert rates_of(s.figures + c.figures)["meeting_cancellation_rate"] == 100.0


def test_a_correction_into_another_month_leaves_both_months_right() -> None:
    held = decoded(MeetingHeld(meeting=session("2025-04-15")), date(2025, 4, 15), 1)
    corrected = MeetingCorrected(
        meeting_id="ky-hop-9",
        previous=session("2025-04-15"),
        corrected=session("2025-05-02", resolutions=14),
    )
    result = fold(H, [held, decoded(corrected, date(2025, 5, 2), 2)])
    april, may = result.changes[("01", "2025-04")].total, result.changes[("01", "2025-05")].total
    assert all(v == 0 for v in april.values()), april
    assert (may["sessions"], may["resolutions_adopted"]) == (1, 14)


def test_v1_meeting_held_is_read_as_v2() -> None:
    v1 = {
        "meeting": {
            "kind": "voter_contact",
            "meeting_id": "vc-old",
            "title": "Tiếp xúc cử tri",
            "held_on": "2025-02-10",
            "location": None,
            "timing": "before_session",
            "delegate_group": "Tổ 2",
            "voters_attending": 120,
            "opinions_raised": 7,
        }
    }
    raw = {
        "event_id": str(uuid4()),
        "type": "meeting.held",
        "version": 1,
        "unit": "00001",
        "occurred_at": "2025-02-10T12:00:00+07:00",
        "recorded_at": "2025-02-10T05:00:01Z",
        "source": {"service": "meetings", "instance": "before-v2"},
        "sequence": 1,
        "payload": v1,
    }
    got = decode_event(json.dumps(raw).encode())
    assert isinstance(got.payload, MeetingHeld) and got.envelope.payload == v1
    contact = got.payload.meeting
    assert isinstance(contact, VoterContact)
    assert (contact.opinions_raised, contact.opinions) == (7, [])
    session_v1 = {
        k: v
        for k, v in session("2025-04-15").model_dump(mode="json").items()
        if k not in {"delegates_elected", "questions_asked"}
    }
    lifted = REGISTRY.upcast("meeting.held", 1, {"meeting": session_v1})
    assert MeetingHeld.model_validate(lifted).meeting == session("2025-04-15").model_copy(
        update={"delegates_elected": None, "questions_asked": 0}
    )
    (c,) = contributions_of(got)
    assert c.figures["voter_opinions_raised"] == 7 and c.figures["voters_reached"] == 120
