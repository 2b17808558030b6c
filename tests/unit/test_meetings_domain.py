"""The meetings lifecycle and its contract, pure: a small synthetic hierarchy, no servers."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from contracts.meetings import (
    Meeting,
    MeetingCancelled,
    MeetingCorrected,
    MeetingHeld,
    MeetingScheduled,
    Session,
    VoterContact,
)
from services.common.errors import Conflict, DomainError, Forbidden
from services.meetings import domain
from services.meetings.domain import MeetingState, Rules, Status, session_key
from tests.builders import LAI_CHAU, meeting

TODAY = date(2025, 10, 15)
HIERARCHY = LAI_CHAU
RULES = Rules(HIERARCHY, ("12",), TODAY)
MEETING: TypeAdapter[Meeting] = TypeAdapter(Meeting)


NINTH = {"session_type": "regular", "term": "2021-2026", "number_in_term": 9}  # kỳ họp thứ 9


def session(**changes: Any) -> Session:
    held = meeting("session", "ky-hop-9", "Kỳ họp thứ chín", "2025-04-15") | NINTH
    seats = {"delegates_elected": 50, "delegates_present": 48, "resolutions_adopted": 12}
    return Session.model_validate(
        held | seats | {"questioning_held": True, "questions_asked": 7} | changes
    )


def contact(**changes: Any) -> VoterContact:
    held = meeting("voter_contact", "vc-1", "Tiếp xúc cử tri", "2025-05-20")
    group = {"timing": "before_session", "delegate_group": "Tổ đại biểu số 2"}
    return VoterContact.model_validate(
        held | group | {"voters_attending": 90, "opinions_raised": 2} | changes
    )


def plan(**changes: Any) -> MeetingScheduled:
    fields = {"meeting_id": "ky-hop-9", "kind": "session", "title": "Kỳ họp thứ chín"}
    return MeetingScheduled.model_validate(
        fields | {"scheduled_for": "2025-04-15", "session": NINTH} | changes
    )


def state(status: Status, held: Meeting | None = None, **plan_changes: Any) -> MeetingState:
    return MeetingState(
        "ky-hop-9", "106", status, plan(**plan_changes) if status != "held" else None, held
    )


OPINIONS = [
    {"opinion_id": "yk-1", "text": "Cấp giấy đất chậm", "field": "land", "addressed_to": "UBND"},
    {"opinion_id": "yk-2", "text": "Đường hỏng", "field": "other", "addressed_to": "Sở GTVT"},
]


# The contract's own rules -------------------------------------------------------------------


def test_a_session_cannot_have_more_delegates_present_than_seats() -> None:
    with pytest.raises(ValidationError) as refused:
        session(delegates_present=51)
    assert refused.value.errors()[0]["loc"] == ("delegates_present",)
    assert session(delegates_elected=None, delegates_present=51).delegates_present == 51


def test_questions_asked_mean_questioning_was_held() -> None:
    with pytest.raises(ValidationError, match="questioning_held"):
        session(questioning_held=False)


def test_itemised_opinions_and_petitions_match_their_counts() -> None:
    assert len(contact(opinions=OPINIONS).opinions) == 2
    assert contact(opinions_raised=7).opinions == []  # counted, not itemised
    with pytest.raises(ValidationError) as refused:
        contact(opinions=OPINIONS[:1])
    assert refused.value.errors()[0]["loc"] == ("opinions",)
    with pytest.raises(ValidationError, match="opinion_id"):
        contact(opinions=[OPINIONS[0], OPINIONS[0]])
    reception = {
        "kind": "citizen_reception",
        "title": "Tiếp công dân",
        "held_on": "2025-05-02",
        "reception_type": "periodic",
        "citizens_received": 3,
        "petitions_received": 2,
        "petitions": [
            {"petition_id": "d-1", "petition_type": "complaint", "summary": "Đền bù"},
            {"petition_id": "d-2", "petition_type": "reflection", "summary": "Ô nhiễm"},
        ],
    }
    assert len(MEETING.validate_python(reception).petitions) == 2  # type: ignore[union-attr]
    with pytest.raises(ValidationError, match="petitions_received"):
        MEETING.validate_python(reception | {"petitions_received": 3})


def test_delegate_report_and_rating_are_meetings() -> None:
    report = MEETING.validate_python(
        {
            "kind": "delegate_report",
            "title": "Đại biểu báo cáo với cử tri",
            "held_on": "2025-06-01",
            "delegates_reporting": 3,
            "voters_attending": 120,
        }
    )
    assert report.kind == "delegate_report"
    rating = {
        "kind": "delegate_rating",
        "title": "Lấy ý kiến nhận xét của cử tri",
        "held_on": "2025-06-02",
        "delegates_rated": 2,
        "voters_participating": 10,
        "ratings": {"good": 15, "fair": 4, "poor": 1},
    }
    assert MEETING.validate_python(rating).ratings.total == 20  # type: ignore[union-attr]
    with pytest.raises(ValidationError, match="ratings exceed"):
        MEETING.validate_python(rating | {"ratings": {"good": 21}})


def test_a_scheduled_session_names_its_number_and_others_do_not() -> None:
    with pytest.raises(ValidationError, match="required for a session"):
        plan(session=None)
    with pytest.raises(ValidationError, match="must be absent"):
        plan(kind="voter_contact")
    assert plan(kind="voter_contact", session=None).session is None
    assert session_key(plan()) == session_key(session()) == "2021-2026#9"
    assert session_key(contact()) is None


def test_a_correction_is_of_one_meeting() -> None:
    with pytest.raises(ValidationError, match="differ"):
        MeetingCorrected(meeting_id="ky-hop-9", previous=session(), corrected=contact())


# The lifecycle ------------------------------------------------------------------------------


def test_recording_a_held_meeting_directly_still_works() -> None:
    draft = domain.record_meeting(domain.RecordMeeting("106", session()), HIERARCHY, ("12",), TODAY)
    assert (draft.type, draft.version) == ("meeting.held", 2)
    assert isinstance(draft.payload, MeetingHeld)


def test_a_meeting_may_be_scheduled_in_the_future_but_not_held_there() -> None:
    future = date(2026, 3, 1)
    draft = domain.schedule_meeting(domain.ScheduleMeeting("12", plan(scheduled_for=future)), RULES)
    assert draft.type == "meeting.scheduled" and draft.occurred_at.date() == future
    with pytest.raises(DomainError) as refused:
        domain.hold_meeting(state(Status.SCHEDULED), session(held_on=future), RULES)
    assert refused.value.field == "meeting.held_on"


def test_scheduling_checks_the_unit_and_the_instance() -> None:
    with pytest.raises(DomainError) as unknown:
        domain.schedule_meeting(domain.ScheduleMeeting("99999", plan()), RULES)
    assert unknown.value.field == "unit"
    with pytest.raises(Forbidden):
        domain.schedule_meeting(
            domain.ScheduleMeeting("106", plan()), Rules(HIERARCHY, ("01",), TODAY)
        )


def test_holding_a_scheduled_meeting() -> None:
    draft = domain.hold_meeting(state(Status.SCHEDULED), session(), RULES)
    assert draft.type == "meeting.held" and draft.unit == "106"
    with pytest.raises(DomainError) as other_kind:
        domain.hold_meeting(state(Status.SCHEDULED), contact(meeting_id="ky-hop-9"), RULES)
    assert other_kind.value.field == "meeting.kind"
    with pytest.raises(DomainError) as other_id:
        domain.hold_meeting(state(Status.SCHEDULED), session(meeting_id="ky-hop-10"), RULES)
    assert other_id.value.field == "meeting.meeting_id"


@pytest.mark.parametrize(
    ("status", "step"),
    [
        (Status.HELD, "hold"),
        (Status.CANCELLED, "hold"),
        (Status.HELD, "cancel"),
        (Status.CANCELLED, "cancel"),
        (Status.SCHEDULED, "correct"),
        (Status.CANCELLED, "correct"),
    ],
)
def test_a_step_that_does_not_fit_the_state_conflicts(status: Status, step: str) -> None:
    current = state(status, held=session() if status == Status.HELD else None)
    with pytest.raises(Conflict) as refused:
        if step == "hold":
            domain.hold_meeting(current, session(), RULES)
        elif step == "cancel":
            domain.cancel_meeting(current, "Trùng lịch", RULES)
        else:
            domain.correct_meeting(current, session(), None, RULES)
    assert isinstance(refused.value, Conflict) and step in refused.value.message


def test_cancelling_counts_on_the_planned_day() -> None:
    draft = domain.cancel_meeting(state(Status.SCHEDULED), "Hoãn do thiên tai", RULES)
    event = draft.payload
    assert isinstance(event, MeetingCancelled)
    assert (event.scheduled_for, event.cancelled_on) == (date(2025, 4, 15), TODAY)
    assert draft.occurred_at.date() == date(2025, 4, 15)


def test_a_cancellation_may_be_dated_between_its_scheduling_and_today() -> None:
    scheduled = replace(state(Status.SCHEDULED), scheduled_on=date(2025, 3, 1))
    for day in (date(2025, 3, 1), date(2025, 4, 20), TODAY):  # before or after the planned day
        event = domain.cancel_meeting(scheduled, "Hoãn", RULES, cancelled_on=day).payload
        assert isinstance(event, MeetingCancelled) and event.cancelled_on == day
    unknown = domain.cancel_meeting(
        state(Status.SCHEDULED), "Hoãn", RULES, date(2020, 1, 1)
    ).payload
    assert isinstance(unknown, MeetingCancelled)  # a state that does not know when: any past day


@pytest.mark.parametrize(
    ("day", "words"),
    [(date(2025, 10, 16), "in the future"), (date(2025, 2, 28), "before meeting")],
)
def test_a_cancellation_in_the_future_or_before_its_scheduling_names_cancelled_on(
    day: date, words: str
) -> None:
    scheduled = replace(state(Status.SCHEDULED), scheduled_on=date(2025, 3, 1))
    with pytest.raises(DomainError) as refused:
        domain.cancel_meeting(scheduled, "Hoãn", RULES, cancelled_on=day)
    assert type(refused.value) is DomainError
    assert refused.value.field == "cancelled_on" and words in refused.value.message


def test_a_correction_carries_both_contents_and_may_move_the_day() -> None:
    held = state(Status.HELD, held=session())
    moved = session(held_on="2025-05-02", resolutions_adopted=14)
    draft = domain.correct_meeting(held, moved, "Ghi nhầm ngày", RULES)
    assert draft is not None and draft.occurred_at.date() == date(2025, 5, 2)
    event = draft.payload
    assert isinstance(event, MeetingCorrected)
    assert (event.previous, event.corrected) == (session(), moved)
    assert domain.correct_meeting(held, session(), None, RULES) is None  # nothing to correct
    with pytest.raises(DomainError) as future:
        domain.correct_meeting(held, session(held_on="2026-01-01"), None, RULES)
    assert future.value.field == "meeting.held_on"
