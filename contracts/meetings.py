"""Meeting events (bounded context `meetings`, topic `hdnd.meetings`).

`meeting.held` v1 records that a council held a meeting of one of the kinds in
shared/domain.md. Each kind carries its own figures; `kind` discriminates them.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar, Literal
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.envelope import UnitCode

Count = Annotated[int, Field(ge=0, le=10_000_000)]
Text = Annotated[str, Field(min_length=1, max_length=500)]


class MeetingKind(StrEnum):
    """What kind of meeting was held."""

    SESSION = "session"  # kỳ họp HĐND
    STANDING_COMMITTEE = "standing_committee"  # phiên họp Thường trực HĐND
    CONFERENCE = "conference"  # hội nghị giao ban / trao đổi kinh nghiệm / tọa đàm
    TRAINING = "training"  # tập huấn, bồi dưỡng
    VOTER_CONTACT = "voter_contact"  # tiếp xúc cử tri
    CITIZEN_RECEPTION = "citizen_reception"  # tiếp công dân


class _Meeting(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    meeting_id: str = Field(
        default_factory=lambda: uuid4().hex,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="Stable id; send your own to make a retried request idempotent.",
    )
    title: Text = Field(description="Title as written in the minutes (Vietnamese).")
    held_on: date = Field(description="The day the meeting took place.")
    location: str | None = Field(default=None, max_length=300)


class Session(_Meeting):
    """Kỳ họp: a session of the council, numbered within its five-year term."""

    kind: Literal["session"] = "session"
    session_type: Literal["regular", "thematic", "extraordinary"] = Field(
        description="thường lệ (regular), chuyên đề (thematic) or bất thường (extraordinary)."
    )
    term: str = Field(pattern=r"^\d{4}-\d{4}$", examples=["2021-2026"], description="nhiệm kỳ")
    number_in_term: int = Field(ge=1, le=200, description="'kỳ họp thứ 12' → 12.")
    delegates_present: Count = Field(description="Đại biểu có mặt.")
    resolutions_adopted: Count = Field(description="Nghị quyết được thông qua.")
    questioning_held: bool = Field(description="Whether questioning (chất vấn) took place.")

    @model_validator(mode="after")
    def _term_is_five_years(self) -> Session:
        start, end = (int(y) for y in self.term.split("-"))
        if end - start != 5:
            raise ValueError("term must span five years, e.g. 2021-2026")
        return self


class StandingCommitteeMeeting(_Meeting):
    """Phiên họp Thường trực HĐND: a meeting of the council's standing committee."""

    kind: Literal["standing_committee"] = "standing_committee"
    meeting_type: Literal["regular", "ad_hoc"] = Field(description="thường kỳ or đột xuất.")


class Conference(_Meeting):
    """Hội nghị between levels: a province with its districts, a district with its communes."""

    kind: Literal["conference"] = "conference"
    conference_type: Literal["briefing", "experience_exchange", "roundtable"] = Field(
        description="giao ban (briefing), trao đổi kinh nghiệm (experience exchange), tọa đàm."
    )
    ordinal: int | None = Field(default=None, ge=1, le=1000, description="'lần thứ năm' → 5.")
    participating_units: list[UnitCode] = Field(default_factory=list, max_length=5000)
    topics: list[Text] = Field(default_factory=list, max_length=100)


class BridgePoint(BaseModel):
    """Điểm cầu: one unit's room in an online training, with its own attendees."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unit: UnitCode
    attendees: Count
    delegates: Count = Field(default=0, description="Council delegates among the attendees.")

    @model_validator(mode="after")
    def _delegates_are_attendees(self) -> BridgePoint:
        if self.delegates > self.attendees:
            raise ValueError("delegates cannot exceed attendees at a bridge point")
        return self


class Training(_Meeting):
    """Tập huấn / bồi dưỡng. Attendees are counted at each bridge point's unit."""

    kind: Literal["training"] = "training"
    format: Literal["in_person", "online"]
    topics: list[Text] = Field(min_length=1, max_length=100)
    bridge_points: list[BridgePoint] = Field(
        min_length=1,
        max_length=5000,
        description="In person: one point, the organising unit. Online: every điểm cầu.",
    )

    @model_validator(mode="after")
    def _one_point_per_unit(self) -> Training:
        units = [p.unit for p in self.bridge_points]
        if len(units) != len(set(units)):
            raise ValueError("each unit may appear only once among the bridge points")
        return self


class VoterContact(_Meeting):
    """Tiếp xúc cử tri held by a delegate group before or after a session."""

    kind: Literal["voter_contact"] = "voter_contact"
    timing: Literal["before_session", "after_session"] = Field(description="trước / sau kỳ họp.")
    delegate_group: Text = Field(description="Tổ đại biểu holding the contact.")
    voters_attending: Count = Field(description="Lượt cử tri.")
    opinions_raised: Count = Field(description="Ý kiến, kiến nghị của cử tri.")


class CitizenReception(_Meeting):
    """Tiếp công dân, periodic or ad hoc."""

    kind: Literal["citizen_reception"] = "citizen_reception"
    reception_type: Literal["periodic", "ad_hoc"] = Field(description="định kỳ or đột xuất.")
    citizens_received: Count = Field(description="Lượt công dân được tiếp.")
    petitions_received: Count = Field(description="Đơn thư nhận được.")


Meeting = Annotated[
    Session | StandingCommitteeMeeting | Conference | Training | VoterContact | CitizenReception,
    Field(discriminator="kind"),
]


class MeetingHeld(BaseModel):
    """`meeting.held` v1: a council (the envelope's unit) held a meeting."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    TYPE: ClassVar[str] = "meeting.held"
    VERSION: ClassVar[int] = 1

    meeting: Meeting
