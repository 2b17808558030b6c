"""Coordination between levels, inside the reporting service: its parts put together once
(`Coordination`, handed to the reporting service's wiring), and what a council office's
command does: read what the decision needs, let the domain decide
(services.reporting.coordination.domain), write the record and its event in one transaction
(outbox). No HTTP: the routes parse, authorise and shape the answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pymongo.asynchronous.client_session import AsyncClientSession

from contracts import Actor, Envelope, EventDraft
from contracts.coordination import (
    CouncilDelegatesDeclared,
    CouncilStaffDeclared,
    ProposalRaised,
    ReportFiled,
    TaskSet,
    TaskStatus,
)
from services.common.activity import record_once
from services.common.consumer import BatchConsumer
from services.common.errors import Conflict, DomainError, NotFound
from services.common.hierarchy import Era, Hierarchy
from services.common.mongo import Document
from services.common.runtime import Runtime
from services.common.trust import lineage_of
from services.reporting.coordination import domain, owners
from services.reporting.coordination.consumer import CoordinationConsumer
from services.reporting.coordination.domain import Context, FileReport
from services.reporting.coordination.extra import CoordinationExtra
from services.reporting.coordination.store import CoordinationStore, declaration_key, jsonable
from services.reporting.deadlines.service import Deadlines
from services.reporting.document.store import Attached, ReportDocumentStore


@dataclass
class Coordination:
    runtime: Runtime
    hierarchy: Hierarchy
    store: CoordinationStore
    consumer: BatchConsumer
    extra: CoordinationExtra
    today: Callable[[], date]
    deadlines: Deadlines
    documents: ReportDocumentStore  # numbers a filed report, keeps the document attached

    @classmethod
    def build(
        cls,
        runtime: Runtime,
        hierarchy: Hierarchy,
        today: Callable[[], date],
        deadlines: Deadlines,
        documents: ReportDocumentStore,
    ) -> Coordination:
        settings = runtime.settings
        store = CoordinationStore(runtime.db, runtime.outbox, settings.topics.reporting)
        consumer = _consumer(runtime, store, hierarchy)
        extra = CoordinationExtra(store, hierarchy, today, deadlines)
        return cls(runtime, hierarchy, store, consumer, extra, today, deadlines, documents)

    async def context(self, *units: str) -> Context:
        """What a decision needs, with the deadline rules in force (and, where they count from
        sessions, the sessions of `units`)."""
        today = self.today()
        rules, sessions = await self.deadlines.in_force(units, today)
        return Context(self.hierarchy, self.runtime.settings.units, today, rules, sessions)

    async def start(self, consume: bool = True) -> None:
        await self.store.create_indexes()
        lineage = lineage_of(self.hierarchy)
        await self.store.scope_proposal_ids(partial(owners.answerers, lineage))
        if consume:
            self.consumer.start()

    async def stop(self) -> None:
        await self.consumer.stop()

    async def replay(self) -> None:
        """Read the reporting topic again from the beginning. Every write of the consumer is
        an idempotent upsert, so a replay changes nothing that was already right."""
        await self.consumer.stop()
        await self.store.positions.collection.delete_many({})
        self.consumer = _consumer(self.runtime, self.store, self.hierarchy)
        self.consumer.start()


def _consumer(runtime: Runtime, store: CoordinationStore, hierarchy: Hierarchy) -> BatchConsumer:
    handler = CoordinationConsumer(runtime, store, hierarchy)
    topics = [runtime.settings.topics.reporting]
    return BatchConsumer(
        runtime.settings,
        "reporting-coordination",
        topics,
        store.positions,
        handler.handle,
        metrics=runtime.metrics,
    )


# -- commands: the domain decides, the record and its event commit in one transaction ---------

Write = Callable[[AsyncClientSession, EventDraft], Awaitable[Envelope]]
Move = Callable[[AsyncClientSession, EventDraft], Awaitable[Envelope | None]]
Attaching = Callable[[FileReport], Awaitable[Attached]]  # the document a filing attaches
Declared = TypeVar("Declared", CouncilDelegatesDeclared, CouncilStaffDeclared)


@dataclass(frozen=True, slots=True)
class Done:
    """What a command did to the record `id` of `unit`: the event it emitted, or, where it
    changed nothing (a retry), the record as it stands (`receipt` tells them apart)."""

    id: str
    unit: str
    record: Envelope | Document


async def declare(
    coordination: Coordination,
    actor: Actor,
    unit: str,
    declared: Declared,
    decide: Callable[[Context, str, Declared], EventDraft],
) -> Done:
    """Figures the council of `unit` declares true from `as_of` (seats, delegates, staff)."""
    draft = decide(await coordination.context(unit), unit, declared).by(actor)
    store = coordination.store
    payload = draft.payload.model_dump(mode="json")
    key = declaration_key(draft.type, draft.unit, payload["declaration_id"])
    return await _once(
        coordination,
        key,
        draft,
        store.declare,
        lambda: store.find_declaration(key),
        lambda existing: bool(existing["payload"] == payload),
        Conflict("body.declaration_id", f"declaration {key} already records other figures"),
    )


async def file_report(
    coordination: Coordination, actor: Actor, command: FileReport, attaching: Attaching | None
) -> Done:
    """The council's periodic report, numbered when filed (unless the office's register numbers
    it) and, with `attaching`, with the document written from its figures kept in the filing's
    transaction: the event carries the document's SHA-256 (and its number as `report_ref`
    unless one was given)."""
    unit, store = command.unit, coordination.store
    draft = domain.file_report(await coordination.context(unit), command)  # refuses first
    await _number(coordination.documents, draft)  # the report's number, printed from now on
    write: Write = store.file_report
    if attaching is not None:
        attached = await attaching(command)
        command = replace(
            command,
            report_ref=command.report_ref or attached.number,
            document_sha256=attached.sha256,
        )
        draft = domain.file_report(await coordination.context(unit), command)
        write = partial(_file_with_document, store, coordination.documents, attached)
    draft = draft.by(actor)
    filed = draft.payload.model_dump(mode="json")
    period = filed["period"]
    return await _once(
        coordination,
        command.report_id,
        draft,
        write,
        lambda: store.find_filing(unit, period),
        # A retry is the same filing even if the figures its document was written from moved.
        lambda existing: _but_document(existing["payload"]) == _but_document(filed),
        Conflict("body.period", f"unit {unit} has already filed its report on {period}"),
    )


async def _number(documents: ReportDocumentStore, filing: EventDraft) -> None:
    """Allocate the number of the report `filing` files, unless the office's register gives
    it one: the next of the unit's counter in the year the report is due. Filing is the only
    write that numbers a report; reading one never does."""
    report = filing.payload
    assert isinstance(report, ReportFiled)
    _, register = await documents.texts_of(filing.unit, report.period)
    if register is None:
        await documents.allocate_number(filing.unit, report.period, report.due_on.year)


async def _file_with_document(
    store: CoordinationStore,
    documents: ReportDocumentStore,
    attached: Attached,
    session: AsyncClientSession,
    draft: EventDraft,
) -> Envelope:
    envelope = await store.file_report(session, draft)
    await documents.attach(session, attached)
    return envelope


def _but_document(payload: Document) -> Document:
    return {k: v for k, v in payload.items() if k != "document_sha256"}


async def set_task(coordination: Coordination, actor: Actor, unit: str, task: TaskSet) -> Done:
    """A task of the council's work programme for a period."""
    store = coordination.store
    draft = domain.set_task(await coordination.context(unit), unit, task).by(actor)
    fields = draft.payload.model_dump(mode="json")
    taken = Conflict("body.task_id", f"task_id {task.task_id} already names another task")
    return await _once_holding(
        coordination, task.task_id, draft, store.set_task, store.find_task, fields, taken
    )


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: TaskStatus
    changed_on: date
    note: str | None = Field(default=None, max_length=2000)


async def change_task_status(
    coordination: Coordination, actor: Actor, unit: str, task_id: str, change: StatusChange
) -> Done:
    """The task `task_id` moved on to the status of `change`; a task already there answers
    unchanged."""
    task = await coordination.store.find_task(unit, task_id)
    if task is None:
        raise NotFound("path.task_id", f"unit {unit} has no task {task_id}")
    if task["status"] == change.status:
        return Done(task_id, unit, task)
    draft = domain.change_task_status(
        await coordination.context(unit), unit, task, change.status, change.changed_on, change.note
    ).by(actor)
    moved = Conflict("path.task_id", f"task {task_id} changed meanwhile; read it and retry")
    return await _move_on(coordination, task_id, draft, coordination.store.change_task, moved)


async def raise_proposal(
    coordination: Coordination, actor: Actor, unit: str, proposal: ProposalRaised
) -> Done:
    """A proposal (kiến nghị, đề xuất) of `unit` to a council above it."""
    store, key = coordination.store, proposal.proposal_id
    draft = domain.raise_proposal(await coordination.context(unit), unit, proposal).by(actor)
    fields = {**proposal.model_dump(mode="json"), "raised_by": unit}
    taken = Conflict("body.proposal_id", f"unit {unit} already raised another proposal {key}")
    return await _once_holding(
        coordination, key, draft, store.raise_proposal, store.find_proposal, fields, taken
    )


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answered_on: date
    answer: str = Field(min_length=1, max_length=20_000)


async def answer_proposal(
    coordination: Coordination,
    actor: Actor,
    unit: str,
    proposal_id: str,
    raised_by: str | None,
    answer: Answer,
) -> Done:
    """The answer of `unit` to the proposal `proposal_id` it received (raised by `raised_by`,
    where two units below chose that id); the same answer again answers unchanged, another
    one is a 409."""
    proposal = await _received(coordination.store, unit, proposal_id, raised_by)
    draft = domain.answer_proposal(
        await coordination.context(unit), unit, proposal, answer.answered_on, answer.answer
    ).by(actor)
    if proposal.get("status") == "answered":
        given = proposal.get("answer", {})
        if (given.get("answered_on"), given.get("answer")) != (
            answer.answered_on.isoformat(),
            answer.answer,
        ):
            raise Conflict("path.proposal_id", f"proposal {proposal_id} is already answered")
        return Done(proposal_id, unit, given)
    moved = Conflict("path.proposal_id", f"proposal {proposal_id} was answered meanwhile")
    return await _move_on(
        coordination, proposal_id, draft, coordination.store.answer_proposal, moved
    )


async def _received(
    store: CoordinationStore, unit: str, proposal_id: str, raised_by: str | None
) -> Document:
    """The proposal `proposal_id` addressed to `unit`, by `raised_by` or the only one: ids are
    chosen by each raising unit, so two units below may have chosen the same."""
    found = await store.find_received(unit, proposal_id, raised_by)
    if not found:
        raise NotFound(
            "path.proposal_id",
            f"no proposal {proposal_id} addressed to unit {unit} has reached this service",
        )
    if len(found) > 1:
        units = ", ".join(sorted(p["raised_by"] for p in found))
        raise DomainError(
            "query.raised_by",
            f"units {units} each raised a proposal {proposal_id} to unit {unit}: name the one"
            " answered in raised_by",
        )
    return found[0]


async def _once(
    coordination: Coordination,
    key: str,
    draft: EventDraft,
    write: Write,
    earlier: Callable[[], Awaitable[Document | None]],
    same: Callable[[Document], bool],
    taken: Conflict,
) -> Done:
    """Record `key` of the draft's unit once: a retry with the same content answers with the
    record unchanged, other content under the same key is `taken`, a 409."""
    done = await record_once(
        coordination.runtime, lambda session: write(session, draft), earlier, same, lambda _: taken
    )
    return Done(key, draft.unit, done)


async def _move_on(
    coordination: Coordination, key: str, draft: EventDraft, write: Move, moved: Conflict
) -> Done:
    """Move `key` on from the state it was read in; the store writes only if it still stands
    so (None: another request moved it first, and this one is `moved`, a 409)."""
    envelope = await coordination.runtime.write(lambda session: write(session, draft))
    if envelope is None:
        raise moved
    return Done(key, draft.unit, envelope)


async def _once_holding(
    coordination: Coordination,
    key: str,
    draft: EventDraft,
    write: Write,
    find: Callable[[str, str], Awaitable[Document | None]],
    fields: Document,
    taken: Conflict,
) -> Done:
    """Record `key` of the draft's unit once, where a retry is a stored record (`find` by unit
    and key) that holds every one of `fields`."""

    def holds(existing: Document) -> bool:
        return all(existing.get(k) == v for k, v in fields.items())

    earlier = partial(find, draft.unit, key)
    return await _once(coordination, key, draft, write, earlier, holds, taken)


# -- reads -------------------------------------------------------------------------------------


def listing_era(coordination: Coordination, unit: str, era: Era | None) -> Era:
    """The era whose council of `unit` a listing is about: the one asked, else the era in
    which the code names a unit today."""
    return era or coordination.hierarchy.latest_era(unit) or "2025"


async def reports_filed(
    coordination: Coordination, unit: str, era: Era, limit: int
) -> list[dict[str, Any]]:
    return [jsonable(d) for d in await coordination.store.list_filings(unit, era, limit)]


async def reports_due(coordination: Coordination, unit: str, today: date) -> list[dict[str, Any]]:
    """The reports the council of `unit` owes around `today`, each with its deadline and state."""
    council = coordination.hierarchy.unit(unit, today)
    filings = await coordination.store.list_filings(unit, council.era, 1000)
    context = await coordination.context(unit)
    sessions = context.sessions.get(unit, ())
    return domain.reports_owed(council.level, today, filings, context.rules, sessions)


async def proposals(
    coordination: Coordination,
    unit: str,
    era: Era,
    direction: Literal["raised", "received"],
    limit: int,
) -> list[dict[str, Any]]:
    docs = await coordination.store.list_proposals(unit, era, direction, limit)
    return [jsonable(d) for d in docs]
