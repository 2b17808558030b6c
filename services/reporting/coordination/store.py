"""Reporting's own coordination documents, written with their events (outbox) or from the
events other instances publish (the coordination consumer), always by idempotent upserts.

- `declarations`: seats and delegates trained, staff: one document per declaration.
- `report_filings`: one per unit and period reported on.
- `work_tasks`: the work programme of the units this instance records for.
- `proposals`: proposals raised by the units served and those addressed to them (the inbox),
  with the answer once it is given; one per raising unit and proposal id (`proposal_key`), so
  units choosing the same id never meet.
- `coordination_positions`: the coordination consumer's Kafka positions.

Codes are reused across the 2025 reform by different councils, so every read keyed by a unit
code is scoped to one era by the document's own day (`in_era`): a declaration counts as a
stock only in the era of its `as_of`, a filing, task or proposal belongs to the era of its
filing, setting or raising day.

Documents are built from the payload in the current version's model (`Decoded.payload`, the
upcast one), never from the envelope's wire payload: an event read in an older version is
stored in today's shape, like one this instance wrote itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel
from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from contracts import Actor, Decoded, Envelope, EventDraft
from contracts.coordination import (
    CouncilDelegatesDeclared,
    CouncilStaffDeclared,
    ProposalAnswered,
    ProposalRaised,
    ReportFiled,
    TaskSet,
    TaskStatusChanged,
)
from services.common.activity import EmittingStore, done_by
from services.common.consumer import PositionStore
from services.common.hierarchy import REFORM_DATE, Era, era_of
from services.common.mongo import Document, bulk_by_collection
from services.common.outbox import Outbox
from services.reporting.coordination import inbox
from services.reporting.read.figures.coordination import (
    COUNCIL_SEATS,
    DELEGATES_TRAINED,
    STAFF_FULL_TIME,
    STAFF_PART_TIME,
)

DeclarationKind = Literal["delegates", "staff"]


def in_era(era: Era) -> Document:
    """A condition on an ISO day field: the days of `era`."""
    reform = REFORM_DATE.isoformat()
    return {"$lt": reform} if era == "legacy" else {"$gte": reform}


def declaration_key(event_type: str, unit: str, declaration_id: str) -> str:
    kind = "delegates" if event_type == CouncilDelegatesDeclared.TYPE else "staff"
    return f"{kind}:{unit}:{declaration_id}"


Event = Decoded[BaseModel]


def _read(event: Event) -> tuple[Envelope, Document]:
    """The envelope and the payload in the current version's shape (JSON values)."""
    return event.envelope, event.payload.model_dump(mode="json")


def declaration_doc(event: Event) -> tuple[str, Document]:
    """(_id, document) of a declaration event."""
    envelope, p = _read(event)
    if envelope.type == CouncilDelegatesDeclared.TYPE:
        kind: DeclarationKind = "delegates"
        figures = {COUNCIL_SEATS.key: p["seats"], DELEGATES_TRAINED.key: p["delegates_trained"]}
    else:
        kind = "staff"
        figures = {STAFF_FULL_TIME.key: p["full_time"], STAFF_PART_TIME.key: p["part_time"]}
    doc: Document = {
        "kind": kind,
        "unit": envelope.unit,
        "declaration_id": p["declaration_id"],
        "as_of": p["as_of"],
        "term": p.get("term"),
        "figures": figures,
        "declared_at": envelope.recorded_at,
        "payload": p,
        "event_id": str(envelope.event_id),
        "recorded_by": done_by(envelope),
    }
    return declaration_key(envelope.type, envelope.unit, p["declaration_id"]), doc


def filing_doc(event: Event) -> tuple[str, Document]:
    envelope, p = _read(event)
    doc: Document = {
        "unit": envelope.unit,
        "period": p["period"],
        "obligation": p["obligation"],
        "due_on": p["due_on"],
        "filed_on": p["filed_on"],
        "report_id": p["report_id"],
        "payload": p,
        "event_id": str(envelope.event_id),
        "recorded_by": done_by(envelope),
    }
    return f"{envelope.unit}:{p['period']}", doc


def raised_fields(event: Event) -> Document:
    envelope, p = _read(event)
    return {
        "proposal_id": p["proposal_id"],
        "raised_by": envelope.unit,
        "to_unit": p["to_unit"],
        "kind": p["kind"],
        "title": p["title"],
        "content": p.get("content"),
        "raised_on": p["raised_on"],
        "event_id": str(envelope.event_id),
        "recorded_by": done_by(envelope),
    }


def proposal_key(raised_by: str, proposal_id: str) -> str:
    """A proposal's identity: the unit that raised it and the id it chose (unit codes are
    digits, so the first colon ends the unit)."""
    return f"{raised_by}:{proposal_id}"


def answer_of(unit: str, payload: Document, event_id: str, by: Actor | None) -> Document:
    """The answer `unit` gave (and `by` whom, when its event says), as a proposal keeps it,
    whether written here or read."""
    given = {
        "answered_by": unit,
        "answered_on": payload["answered_on"],
        "answer": payload["answer"],
        "event_id": event_id,
    }
    return given if by is None else {**given, "by": by.model_dump()}


class CoordinationStore(EmittingStore):
    def __init__(self, db: AsyncDatabase[Document], outbox: Outbox, topic: str) -> None:
        super().__init__(outbox, topic)
        self.declarations = db["declarations"]
        self.filings = db["report_filings"]
        self.tasks = db["work_tasks"]
        self.proposals = db["proposals"]
        self.positions = PositionStore(db["coordination_positions"])

    async def create_indexes(self) -> None:
        await self.declarations.create_index(
            [("kind", ASCENDING), ("unit", ASCENDING), ("as_of", DESCENDING)]
        )
        await self.filings.create_index([("unit", ASCENDING), ("period", ASCENDING)])
        await self.tasks.create_index([("unit", ASCENDING), ("period", ASCENDING)])
        await self.proposals.create_index([("to_unit", ASCENDING), ("raised_on", ASCENDING)])
        await self.proposals.create_index([("raised_by", ASCENDING), ("raised_on", ASCENDING)])
        await self.proposals.create_index([("to_unit", ASCENDING), ("proposal_id", ASCENDING)])

    async def scope_proposal_ids(self, answerers: Callable[[str, date], list[str]]) -> int:
        """Give the proposals stored before ids were scoped (`_id` the bare proposal id) their
        key and who may answer them; how many moved. Safe to run again, also if cut short."""
        moved = 0
        async for doc in self.proposals.find({"$expr": {"$eq": ["$_id", "$proposal_id"]}}):
            scoped = {k: v for k, v in doc.items() if k != "_id"}
            if "to_unit" in doc:
                raised_on = date.fromisoformat(doc["raised_on"])
                scoped["answerable_by"] = answerers(doc["to_unit"], raised_on)
            if "answer" in doc:  # the addressee answered: it was the only one who could
                scoped["answer"] = {"answered_by": doc["to_unit"], **doc["answer"]}
            key = proposal_key(doc["raised_by"], doc["proposal_id"])
            await self.proposals.update_one({"_id": key}, {"$setOnInsert": scoped}, upsert=True)
            await self.proposals.delete_one({"_id": doc["_id"]})
            moved += 1
        return moved

    # -- writes with their events (one transaction, given by the caller) ------------------------

    async def declare(self, session: AsyncClientSession, draft: EventDraft) -> Envelope:
        assert isinstance(draft.payload, CouncilDelegatesDeclared | CouncilStaffDeclared)
        envelope = await self.emit_one(session, draft)
        key, doc = declaration_doc(Decoded(envelope, draft.payload))
        await self.declarations.insert_one({"_id": key, **doc, **_recorded()}, session=session)
        return envelope

    async def file_report(self, session: AsyncClientSession, draft: EventDraft) -> Envelope:
        assert isinstance(draft.payload, ReportFiled)
        envelope = await self.emit_one(session, draft)
        key, doc = filing_doc(Decoded(envelope, draft.payload))
        await self.filings.insert_one({"_id": key, **doc, **_recorded()}, session=session)
        return envelope

    async def set_task(self, session: AsyncClientSession, draft: EventDraft) -> Envelope:
        task = draft.payload
        assert isinstance(task, TaskSet)
        envelope = await self.emit_one(session, draft)
        await self.tasks.insert_one(
            {
                "_id": f"{draft.unit}:{task.task_id}",
                "unit": draft.unit,
                **task.model_dump(mode="json"),
                "status": "planned",
                "history": [],
                "event_id": str(envelope.event_id),
                "recorded_by": done_by(envelope),
                **_recorded(),
            },
            session=session,
        )
        return envelope

    async def change_task(self, session: AsyncClientSession, draft: EventDraft) -> Envelope | None:
        """Move the task on, unless another change moved it first (None: nothing written)."""
        change = draft.payload
        assert isinstance(change, TaskStatusChanged)
        moved = await self.tasks.update_one(
            {"_id": f"{draft.unit}:{change.task_id}", "status": change.previous_status.value},
            {
                "$set": {"status": change.status.value, "status_on": change.changed_on.isoformat()},
                "$push": {
                    "history": {
                        **change.model_dump(mode="json"),
                        "by": None if draft.actor is None else draft.actor.model_dump(),
                    }
                },
            },
            session=session,
        )
        if moved.modified_count != 1:
            return None
        return await self.emit_one(session, draft)

    async def raise_proposal(self, session: AsyncClientSession, draft: EventDraft) -> Envelope:
        assert isinstance(draft.payload, ProposalRaised)
        envelope = await self.emit_one(session, draft)
        fields = raised_fields(Decoded(envelope, draft.payload))
        key = proposal_key(fields["raised_by"], fields["proposal_id"])
        await self.proposals.insert_one(
            {"_id": key, **fields, "status": "raised", **_recorded()}, session=session
        )
        return envelope

    async def answer_proposal(
        self, session: AsyncClientSession, draft: EventDraft
    ) -> Envelope | None:
        """Mark the proposal answered, unless it already is (None: nothing written)."""
        answered = draft.payload
        assert isinstance(answered, ProposalAnswered)
        payload = answered.model_dump(mode="json")
        given = answer_of(draft.unit, payload, str(draft.event_id), draft.actor)
        done = await self.proposals.update_one(
            {"_id": proposal_key(answered.raised_by, answered.proposal_id), "status": "raised"},
            {"$set": {"status": "answered", "answer": given}},
            session=session,
        )
        if done.modified_count != 1:
            return None
        return await self.emit_one(session, draft)

    # -- what the coordination consumer applies ------------------------------------------------

    @staticmethod
    def declaration_upsert(event: Event) -> UpdateOne:
        key, doc = declaration_doc(event)
        return UpdateOne({"_id": key}, {"$setOnInsert": doc}, upsert=True)

    @staticmethod
    def filing_upsert(event: Event) -> UpdateOne:
        key, doc = filing_doc(event)
        return UpdateOne({"_id": key}, {"$setOnInsert": doc}, upsert=True)

    @staticmethod
    def raised_upsert(event: Event, answerable_by: list[str]) -> UpdateOne:
        """Raised and answered may arrive in either order (different keys, partitions)."""
        fields = raised_fields(event)
        key = proposal_key(fields["raised_by"], fields["proposal_id"])
        return UpdateOne({"_id": key}, inbox.raise_update(fields, answerable_by), upsert=True)

    @staticmethod
    def answered_upsert(event: Event) -> UpdateOne:
        envelope, p = _read(event)
        given = answer_of(envelope.unit, p, str(envelope.event_id), envelope.actor)
        key = proposal_key(p["raised_by"], p["proposal_id"])
        return UpdateOne({"_id": key}, inbox.answer_update(p, given), upsert=True)

    async def apply(
        self, session: AsyncClientSession, writes: Sequence[tuple[str, UpdateOne]]
    ) -> None:
        await bulk_by_collection(session, writes, lambda name: getattr(self, name))

    # -- reads -----------------------------------------------------------------------------------

    async def find_task(self, unit: str, task_id: str) -> Document | None:
        return await self.tasks.find_one({"_id": f"{unit}:{task_id}"})

    async def find_proposal(self, raised_by: str, proposal_id: str) -> Document | None:
        return await self.proposals.find_one({"_id": proposal_key(raised_by, proposal_id)})

    async def find_received(
        self, unit: str, proposal_id: str, raised_by: str | None
    ) -> list[Document]:
        """The proposals `proposal_id` addressed to `unit` (by `raised_by`, if given)."""
        query: Document = {"to_unit": unit, "proposal_id": proposal_id}
        if raised_by is not None:
            query["_id"] = proposal_key(raised_by, proposal_id)
        return await self.proposals.find(query).limit(10).to_list()

    async def find_filing(self, unit: str, period: str) -> Document | None:
        return await self.filings.find_one({"_id": f"{unit}:{period}"})

    async def find_declaration(self, key: str) -> Document | None:
        return await self.declarations.find_one({"_id": key})

    async def list_proposals(
        self, unit: str, era: Era, direction: Literal["raised", "received"], limit: int
    ) -> list[Document]:
        query: Document = {"raised_on": in_era(era), "to_unit": unit}
        if direction == "raised":  # without `to_unit`, answers came but not the proposal yet
            query.update(raised_by=unit, to_unit={"$exists": True})
        hidden = {"recorded_at": 0, "answerable_by": 0, "early_answers": 0}
        cursor = self.proposals.find(query, hidden)
        return await cursor.sort("raised_on", ASCENDING).limit(limit).to_list()

    async def list_tasks(
        self, unit: str, era: Era, period: str | None, limit: int
    ) -> list[Document]:
        query: Document = {"unit": unit, "set_on": in_era(era)}
        if period:
            query["period"] = period
        cursor = self.tasks.find(query, {"recorded_at": 0, "_id": 0})
        return await cursor.sort("set_on", ASCENDING).limit(limit).to_list()

    async def list_filings(self, unit: str, era: Era, limit: int) -> list[Document]:
        query = {"unit": unit, "filed_on": in_era(era)}
        cursor = self.filings.find(query, {"_id": 0, "recorded_at": 0})
        return await cursor.sort("due_on", ASCENDING).limit(limit).to_list()

    async def declarations_in_force(
        self, kind: DeclarationKind, units: Iterable[str], on: date, term: str | None = None
    ) -> dict[str, dict[str, int]]:
        """Per unit, the figures of its latest declaration of `kind` as of `on` (and of `term`,
        for delegates): a stock, summed by the caller. Only declarations of the era of `on`
        count: a legacy council's stock ends with it, and the 2025 unit reusing its code
        starts with none."""
        query: Document = {
            "kind": kind,
            "unit": {"$in": sorted(set(units))},
            "as_of": {"$lte": on.isoformat(), **in_era(era_of(on))},
        }
        if term is not None:
            query["term"] = term
        pipeline: list[Document] = [
            {"$match": query},
            {"$sort": {"unit": 1, "as_of": -1, "declared_at": -1, "_id": -1}},
            {"$group": {"_id": "$unit", "figures": {"$first": "$figures"}}},
        ]
        cursor = await self.declarations.aggregate(pipeline)
        return {d["_id"]: d["figures"] async for d in cursor}

    async def filed(self, units: Iterable[str], periods: Iterable[str]) -> set[tuple[str, str]]:
        """(unit, period) pairs with a filed report, by the council that owed it: one filed in
        another era than its due date's (by a namesake of the owing unit) does not count."""
        query = {"unit": {"$in": sorted(set(units))}, "period": {"$in": sorted(set(periods))}}
        fields = {"unit": 1, "period": 1, "filed_on": 1, "due_on": 1}
        return {
            (d["unit"], d["period"])
            async for d in self.filings.find(query, fields)
            if era_of(date.fromisoformat(d["filed_on"])) == era_of(date.fromisoformat(d["due_on"]))
        }


def _recorded() -> Document:
    return {"recorded_at": datetime.now(UTC)}


def jsonable(doc: Document) -> dict[str, Any]:
    """A stored document as an API answer (no Mongo-only fields)."""
    return {k: v for k, v in doc.items() if k not in ("recorded_at", "_id")}
