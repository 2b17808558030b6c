"""The meetings domain: what may be recorded, in which state, and the event. Pure: no I/O.

A council office schedules meetings (lên lịch), records them held (kỳ họp, phiên họp Thường
trực, hội nghị, tập huấn, tiếp xúc cử tri, tiếp công dân, báo cáo với cử tri, lấy ý kiến nhận
xét của cử tri), cancels scheduled ones and corrects what it recorded. The lifecycle:

    scheduled ──hold──▶ held ──correct──▶ held (corrected; again and again)
        └──cancel──▶ cancelled            ▲ or recorded held directly

The rules here are the ones a secretary would check by hand: the unit existed on that day, it
is one this office serves, a held meeting's day is not in the future (a scheduled one's may
be), every other unit named sits under the organiser, and a step fits the meeting's state.
A refusal names its field as the decision sees it: ``meeting_id`` (the meeting acted on),
``unit``, or a field of the content (``meeting.held_on``, ``plan.scheduled_for``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from contracts import EventDraft, MeetingCancelled, MeetingCorrected, MeetingHeld
from contracts.meetings import Conference, Meeting, MeetingScheduled, Session, Training
from services.common.errors import Conflict, DomainError
from services.common.hierarchy import Hierarchy, Unit
from services.common.recording import recordable_unit, recorded


class Status(StrEnum):
    """Where a meeting is in its lifecycle."""

    SCHEDULED = "scheduled"  # đã lên lịch
    HELD = "held"  # đã tổ chức
    CANCELLED = "cancelled"  # đã hủy


@dataclass(frozen=True, slots=True)
class MeetingState:
    """What the service knows of one meeting: enough to decide the next step."""

    meeting_id: str
    unit: str
    status: Status
    plan: MeetingScheduled | None  # as scheduled; None if recorded held directly
    held: Meeting | None  # the content as recorded now; None unless held
    scheduled_on: date | None = None  # the day its scheduling was recorded, when known

    @property
    def day(self) -> date:
        """The day it was held, else the day it is planned for."""
        if self.held is not None:
            return self.held.held_on
        assert self.plan is not None
        return self.plan.scheduled_for


@dataclass(frozen=True, slots=True)
class RecordMeeting:
    """Command: the council of `unit` held `meeting` (not scheduled through this service)."""

    unit: str
    meeting: Meeting


@dataclass(frozen=True, slots=True)
class ScheduleMeeting:
    """Command: the council of `unit` plans `plan`."""

    unit: str
    plan: MeetingScheduled


@dataclass(frozen=True, slots=True)
class Rules:
    """What every decision is checked against: the hierarchy, the units served, today."""

    hierarchy: Hierarchy
    served: Sequence[str]
    today: date


def session_key(meeting: Meeting | MeetingScheduled) -> str | None:
    """'2021-2026#9' for session 9 of the term; the store keeps it unique per unit, so a
    second kỳ họp thứ 9 of one council in one term is refused. None for other kinds."""
    if isinstance(meeting, Session):
        return f"{meeting.term}#{meeting.number_in_term}"
    if isinstance(meeting, MeetingScheduled) and meeting.session is not None:
        return f"{meeting.session.term}#{meeting.session.number_in_term}"
    return None


def record_meeting(
    command: RecordMeeting, hierarchy: Hierarchy, served: Sequence[str], today: date
) -> EventDraft:
    """Decide whether the meeting can be recorded; return the `meeting.held` event if so."""
    unit = _held_unit(command.unit, command.meeting, Rules(hierarchy, served, today))
    return _held(unit.code, command.meeting)


def schedule_meeting(command: ScheduleMeeting, rules: Rules) -> EventDraft:
    """A meeting may be planned for any day its unit exists, the future included."""
    plan = command.plan
    day = plan.scheduled_for
    unit = recordable_unit(
        rules.hierarchy,
        command.unit,
        day,
        served=rules.served,
        today=max(rules.today, day),  # the future is what plans are for
        day_field="plan.scheduled_for",
    )
    return recorded(plan, unit.code, day)


def hold_meeting(state: MeetingState, meeting: Meeting, rules: Rules) -> EventDraft:
    """A scheduled meeting took place, as `meeting` (whose id is the scheduled one's)."""
    _refuse_unless(state, Status.SCHEDULED, "hold")
    assert state.plan is not None
    if meeting.kind != state.plan.kind:
        raise DomainError(
            "meeting.kind", f"meeting {state.meeting_id} was scheduled as a {state.plan.kind}"
        )
    _same_id(state, meeting)
    unit = _held_unit(state.unit, meeting, rules)
    return _held(unit.code, meeting)


def cancel_meeting(
    state: MeetingState, reason: str, rules: Rules, cancelled_on: date | None = None
) -> EventDraft:
    """Only a scheduled meeting can be called off; it counts against the planned day. It was
    called off on `cancelled_on` (default today): not in the future, and not before it was
    scheduled (when the state knows that day); it may be before or after the planned day."""
    _refuse_unless(state, Status.SCHEDULED, "cancel")
    assert state.plan is not None
    on = rules.today if cancelled_on is None else cancelled_on
    if on > rules.today:
        raise DomainError(
            "cancelled_on", f"cancelled_on {on} is in the future; record it once it happened"
        )
    if state.scheduled_on is not None and on < state.scheduled_on:
        raise DomainError(
            "cancelled_on",
            f"cancelled_on {on} is before meeting {state.meeting_id} was scheduled"
            f" on {state.scheduled_on}",
        )
    day = state.plan.scheduled_for
    recordable_unit(
        rules.hierarchy,
        state.unit,
        day,
        served=rules.served,
        today=max(rules.today, day),
        day_field="plan.scheduled_for",
    )
    event = MeetingCancelled(
        meeting_id=state.meeting_id,
        kind=state.plan.kind,
        scheduled_for=day,
        cancelled_on=on,
        reason=reason,
    )
    return recorded(event, state.unit, day)


def correct_meeting(
    state: MeetingState, corrected: Meeting, reason: str | None, rules: Rules
) -> EventDraft | None:
    """A held meeting's record corrected; None when the correction changes nothing (a retry).

    The day may move (into another month: the projection takes the old figures back there),
    but not into the future, and the kind may change (it was recorded as the wrong kind)."""
    _refuse_unless(state, Status.HELD, "correct")
    assert state.held is not None
    _same_id(state, corrected)
    if corrected == state.held:
        return None
    unit = _held_unit(state.unit, corrected, rules)
    event = MeetingCorrected(
        meeting_id=state.meeting_id, previous=state.held, corrected=corrected, reason=reason
    )
    return recorded(event, unit.code, corrected.held_on)


def _refuse_unless(state: MeetingState, expected: Status, step: str) -> None:
    if state.status == expected:
        return
    why = {
        (Status.HELD, "hold"): "it is already held",
        (Status.CANCELLED, "hold"): "it was cancelled",
        (Status.HELD, "cancel"): "it was already held",
        (Status.CANCELLED, "cancel"): "it is already cancelled",
        (Status.SCHEDULED, "correct"): "it was never held (it is only scheduled)",
        (Status.CANCELLED, "correct"): "it was never held (it was cancelled)",
    }[(state.status, step)]
    raise Conflict("meeting_id", f"cannot {step} meeting {state.meeting_id}: {why}")


def _same_id(state: MeetingState, meeting: Meeting) -> None:
    if meeting.meeting_id != state.meeting_id:
        raise DomainError(
            "meeting.meeting_id", f"meeting_id {meeting.meeting_id} is not {state.meeting_id}"
        )


def _held_unit(code: str, meeting: Meeting, rules: Rules) -> Unit:
    return recordable_unit(
        rules.hierarchy,
        code,
        meeting.held_on,
        served=rules.served,
        today=rules.today,
        day_field="meeting.held_on",
        named_units=_other_units(meeting),
    )


def _held(unit: str, meeting: Meeting) -> EventDraft:
    return recorded(MeetingHeld(meeting=meeting), unit, meeting.held_on)


def _other_units(meeting: Meeting) -> list[tuple[str, str]]:
    """Units a meeting names besides its organiser, with the field naming each."""
    if isinstance(meeting, Training):
        return [
            (f"meeting.bridge_points.{i}.unit", p.unit) for i, p in enumerate(meeting.bridge_points)
        ]
    if isinstance(meeting, Conference):
        return [
            (f"meeting.participating_units.{i}", u)
            for i, u in enumerate(meeting.participating_units)
        ]
    return []
