"""The documents of what an instance recorded after its backup, written again from its own
events on the topics (`hdnd restore`, see deploy/replay.py).

Every document a service writes is written with its event, in one transaction, by the
service's store (services/*/store.py, items.py, coordination/store.py). Replay runs the same
store methods on the event as recorded, with an outbox that hands back that very event
(`Replaying`) instead of sealing a new one: the documents come out as they were, with the
event ids they had, and nothing is published again. Events of one transaction (a finished
supervision and the recommendations it issued) are replayed together, oldest first.

What the oversight intake did (items opened from voter contacts and receptions, items that
followed a corrected meeting) is replayed the same way, and the corrections it followed are
remembered, so the intake, reading on from its restored position, opens and follows nothing
twice.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any, cast

from pymongo import AsyncMongoClient, ReplaceOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from contracts import (
    Actor,
    Decoded,
    Envelope,
    EventDraft,
    Source,
    coordination,
    hierarchy,
    meetings,
    oversight,
)
from contracts.privacy import PersonalDataErased
from contracts.versioning import event_version
from services.common.errors import DomainError
from services.common.logging import get_logger
from services.common.mongo import Document, in_transaction
from services.common.outbox import Outbox
from services.common.settings import Settings
from services.meetings.store import MeetingStore
from services.oversight.intake import KINDS, WITHDRAWN, Correction, Opening, reconcile
from services.oversight.items import ItemStore, collection_of, new_item
from services.oversight.store import SupervisionStore
from services.oversight.tracking import (
    OPINION,
    PETITION,
    RECOMMENDATION,
    SUPERVISION,
    Lifecycle,
)
from services.reporting.coordination.store import CoordinationStore

log = get_logger()
Event = Decoded[Any]
Apply = Callable[[AsyncClientSession, list[Event]], Awaitable[None]]
HDND_NUMBER = re.compile(r"^(\d+)/BC-HĐND$")  # how a number hdnd allocated is filed

STEPS: dict[str, tuple[Lifecycle, str, str]] = {  # type → (lifecycle, stage, id field)
    oversight.SupervisionStarted.TYPE: (SUPERVISION, "started", "supervision_id"),
    oversight.RecommendationImplemented.TYPE: (RECOMMENDATION, "implemented", "recommendation_id"),
    oversight.OpinionForwarded.TYPE: (OPINION, "forwarded", "opinion_id"),
    oversight.OpinionAnswered.TYPE: (OPINION, "answered", "opinion_id"),
    oversight.OpinionResolved.TYPE: (OPINION, "resolved", "opinion_id"),
    oversight.PetitionTransferred.TYPE: (PETITION, "transferred", "petition_id"),
    oversight.PetitionSettled.TYPE: (PETITION, "settled", "petition_id"),
}
A_LONG_WAY_OFF = date(9999, 12, 31)  # "today" for replayed steps: each was decided already


class ReplayMismatch(RuntimeError):
    """A store wrote other events than the ones being replayed."""


class Replaying(Outbox):
    """An outbox that hands back the events being replayed, in order, instead of sealing new
    ones; it writes no row (they are on the topics already)."""

    def __init__(self, db: AsyncDatabase[Document], source: Source) -> None:
        super().__init__(db, source)
        self.recorded: list[Envelope] = []

    async def append(
        self,
        session: AsyncClientSession,
        topic: str,
        drafts: Sequence[EventDraft],
        actor: Actor | None = None,  # the replayed envelopes name theirs
    ) -> list[Envelope]:
        taken, self.recorded = self.recorded[: len(drafts)], self.recorded[len(drafts) :]
        if [(d.type, d.unit) for d in drafts] != [(e.type, e.unit) for e in taken]:
            wrote = ", ".join(f"{d.type} {d.unit}" for d in drafts)
            raise ReplayMismatch(f"the store wrote {wrote}, not the events replayed")
        return taken


def draft_of(event: Event) -> EventDraft:
    """The event as its service drafted it, in the current version of its payload."""
    kept = {"type", "unit", "occurred_at", "event_id", "correlation_id", "causation_id", "actor"}
    as_sealed = event.envelope.model_dump(include=kept)
    return EventDraft(
        payload=event.payload, version=event_version(type(event.payload)), **as_sealed
    )


def _transaction(event: Event) -> tuple[str, str, datetime]:
    """What the events one outbox append sealed share: their source and `recorded_at`."""
    e = event.envelope
    return e.source.service, e.source.instance, e.recorded_at


def _replaying(
    outbox: Replaying, apply: Apply, group: list[Event]
) -> Callable[[AsyncClientSession], Awaitable[None]]:
    """The transaction's work: hand the outbox the recorded events again on every retry."""

    async def work(session: AsyncClientSession) -> None:
        outbox.recorded = [e.envelope for e in group]
        await apply(session, group)

    return work


@dataclass
class Done:
    replayed: int = 0
    numbers: int = 0
    failed: list[str] = field(default_factory=list)


class OwnDocuments:
    """The stores of an instance's databases, fed with its own recorded events."""

    def __init__(
        self,
        client: AsyncMongoClient[Document],
        settings: Settings,
        corrections: set[str],
    ) -> None:
        self.client = client
        self.settings = settings
        self.corrections = corrections  # meeting.corrected ids: what the intake followed
        topics = settings.topics
        self.outboxes = {
            s: Replaying(self.db(s), Source(service=s, instance="replay"))
            for s in ("meetings", "oversight", "reporting", "hierarchy")
        }
        self.meetings = MeetingStore(
            self.db("meetings"), self.outboxes["meetings"], topics.meetings
        )
        watched = self.outboxes["oversight"]
        self.items = ItemStore(self.db("oversight"), watched, topics.oversight)
        self.supervisions = SupervisionStore(self.db("oversight"), watched, topics.oversight)
        reported = self.outboxes["reporting"]
        self.coordination = CoordinationStore(self.db("reporting"), reported, topics.reporting)
        self.recovered: set[str] = set()  # filings whose report number was recovered
        self._registry: Any = None  # deploy.registry.Registry, built when first needed
        self.appliers: dict[str, Apply] = {
            meetings.MeetingHeld.TYPE: self._meeting_held,
            meetings.MeetingScheduled.TYPE: self._by(self.meetings.schedule),
            meetings.MeetingCancelled.TYPE: self._by(self.meetings.cancel),
            meetings.MeetingCorrected.TYPE: self._by(self.meetings.correct),
            oversight.SupervisionPlanned.TYPE: self._opened(SUPERVISION, "supervision_id"),
            oversight.SupervisionFinished.TYPE: self._supervision_finished,
            oversight.RecommendationOverdue.TYPE: self._overdue,
            oversight.OpinionReceived.TYPE: self._received,
            oversight.PetitionReceived.TYPE: self._received,
            oversight.OpinionWithdrawn.TYPE: self._followed,
            oversight.OpinionMoved.TYPE: self._followed,
            oversight.PetitionWithdrawn.TYPE: self._followed,
            oversight.PetitionMoved.TYPE: self._followed,
            coordination.CouncilDelegatesDeclared.TYPE: self._by(self.coordination.declare),
            coordination.CouncilStaffDeclared.TYPE: self._by(self.coordination.declare),
            coordination.ReportFiled.TYPE: self._report_filed,
            coordination.TaskSet.TYPE: self._by(self.coordination.set_task),
            coordination.TaskStatusChanged.TYPE: self._by(self.coordination.change_task),
            coordination.ProposalRaised.TYPE: self._by(self.coordination.raise_proposal),
            coordination.ProposalAnswered.TYPE: self._by(self.coordination.answer_proposal),
            PersonalDataErased.TYPE: self._erased,
            hierarchy.UnitRegistered.TYPE: self._unit_registered,
            hierarchy.HierarchyChanged.TYPE: self._hierarchy_changed,
        }
        self.appliers |= {kind: self._step for kind in STEPS}

    def db(self, service: str) -> AsyncDatabase[Document]:
        return self.client[self.settings.database_for(service)]

    async def replay(self, events: Iterable[Event]) -> Done:
        """Apply each transaction's events (oldest first), each group in one transaction."""
        done = Done()
        for _, grouped in itertools.groupby(events, key=_transaction):
            group = list(grouped)
            head = group[0].envelope
            apply = self.appliers.get(head.type)
            if apply is None:
                done.failed.append(f"{head.event_id} {head.type}: nothing replays this type")
                continue
            outbox = self.outboxes[head.source.service]
            try:
                await in_transaction(self.client, _replaying(outbox, apply, group))
            except Exception as exc:  # one record that cannot be replayed stops no other
                reason = f"{head.event_id} {head.type} {head.unit}: {type(exc).__name__}: {exc}"
                log.warning("replay_failed", reason=reason)
                done.failed.append(reason)
                continue
            done.replayed += len(group)
        done.numbers = len(self.recovered)
        return done

    # -- meetings ---------------------------------------------------------------------------

    def _by(self, write: Callable[[AsyncClientSession, EventDraft], Awaitable[Any]]) -> Apply:
        """A store method that writes one document with one event."""

        async def apply(session: AsyncClientSession, group: list[Event]) -> None:
            (event,) = group
            await write(session, draft_of(event))

        return apply

    async def _meeting_held(self, session: AsyncClientSession, group: list[Event]) -> None:
        (event,) = group
        found = await self.meetings.meetings.find_one(
            {"_id": event.payload.meeting.meeting_id}, {"_id": 1}, session=session
        )
        write = self.meetings.record if found is None else self.meetings.hold
        await write(session, draft_of(event))

    # -- oversight --------------------------------------------------------------------------

    def _opened(self, lifecycle: Lifecycle, id_field: str) -> Apply:
        """An item opened by a council office (a plan, a petition by mail)."""

        async def apply(session: AsyncClientSession, group: list[Event]) -> None:
            (event,) = group
            opened = event.payload.model_dump(mode="json")
            e = event.envelope
            doc = new_item(opened[id_field], e.unit, lifecycle.stages[0], e.business_day, opened)
            await self.items.insert(session, collection_of(lifecycle), [doc], [draft_of(event)])

        return apply

    async def _received(self, session: AsyncClientSession, group: list[Event]) -> None:
        """An opinion or petition opened: by the intake from a meeting, or a petition by mail."""
        (event,) = group
        payload = event.payload
        if isinstance(payload, oversight.PetitionReceived) and payload.meeting_id is None:
            await self._opened(PETITION, "petition_id")(session, group)
            return
        collection = "opinions" if isinstance(payload, oversight.OpinionReceived) else "petitions"
        opened = payload.model_dump(mode="json")
        e = event.envelope
        item_id = opened[KINDS[collection].item]
        doc = new_item(item_id, e.unit, "received", e.business_day, opened)
        draft = draft_of(event)
        earlier = await self.items.db[collection].find_one({"_id": item_id}, session=session)
        if earlier is not None and earlier["stage"] == WITHDRAWN:  # a correction reopened it
            cause = str(e.causation_id)
            await self.items.follow_correction(
                session, collection, item_id, "reopened", draft, {}, cause, doc
            )
        else:
            await self.items.open_unless_open(session, collection, doc, draft)
        await self._remember(session, event, payload.meeting_id)

    async def _followed(self, session: AsyncClientSession, group: list[Event]) -> None:
        """An item withdrawn or moved by a corrected meeting: the intake's own reconciling
        says what that did to the item as it stands."""
        (event,) = group
        e, payload = event.envelope, event.payload
        collection = "opinions" if e.type.startswith("opinion.") else "petitions"
        kind = KINDS[collection]
        item_id = getattr(payload, kind.item)
        doc = await self.items.db[collection].find_one({"_id": item_id}, session=session)
        if doc is None:
            raise DomainError(kind.item, f"no {kind.item} {item_id} to follow its meeting")
        day = getattr(payload, kind.day)
        draft = draft_of(event)
        moved = isinstance(payload, oversight.OpinionMoved | oversight.PetitionMoved)
        wanted = (Opening(collection, item_id, doc["unit"], day, draft),) if moved else ()
        cause = e.causation_id or e.event_id
        correction = Correction(
            str(cause), e.unit, payload.meeting_id, day, wanted, cause, e.correlation_id or cause
        )
        _, changes = reconcile(correction, [(collection, doc)])
        if len(changes) != 1:
            raise ReplayMismatch(f"{kind.item} {item_id} is {doc['stage']}: nothing to follow")
        (change,) = changes
        await self.items.follow_correction(
            session, collection, item_id, change.kind, draft, change.fields, str(cause)
        )
        await self._remember(session, event, payload.meeting_id)

    async def _remember(self, session: AsyncClientSession, event: Event, meeting: str) -> None:
        """The intake followed this correction: it must not follow it again."""
        cause = str(event.envelope.causation_id)
        if cause in self.corrections and not await self.items.correction_applied(session, cause):
            await self.items.remember_correction(session, cause, event.envelope.unit, meeting)

    async def _step(self, session: AsyncClientSession, group: list[Event]) -> None:
        head = group[0]
        lifecycle, stage, id_field = STEPS[head.envelope.type]
        await self._take(session, group, lifecycle, stage, getattr(head.payload, id_field))

    async def _take(
        self,
        session: AsyncClientSession,
        group: list[Event],
        lifecycle: Lifecycle,
        stage: str,
        item_id: str,
    ) -> list[Envelope]:
        drafts = [draft_of(e) for e in group]
        on = getattr(group[0].payload, f"{stage}_on")
        taken = await self.items.step(
            session,
            lifecycle,
            collection_of(lifecycle),
            item_id,
            stage,
            on,
            A_LONG_WAY_OFF,
            lambda *_: drafts,
        )
        if not taken.envelopes:
            raise ReplayMismatch(f"{lifecycle.item} {item_id} was {stage} already")
        return taken.envelopes

    async def _supervision_finished(self, session: AsyncClientSession, group: list[Event]) -> None:
        """Recorded once finished, or the end of a plan, with the recommendations it issued."""
        head = group[0]
        supervision_id = head.payload.supervision_id
        plans = self.items.db[collection_of(SUPERVISION)]
        if await plans.find_one({"_id": supervision_id}, {"_id": 1}, session=session) is None:
            await self._by(self.supervisions.record)(session, group)
            return
        envelopes = await self._take(session, group, SUPERVISION, "finished", supervision_id)
        drafts = [draft_of(e) for e in group]
        await self.supervisions.remember(session, drafts[0], envelopes[0])
        issued = [d for d in drafts[1:] if isinstance(d.payload, oversight.RecommendationIssued)]
        await self.items.issue_recommendations(session, issued, envelopes[1:])

    async def _overdue(self, session: AsyncClientSession, group: list[Event]) -> None:
        marked = [(e.payload.recommendation_id, draft_of(e)) for e in group]
        await self.items.mark_overdue(session, marked)

    # -- reporting ---------------------------------------------------------------------------

    async def _report_filed(self, session: AsyncClientSession, group: list[Event]) -> None:
        """The filing, and the number hdnd allocated to the report when it was attached (its
        `report_ref` then reads "05/BC-HĐND"), so the report keeps it and the unit's counter
        of that year moves past it."""
        (event,) = group
        await self.coordination.file_report(session, draft_of(event))
        report: coordination.ReportFiled = event.payload
        allocated = HDND_NUMBER.match(report.report_ref or "")
        if allocated is None or report.document_sha256 is None:
            return
        unit, number, year = event.envelope.unit, int(allocated[1]), report.due_on.year
        numbers = self.db("reporting")["report_numbers"]
        await numbers.update_one(
            {"_id": f"{unit}:{report.period}"},
            {
                "$setOnInsert": {
                    "unit": unit,
                    "period": report.period,
                    "year": year,
                    "number": number,
                }
            },
            upsert=True,
            session=session,
        )
        await numbers.update_one(
            {"_id": f"counter:{unit}:{year}"},
            {"$max": {"last": number}},
            upsert=True,
            session=session,
        )
        self.recovered.add(str(event.envelope.event_id))  # a set: the work may be retried

    async def _erased(self, session: AsyncClientSession, group: list[Event]) -> None:
        from deploy.erasure import erase_again

        for event in group:
            await erase_again(
                self.client, self.settings, event.payload, event.envelope.unit, session
            )

    # -- the hierarchy registry --------------------------------------------------------------

    async def _unit_registered(self, session: AsyncClientSession, group: list[Event]) -> None:
        from deploy.registry import _unit_doc

        docs = [_unit_doc(e.payload) for e in group]
        await self.db("hierarchy")["units"].bulk_write(
            [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in docs], session=session
        )

    async def _hierarchy_changed(self, session: AsyncClientSession, group: list[Event]) -> None:
        """The change as the registry recorded it: its number (the counter moves past it) and
        the unit versions it ended or started."""
        from deploy.registry import Registry
        from services.common.hierarchy import era_of

        if self._registry is None:  # its collections on this client (a session is per client)
            wired = SimpleNamespace(db=self.db("hierarchy"), settings=self.settings)
            self._registry = Registry(cast(Any, wired))
        registry = self._registry
        for event in group:
            change: hierarchy.HierarchyChanged = event.payload
            before = await registry.hierarchy()
            after = before.copy()
            after.apply([change])
            await registry.counters.update_one(
                {"_id": "change_no"},
                {"$max": {"value": change.change_no}},
                upsert=True,
                session=session,
            )
            await registry.changes.insert_one(
                {"_id": change.change_no, "change": change.model_dump(mode="json")}, session=session
            )
            era = era_of(change.effective)
            diff = before.differences(after, era)
            codes = set(change.units_named()) | (diff[1] if diff else set())
            await registry._record_versions(session, after, era, codes)
