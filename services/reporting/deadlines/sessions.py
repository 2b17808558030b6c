"""The regular sessions (kỳ họp thường lệ) each council scheduled, from the meetings topic
(`meeting.scheduled` of kind session, `meeting.cancelled`, `meeting.held`): what a rule
"N days before the session the report is for" needs (`scheduled_sessions`, reporting's own,
written by the notifier's consumer with its positions)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from contracts import Decoded, MeetingCancelled, MeetingHeld, MeetingScheduled
from contracts.meetings import MeetingKind
from services.common.mongo import Document


class SessionStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.sessions = db["scheduled_sessions"]

    async def create_indexes(self) -> None:
        await self.sessions.create_index([("unit", ASCENDING), ("day", ASCENDING)])

    async def days_of(
        self, units: Iterable[str], since: date, until: date
    ) -> dict[str, list[date]]:
        """Per unit, the days of its regular sessions between `since` and `until`."""
        query = {
            "unit": {"$in": sorted(set(units))},
            "day": {"$gte": since.isoformat(), "$lte": until.isoformat()},
            "cancelled": False,
        }
        found: dict[str, list[date]] = {}
        async for doc in self.sessions.find(query, {"unit": 1, "day": 1}):
            found.setdefault(doc["unit"], []).append(date.fromisoformat(doc["day"]))
        return found

    @staticmethod
    def writes_for(event: Decoded[Any]) -> list[UpdateOne]:
        """What a meetings event changes here: regular sessions only."""
        envelope, payload = event.envelope, event.payload
        key = {"_id": f"{envelope.unit}:{getattr(payload, 'meeting_id', '')}"}
        if isinstance(payload, MeetingScheduled):
            plan = payload.session
            if plan is None or plan.session_type != "regular":
                return []
            doc = {"unit": envelope.unit, "day": payload.scheduled_for.isoformat()}
            return [UpdateOne(key, {"$set": {**doc, "cancelled": False}}, upsert=True)]
        if isinstance(payload, MeetingCancelled) and payload.kind == MeetingKind.SESSION:
            return [UpdateOne(key, {"$set": {"cancelled": True}})]
        if isinstance(payload, MeetingHeld) and payload.meeting.kind == "session":
            held = payload.meeting
            if getattr(held, "session_type", None) != "regular":
                return []
            held_doc = {"unit": envelope.unit, "day": held.held_on.isoformat()}
            return [UpdateOne(key, {"$set": {**held_doc, "cancelled": False}}, upsert=True)]
        return []
