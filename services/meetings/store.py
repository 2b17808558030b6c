"""The meetings service's own MongoDB documents (collection `meetings`).

One document per meeting, whatever its state:

    _id (meeting_id), unit, kind, status (scheduled | held | cancelled), day (held on, else
    planned for), plan (the `meeting.scheduled` payload, if it was scheduled), meeting (the
    held content, if held) with its `version`, session_key (while not cancelled), cancellation,
    corrections (how many), event_id (of the latest event), recorded_at, updated_at,
    recorded_by (the actor of its first event: người ghi nhận) and by (the actor of each step:
    scheduled, held, cancelled, corrected (the latest); none before actors were kept)

Every write that emits an event appends it to the outbox in the caller's transaction. The held
content is kept as its event's payload version and read back in the current shape through the
same upcasters consumers use, so the API never answers in two shapes. A unique index on
(unit, session_key) refuses a second kỳ họp with the same number in one term.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from contracts import REGISTRY, Envelope, EventDraft
from contracts.meetings import (
    MeetingCancelled,
    MeetingCorrected,
    MeetingHeld,
    MeetingScheduled,
)
from services.common.activity import EmittingStore, days_between, done_by
from services.common.mongo import Document
from services.common.outbox import Outbox
from services.meetings.domain import MeetingState, Status, session_key

SESSION_INDEX = "one_session_per_number_in_term"


class MeetingStore(EmittingStore):
    def __init__(self, db: AsyncDatabase[Document], outbox: Outbox, topic: str) -> None:
        super().__init__(outbox, topic)
        self.meetings = db["meetings"]

    async def create_indexes(self) -> None:
        await self._adopt_documents_before_the_lifecycle()
        await self.meetings.create_index([("unit", ASCENDING), ("day", ASCENDING)])
        await self.meetings.create_index(
            [("unit", ASCENDING), ("session_key", ASCENDING)],
            name=SESSION_INDEX,
            unique=True,
            partialFilterExpression={"session_key": {"$type": "string"}},
        )

    async def _adopt_documents_before_the_lifecycle(self) -> None:
        """Documents written before scheduling existed were all held meetings of v1."""
        await self.meetings.update_many(
            {"status": {"$exists": False}},
            [{"$set": {"status": Status.HELD.value, "day": "$held_on", "version": 1}}],
        )

    async def find(self, meeting_id: str) -> Document | None:
        """The document with its held content in the current shape."""
        doc = await self.meetings.find_one({"_id": meeting_id})
        return None if doc is None else _current(doc)

    async def state(self, session: AsyncClientSession, meeting_id: str) -> MeetingState | None:
        """The meeting as the domain sees it, read inside the caller's transaction."""
        doc = await self.meetings.find_one({"_id": meeting_id}, session=session)
        return None if doc is None else state_of(_current(doc))

    async def record(self, session: AsyncClientSession, draft: EventDraft) -> Envelope:
        """Insert a meeting held without being scheduled, and its `meeting.held` event."""
        payload = draft.payload
        assert isinstance(payload, MeetingHeld)
        meeting = payload.meeting
        return await self._insert(
            session, draft, meeting.meeting_id, meeting.kind, _held_fields(payload)
        )

    async def schedule(self, session: AsyncClientSession, draft: EventDraft) -> Envelope:
        """Insert a scheduled meeting and its `meeting.scheduled` event."""
        plan = draft.payload
        assert isinstance(plan, MeetingScheduled)
        key = session_key(plan)
        fields = {
            "status": Status.SCHEDULED.value,
            "day": plan.scheduled_for.isoformat(),
            "plan": plan.model_dump(mode="json"),
            **({"session_key": key} if key else {}),
        }
        return await self._insert(session, draft, plan.meeting_id, plan.kind.value, fields)

    async def hold(self, session: AsyncClientSession, draft: EventDraft) -> Envelope:
        """A scheduled meeting is now held, with its `meeting.held` event."""
        payload = draft.payload
        assert isinstance(payload, MeetingHeld)
        return await self._update(
            session, draft, payload.meeting.meeting_id, {"$set": _held_fields(payload)}, "held"
        )

    async def cancel(self, session: AsyncClientSession, draft: EventDraft) -> Envelope:
        """A scheduled meeting is cancelled (its session number is free again)."""
        event = draft.payload
        assert isinstance(event, MeetingCancelled)
        change = {
            "$set": {
                "status": Status.CANCELLED.value,
                "cancellation": {
                    "reason": event.reason,
                    "cancelled_on": event.cancelled_on.isoformat(),
                },
            },
            "$unset": {"session_key": ""},
        }
        return await self._update(session, draft, event.meeting_id, change, "cancelled")

    async def correct(self, session: AsyncClientSession, draft: EventDraft) -> Envelope:
        """A held meeting's content replaced by its correction, with `meeting.corrected`."""
        event = draft.payload
        assert isinstance(event, MeetingCorrected)
        held = _held_fields(MeetingHeld(meeting=event.corrected))
        change: Document = {"$set": {**held, "kind": event.corrected.kind}}
        change["$inc"] = {"corrections": 1}
        if "session_key" not in held:
            change["$unset"] = {"session_key": ""}
        return await self._update(session, draft, event.meeting_id, change, "corrected")

    async def list(
        self,
        unit: str,
        start: date | None,
        end: date | None,
        limit: int,
        status: Status | None = None,
    ) -> list[dict[str, Any]]:
        """Meetings of `unit` by day (held on, else planned for), oldest first."""
        query: Document = {"unit": unit}
        if start or end:
            query["day"] = days_between(start, end)
        if status is not None:
            query["status"] = status.value
        cursor = self.meetings.find(query).sort([("day", ASCENDING), ("_id", ASCENDING)])
        return [view(_current(d)) for d in await cursor.limit(limit).to_list()]

    async def _insert(
        self,
        session: AsyncClientSession,
        draft: EventDraft,
        meeting_id: str,
        kind: str,
        fields: Document,
    ) -> Envelope:
        """Insert a new meeting with its first event (DuplicateKeyError if the id is taken)."""
        envelope = await self.emit_one(session, draft)
        doc = {"_id": meeting_id, "unit": draft.unit, "kind": kind, **fields}
        by = done_by(envelope)
        doc.update(
            event_id=str(envelope.event_id),
            recorded_at=envelope.recorded_at,
            updated_at=envelope.recorded_at,
            recorded_by=by,
            by={fields["status"]: by},
        )
        await self.outbox.insert_record(session, self.meetings, doc)
        return envelope

    async def _update(
        self,
        session: AsyncClientSession,
        draft: EventDraft,
        meeting_id: str,
        change: Document,
        step: str,
    ) -> Envelope:
        envelope = await self.emit_one(session, draft)
        change.setdefault("$set", {}).update(
            {
                "event_id": str(envelope.event_id),
                "updated_at": envelope.recorded_at,
                f"by.{step}": done_by(envelope),
            }
        )
        result = await self.meetings.update_one({"_id": meeting_id}, change, session=session)
        assert result.matched_count == 1, meeting_id  # read in this same transaction
        return envelope


def is_session_number_taken(error: DuplicateKeyError) -> bool:
    """Whether a duplicate key is a session number rather than a meeting_id."""
    details = error.details or {}
    return "session_key" in (details.get("keyPattern") or {}) or SESSION_INDEX in str(error)


def state_of(doc: Document) -> MeetingState:
    """The domain's view of a document already in the current shape."""
    plan = doc.get("plan")
    held = doc.get("meeting")
    return MeetingState(
        meeting_id=doc["_id"],
        unit=doc["unit"],
        status=Status(doc["status"]),
        plan=None if plan is None else MeetingScheduled.model_validate(plan),
        held=None if held is None else MeetingHeld.model_validate({"meeting": held}).meeting,
    )


def view(doc: Document) -> dict[str, Any]:
    """What the API answers about one meeting: its content, state and latest event, and who
    recorded it and each step (null before actors were kept)."""
    content = doc.get("meeting") or doc["plan"]
    out: dict[str, Any] = {**content, "unit": doc["unit"], "status": doc["status"]}
    out["event_id"] = doc["event_id"]
    if doc.get("plan") is not None:
        out["scheduled_for"] = doc["plan"]["scheduled_for"]
    if doc.get("cancellation") is not None:
        out["cancellation"] = doc["cancellation"]
    out["corrections"] = doc.get("corrections", 0)
    out["recorded_by"] = doc.get("recorded_by")
    out["by"] = doc.get("by") or {}
    return out


def _held_fields(payload: MeetingHeld) -> Document:
    meeting = payload.meeting.model_dump(mode="json")
    key = session_key(payload.meeting)
    return {
        "status": Status.HELD.value,
        "day": meeting["held_on"],
        "held_on": meeting["held_on"],
        "meeting": meeting,
        "version": MeetingHeld.VERSION,
        **({"session_key": key} if key else {}),
    }


def _current(doc: Document) -> Document:
    """The document with its held content in the current version's shape."""
    if doc.get("meeting") is None:
        return doc
    lifted = REGISTRY.upcast(MeetingHeld.TYPE, doc.get("version", 1), {"meeting": doc["meeting"]})
    return {**doc, "meeting": lifted["meeting"]}
