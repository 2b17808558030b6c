"""The events of a meeting's lifecycle: `meeting.scheduled`, `meeting.held`,
`meeting.cancelled` and `meeting.corrected` (see the package docstring).

Versions of `meeting.held`: v2 (current) adds the opinions of a voter contact, the petitions
of a citizen reception, the seats and the questions of a session, and two kinds (báo cáo với
cử tri, lấy ý kiến nhận xét của cử tri). v1 is kept as `MeetingHeldV1` (its schema, and
validation of old events), and `itemised_lists_added` below lifts v1 payloads to v2 on read.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from contracts.meetings.kinds import (
    Conference,
    Count,
    Meeting,
    MeetingBase,
    MeetingKind,
    SessionType,
    StableId,
    StandingCommitteeMeeting,
    Term,
    Text,
    Training,
    five_year_term,
)
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

    @field_validator("term")
    @classmethod
    def _term_is_five_years(cls, term: str) -> str:
        return five_year_term(term)


class MeetingScheduled(BaseModel):
    """`meeting.scheduled` v1: a council (the envelope's unit) planned a meeting (lên lịch, dự
    kiến tổ chức) for a day; `occurred_at` is that day, which may be in the future."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    TYPE: ClassVar[str] = "meeting.scheduled"
    VERSION: ClassVar[int] = 1

    meeting_id: StableId
    kind: MeetingKind
    title: Text = Field(description="Title as written in the plan (Vietnamese).")
    scheduled_for: date = Field(description="The day the meeting is planned for.")
    location: str | None = Field(default=None, max_length=300)
    session: SessionPlan | None = Field(
        default=None,
        validate_default=True,
        description="Required when kind is session (its number in the term), else absent.",
    )

    @field_validator("session")
    @classmethod
    def _session_iff_kind_is_session(
        cls, session: SessionPlan | None, info: ValidationInfo
    ) -> SessionPlan | None:
        kind = info.data.get("kind")
        if kind is None:
            return session  # kind itself is invalid; that error is reported already
        if kind == MeetingKind.SESSION and session is None:
            raise ValueError("session (type, term, number_in_term) is required for a session")
        if kind != MeetingKind.SESSION and session is not None:
            raise ValueError(f"session must be absent when kind is {kind}")
        return session


class MeetingCancelled(BaseModel):
    """`meeting.cancelled` v1: a scheduled meeting was called off (hủy, hoãn không tổ chức);
    `occurred_at` is the day it had been planned for, so it counts against the same period."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    TYPE: ClassVar[str] = "meeting.cancelled"
    VERSION: ClassVar[int] = 1

    meeting_id: StableId
    kind: MeetingKind
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


class V1:
    """The shapes of `meeting.held` v1 that v2 changed, under their published names (so the
    v1 JSON Schema stays as published). Read-only history: never emit these."""

    class Session(MeetingBase):
        """Kỳ họp: a session of the council, numbered within its five-year term."""

        kind: Literal["session"] = "session"
        session_type: SessionType = Field(
            description="thường lệ (regular), chuyên đề (thematic) or bất thường (extraordinary)."
        )
        term: Term
        number_in_term: int = Field(ge=1, le=200, description="'kỳ họp thứ 12' → 12.")
        delegates_present: Count = Field(description="Đại biểu có mặt.")
        resolutions_adopted: Count = Field(description="Nghị quyết được thông qua.")
        questioning_held: bool = Field(description="Whether questioning (chất vấn) took place.")

        @field_validator("term")
        @classmethod
        def _term_is_five_years(cls, term: str) -> str:
            return five_year_term(term)

    class VoterContact(MeetingBase):
        """Tiếp xúc cử tri held by a delegate group before or after a session."""

        kind: Literal["voter_contact"] = "voter_contact"
        timing: Literal["before_session", "after_session"] = Field(
            description="trước / sau kỳ họp."
        )
        delegate_group: Text = Field(description="Tổ đại biểu holding the contact.")
        voters_attending: Count = Field(description="Lượt cử tri.")
        opinions_raised: Count = Field(description="Ý kiến, kiến nghị của cử tri.")

    class CitizenReception(MeetingBase):
        """Tiếp công dân, periodic or ad hoc."""

        kind: Literal["citizen_reception"] = "citizen_reception"
        reception_type: Literal["periodic", "ad_hoc"] = Field(description="định kỳ or đột xuất.")
        citizens_received: Count = Field(description="Lượt công dân được tiếp.")
        petitions_received: Count = Field(description="Đơn thư nhận được.")


MeetingV1 = Annotated[
    V1.Session
    | StandingCommitteeMeeting
    | Conference
    | Training
    | V1.VoterContact
    | V1.CitizenReception,
    Field(discriminator="kind"),
]


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
