"""The meetings domain: what may be recorded, and the event it produces. Pure: no I/O.

A council office records a meeting it held (kỳ họp, phiên họp Thường trực, hội nghị, tập
huấn, tiếp xúc cử tri, tiếp công dân). The rules here are the ones a secretary would check
by hand: the unit existed on that day, it is one this office serves, the day is not in the
future, and every other unit named (bridge points, participants) sits under the organiser.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from contracts import EventDraft, MeetingHeld
from contracts.meetings import Conference, Meeting, Training
from services.common.hierarchy import Hierarchy
from services.common.recording import business_time, recordable_unit


@dataclass(frozen=True, slots=True)
class RecordMeeting:
    """Command: the council of `unit` held `meeting`."""

    unit: str
    meeting: Meeting


def record_meeting(
    command: RecordMeeting, hierarchy: Hierarchy, served: Sequence[str], today: date
) -> EventDraft:
    """Decide whether the meeting can be recorded; return the `meeting.held` event if so."""
    meeting = command.meeting
    day = meeting.held_on
    unit = recordable_unit(
        hierarchy,
        command.unit,
        day,
        served=served,
        today=today,
        day_field="body.held_on",
        named_units=_other_units(meeting),
    )
    return EventDraft(
        type=MeetingHeld.TYPE,
        version=MeetingHeld.VERSION,
        unit=unit.code,
        occurred_at=business_time(day),
        payload=MeetingHeld(meeting=meeting),
    )


def _other_units(meeting: Meeting) -> list[tuple[str, str]]:
    """Units a meeting names besides its organiser, with the request field naming each."""
    if isinstance(meeting, Training):
        return [
            (f"body.bridge_points.{i}.unit", p.unit) for i, p in enumerate(meeting.bridge_points)
        ]
    if isinstance(meeting, Conference):
        return [
            (f"body.participating_units.{i}", u) for i, u in enumerate(meeting.participating_units)
        ]
    return []
