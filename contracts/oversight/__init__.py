"""Oversight events (bounded context `oversight`, topic `hdnd.oversight`).

Three lifecycles, each step an event type (one model per type, each with its version):

- Supervisions, surveys and verifications (giám sát chuyên đề / khảo sát / thẩm tra):
  `supervision.planned` → `supervision.started` → `supervision.finished`; a finished one
  issues its recommendations (kiến nghị) as items, `recommendation.issued`, each followed up
  as `recommendation.implemented`, or `recommendation.overdue` once its deadline passed
  without implementation (recorded by the service's sweep when it notices).
- Voter opinions (ý kiến, kiến nghị của cử tri), opened from the voter contacts published on
  the meetings topic: `opinion.received` → `opinion.forwarded` → `opinion.answered` →
  `opinion.resolved`.
- Petitions (đơn thư khiếu nại, tố cáo, kiến nghị, phản ánh), opened from citizen receptions
  or registered when received by mail: `petition.received` → `petition.transferred` →
  `petition.settled`.

When the record of the voter contact (citizen reception) is corrected (`meeting.corrected`),
its items follow, at whatever stage they are: one the corrected record no longer lists is
`opinion.withdrawn` (`petition.withdrawn`), one whose meeting moved to another day is
`opinion.moved` (`petition.moved`). Both say how far the item had come, so reporting takes
back (and, for a move, adds again on the new day) exactly what the item counted.

Every follow-up carries the day its item was raised (issued, received), so reporting can
count it in the item's cohort without state of its own; its envelope's `occurred_at` is that
day too (the day it counts on, on which its unit surely existed), and the step's own day is
in the payload.

Versions: v2 (current) renamed `recommendations_issued` to `recommendations` and added
`report_ref`; v1 is kept as `SupervisionFinishedV1` (its schema, and validation of old
events), and `recommendations_renamed` below lifts v1 payloads to v2 on read.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar, Final, Literal, get_args
from uuid import uuid4

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from contracts.envelope import UnitCode
from contracts.ids import ID_PATTERN
from contracts.versioning import Payload, upcaster

TOPIC: Final = "oversight"  # the `Topics` property its events travel on

Count = Annotated[int, Field(ge=0, le=10_000_000)]
# Bounded to what councils write (README, "Sizes"): a line (a title), one item's text.
Text = Annotated[str, Field(min_length=1, max_length=500)]
LongText = Annotated[str, Field(min_length=1, max_length=2000)]
MAX_UNITS = 1000  # units a supervision names: a province's communes (168 in 2025, 573 before)
ItemId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=ID_PATTERN,
        description="Stable id of a tracked item (recommendation, opinion, petition).",
    ),
]
Agency = Annotated[
    str,
    Field(
        min_length=1,
        max_length=500,
        examples=["UBND huyện Tam Đường"],
        description="Cơ quan: the agency addressed (by name, as written in the documents).",
    ),
]
Days = Annotated[int, Field(ge=0, le=100_000)]


def _new_id() -> str:
    return uuid4().hex


class Activity(StrEnum):
    """Which oversight activity was carried out."""

    THEMATIC_SUPERVISION = "thematic_supervision"  # giám sát chuyên đề
    SURVEY = "survey"  # khảo sát
    VERIFICATION = "verification"  # thẩm tra báo cáo, dự thảo nghị quyết trước kỳ họp


class Body(StrEnum):
    """Which body of the council carried it out."""

    STANDING_COMMITTEE = "standing_committee"  # Thường trực HĐND
    COMMITTEE = "committee"  # một Ban của HĐND
    DELEGATE_GROUP = "delegate_group"  # Tổ đại biểu HĐND


class Committee(StrEnum):
    """Ban của HĐND; which ones a council has depends on its level and its province."""

    LEGAL = "legal"  # Ban Pháp chế
    ECONOMY_BUDGET = "economy_budget"  # Ban Kinh tế – Ngân sách (province)
    ECONOMY_SOCIETY = "economy_society"  # Ban Kinh tế – Xã hội (district, commune)
    CULTURE_SOCIETY = "culture_society"  # Ban Văn hóa – Xã hội
    ETHNIC = "ethnic"  # Ban Dân tộc
    URBAN = "urban"  # Ban Đô thị


class OversightField(StrEnum):
    """The field (lĩnh vực) supervised, surveyed or verified."""

    INVESTMENT_CONSTRUCTION = "investment_construction"  # đầu tư, xây dựng
    LAND = "land"  # đất đai
    CITIZEN_RECEPTION = "citizen_reception"  # tiếp công dân
    PETITIONS = "petitions"  # giải quyết đơn thư khiếu nại, tố cáo, kiến nghị, phản ánh
    BUDGET = "budget"  # tài chính, ngân sách
    SOCIAL_POLICY = "social_policy"  # chính sách xã hội, an sinh xã hội
    EDUCATION_HEALTH = "education_health"  # giáo dục, y tế
    OTHER = "other"  # lĩnh vực khác


class _Supervision(BaseModel):
    """The fields every version of `supervision.finished` has, with their rules."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    TYPE: ClassVar[str] = "supervision.finished"

    supervision_id: str = Field(
        default_factory=lambda: uuid4().hex,
        min_length=1,
        max_length=64,
        pattern=ID_PATTERN,
        description="Stable id; send your own to make a retried request idempotent.",
    )
    activity: Activity = Field(description="giám sát chuyên đề, khảo sát or thẩm tra.")
    title: Text = Field(description="Title as written in the plan or report (Vietnamese).")
    body: Body = Field(description="Thường trực HĐND, a Ban, or a Tổ đại biểu.")
    committee: Committee | None = Field(
        default=None,
        validate_default=True,
        description="The Ban that carried it out; required when body is committee, else absent.",
    )
    field: OversightField = Field(description="Lĩnh vực.")
    started_on: date = Field(description="The day the activity started.")
    finished_on: date = Field(description="The day it finished (report or conclusion issued).")
    supervised_units: list[UnitCode] = Field(
        default_factory=list,
        max_length=MAX_UNITS,
        description="Units whose agencies were supervised: the council's own unit or below it.",
    )
    findings: str | None = Field(default=None, max_length=20_000, description="Kết quả, nhận xét.")

    @field_validator("committee")
    @classmethod
    def _committee_iff_body_is_committee(
        cls, committee: Committee | None, info: ValidationInfo
    ) -> Committee | None:
        body = info.data.get("body")
        if body is None:
            return committee  # body itself is invalid; that error is reported already
        if body == Body.COMMITTEE and committee is None:
            raise ValueError("committee is required when body is committee")
        if body != Body.COMMITTEE and committee is not None:
            raise ValueError(f"committee must be absent when body is {body}")
        return committee

    @field_validator("finished_on")
    @classmethod
    def _not_before_start(cls, finished_on: date, info: ValidationInfo) -> date:
        started_on = info.data.get("started_on")
        if started_on is not None and finished_on < started_on:
            raise ValueError(f"finished_on {finished_on} is before started_on {started_on}")
        return finished_on

    @field_validator("supervised_units")
    @classmethod
    def _each_unit_once(cls, units: list[str]) -> list[str]:
        if len(units) != len(set(units)):
            raise ValueError("each unit may appear only once among the supervised units")
        return units


class SupervisionFinished(_Supervision):
    """`supervision.finished` v2: a body of the council (the envelope's unit) finished an
    oversight activity; `occurred_at` is the day it finished."""

    VERSION: ClassVar[int] = 2

    recommendations: Count = Field(
        default=0, description="Kiến nghị (recommendations) issued to the agencies supervised."
    )
    report_ref: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        examples=["45/BC-HĐND"],
        description="Số hiệu báo cáo kết quả giám sát: the number of the report on the results.",
    )


class SupervisionFinishedV1(_Supervision):
    """`supervision.finished` v1: a body of the council (the envelope's unit) finished an
    oversight activity; `occurred_at` is the day it finished."""

    model_config = ConfigDict(title="SupervisionFinished")  # its schema stays as published

    VERSION: ClassVar[int] = 1

    recommendations_issued: Count = Field(
        default=0, description="Kiến nghị issued to the agencies supervised."
    )


@upcaster(SupervisionFinishedV1, to=SupervisionFinished)
def recommendations_renamed(v1: Payload) -> Payload:
    """v1 → v2: `recommendations_issued` is now `recommendations`; v1 had no report number."""
    v2 = {k: v for k, v in v1.items() if k != "recommendations_issued"}
    v2["recommendations"] = v1.get("recommendations_issued", 0)
    v2["report_ref"] = None
    return v2


# -- the supervision lifecycle: planned → started → finished ----------------------------------


class _SupervisionStep(BaseModel):
    """What every step of a supervision says about it, so each event counts on its own."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    supervision_id: str = Field(
        default_factory=_new_id,
        min_length=1,
        max_length=64,
        pattern=ID_PATTERN,
        description="Stable id; send your own to make a retried request idempotent.",
    )
    activity: Activity = Field(description="giám sát chuyên đề, khảo sát or thẩm tra.")
    body: Body = Field(description="Thường trực HĐND, a Ban, or a Tổ đại biểu.")
    committee: Committee | None = Field(
        default=None,
        validate_default=True,
        description="The Ban that carries it out; required when body is committee, else absent.",
    )
    field: OversightField = Field(description="Lĩnh vực.")

    @field_validator("committee")
    @classmethod
    def _committee_iff_body_is_committee(
        cls, committee: Committee | None, info: ValidationInfo
    ) -> Committee | None:
        return _Supervision._committee_iff_body_is_committee(committee, info)


class SupervisionPlanned(_SupervisionStep):
    """`supervision.planned` v1: a body of the council (the envelope's unit) adopted the plan
    (kế hoạch giám sát / khảo sát / thẩm tra) of an activity; `occurred_at` is `planned_on`."""

    TYPE: ClassVar[str] = "supervision.planned"
    VERSION: ClassVar[int] = 1

    title: Text = Field(description="Title as written in the plan (Vietnamese).")
    planned_on: date = Field(description="The day the plan was adopted.")
    starts_on: date | None = Field(
        default=None, description="The day it is planned to start (may be in the future)."
    )
    supervised_units: list[UnitCode] = Field(
        default_factory=list,
        max_length=MAX_UNITS,
        description="Units whose agencies will be supervised: the council's unit or below it.",
    )

    @field_validator("supervised_units")
    @classmethod
    def _each_unit_once(cls, units: list[str]) -> list[str]:
        return _Supervision._each_unit_once(units)


class SupervisionStarted(_SupervisionStep):
    """`supervision.started` v1: the planned activity started (triển khai giám sát);
    `occurred_at` is `started_on`."""

    TYPE: ClassVar[str] = "supervision.started"
    VERSION: ClassVar[int] = 1

    started_on: date = Field(description="The day the activity started.")


class Recommendation(BaseModel):
    """Kiến nghị: one recommendation of a finished activity, addressed to an agency."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    recommendation_id: ItemId = Field(default_factory=_new_id)
    text: LongText = Field(description="Nội dung kiến nghị.")
    addressed_to: Agency
    deadline: date = Field(description="Thời hạn: the day by which it is to be implemented.")


# -- recommendations: issued → implemented, or overdue ---------------------------------------


class _RecommendationStep(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    recommendation_id: ItemId
    supervision_id: str = Field(min_length=1, max_length=64)
    issued_on: date = Field(description="The day it was issued (its activity finished).")
    deadline: date


class RecommendationIssued(_RecommendationStep):
    """`recommendation.issued` v1: a finished supervision, survey or verification issued a
    recommendation (kiến nghị sau giám sát) to an agency; `occurred_at` is `issued_on`."""

    TYPE: ClassVar[str] = "recommendation.issued"
    VERSION: ClassVar[int] = 1

    text: LongText
    addressed_to: Agency

    @model_validator(mode="after")
    def _deadline_after_issue(self) -> RecommendationIssued:
        if self.deadline < self.issued_on:
            raise ValueError(f"deadline {self.deadline} is before issued_on {self.issued_on}")
        return self


class RecommendationImplemented(_RecommendationStep):
    """`recommendation.implemented` v1: the agency implemented the recommendation (đã thực
    hiện kiến nghị) on `implemented_on`; `occurred_at` is `issued_on`."""

    TYPE: ClassVar[str] = "recommendation.implemented"
    VERSION: ClassVar[int] = 1

    implemented_on: date
    was_overdue: bool = Field(
        default=False,
        description="A `recommendation.overdue` was recorded for it before it was implemented.",
    )
    note: str | None = Field(default=None, max_length=2000)


class RecommendationOverdue(_RecommendationStep):
    """`recommendation.overdue` v1: its deadline passed without implementation (kiến nghị quá
    hạn): overdue from the day after `deadline`, seen by the service on `noticed_on`;
    `occurred_at` is `issued_on`."""

    TYPE: ClassVar[str] = "recommendation.overdue"
    VERSION: ClassVar[int] = 1

    noticed_on: date


# -- voter opinions: received → forwarded → answered → resolved -------------------------------


class _OpinionStep(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    opinion_id: ItemId
    raised_on: date = Field(description="The day the opinion was raised at a voter contact.")


class OpinionReceived(_OpinionStep):
    """`opinion.received` v1: an opinion of voters (ý kiến, kiến nghị của cử tri) raised at a
    voter contact is now tracked; `occurred_at` is `raised_on`."""

    TYPE: ClassVar[str] = "opinion.received"
    VERSION: ClassVar[int] = 1

    meeting_id: str = Field(min_length=1, max_length=64, description="The voter contact.")
    text: LongText
    field: OversightField = Field(description="Lĩnh vực the opinion concerns.")
    addressed_to: Agency | None = None


class OpinionForwarded(_OpinionStep):
    """`opinion.forwarded` v1: the opinion was forwarded to the competent agency (chuyển cơ
    quan có thẩm quyền) on `forwarded_on`; `occurred_at` is `raised_on`."""

    TYPE: ClassVar[str] = "opinion.forwarded"
    VERSION: ClassVar[int] = 1

    forwarded_on: date
    agency: Agency


class OpinionAnswered(_OpinionStep):
    """`opinion.answered` v1: the agency answered (trả lời ý kiến cử tri) on `answered_on`;
    `occurred_at` is `raised_on`."""

    TYPE: ClassVar[str] = "opinion.answered"
    VERSION: ClassVar[int] = 1

    answered_on: date
    answer: LongText | None = None


class OpinionResolved(_OpinionStep):
    """`opinion.resolved` v1: the opinion was resolved (đã giải quyết) on `resolved_on`,
    `days_to_resolve` after it was raised; `occurred_at` is `raised_on`."""

    TYPE: ClassVar[str] = "opinion.resolved"
    VERSION: ClassVar[int] = 1

    resolved_on: date
    days_to_resolve: Days
    result: LongText | None = None

    @model_validator(mode="after")
    def _days_match(self) -> OpinionResolved:
        # never negative: resolved before a correction moved its voter contact later, it
        # counts 0 (as OpinionMoved does; services/oversight/tracking.py: days_to_close)
        if max(0, (self.resolved_on - self.raised_on).days) != self.days_to_resolve:
            raise ValueError("days_to_resolve must be resolved_on - raised_on, or 0 if before")
        return self


OpinionStage = Literal["received", "forwarded", "answered", "resolved"]
OPINION_STAGES: tuple[OpinionStage, ...] = get_args(OpinionStage)


def _days_iff(stage: str, final: str, days: int | None, name: str) -> None:
    if (stage == final) != (days is not None):
        raise ValueError(f"{name} is given exactly when stage is {final}")


class OpinionWithdrawn(_OpinionStep):
    """`opinion.withdrawn` v1: the record of the voter contact that raised the opinion was
    corrected (`meeting.corrected`, this event's causation) and no longer lists it, so it is no
    longer tracked. `stage` is how far it had come (each stage implies the ones before it) and
    `days_to_resolve` what its resolution counted, so reporting takes back what the item
    counted on `raised_on`; `occurred_at` is `raised_on`."""

    TYPE: ClassVar[str] = "opinion.withdrawn"
    VERSION: ClassVar[int] = 1

    meeting_id: str = Field(min_length=1, max_length=64, description="The voter contact.")
    stage: OpinionStage = Field(description="The stage it had reached when withdrawn.")
    days_to_resolve: Days | None = Field(default=None, description="When it had been resolved.")

    @model_validator(mode="after")
    def _days_when_resolved(self) -> OpinionWithdrawn:
        _days_iff(self.stage, "resolved", self.days_to_resolve, "days_to_resolve")
        return self


class OpinionMoved(_OpinionStep):
    """`opinion.moved` v1: the record of the voter contact that raised the opinion was corrected
    to another day (`meeting.corrected`, this event's causation); the opinion moves with it: it
    was raised on `raised_on`, not on `previous_raised_on`. Reporting takes back what the item
    counted on the previous day (`stage`, `previous_days_to_resolve`) and counts it on the new
    one (`days_to_resolve`, from the new day; 0 if it was resolved before it). `occurred_at` is
    `raised_on`."""

    TYPE: ClassVar[str] = "opinion.moved"
    VERSION: ClassVar[int] = 1

    meeting_id: str = Field(min_length=1, max_length=64, description="The voter contact.")
    previous_raised_on: date = Field(description="The day it was counted on until now.")
    stage: OpinionStage = Field(description="The stage it has reached.")
    previous_days_to_resolve: Days | None = Field(
        default=None, description="When resolved: the days counted from the previous day."
    )
    days_to_resolve: Days | None = Field(
        default=None, description="When resolved: the days counted from the new day."
    )

    @model_validator(mode="after")
    def _a_move_with_days_when_resolved(self) -> OpinionMoved:
        if self.previous_raised_on == self.raised_on:
            raise ValueError("previous_raised_on is raised_on: nothing moved")
        _days_iff(self.stage, "resolved", self.days_to_resolve, "days_to_resolve")
        _days_iff(self.stage, "resolved", self.previous_days_to_resolve, "previous_days_to_resolve")
        return self


# -- petitions: received → transferred → settled ---------------------------------------------


class PetitionType(StrEnum):
    """Loại đơn thư."""

    COMPLAINT = "complaint"  # khiếu nại
    DENUNCIATION = "denunciation"  # tố cáo
    RECOMMENDATION = "recommendation"  # kiến nghị
    REFLECTION = "reflection"  # phản ánh


class _PetitionStep(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    petition_id: ItemId
    received_on: date = Field(description="The day the council received the petition.")


class PetitionReceived(_PetitionStep):
    """`petition.received` v1: the council received a petition (tiếp nhận đơn thư), taken at
    a citizen reception or received by mail; `occurred_at` is `received_on`."""

    TYPE: ClassVar[str] = "petition.received"
    VERSION: ClassVar[int] = 1

    petition_type: PetitionType
    summary: LongText = Field(description="Tóm tắt nội dung đơn.")
    channel: Literal["citizen_reception", "mail"] = Field(
        description="Taken at a citizen reception (tiếp công dân), or received by mail."
    )
    meeting_id: str | None = Field(
        default=None, min_length=1, max_length=64, description="The citizen reception, if any."
    )


class PetitionTransferred(_PetitionStep):
    """`petition.transferred` v1: transferred to the competent agency (chuyển đơn) on
    `transferred_on`; `occurred_at` is `received_on`."""

    TYPE: ClassVar[str] = "petition.transferred"
    VERSION: ClassVar[int] = 1

    transferred_on: date
    agency: Agency


class PetitionSettled(_PetitionStep):
    """`petition.settled` v1: the petition was settled (đã giải quyết) on `settled_on`,
    `days_to_settle` after it was received; `occurred_at` is `received_on`."""

    TYPE: ClassVar[str] = "petition.settled"
    VERSION: ClassVar[int] = 1

    settled_on: date
    days_to_settle: Days
    outcome: LongText | None = None

    @model_validator(mode="after")
    def _days_match(self) -> PetitionSettled:
        # never negative: settled before a correction moved its reception later, it counts 0
        if max(0, (self.settled_on - self.received_on).days) != self.days_to_settle:
            raise ValueError("days_to_settle must be settled_on - received_on, or 0 if before")
        return self


PetitionStage = Literal["received", "transferred", "settled"]
PETITION_STAGES: tuple[PetitionStage, ...] = get_args(PetitionStage)


class PetitionWithdrawn(_PetitionStep):
    """`petition.withdrawn` v1: the record of the citizen reception that took the petition was
    corrected (`meeting.corrected`, this event's causation) and no longer lists it, so it is no
    longer tracked. `stage` is how far it had come and `days_to_settle` what its settlement
    counted, so reporting takes back what the item counted on `received_on`; `occurred_at` is
    `received_on`."""

    TYPE: ClassVar[str] = "petition.withdrawn"
    VERSION: ClassVar[int] = 1

    meeting_id: str = Field(min_length=1, max_length=64, description="The citizen reception.")
    stage: PetitionStage = Field(description="The stage it had reached when withdrawn.")
    days_to_settle: Days | None = Field(default=None, description="When it had been settled.")

    @model_validator(mode="after")
    def _days_when_settled(self) -> PetitionWithdrawn:
        _days_iff(self.stage, "settled", self.days_to_settle, "days_to_settle")
        return self


class PetitionMoved(_PetitionStep):
    """`petition.moved` v1: the record of the citizen reception that took the petition was
    corrected to another day (`meeting.corrected`, this event's causation); the petition moves
    with it: it was received on `received_on`, not on `previous_received_on`. Reporting takes
    back what the item counted on the previous day and counts it on the new one
    (`days_to_settle`, from the new day; 0 if it was settled before it). `occurred_at` is
    `received_on`."""

    TYPE: ClassVar[str] = "petition.moved"
    VERSION: ClassVar[int] = 1

    meeting_id: str = Field(min_length=1, max_length=64, description="The citizen reception.")
    previous_received_on: date = Field(description="The day it was counted on until now.")
    stage: PetitionStage = Field(description="The stage it has reached.")
    previous_days_to_settle: Days | None = Field(
        default=None, description="When settled: the days counted from the previous day."
    )
    days_to_settle: Days | None = Field(
        default=None, description="When settled: the days counted from the new day."
    )

    @model_validator(mode="after")
    def _a_move_with_days_when_settled(self) -> PetitionMoved:
        if self.previous_received_on == self.received_on:
            raise ValueError("previous_received_on is received_on: nothing moved")
        _days_iff(self.stage, "settled", self.days_to_settle, "days_to_settle")
        _days_iff(self.stage, "settled", self.previous_days_to_settle, "previous_days_to_settle")
        return self


# Every current event type of the context, in lifecycle order (the registry registers them).
EVENTS: tuple[type[BaseModel], ...] = (
    SupervisionPlanned,
    SupervisionStarted,
    SupervisionFinished,
    RecommendationIssued,
    RecommendationImplemented,
    RecommendationOverdue,
    OpinionReceived,
    OpinionForwarded,
    OpinionAnswered,
    OpinionResolved,
    OpinionWithdrawn,
    OpinionMoved,
    PetitionReceived,
    PetitionTransferred,
    PetitionSettled,
    PetitionWithdrawn,
    PetitionMoved,
)
