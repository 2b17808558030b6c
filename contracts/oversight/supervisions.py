"""Supervisions, surveys and verifications (giám sát chuyên đề / khảo sát / thẩm tra):
`supervision.planned` → `supervision.started` → `supervision.finished`, and the
recommendations a finished one issues: `recommendation.issued` → `recommendation.implemented`,
or `recommendation.overdue` (see the package docstring).

Versions: v2 (current) renamed `recommendations_issued` to `recommendations` and added
`report_ref`; v1 is kept as `SupervisionFinishedV1` (its schema, and validation of old
events), and `recommendations_renamed` below lifts v1 payloads to v2 on read.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from pydantic import (
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from contracts.envelope import UnitCode
from contracts.ids import StableId, new_id
from contracts.oversight.vocabulary import (
    Activity,
    Agency,
    Body,
    Committee,
    Count,
    ItemId,
    LongText,
    OversightField,
    Text,
)
from contracts.rules import Record, Rule, not_before, present_iff
from contracts.versioning import Payload, upcaster

MAX_UNITS = 1000  # units a supervision names: a province's communes (168 in 2025, 573 before)


def _committee(description: str) -> Any:
    """The Ban of a committee body, validated even when absent so that `_committee_rule`
    sees a missing one."""
    return Field(default=None, validate_default=True, description=description)


def _committee_rule() -> Rule:
    """A Ban is named exactly when the body is a committee (each step and the end say it)."""
    missing = "committee is required when body is committee"
    return present_iff("committee", when="body", equals=Body.COMMITTEE, missing=missing)


def _units_once(units: list[str]) -> list[str]:
    if len(units) != len(set(units)):
        raise ValueError("each unit may appear only once among the supervised units")
    return units


class _Supervision(Record):
    """The fields every version of `supervision.finished` has, with their rules."""

    TYPE: ClassVar[str] = "supervision.finished"

    supervision_id: StableId
    activity: Activity = Field(description="giám sát chuyên đề, khảo sát or thẩm tra.")
    title: Text = Field(description="Title as written in the plan or report (Vietnamese).")
    body: Body = Field(description="Thường trực HĐND, a Ban, or a Tổ đại biểu.")
    committee: Committee | None = _committee(
        "The Ban that carried it out; required when body is committee, else absent."
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

    _committee_iff_body_is_committee = _committee_rule()
    _not_before_start = not_before("finished_on", "started_on")
    _each_unit_once = field_validator("supervised_units")(_units_once)


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


class _SupervisionStep(Record):
    """What every step of a supervision says about it, so each event counts on its own."""

    supervision_id: StableId
    activity: Activity = Field(description="giám sát chuyên đề, khảo sát or thẩm tra.")
    body: Body = Field(description="Thường trực HĐND, a Ban, or a Tổ đại biểu.")
    committee: Committee | None = _committee(
        "The Ban that carries it out; required when body is committee, else absent."
    )
    field: OversightField = Field(description="Lĩnh vực.")

    _committee_iff_body_is_committee = _committee_rule()


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

    _each_unit_once = field_validator("supervised_units")(_units_once)


class SupervisionStarted(_SupervisionStep):
    """`supervision.started` v1: the planned activity started (triển khai giám sát);
    `occurred_at` is `started_on`."""

    TYPE: ClassVar[str] = "supervision.started"
    VERSION: ClassVar[int] = 1

    started_on: date = Field(description="The day the activity started.")


class Recommendation(Record):
    """Kiến nghị: one recommendation of a finished activity, addressed to an agency."""

    recommendation_id: ItemId = Field(default_factory=new_id)
    text: LongText = Field(description="Nội dung kiến nghị.")
    addressed_to: Agency
    deadline: date = Field(description="Thời hạn: the day by which it is to be implemented.")


# -- recommendations: issued → implemented, or overdue ---------------------------------------


class _RecommendationStep(Record):
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
