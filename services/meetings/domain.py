"""The meetings domain: what may be recorded, and the event it produces. Pure: no I/O.

A council office records a meeting it held (kỳ họp, phiên họp Thường trực, hội nghị, tập
huấn, tiếp xúc cử tri, tiếp công dân). The rules here are the ones a secretary would check
by hand: the unit existed on that day, it is one this office serves, the day is not in the
future, and every other unit named (bridge points, participants) sits under the organiser.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from contracts import EventDraft, MeetingHeld
from contracts.meetings import Conference, Meeting, Training
from contracts.timezone import VIETNAM_TZ
from services.common.hierarchy import Hierarchy
from services.common.http import DomainError, Forbidden


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
    if day > today:
        raise DomainError(
            "body.held_on", f"held_on {day} is in the future; record meetings once held"
        )
    unit = hierarchy.find(command.unit, day)
    if unit is None:
        raise DomainError("path.unit", f"unit {command.unit} did not exist on {day}")
    if served and not any(_within(hierarchy, unit.code, scope, day) for scope in served):
        raise Forbidden(
            "path.unit",
            f"unit {unit.code} is not served by this instance (serves {', '.join(served)})",
            kind="not_served",
        )
    for field, code in _other_units(meeting):
        if hierarchy.find(code, day) is None:
            raise DomainError(field, f"unit {code} did not exist on {day}")
        if not hierarchy.is_within(code, unit.code, day):
            raise DomainError(field, f"unit {code} is not {unit.name} ({unit.code}) or below it")
    return EventDraft(
        type=MeetingHeld.TYPE,
        version=MeetingHeld.VERSION,
        unit=unit.code,
        occurred_at=datetime.combine(day, time(12), tzinfo=VIETNAM_TZ),
        payload=MeetingHeld(meeting=meeting),
    )


def _within(hierarchy: Hierarchy, code: str, scope: str, day: date) -> bool:
    """A served scope may not exist on that day (a district after 2025): then it covers nothing."""
    return hierarchy.find(scope, day) is not None and hierarchy.is_within(code, scope, day)


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
