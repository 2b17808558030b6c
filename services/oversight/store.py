"""The oversight service's own MongoDB documents (collection `supervisions`).

Each document keeps the supervision as its event's payload, with that payload's version;
documents written under an older version are read back in the current shape through the same
upcasters consumers use, so the API never answers in two shapes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from contracts import REGISTRY, Envelope, EventDraft
from contracts.oversight import SupervisionFinished
from services.common.activity import EmittingStore, days_between, done_by
from services.common.mongo import Document
from services.common.outbox import Outbox


class SupervisionStore(EmittingStore):
    def __init__(self, db: AsyncDatabase[Document], outbox: Outbox, topic: str) -> None:
        super().__init__(outbox, topic)
        self.supervisions = db["supervisions"]

    async def create_indexes(self) -> None:
        await self.supervisions.create_index([("unit", ASCENDING), ("finished_on", ASCENDING)])

    async def find(self, supervision_id: str) -> Document | None:
        doc = await self.supervisions.find_one({"_id": supervision_id})
        return None if doc is None else {**doc, "supervision": _current(doc)}

    async def record(self, session: AsyncClientSession, draft: EventDraft) -> Envelope:
        """Insert the supervision and its `supervision.finished` event; caller provides the
        transaction."""
        envelope = await self.emit_one(session, draft)
        await self.remember(session, draft, envelope)
        return envelope

    async def remember(
        self, session: AsyncClientSession, draft: EventDraft, envelope: Envelope
    ) -> None:
        """Insert the finished supervision whose event `envelope` is already in the outbox."""
        payload = draft.payload
        assert isinstance(payload, SupervisionFinished)
        supervision = payload.model_dump(mode="json")
        await self.outbox.insert_record(
            session,
            self.supervisions,
            {
                "_id": supervision["supervision_id"],
                "unit": draft.unit,
                "activity": supervision["activity"],
                "finished_on": supervision["finished_on"],
                "supervision": supervision,
                "version": draft.version,
                "event_id": str(envelope.event_id),
                "recorded_at": datetime.now(UTC),
                "recorded_by": done_by(envelope),
            },
        )

    async def list(
        self, unit: str, start: date | None, end: date | None, limit: int
    ) -> list[dict[str, Any]]:
        """Supervisions of `unit` that finished within [start, end], oldest first."""
        query: Document = {"unit": unit}
        if start or end:
            query["finished_on"] = days_between(start, end)
        fields = {"_id": 0, "supervision": 1, "version": 1, "event_id": 1, "recorded_by": 1}
        cursor = self.supervisions.find(query, fields)
        docs = await cursor.sort("finished_on", ASCENDING).limit(limit).to_list()
        return [
            {**_current(d), "event_id": d["event_id"], "recorded_by": d.get("recorded_by")}
            for d in docs
        ]


def _current(doc: Document) -> dict[str, Any]:
    """The stored supervision in the current version's shape (documents before v2 have no
    `version`: they were v1)."""
    return REGISTRY.upcast(SupervisionFinished.TYPE, doc.get("version", 1), doc["supervision"])
