"""Petitions (đơn thư khiếu nại, tố cáo, kiến nghị, phản ánh), opened from citizen receptions
or registered when received by mail: `petition.received` → `petition.transferred` →
`petition.settled`; `petition.withdrawn` and `petition.moved` when the citizen reception's
record is corrected (see the package docstring)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.oversight.vocabulary import (
    Agency,
    Days,
    ItemId,
    LongText,
    PetitionType,
    days_iff,
)


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
        days_iff(self.stage, "settled", self.days_to_settle, "days_to_settle")
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
        days_iff(self.stage, "settled", self.days_to_settle, "days_to_settle")
        days_iff(self.stage, "settled", self.previous_days_to_settle, "previous_days_to_settle")
        return self
