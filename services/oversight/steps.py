"""The steps a secretary records of a tracked item, as a table: what each step's request
body holds (dated in `<stage>_on`), and which events it makes (services.oversight.followups).
The HTTP routes are declared from it (services.oversight.api_items); finishing a supervision,
which also opens its recommendations, is declared there on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contracts import EventDraft
from contracts.oversight import Agency, ItemId, LongText, PetitionType, Recommendation
from services.common.mongo import Document
from services.oversight import followups
from services.oversight.tracking import (
    OPINION,
    PETITION,
    RECOMMENDATION,
    SUPERVISION,
    Lifecycle,
    Tracked,
)


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")


StepT = TypeVar("StepT", bound=Step)


@dataclass(frozen=True, slots=True)
class FollowUp(Generic[StepT]):
    """The step `name`: a POST at `path`, which ends in the stage it moves an item of
    `lifecycle` to; `body` is what it sends, `events` what it records."""

    name: str
    path: str
    summary: str
    lifecycle: Lifecycle
    body: type[StepT]
    events: Callable[[StepT, Tracked, Document], list[EventDraft]]

    @property
    def to(self) -> str:
        return self.path.rsplit("/", 1)[1]


# -- supervisions: planned → started → finished ----------------------------------------------


class StartSupervision(Step):
    started_on: date


class FinishSupervision(Step):
    finished_on: date
    findings: str | None = Field(default=None, max_length=20_000, description="Kết quả, nhận xét.")
    report_ref: str | None = Field(default=None, min_length=1, max_length=100)
    recommendations: list[Recommendation] = Field(default_factory=list, max_length=1000)

    @field_validator("recommendations")
    @classmethod
    def _each_id_once(cls, recs: list[Recommendation]) -> list[Recommendation]:
        ids = [r.recommendation_id for r in recs]
        if len(ids) != len(set(ids)):
            raise ValueError("each recommendation_id may appear only once")
        return recs


# -- recommendations: issued → implemented (or overdue, by the sweep) ------------------------


class ImplementRecommendation(Step):
    implemented_on: date
    note: str | None = Field(default=None, max_length=2000)


# -- voter opinions: received (from voter contacts) → forwarded → answered → resolved --------


class ForwardOpinion(Step):
    forwarded_on: date
    agency: Agency


class AnswerOpinion(Step):
    answered_on: date
    answer: LongText | None = None


class ResolveOpinion(Step):
    resolved_on: date
    result: LongText | None = None


# -- petitions: received (at receptions, or by mail here) → transferred → settled ------------


class PetitionByMail(Step):
    """A petition the council received by mail (đơn thư gửi qua đường bưu chính)."""

    petition_id: ItemId = Field(default_factory=lambda: uuid4().hex)
    petition_type: PetitionType
    summary: LongText
    received_on: date


class TransferPetition(Step):
    transferred_on: date
    agency: Agency


class SettlePetition(Step):
    settled_on: date
    outcome: LongText | None = None


FOLLOW_UPS = (
    FollowUp(
        "start_supervision",
        "/units/{unit}/supervision-plans/{supervision_id}/started",
        "The planned activity started",
        SUPERVISION,
        StartSupervision,
        lambda body, item, doc: followups.supervision_started(item, doc, body.started_on),
    ),
    FollowUp(
        "implement_recommendation",
        "/units/{unit}/recommendations/{recommendation_id}/implemented",
        "The agency implemented the recommendation",
        RECOMMENDATION,
        ImplementRecommendation,
        lambda body, item, doc: followups.recommendation_implemented(
            item, doc, body.implemented_on, body.note
        ),
    ),
    FollowUp(
        "forward_opinion",
        "/units/{unit}/opinions/{opinion_id}/forwarded",
        "The opinion was forwarded to the competent agency",
        OPINION,
        ForwardOpinion,
        lambda body, item, _: followups.opinion_forwarded(item, body.forwarded_on, body.agency),
    ),
    FollowUp(
        "answer_opinion",
        "/units/{unit}/opinions/{opinion_id}/answered",
        "The agency answered the opinion",
        OPINION,
        AnswerOpinion,
        lambda body, item, _: followups.opinion_answered(item, body.answered_on, body.answer),
    ),
    FollowUp(
        "resolve_opinion",
        "/units/{unit}/opinions/{opinion_id}/resolved",
        "The opinion was resolved",
        OPINION,
        ResolveOpinion,
        lambda body, item, _: followups.opinion_resolved(item, body.resolved_on, body.result),
    ),
    FollowUp(
        "transfer_petition",
        "/units/{unit}/petitions/{petition_id}/transferred",
        "The petition was transferred to the competent agency",
        PETITION,
        TransferPetition,
        lambda body, item, _: followups.petition_transferred(
            item, body.transferred_on, body.agency
        ),
    ),
    FollowUp(
        "settle_petition",
        "/units/{unit}/petitions/{petition_id}/settled",
        "The petition was settled",
        PETITION,
        SettlePetition,
        lambda body, item, _: followups.petition_settled(item, body.settled_on, body.outcome),
    ),
)
