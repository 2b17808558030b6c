"""The kinds of meeting a council holds, each with its own figures (`kind` discriminates
them in `Meeting`), the bounded texts and counts they are written with, and the shapes of
the kinds that `meeting.held` v1 published (`V1`, `MeetingV1`)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from contracts.envelope import UnitCode
from contracts.ids import StableId
from contracts.oversight.vocabulary import OversightField, PetitionType
from contracts.rules import Count as Count
from contracts.rules import ItemText as ItemText
from contracts.rules import Record, at_most, itemises
from contracts.rules import Text as Text

MAX_ITEMS = 500  # opinions of a voter contact, petitions of a citizen reception
MAX_UNITS = 1000  # units a meeting names: a province's communes (168 in 2025, 573 before)
MAX_TOPICS = 50
Term = Annotated[
    str, Field(pattern=r"^\d{4}-\d{4}$", examples=["2021-2026"], description="nhiệm kỳ")
]
SessionType = Literal["regular", "thematic", "extraordinary"]


class MeetingKind(StrEnum):
    """What kind of meeting was held."""

    SESSION = "session"  # kỳ họp HĐND
    STANDING_COMMITTEE = "standing_committee"  # phiên họp Thường trực HĐND
    CONFERENCE = "conference"  # hội nghị giao ban / trao đổi kinh nghiệm / tọa đàm
    TRAINING = "training"  # tập huấn, bồi dưỡng
    VOTER_CONTACT = "voter_contact"  # tiếp xúc cử tri
    CITIZEN_RECEPTION = "citizen_reception"  # tiếp công dân
    DELEGATE_REPORT = "delegate_report"  # báo cáo với cử tri (meeting.held v2 on)
    DELEGATE_RATING = "delegate_rating"  # lấy ý kiến nhận xét của cử tri (v2 on)


def five_year_term(term: str) -> str:
    start, end = (int(y) for y in term.split("-"))
    if end - start != 5:
        raise ValueError("term must span five years, e.g. 2021-2026")
    return term


def _one_by_one(items: str, count: str) -> Any:
    """The optional list of a meeting's items, which `itemises` holds to the count."""
    return Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description=f"The {items} one by one; when given, as many as {count}.",
    )


class _Meeting(Record):
    meeting_id: StableId
    title: Text = Field(description="Title as written in the minutes (Vietnamese).")
    held_on: date = Field(description="The day the meeting took place.")
    location: str | None = Field(default=None, max_length=300)


class _SessionInTerm(_Meeting):
    """What every version of a session leads with: its kind and place in the term."""

    kind: Literal["session"] = "session"
    session_type: SessionType = Field(
        description="thường lệ (regular), chuyên đề (thematic) or bất thường (extraordinary)."
    )
    term: Term
    number_in_term: int = Field(ge=1, le=200, description="'kỳ họp thứ 12' → 12.")

    _term_is_five_years = field_validator("term")(five_year_term)


class Session(_SessionInTerm):
    """Kỳ họp: a session of the council, numbered within its five-year term."""

    delegates_elected: Count | None = Field(
        default=None,
        description="Seats of the council in the term (tổng số đại biểu); absent before v2.",
    )
    delegates_present: Count = Field(description="Đại biểu có mặt.")
    resolutions_adopted: Count = Field(description="Nghị quyết được thông qua.")
    questioning_held: bool = Field(description="Whether questioning (chất vấn) took place.")
    questions_asked: Count = Field(
        default=0, description="Lượt chất vấn: questions put by delegates (0 if not counted)."
    )

    _present_within_elected = at_most(
        "delegates_present",
        "delegates_elected",
        "{value} delegates present but the council has {bound} seats",
    )

    @field_validator("questions_asked")
    @classmethod
    def _questions_need_questioning(cls, questions: int, info: ValidationInfo) -> int:
        if questions and info.data.get("questioning_held") is False:
            raise ValueError("questions were asked, so questioning_held must be true")
        return questions


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
    participating_units: list[UnitCode] = Field(default_factory=list, max_length=MAX_UNITS)
    topics: list[Text] = Field(default_factory=list, max_length=MAX_TOPICS)


class BridgePoint(Record):
    """Điểm cầu: one unit's room in an online training, with its own attendees."""

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
    topics: list[Text] = Field(min_length=1, max_length=MAX_TOPICS)
    bridge_points: list[BridgePoint] = Field(
        min_length=1,
        max_length=MAX_UNITS,
        description="In person: one point, the organising unit. Online: every điểm cầu.",
    )

    @model_validator(mode="after")
    def _one_point_per_unit(self) -> Training:
        units = [p.unit for p in self.bridge_points]
        if len(units) != len(set(units)):
            raise ValueError("each unit may appear only once among the bridge points")
        return self


class VoterOpinion(Record):
    """Ý kiến, kiến nghị của cử tri: one opinion raised at a voter contact, in a field, to be
    forwarded to the agency that must answer it (followed up by the oversight context)."""

    opinion_id: StableId
    text: ItemText = Field(description="The opinion as recorded.")
    field: OversightField = Field(description="Lĩnh vực the opinion concerns.")
    addressed_to: Text = Field(description="The competent agency (cơ quan có thẩm quyền).")


class _VoterContactCounts(_Meeting):
    """A voter contact as v1 published it: who held it, when, and its counts."""

    kind: Literal["voter_contact"] = "voter_contact"
    timing: Literal["before_session", "after_session"] = Field(description="trước / sau kỳ họp.")
    delegate_group: Text = Field(description="Tổ đại biểu holding the contact.")
    voters_attending: Count = Field(description="Lượt cử tri.")
    opinions_raised: Count = Field(description="Ý kiến, kiến nghị của cử tri.")


class VoterContact(_VoterContactCounts):
    """Tiếp xúc cử tri held by a delegate group before or after a session."""

    opinions: list[VoterOpinion] = _one_by_one("opinions", "opinions_raised")

    _opinions_match_count = itemises("opinions", count="opinions_raised", ids="opinion_id")


class PetitionTaken(Record):
    """Đơn thư: one petition taken at a citizen reception (khiếu nại, tố cáo, kiến nghị, phản
    ánh), followed up by the oversight context (received → transferred → settled)."""

    petition_id: StableId
    petition_type: PetitionType = Field(description="khiếu nại, tố cáo, kiến nghị or phản ánh.")
    summary: ItemText = Field(description="What the petition is about.")


class _CitizenReceptionCounts(_Meeting):
    """A citizen reception as v1 published it: its type and counts."""

    kind: Literal["citizen_reception"] = "citizen_reception"
    reception_type: Literal["periodic", "ad_hoc"] = Field(description="định kỳ or đột xuất.")
    citizens_received: Count = Field(description="Lượt công dân được tiếp.")
    petitions_received: Count = Field(description="Đơn thư nhận được.")


class CitizenReception(_CitizenReceptionCounts):
    """Tiếp công dân, periodic or ad hoc."""

    petitions: list[PetitionTaken] = _one_by_one("petitions", "petitions_received")

    _petitions_match_count = itemises("petitions", count="petitions_received", ids="petition_id")


class DelegateReport(_Meeting):
    """Báo cáo với cử tri: delegates report their work (and the council's) to voters."""

    kind: Literal["delegate_report"] = "delegate_report"
    delegate_group: Text | None = Field(default=None, description="Tổ đại biểu, if one held it.")
    delegates_reporting: Count = Field(description="Đại biểu báo cáo.")
    voters_attending: Count = Field(description="Lượt cử tri dự.")


class DelegateRatings(Record):
    """Ratings (phiếu nhận xét) voters gave, by grade."""

    good: Count = Field(default=0, description="tốt")
    fair: Count = Field(default=0, description="trung bình")
    poor: Count = Field(default=0, description="kém")

    @property
    def total(self) -> int:
        return self.good + self.fair + self.poor


class DelegateRating(_Meeting):
    """Lấy ý kiến nhận xét của cử tri: voters rate the delegates they elected."""

    kind: Literal["delegate_rating"] = "delegate_rating"
    delegates_rated: Count = Field(description="Đại biểu được cử tri nhận xét.")
    voters_participating: Count = Field(description="Lượt cử tri tham gia nhận xét.")
    ratings: DelegateRatings = Field(default_factory=DelegateRatings)

    @field_validator("ratings")
    @classmethod
    def _at_most_one_rating_per_voter_and_delegate(
        cls, ratings: DelegateRatings, info: ValidationInfo
    ) -> DelegateRatings:
        rated, voters = info.data.get("delegates_rated"), info.data.get("voters_participating")
        if rated is not None and voters is not None and ratings.total > rated * voters:
            raise ValueError(f"{ratings.total} ratings exceed {rated} delegates × {voters} voters")
        return ratings


Meeting = Annotated[
    Session
    | StandingCommitteeMeeting
    | Conference
    | Training
    | VoterContact
    | CitizenReception
    | DelegateReport
    | DelegateRating,
    Field(discriminator="kind"),
]


class V1:
    """The shapes of `meeting.held` v1 that v2 changed, under their published names (so the
    v1 JSON Schema stays as published). Read-only history: never emit these."""

    class Session(_SessionInTerm):
        """Kỳ họp: a session of the council, numbered within its five-year term."""

        delegates_present: Count = Field(description="Đại biểu có mặt.")
        resolutions_adopted: Count = Field(description="Nghị quyết được thông qua.")
        questioning_held: bool = Field(description="Whether questioning (chất vấn) took place.")

    class VoterContact(_VoterContactCounts):
        """Tiếp xúc cử tri held by a delegate group before or after a session."""

    class CitizenReception(_CitizenReceptionCounts):
        """Tiếp công dân, periodic or ad hoc."""


MeetingV1 = Annotated[
    V1.Session
    | StandingCommitteeMeeting
    | Conference
    | Training
    | V1.VoterContact
    | V1.CitizenReception,
    Field(discriminator="kind"),
]
