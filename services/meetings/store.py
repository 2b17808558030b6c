"""The meetings service's own MongoDB documents (collection `meetings`)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from contracts import Envelope, EventDraft
from contracts.meetings import MeetingHeld
from services.common.mongo import Document
from services.common.outbox import Outbox


class MeetingStore:
    def __init__(self, db: AsyncDatabase[Document], outbox: Outbox, topic: str) -> None:
        self.meetings = db["meetings"]
        self.outbox = outbox
        self.topic = topic

    async def create_indexes(self) -> None:
        await self.meetings.create_index([("unit", ASCENDING), ("held_on", ASCENDING)])

    async def find(self, meeting_id: str) -> Document | None:
        return await self.meetings.find_one({"_id": meeting_id})

    async def record(self, session: AsyncClientSession, draft: EventDraft) -> Envelope:
        """Insert the meeting and its `meeting.held` event; caller provides the transaction."""
        payload = draft.payload
        assert isinstance(payload, MeetingHeld)
        meeting = payload.meeting.model_dump(mode="json")
        (envelope,) = await self.outbox.append(session, self.topic, [draft])
        await self.meetings.insert_one(
            {
                "_id": meeting["meeting_id"],
                "unit": draft.unit,
                "kind": meeting["kind"],
                "held_on": meeting["held_on"],
                "meeting": meeting,
                "event_id": str(envelope.event_id),
                "recorded_at": datetime.now(UTC),
            },
            session=session,
        )
        return envelope

    async def list(
        self, unit: str, start: date | None, end: date | None, limit: int
    ) -> list[dict[str, Any]]:
        query: Document = {"unit": unit}
        if start or end:
            query["held_on"] = {
                k: v.isoformat() for k, v in (("$gte", start), ("$lte", end)) if v is not None
            }
        cursor = self.meetings.find(query, {"_id": 0, "meeting": 1, "event_id": 1})
        docs = await cursor.sort("held_on", ASCENDING).limit(limit).to_list()
        return [{**d["meeting"], "event_id": d["event_id"]} for d in docs]
