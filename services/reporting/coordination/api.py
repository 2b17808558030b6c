"""HTTP API of coordination between levels, part of the reporting service.

A council office declares its seats, delegates trained and staff, files its periodic reports,
keeps its work programme, raises proposals to the levels above and answers the proposals it
received. Every write needs a secretary's token for the unit, and goes to the outbox in the
same transaction as the document it changes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any, Literal, TypeVar
from uuid import uuid4

from fastapi import Body, FastAPI, Query, Request, Response
from fastapi.types import DecoratedCallable
from pydantic import BaseModel, ConfigDict, Field
from pymongo.asynchronous.client_session import AsyncClientSession

from contracts import Envelope, EventDraft
from contracts.coordination import (
    CouncilDelegatesDeclared,
    CouncilStaffDeclared,
    ProposalRaised,
    TaskSet,
    TaskStatus,
)
from contracts.envelope import UnitCode
from contracts.ids import ID_MAX_LENGTH, ID_PATTERN
from services.common.activity import (
    IdPath,
    Limit,
    Responses,
    Unit,
    guarded_router,
    receipt,
    record_once,
    recording_responses,
    with_signature,
)
from services.common.auth import Caller, CallerDep
from services.common.errors import Conflict, DomainError, NotFound
from services.common.hierarchy import Era
from services.common.mongo import Document
from services.reporting.coordination import domain
from services.reporting.coordination.domain import Context
from services.reporting.coordination.service import Coordination
from services.reporting.coordination.store import CoordinationStore, declaration_key, jsonable
from services.reporting.document.api import number_at_filing, with_document


def _reporting_of(app: FastAPI) -> Any:
    return app.state.reporting


EraQuery = Annotated[
    Era | None,
    Query(
        description="legacy or 2025: a code reused since the 2025 reform names a different"
        " council in each era; by default the era in which the code names a unit today"
    ),
]


def _readable_era(request: Request, caller: Caller, unit: str, era: Era | None) -> Era:
    """The era whose council of `unit` a listing is about, once the caller may read it."""
    chosen = era or _coordination(request).hierarchy.latest_era(unit) or "2025"
    caller.may_read(unit, [chosen], f"in the {chosen} era")
    return chosen


router = guarded_router("coordination", _reporting_of)

WRITE_RESPONSES = recording_responses("The id is taken by different content")


def _records(
    path: str, summary: str, responses: Responses = WRITE_RESPONSES, name: str | None = None
) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """The POST at `path` that records something of the unit (201, or 200 for a retry)."""
    return router.post(
        path,
        name=name,
        status_code=201,
        response_model=Recorded,
        summary=summary,
        responses=responses,
    )


def _lists(path: str, summary: str) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """The GET at `path` that lists documents of the unit (of the era asked for)."""
    return router.get(path, summary=summary, responses={404: {"description": "No such unit"}})


def _holds(fields: Document) -> Callable[[Document], bool]:
    """Whether a stored record holds every one of `fields`: a retry of the same record."""
    return lambda existing: all(existing.get(k) == v for k, v in fields.items())


class Recorded(BaseModel):
    id: str
    unit: str
    event_id: str
    sequence: int | None = None
    status: str


class ReportToFile(BaseModel):
    """A periodic report a council files with the level above."""

    model_config = ConfigDict(extra="forbid")

    report_id: str = Field(
        default_factory=lambda: uuid4().hex,
        min_length=1,
        max_length=ID_MAX_LENGTH,
        pattern=ID_PATTERN,
    )
    period: str = Field(
        min_length=4,
        max_length=20,
        examples=["2025-H1"],
        description="2025-H1 (6 tháng đầu năm), 2025-9M (9 tháng), 2025 (cả năm) or"
        " 2021-2026 (nhiệm kỳ)",
    )
    filed_on: date
    title: str | None = Field(default=None, min_length=1, max_length=500)
    report_ref: str | None = Field(default=None, min_length=1, max_length=100)
    attach_document: bool = Field(
        default=False,
        description="Attach the report document hdnd writes from the figures (dated filed_on,"
        " with its number as report_ref unless given); the level above downloads exactly it"
        " from GET /units/{unit}/reports/{period}/document",
    )


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: TaskStatus
    changed_on: date
    note: str | None = Field(default=None, max_length=2000)


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answered_on: date
    answer: str = Field(min_length=1, max_length=20_000)


def _coordination(request: Request) -> Coordination:
    coordination: Coordination = request.app.state.reporting.coordination
    return coordination


async def _record(
    request: Request,
    response: Response,
    key: str,
    unit: str,
    draft: EventDraft,
    write: Callable[[AsyncClientSession, EventDraft], Awaitable[Envelope]],
    earlier: Callable[[], Awaitable[Document | None]],
    same: Callable[[Document], bool],
    taken: Conflict,
) -> Recorded:
    """Record `key` of `unit` once: a retry with the same content answers unchanged."""
    coordination = _coordination(request)
    done = await record_once(
        coordination.runtime,
        lambda session: write(session, draft),
        earlier,
        same,
        lambda _: taken,
    )
    return Recorded(id=key, unit=unit, **receipt(response, done))


async def _move_on(
    request: Request,
    response: Response,
    key: str,
    unit: str,
    draft: EventDraft,
    write: Callable[[AsyncClientSession, EventDraft], Awaitable[Envelope | None]],
    moved: Conflict,
) -> Recorded:
    """Move `key` on from the state it was read in; the store writes only if it still stands
    so (None: another request moved it first, and this one is `moved`, a 409)."""
    envelope = await _coordination(request).runtime.write(lambda session: write(session, draft))
    if envelope is None:
        raise moved
    return Recorded(id=key, unit=unit, **receipt(response, envelope))


async def _declare(
    request: Request,
    response: Response,
    unit: str,
    draft: EventDraft,
) -> Recorded:
    store = _coordination(request).store
    payload = draft.payload.model_dump(mode="json")
    key = declaration_key(draft.type, draft.unit, payload["declaration_id"])
    return await _record(
        request,
        response,
        key,
        draft.unit,
        draft,
        store.declare,
        lambda: store.find_declaration(key),
        lambda existing: bool(existing["payload"] == payload),
        Conflict("body.declaration_id", f"declaration {key} already records other figures"),
    )


Declared = TypeVar("Declared", CouncilDelegatesDeclared, CouncilStaffDeclared)


def _declaration_route(
    name: str,
    path: str,
    summary: str,
    model: type[Declared],
    declare: Callable[[Context, str, Declared], EventDraft],
) -> None:
    """Register `name`, the POST at `path` where a council declares figures true from `as_of`."""

    async def post(
        request: Request, response: Response, unit: str, declared: Declared, caller: Caller
    ) -> Recorded:
        caller.may_write(unit, declared.as_of)
        draft = declare(await _coordination(request).context(unit), unit, declared)
        return await _declare(request, response, unit, draft.by(caller.principal.actor()))

    endpoint = with_signature(
        post,
        Recorded,
        request=Request,
        response=Response,
        unit=Unit,
        declared=Annotated[model, Body()],
        caller=CallerDep,
    )
    _records(path, summary, name=name)(endpoint)


_declaration_route(
    "declare_delegates",
    "/units/{unit}/delegates",
    "Declare the council's seats in a term and how many delegates have been trained",
    CouncilDelegatesDeclared,
    domain.declare_delegates,
)
_declaration_route(
    "declare_staff",
    "/units/{unit}/staff",
    "Declare the staff serving the council (cán bộ chuyên trách / kiêm nhiệm)",
    CouncilStaffDeclared,
    domain.declare_staff,
)


@_records(
    "/units/{unit}/reports",
    "File the council's periodic report (6 tháng, 9 tháng, cả năm, nhiệm kỳ)",
    {**WRITE_RESPONSES, 409: {"description": "The period's report is already filed"}},
)
async def file_report(
    request: Request,
    response: Response,
    unit: Unit,
    report: Annotated[ReportToFile, Body()],
    caller: CallerDep,
) -> Recorded:
    coordination = _coordination(request)
    caller.may_write(unit, report.filed_on)
    command = domain.FileReport(unit=unit, **report.model_dump(exclude={"attach_document"}))
    draft = domain.file_report(await coordination.context(unit), command)  # refuses first
    await number_at_filing(request, draft)  # the report's number, printed from now on
    write: Callable[[AsyncClientSession, EventDraft], Awaitable[Envelope]]
    write = coordination.store.file_report
    if report.attach_document:
        command, write = await with_document(request, caller, command, write)
        draft = domain.file_report(await coordination.context(unit), command)
    draft = draft.by(caller.principal.actor())
    filed = draft.payload.model_dump(mode="json")
    period = filed["period"]
    return await _record(
        request,
        response,
        report.report_id,
        unit,
        draft,
        write,
        lambda: coordination.store.find_filing(unit, period),
        # A retry is the same filing even if the figures its document was written from moved.
        lambda existing: _but_document(existing["payload"]) == _but_document(filed),
        Conflict("body.period", f"unit {unit} has already filed its report on {period}"),
    )


def _but_document(payload: Document) -> Document:
    return {k: v for k, v in payload.items() if k != "document_sha256"}


@_lists("/units/{unit}/reports", "Periodic reports a unit filed, by due date")
async def list_reports(
    request: Request,
    unit: Unit,
    caller: CallerDep,
    era: EraQuery = None,
    limit: Limit = 200,
) -> list[dict[str, Any]]:
    chosen = _readable_era(request, caller, unit, era)
    docs = await _coordination(request).store.list_filings(unit, chosen, limit)
    return [jsonable(d) for d in docs]


@router.get(
    "/units/{unit}/reports/due",
    summary="Reports the unit owes (recent and coming), each with its deadline and whether it"
    " was filed on time, late, is missing or not yet due",
    responses={404: {"description": "No such unit today"}},
)
async def reports_due(request: Request, unit: Unit, caller: CallerDep) -> list[dict[str, Any]]:
    coordination = _coordination(request)
    today = coordination.today()
    caller.may_read_on(unit, today)
    council = coordination.hierarchy.unit(unit, today)
    filings = await coordination.store.list_filings(unit, council.era, 1000)
    context = await coordination.context(unit)
    sessions = context.sessions.get(unit, ())
    return domain.reports_owed(council.level, today, filings, context.rules, sessions)


@_records("/units/{unit}/tasks", "Put a task in the council's work programme for a period")
async def set_task(
    request: Request,
    response: Response,
    unit: Unit,
    task: Annotated[TaskSet, Body()],
    caller: CallerDep,
) -> Recorded:
    coordination = _coordination(request)
    caller.may_write(unit, task.set_on)
    context = await coordination.context(unit)
    draft = domain.set_task(context, unit, task).by(caller.principal.actor())
    fields = draft.payload.model_dump(mode="json")
    return await _record(
        request,
        response,
        task.task_id,
        unit,
        draft,
        coordination.store.set_task,
        lambda: coordination.store.find_task(unit, task.task_id),
        _holds(fields),
        Conflict("body.task_id", f"task_id {task.task_id} already names another task"),
    )


@_lists("/units/{unit}/tasks", "The work programme of a unit, optionally of one period")
async def list_tasks(
    request: Request,
    unit: Unit,
    caller: CallerDep,
    period: Annotated[str | None, Query(max_length=20)] = None,
    era: EraQuery = None,
    limit: Limit = 200,
) -> list[dict[str, Any]]:
    chosen = _readable_era(request, caller, unit, era)
    return await _coordination(request).store.list_tasks(unit, chosen, period, limit)


@_records(
    "/units/{unit}/tasks/{task_id}/status",
    "Record that a task of the work programme moved on (in progress, done, cancelled)",
    {**WRITE_RESPONSES, 404: {"description": "No such task"}},
)
async def change_task_status(
    request: Request,
    response: Response,
    unit: Unit,
    task_id: IdPath,
    change: Annotated[StatusChange, Body()],
    caller: CallerDep,
) -> Recorded:
    coordination = _coordination(request)
    caller.may_write(unit, change.changed_on)
    task = await coordination.store.find_task(unit, task_id)
    if task is None:
        raise NotFound("path.task_id", f"unit {unit} has no task {task_id}")
    if task["status"] == change.status:
        return Recorded(id=task_id, unit=unit, **receipt(response, task))
    draft = domain.change_task_status(
        await coordination.context(unit), unit, task, change.status, change.changed_on, change.note
    ).by(caller.principal.actor())
    moved = Conflict("path.task_id", f"task {task_id} changed meanwhile; read it and retry")
    return await _move_on(
        request, response, task_id, unit, draft, coordination.store.change_task, moved
    )


@_records(
    "/units/{unit}/proposals", "Raise a proposal (kiến nghị, đề xuất) to a council above the unit"
)
async def raise_proposal(
    request: Request,
    response: Response,
    unit: Unit,
    proposal: Annotated[ProposalRaised, Body()],
    caller: CallerDep,
) -> Recorded:
    coordination = _coordination(request)
    caller.may_write(unit, proposal.raised_on)
    draft = domain.raise_proposal(await coordination.context(unit), unit, proposal)
    draft = draft.by(caller.principal.actor())
    fields = {**proposal.model_dump(mode="json"), "raised_by": unit}
    return await _record(
        request,
        response,
        proposal.proposal_id,
        unit,
        draft,
        coordination.store.raise_proposal,
        lambda: coordination.store.find_proposal(unit, proposal.proposal_id),
        _holds(fields),
        Conflict(
            "body.proposal_id",
            f"unit {unit} already raised another proposal {proposal.proposal_id}",
        ),
    )


@_lists(
    "/units/{unit}/proposals",
    "Proposals a unit raised, or received from the units below it, with answers",
)
async def list_proposals(
    request: Request,
    unit: Unit,
    caller: CallerDep,
    direction: Literal["raised", "received"] = "received",
    era: EraQuery = None,
    limit: Limit = 200,
) -> list[dict[str, Any]]:
    chosen = _readable_era(request, caller, unit, era)
    docs = await _coordination(request).store.list_proposals(unit, chosen, direction, limit)
    return [jsonable(d) for d in docs]


RaisedBy = Annotated[
    UnitCode | None,
    Query(
        description="The unit that raised the proposal: needed only when several units raised"
        " proposals with this id to the unit",
    ),
]


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


@_records(
    "/units/{unit}/proposals/{proposal_id}/answer",
    "Answer a proposal addressed to the unit",
    {**WRITE_RESPONSES, 404: {"description": "No such proposal received here"}},
)
async def answer_proposal(
    request: Request,
    response: Response,
    unit: Unit,
    proposal_id: IdPath,
    answer: Annotated[Answer, Body()],
    caller: CallerDep,
    raised_by: RaisedBy = None,
) -> Recorded:
    coordination = _coordination(request)
    caller.may_write(unit, answer.answered_on)
    proposal = await _received(coordination.store, unit, proposal_id, raised_by)
    draft = domain.answer_proposal(
        await coordination.context(unit), unit, proposal, answer.answered_on, answer.answer
    ).by(caller.principal.actor())
    if proposal.get("status") == "answered":
        given = proposal.get("answer", {})
        if (given.get("answered_on"), given.get("answer")) != (
            answer.answered_on.isoformat(),
            answer.answer,
        ):
            raise Conflict("path.proposal_id", f"proposal {proposal_id} is already answered")
        return Recorded(id=proposal_id, unit=unit, **receipt(response, given))
    moved = Conflict("path.proposal_id", f"proposal {proposal_id} was answered meanwhile")
    return await _move_on(
        request, response, proposal_id, unit, draft, coordination.store.answer_proposal, moved
    )
