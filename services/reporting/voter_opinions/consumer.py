"""The consumer that keeps reporting's register of voters' opinions (services.reporting.
voter_opinions.store): opinions and their steps from the oversight topic, voter contacts and
sessions from the meetings topic, groups from the reporting topic.

Only the few event types it keeps are decoded: a record whose `event-type` header names
another type is passed over unread (the projector reads everything anyway), so the cost of a
second consumer is that of the opinions, not of every record. What it reads goes through the
consumer pipeline (decoded, signature verified); a group is held to the rules of
`coordination.owners` (its opinions are of its level's unit or below), and one that breaks
them is skipped here and dead-lettered by the projector, which reads the same topic. The
writes and the positions commit in one transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel

from contracts import Decoded, Envelope
from contracts import oversight as ov
from contracts.meetings import (
    MeetingCancelled,
    MeetingCorrected,
    MeetingHeld,
    MeetingKind,
    MeetingScheduled,
)
from contracts.opinions import GROUP_EVENTS
from contracts.privacy import PersonalDataErased
from contracts.signing import Lineage
from contracts.versioning import event_type
from services.common.consumer import Record
from services.common.hierarchy import Hierarchy
from services.common.logging import get_logger
from services.common.mongo import Document
from services.common.pipeline import Consuming, Dispatch, Pipeline, claiming
from services.reporting.coordination import owners
from services.reporting.voter_opinions import store as s
from services.reporting.voter_opinions.receipts import receipt_code
from services.reporting.voter_opinions.store import VoterOpinionStore, Write

log = get_logger()
Step = Callable[[Envelope, Document], list[Write]]


class VoterOpinionConsumer:
    def __init__(
        self,
        context: Consuming,
        store: VoterOpinionStore,
        lineage: Lineage,
        hierarchy: Hierarchy,
    ) -> None:
        self.store = store
        self.lineage = lineage
        self.hierarchy = hierarchy
        self.pipeline = Pipeline(context, store.positions, dead_letters="faults")
        steps: dict[type[BaseModel], Step] = {
            MeetingHeld: self._held,
            MeetingCorrected: self._corrected,
            MeetingScheduled: self._scheduled,
            MeetingCancelled: self._cancelled,
            ov.OpinionReceived: self._received,
            ov.OpinionForwarded: lambda e, p: _step(e, p, "forwarded", agency=p["agency"]),
            ov.OpinionAnswered: lambda e, p: _step(e, p, "answered", answer=p.get("answer")),
            ov.OpinionResolved: lambda e, p: _step(e, p, "resolved", result=p.get("result")),
            ov.OpinionWithdrawn: self._withdrawn,
            ov.OpinionMoved: self._moved,
            **dict.fromkeys(GROUP_EVENTS, self._group),
            PersonalDataErased: self._erased,
        }
        self.wanted = frozenset(event_type(model) for model in steps)
        self.dispatch = Dispatch[Step](steps, otherwise=lambda *_: [])

    def lineage_of(self, unit: str, day: date) -> list[str]:
        """The unit and those above it on `day` (the unit alone if the tree has none)."""
        return list(self.lineage(unit, day) or (unit,))

    def writes_for(self, event: Decoded[Any]) -> list[Write]:
        owners.check(self.lineage, event)
        return self.dispatch.of(event)(event.envelope, event.payload.model_dump(mode="json"))

    def _held(self, envelope: Envelope, p: Document) -> list[Write]:
        return _meeting(envelope.unit, p["meeting"], "held")

    def _corrected(self, envelope: Envelope, p: Document) -> list[Write]:
        return _meeting(envelope.unit, p["corrected"], "held")

    def _scheduled(self, envelope: Envelope, p: Document) -> list[Write]:
        if p["kind"] != MeetingKind.SESSION:
            return []
        update = s.session_at(
            envelope.unit, p["meeting_id"], p["session"], p["scheduled_for"], "scheduled"
        )
        return [(s.SESSIONS, update)]

    def _cancelled(self, envelope: Envelope, p: Document) -> list[Write]:
        if p["kind"] != MeetingKind.SESSION:
            return []
        return [(s.SESSIONS, s.session_cancelled(envelope.unit, p["meeting_id"]))]

    def _received(self, envelope: Envelope, p: Document) -> list[Write]:
        unit, day = envelope.unit, date.fromisoformat(p["raised_on"])
        code = receipt_code(self.store.receipt_key, unit, p["opinion_id"])
        return [(s.OPINIONS, s.opinion_opened(envelope, p, self.lineage_of(unit, day), code))]

    def _withdrawn(self, envelope: Envelope, p: Document) -> list[Write]:
        return _step(envelope, p, "withdrawn", withdrawn_at=p["stage"])

    def _moved(self, envelope: Envelope, p: Document) -> list[Write]:
        lineage = self.lineage_of(envelope.unit, date.fromisoformat(p["raised_on"]))
        return [(s.OPINIONS, s.opinion_moved(envelope.unit, p, lineage))]

    def _erased(self, envelope: Envelope, p: Document) -> list[Write]:
        """The fields of documents of the erasing unit or below (a document's id starts with
        its unit or level): a key erases nothing beside or above its unit."""
        scope = envelope.unit
        return [
            w
            for f in p["fields"]
            if within(self.hierarchy, f["document_id"].split(":", 1)[0], scope)
            and (w := s.erased(f)) is not None
        ]

    def _group(self, envelope: Envelope, p: Document) -> list[Write]:
        lineage = self.lineage_of(envelope.unit, envelope.business_day)
        return [(s.GROUPS, w) for w in s.group_writes(envelope, p, lineage)]

    async def handle(self, records: Sequence[Record]) -> None:
        started = time.perf_counter()
        kept = claiming(records, self.wanted)
        writes, skipped = self.pipeline.judge(kept, self.writes_for)
        for letter in skipped:
            log.debug("voter_opinions_skipped", reason=letter.reason, offset=letter.record.offset)
        await self.pipeline.commit(
            records, skipped, lambda session: self.store.apply(session, writes)
        )
        elapsed = round((time.perf_counter() - started) * 1000, 1)
        log.info("voter_opinions_batch", count=len(records), read=len(kept), latency_ms=elapsed)


def within(hierarchy: Hierarchy, unit: str, scope: str) -> bool:
    """Whether `unit` is `scope` or below it, in either era (an erasure reaches both)."""
    return unit == scope or any(
        hierarchy.find(unit, era) is not None
        and hierarchy.find(scope, era) is not None
        and hierarchy.is_within(unit, scope, era)
        for era in ("2025", "legacy")
    )


def _step(envelope: Envelope, p: Document, stage: str, **fields: Any) -> list[Write]:
    day = p.get(f"{stage}_on") or envelope.business_day.isoformat()
    return [(s.OPINIONS, s.opinion_step(envelope, p, stage, day, fields))]


def _meeting(unit: str, meeting: Document, status: str) -> list[Write]:
    """A voter contact or a session as held (or corrected); other meetings change nothing."""
    if meeting["kind"] == MeetingKind.VOTER_CONTACT:
        return [(s.CONTACTS, s.contact_held(unit, meeting))]
    if meeting["kind"] == MeetingKind.SESSION:
        update = s.session_at(unit, meeting["meeting_id"], meeting, meeting["held_on"], status)
        return [(s.SESSIONS, update)]
    return []
