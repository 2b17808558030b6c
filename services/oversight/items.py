"""Tracked items in the oversight database: supervision plans, recommendations, voter opinions
and petitions, one collection each, all of one shape, each change written with its events.

    {_id, unit, stage, raised_on, days: {stage: day}, opened: <opening payload>,
     steps: {stage: <step payload>}, event_ids: {stage: id}, by: {stage: actor},
     recorded_at, recorded_by}

`recorded_by` is who opened the item (người ghi nhận: the actor of its first event; for an
item a meeting opened, who recorded the meeting) and `by` who took each step; both absent on
items written before actors were kept, and an actor is null for an event without one.

Recommendations also keep `deadline` and `overdue` (for the sweep). Opinions and petitions
opened from a meeting also keep what corrections of that meeting did to them (`corrections`:
kind, event id, the `meeting.corrected` event id; `withdrawn_at_stage` once withdrawn), and
`applied_corrections` remembers every `meeting.corrected` the intake followed, so a
correction redelivered after a later one never undoes it. Every write here runs in the
caller's transaction together with the outbox rows of its events.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from contracts import Actor, Envelope, EventDraft
from services.common.activity import EmittingStore, days_between, done_by
from services.common.consumer import PositionStore
from services.common.errors import Conflict, NotFound
from services.common.mongo import Document
from services.common.outbox import Outbox
from services.oversight.tracking import (
    OPINION,
    PETITION,
    RECOMMENDATION,
    SUPERVISION,
    Lifecycle,
    OpenRecommendation,
    Tracked,
    advance,
)

_COLLECTION_OF = {
    SUPERVISION: "supervision_plans",
    RECOMMENDATION: "recommendations",
    OPINION: "opinions",
    PETITION: "petitions",
}
COLLECTIONS = tuple(_COLLECTION_OF.values())


def collection_of(lifecycle: Lifecycle) -> str:
    """Where the items of `lifecycle` are kept."""
    return _COLLECTION_OF[lifecycle]


def tracked_of(doc: Document) -> Tracked:
    days = {stage: date.fromisoformat(day) for stage, day in doc["days"].items()}
    return Tracked(
        doc["_id"], doc["unit"], doc["stage"], days, date.fromisoformat(doc["raised_on"])
    )


def new_item(
    item_id: str, unit: str, stage: str, day: date, opened: Document, **extra: Any
) -> Document:
    """The document of an item just opened at `stage` on `day`."""
    return {
        "_id": item_id,
        "unit": unit,
        "stage": stage,
        "raised_on": day.isoformat(),
        "days": {stage: day.isoformat()},
        "opened": opened,
        "steps": {},
        "event_ids": {},
        "recorded_at": datetime.now(UTC),
        **extra,
    }


def _opened_by(doc: Document, envelope: Envelope) -> None:
    """Note on a new item's document the event that opened it and who did it."""
    by = done_by(envelope)
    doc.update(event_ids={doc["stage"]: str(envelope.event_id)}, by={doc["stage"]: by})
    doc["recorded_by"] = by


@dataclass(frozen=True, slots=True)
class Taken:
    """A step as `ItemStore.step` took it: the item as it was read, the step's events (its
    own first) and their envelopes, none when it was a retry that wrote nothing."""

    item: Document
    drafts: list[EventDraft]
    envelopes: list[Envelope]


class ItemStore(EmittingStore):
    def __init__(self, db: AsyncDatabase[Document], outbox: Outbox, topic: str) -> None:
        super().__init__(outbox, topic)
        self.db = db
        self.positions = PositionStore(db["consumer_positions"])

    async def create_indexes(self) -> None:
        for name in COLLECTIONS:
            await self.db[name].create_index(
                [("unit", ASCENDING), ("raised_on", ASCENDING), ("stage", ASCENDING)]
            )
        for name in ("opinions", "petitions"):
            await self.db[name].create_index(
                [("opened.meeting_id", ASCENDING)],
                name="by_meeting",
                partialFilterExpression={"opened.meeting_id": {"$type": "string"}},
            )
        await self.db["recommendations"].create_index(
            [("deadline", ASCENDING)],
            name="open_by_deadline",
            partialFilterExpression={"stage": "issued", "overdue": False},
        )

    async def find(
        self, collection: str, item_id: str, session: AsyncClientSession | None = None
    ) -> Document | None:
        return await self.db[collection].find_one({"_id": item_id}, session=session)

    async def insert(
        self,
        session: AsyncClientSession,
        collection: str,
        docs: Sequence[Document],
        drafts: Sequence[EventDraft],
    ) -> list[Envelope]:
        """Open new items (DuplicateKeyError if an id is taken) with their events."""
        envelopes = await self.emit(session, drafts)
        await self._keep(session, collection, docs, envelopes)
        return envelopes

    async def issue_recommendations(
        self,
        session: AsyncClientSession,
        drafts: Sequence[EventDraft],
        envelopes: Sequence[Envelope],
    ) -> None:
        """Open the recommendations a finished supervision issued (`recommendation.issued`
        drafts), whose events `envelopes` are in the outbox already."""
        docs = []
        for draft in drafts:
            issued = draft.payload.model_dump(mode="json")
            day = date.fromisoformat(issued["issued_on"])
            item_id, deadline = issued["recommendation_id"], issued["deadline"]
            docs.append(
                new_item(
                    item_id, draft.unit, "issued", day, issued, deadline=deadline, overdue=False
                )
            )
        await self._keep(session, "recommendations", docs, envelopes)

    async def _keep(
        self,
        session: AsyncClientSession,
        collection: str,
        docs: Sequence[Document],
        envelopes: Sequence[Envelope],
    ) -> None:
        for doc, envelope in zip(docs, envelopes, strict=False):
            _opened_by(doc, envelope)
        for doc in docs:  # one by one: a taken id raises DuplicateKeyError
            await self.db[collection].insert_one(doc, session=session)

    async def open_unless_open(
        self, session: AsyncClientSession, collection: str, doc: Document, draft: EventDraft
    ) -> Envelope | None:
        """Open the item unless its id is tracked already (a redelivered source event)."""
        result = await self.db[collection].update_one(
            {"_id": doc["_id"]}, {"$setOnInsert": doc}, upsert=True, session=session
        )
        if result.upserted_id is None:
            return None
        envelope = await self.emit_one(session, draft)
        stage, by = doc["stage"], done_by(envelope)
        opened = {f"event_ids.{stage}": str(envelope.event_id), f"by.{stage}": by}
        await self.db[collection].update_one(
            {"_id": doc["_id"]}, {"$set": {**opened, "recorded_by": by}}, session=session
        )
        return envelope

    # -- following a corrected meeting ----------------------------------------------------

    async def of_meeting(
        self, session: AsyncClientSession, unit: str, meeting_id: str
    ) -> list[tuple[str, Document]]:
        """The opinions and petitions of `unit` opened from meeting `meeting_id`, any stage."""
        found: list[tuple[str, Document]] = []
        for name in ("opinions", "petitions"):
            cursor = self.db[name].find(
                {"opened.meeting_id": meeting_id, "unit": unit}, session=session
            )
            found.extend((name, doc) for doc in await cursor.sort("_id", ASCENDING).to_list())
        return found

    async def correction_applied(self, session: AsyncClientSession, event_id: str) -> bool:
        """Whether the intake already followed `meeting.corrected` `event_id`."""
        found = await self.db["applied_corrections"].find_one({"_id": event_id}, session=session)
        return found is not None

    async def remember_correction(
        self, session: AsyncClientSession, event_id: str, unit: str, meeting_id: str
    ) -> None:
        await self.db["applied_corrections"].insert_one(
            {
                "_id": event_id,
                "unit": unit,
                "meeting_id": meeting_id,
                "applied_at": datetime.now(UTC),
            },
            session=session,
        )

    async def follow_correction(
        self,
        session: AsyncClientSession,
        collection: str,
        item_id: str,
        kind: str,
        draft: EventDraft,
        fields: Document,
        cause: str,
        replace: Document | None = None,
    ) -> Envelope:
        """Record what a correction did to an item, with its event: `fields` to set, or
        (reopened) the item started again as `replace`, keeping its history."""
        envelope = await self.emit_one(session, draft)
        history: Document = {"kind": kind, "event_id": str(envelope.event_id)}
        history.update(meeting_event_id=cause, by=done_by(envelope))
        items = self.db[collection]
        if replace is not None:
            old = await items.find_one({"_id": item_id}, session=session)
            earlier = [] if old is None else old.get("corrections", [])
            _opened_by(replace, envelope)
            replace["corrections"] = [*earlier, history]
            await items.replace_one({"_id": item_id}, replace, session=session)
        else:
            await items.update_one(
                {"_id": item_id},
                {"$set": fields, "$push": {"corrections": history}},
                session=session,
            )
        return envelope

    async def step(
        self,
        session: AsyncClientSession,
        lifecycle: Lifecycle,
        collection: str,
        item_id: str,
        to: str,
        on: date,
        today: date,
        events: Callable[[Tracked, Document], list[EventDraft]],
    ) -> Taken:
        """Take the step `to` on `on`, deciding on the item as read in this transaction.
        `events` makes the step's events (the first is the step's own). A retry of the step
        already taken writes nothing (no envelopes); the same step with other details is a
        Conflict."""
        items = self.db[collection]
        doc = await items.find_one({"_id": item_id}, session=session)
        if doc is None:
            raise NotFound(f"{lifecycle.item}_id", f"no {lifecycle.item} {item_id}")
        item = tracked_of(doc)
        fresh = advance(lifecycle, item, to, on, today)
        drafts = events(item, doc)
        payload = drafts[0].payload.model_dump(mode="json")
        if not fresh:
            if doc["steps"].get(to) != payload:
                raise Conflict(
                    f"{lifecycle.item}_id",
                    f"{lifecycle.item} {item_id} was already {to} on {on} with other details",
                )
            return Taken(doc, drafts, [])
        envelopes = await self.emit(session, drafts)
        changes = {
            "stage": to,
            f"days.{to}": on.isoformat(),
            f"steps.{to}": payload,
            f"event_ids.{to}": str(envelopes[0].event_id),
            f"by.{to}": done_by(envelopes[0]),
        }
        await items.update_one(
            {"_id": item_id, "stage": item.stage}, {"$set": changes}, session=session
        )
        return Taken(doc, drafts, envelopes)

    async def listed(
        self,
        collection: str,
        unit: str,
        stage: str | None,
        start: date | None,
        end: date | None,
        limit: int,
    ) -> list[Document]:
        """Items of `unit` raised within [start, end] (at `stage` if given), oldest first."""
        query: Document = {"unit": unit}
        if stage:
            query["stage"] = stage
        if start or end:
            query["raised_on"] = days_between(start, end)
        cursor = self.db[collection].find(query, {"recorded_at": 0})
        return (
            await cursor.sort([("raised_on", ASCENDING), ("_id", ASCENDING)]).limit(limit).to_list()
        )

    # -- the overdue sweep -----------------------------------------------------------------

    async def open_recommendations_due_before(
        self, day: date, limit: int, session: AsyncClientSession | None = None
    ) -> list[OpenRecommendation]:
        cursor = self.db["recommendations"].find(
            {"stage": "issued", "overdue": False, "deadline": {"$lt": day.isoformat()}},
            session=session,
        )
        docs = await cursor.sort("deadline", ASCENDING).limit(limit).to_list()
        return [
            OpenRecommendation(
                recommendation_id=d["_id"],
                supervision_id=d["opened"]["supervision_id"],
                unit=d["unit"],
                issued_on=date.fromisoformat(d["raised_on"]),
                deadline=date.fromisoformat(d["deadline"]),
                implemented=d["stage"] != "issued",
                overdue=bool(d.get("overdue")),
            )
            for d in docs
        ]

    async def mark_overdue(
        self,
        session: AsyncClientSession,
        drafts: Sequence[tuple[str, EventDraft]],
        actor: Actor | None = None,
    ) -> list[Envelope]:
        if not drafts:
            return []
        envelopes = await self.emit(session, [d for _, d in drafts], actor)
        if drafts:
            await self.db["recommendations"].bulk_write(
                [
                    UpdateOne(
                        {"_id": item_id, "stage": "issued", "overdue": False},
                        {
                            "$set": {
                                "overdue": True,
                                "event_ids.overdue": str(e.event_id),
                                "by.overdue": done_by(e),
                            }
                        },
                    )
                    for (item_id, _), e in zip(drafts, envelopes, strict=True)
                ],
                session=session,
            )
        return envelopes
