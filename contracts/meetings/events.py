"""The events of a meeting's lifecycle: `meeting.scheduled`, `meeting.held`,
`meeting.cancelled` and `meeting.corrected` (see the package docstring).

Versions of `meeting.held`: v2 (current) adds the opinions of a voter contact, the petitions
of a citizen reception, the seats and the questions of a session, and two kinds (báo cáo với
cử tri, lấy ý kiến nhận xét của cử tri). v1 is kept as `MeetingHeldV1` (its schema, and
validation of old events; the kinds as v1 had them are `kinds.V1`), and
`itemised_lists_added` below lifts v1 payloads to v2 on read.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from contracts.ids import StableId
from contracts.meetings.kinds import (
    Meeting,
    MeetingKind,
    MeetingV1,
    SessionType,
    Term,
    Text,
    five_year_term,
)
from contracts.rules import present_iff
from contracts.versioning import Payload, upcaster


class MeetingHeld(BaseModel):
    """`meeting.held` v2: a council (the envelope's unit) held a meeting (họp, tổ chức);
    `occurred_at` is the day it was held. The meeting may have been scheduled before."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    TYPE: ClassVar[str] = "meeting.held"
    VERSION: ClassVar[int] = 2

    meeting: Meeting


class SessionPlan(BaseModel):
    """Which kỳ họp is planned: its type and its number within the term."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    session_type: SessionType
    term: Term
    number_in_term: int = Field(ge=1, le=200, description="'kỳ họp thứ 12' → 12.")

    _term_is_five_years = field_validator("term")(five_year_term)


class _Planned(BaseModel):
    """A meeting the council planned, named by its id and kind."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    meeting_id: StableId
    kind: MeetingKind


class MeetingScheduled(_Planned):
    """`meeting.scheduled` v1: a council (the envelope's unit) planned a meeting (lên lịch, dự
    kiến tổ chức) for a day; `occurred_at` is that day, which may be in the future."""

    TYPE: ClassVar[str] = "meeting.scheduled"
    VERSION: ClassVar[int] = 1

    title: Text = Field(description="Title as written in the plan (Vietnamese).")
    scheduled_for: date = Field(description="The day the meeting is planned for.")
    location: str | None = Field(default=None, max_length=300)
    session: SessionPlan | None = Field(
        default=None,
        validate_default=True,
        description="Required when kind is session (its number in the term), else absent.",
    )

    _session_iff_kind_is_session = present_iff(
        "session",
        when="kind",
        equals=MeetingKind.SESSION,
        missing="session (type, term, number_in_term) is required for a session",
    )


class MeetingCancelled(_Planned):
    """`meeting.cancelled` v1: a scheduled meeting was called off (hủy, hoãn không tổ chức);
    `occurred_at` is the day it had been planned for, so it counts against the same period."""

    TYPE: ClassVar[str] = "meeting.cancelled"
    VERSION: ClassVar[int] = 1

    scheduled_for: date = Field(description="The day it had been planned for.")
    cancelled_on: date = Field(description="The day it was called off.")
    reason: Text = Field(description="Lý do hủy.")


class MeetingCorrected(BaseModel):
    """`meeting.corrected` v1: the recorded content of a held meeting was corrected (đính
    chính); carries the full previous and corrected content. `occurred_at` is the corrected
    day; the previous content's figures are taken back at the previous day."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    TYPE: ClassVar[str] = "meeting.corrected"
    VERSION: ClassVar[int] = 1

    meeting_id: StableId
    previous: Meeting = Field(description="The content as recorded until now.")
    corrected: Meeting = Field(description="The content as it should have been recorded.")
    reason: str | None = Field(default=None, max_length=2000, description="Lý do đính chính.")

    @model_validator(mode="after")
    def _one_meeting(self) -> Self:
        ids = {self.meeting_id, self.previous.meeting_id, self.corrected.meeting_id}
        if len(ids) != 1:
            raise ValueError("meeting_id, previous.meeting_id and corrected.meeting_id differ")
        return self


class MeetingHeldV1(BaseModel):
    """`meeting.held` v1: a council (the envelope's unit) held a meeting."""

    model_config = ConfigDict(frozen=True, extra="forbid", title="MeetingHeld")

    TYPE: ClassVar[str] = "meeting.held"
    VERSION: ClassVar[int] = 1

    meeting: MeetingV1


@upcaster(MeetingHeldV1, to=MeetingHeld)
def itemised_lists_added(v1: Payload) -> Payload:
    """v1 → v2: nothing renamed; v1 itemised no opinions or petitions and counted no seats or
    questions, so those are empty (the v1 counts stay the figures)."""
    meeting = dict(v1["meeting"])
    match meeting.get("kind"):
        case "session":
            meeting |= {"delegates_elected": None, "questions_asked": 0}
        case "voter_contact":
            meeting["opinions"] = []
        case "citizen_reception":
            meeting["petitions"] = []
    return {**v1, "meeting": meeting}
