"""The notifier's consumer: what is waiting on someone, from the events reporting reads anyway.

From the oversight topic, the items waiting on an agency (an opinion forwarded, a petition
transferred, a recommendation issued) until they are done, and the units each supervision
covered; from the meetings topic, the regular sessions scheduled (services.reporting.deadlines
.sessions); and the answers coming down to tell (a proposal answered, an opinion answered, a
recommendation issued). Every write is an idempotent upsert, applied with the batch's Kafka
positions in one transaction (services.common.pipeline), so a redelivered batch or a replay
changes nothing. What this consumer cannot decode or trust is skipped here (the projector,
reading the same topics, dead-letters it); what its own step fails on is dead-lettered.
"""

from __future__ import annotations

from typing import Any

from pymongo import UpdateOne

from contracts import Decoded, MeetingCancelled, MeetingHeld, MeetingScheduled
from contracts.coordination import ProposalAnswered
from contracts.oversight import (
    OpinionAnswered,
    OpinionForwarded,
    OpinionResolved,
    OpinionWithdrawn,
    PetitionSettled,
    PetitionTransferred,
    PetitionWithdrawn,
    RecommendationImplemented,
    RecommendationIssued,
    SupervisionFinished,
)
from services.common.pipeline import Consuming
from services.reporting.deadlines.sessions import SessionStore
from services.reporting.notifications.store import NotificationStore
from services.reporting.upserts import Handler, UpsertConsumer, Write

ITEMS, ANSWERS, SESSIONS = "notify_items", "notify_answers", "scheduled_sessions"


def _key(rule: str, unit: str, item: str) -> dict[str, str]:
    return {"_id": f"{rule}:{unit}:{item}"}


def _opened(rule: str, unit: str, item: str, started_on: str, **fields: Any) -> Write:
    doc = {"rule": rule, "unit": unit, "item": item, "started_on": started_on, **fields}
    return ITEMS, UpdateOne(_key(rule, unit, item), {"$set": {**doc, "open": True}}, upsert=True)


def _closed(rule: str, unit: str, item: str) -> Write:
    return ITEMS, UpdateOne(_key(rule, unit, item), {"$set": {"open": False}})


def _answer(rule: str, unit: str, item: str, day: str, **fields: Any) -> Write:
    doc = {"rule": rule, "unit": unit, "item": item, "day": day, "told": False, **fields}
    return ANSWERS, UpdateOne(_key(rule, unit, item), {"$setOnInsert": doc}, upsert=True)


def _closing(rule: str, id_field: str) -> Handler:
    """The handler of an event that ends an item of `rule` (resolved, settled, withdrawn,
    implemented): it closes the item the payload's `id_field` names, nothing else."""
    return lambda event: [_closed(rule, event.envelope.unit, getattr(event.payload, id_field))]


class ItemsConsumer(UpsertConsumer[NotificationStore]):
    def __init__(self, context: Consuming, store: NotificationStore) -> None:
        super().__init__(
            context,
            store,
            {
                OpinionForwarded: self._forwarded,
                OpinionAnswered: self._opinion_answered,
                OpinionResolved: _closing("opinion", "opinion_id"),
                OpinionWithdrawn: _closing("opinion", "opinion_id"),
                PetitionTransferred: self._transferred,
                PetitionSettled: _closing("petition", "petition_id"),
                PetitionWithdrawn: _closing("petition", "petition_id"),
                RecommendationIssued: self._issued,
                RecommendationImplemented: _closing("recommendation", "recommendation_id"),
                SupervisionFinished: self._supervision,
                ProposalAnswered: self._proposal_answered,
                MeetingScheduled: self._session,
                MeetingCancelled: self._session,
                MeetingHeld: self._session,
            },
        )

    @staticmethod
    def _forwarded(event: Decoded[OpinionForwarded]) -> list[Write]:
        p = event.payload
        unit = event.envelope.unit
        return [_opened("opinion", unit, p.opinion_id, p.forwarded_on.isoformat(), agency=p.agency)]

    @staticmethod
    def _opinion_answered(event: Decoded[OpinionAnswered]) -> list[Write]:
        p, unit = event.payload, event.envelope.unit
        day = p.answered_on.isoformat()
        return [_closed("opinion", unit, p.opinion_id), _answer("opinion", unit, p.opinion_id, day)]

    @staticmethod
    def _transferred(event: Decoded[PetitionTransferred]) -> list[Write]:
        p, unit = event.payload, event.envelope.unit
        started = p.transferred_on.isoformat()
        return [_opened("petition", unit, p.petition_id, started, agency=p.agency)]

    @staticmethod
    def _issued(event: Decoded[RecommendationIssued]) -> list[Write]:
        p, unit = event.payload, event.envelope.unit
        day = p.issued_on.isoformat()
        fields = {"supervision_id": p.supervision_id, "agency": p.addressed_to}
        due = p.deadline.isoformat()
        return [
            _opened("recommendation", unit, p.recommendation_id, day, due_on=due, **fields),
            _answer("recommendation", unit, p.recommendation_id, day, **fields),
        ]

    @staticmethod
    def _supervision(event: Decoded[SupervisionFinished]) -> list[Write]:
        p, unit = event.payload, event.envelope.unit
        doc = {"rule": "supervision", "unit": unit, "units": list(p.supervised_units)}
        update = UpdateOne(_key("supervision", unit, p.supervision_id), {"$set": doc}, upsert=True)
        return [(ITEMS, update)]

    @staticmethod
    def _proposal_answered(event: Decoded[ProposalAnswered]) -> list[Write]:
        p = event.payload
        day, event_id = p.answered_on.isoformat(), str(event.envelope.event_id)
        return [_answer("proposal_answered", p.raised_by, p.proposal_id, day, event_id=event_id)]

    @staticmethod
    def _session(event: Decoded[Any]) -> list[Write]:
        return [(SESSIONS, write) for write in SessionStore.writes_for(event)]
