"""Voter opinions (ý kiến, kiến nghị của cử tri), opened from the voter contacts published
on the meetings topic: `opinion.received` → `opinion.forwarded` → `opinion.answered` →
`opinion.resolved`; `opinion.withdrawn` and `opinion.moved` when the voter contact's record
is corrected (see the package docstring)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.oversight.vocabulary import (
    Agency,
    Days,
    ItemId,
    LongText,
    OversightField,
    days_iff,
)


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
        days_iff(self.stage, "resolved", self.days_to_resolve, "days_to_resolve")
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
        days_iff(self.stage, "resolved", self.days_to_resolve, "days_to_resolve")
        days_iff(self.stage, "resolved", self.previous_days_to_resolve, "previous_days_to_resolve")
        return self
