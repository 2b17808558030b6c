"""Oversight events (bounded context `oversight`, topic `hdnd.oversight`).

`supervision.finished` records that a council body finished a thematic supervision, a
survey or a verification (giám sát chuyên đề / khảo sát / thẩm tra). The longer lifecycle
(started, recommendations followed up with deadlines) will come as further event types.

Versions: v2 (current) renamed `recommendations_issued` to `recommendations` and added
`report_ref`; v1 is kept as `SupervisionFinishedV1` (its schema, and validation of old
events), and `recommendations_renamed` below lifts v1 payloads to v2 on read.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from contracts.envelope import UnitCode
from contracts.versioning import Payload, upcaster

Count = Annotated[int, Field(ge=0, le=10_000_000)]
Text = Annotated[str, Field(min_length=1, max_length=500)]


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
        pattern=r"^[A-Za-z0-9._:-]+$",
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
        max_length=5000,
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
