"""HTTP API of coordination between levels, part of the reporting service.

A council office declares its seats, delegates trained and staff, files its periodic reports,
keeps its work programme, raises proposals to the levels above and answers the proposals it
received. Every write needs a secretary's token for the unit, and goes to the outbox in the
same transaction as the document it changes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any, Literal
from uuid import uuid4

from fastapi import APIRouter, Body, Depends, FastAPI, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from contracts import Envelope, EventDraft, UnitCode
from contracts.coordination import (
    CouncilDelegatesDeclared,
    CouncilStaffDeclared,
    ProposalRaised,
    TaskSet,
    TaskStatus,
)
from services.common.auth import AUTH_RESPONSES, CallerDep, caller_of, tokens_lifespan
from services.common.http import Conflict, NotFound
from services.common.mongo import Document
from services.reporting.coordination import domain
from services.reporting.coordination.service import Coordination
from services.reporting.coordination.store import declaration_key, jsonable


def _reporting_of(app: FastAPI) -> Any:
    return app.state.reporting


router = APIRouter(
    tags=["coordination"],
    dependencies=[Depends(caller_of)],
    responses=dict(AUTH_RESPONSES),
    lifespan=tokens_lifespan(_reporting_of),
)

Id = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Already recorded with the same content (idempotent retry)"},
    400: {"description": "The body is not UTF-8 text"},
    403: {
        "description": "Outside the token's unit, a read-only token, or a unit this instance"
        " does not serve"
    },
    409: {"description": "The id is taken by different content"},
    422: {"description": "Invalid field, unknown unit on that date, or a future date"},
}


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
        max_length=64,
        pattern=r"^[A-Za-z0-9._:-]+$",
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


def _recorded(key: str, unit: str, envelope: Envelope) -> Recorded:
    return Recorded(
        id=key,
        unit=unit,
        event_id=str(envelope.event_id),
        sequence=envelope.sequence,
        status="recorded",
    )


async def _write(
    coordination: Coordination,
    draft: EventDraft,
    write: Callable[[AsyncClientSession, EventDraft], Awaitable[Envelope]],
) -> Envelope:
    async def work(session: AsyncClientSession) -> Envelope:
        return await write(session, draft)

    return await coordination.runtime.write(work)


def _unchanged(response: Response, key: str, unit: str, existing: Document) -> Recorded:
    response.status_code = 200
    return Recorded(id=key, unit=unit, event_id=existing["event_id"], status="unchanged")


async def _declare(
    request: Request,
    response: Response,
    unit: str,
    draft: EventDraft,
) -> Recorded:
    coordination = _coordination(request)
    try:
        envelope = await _write(coordination, draft, coordination.store.declare)
    except DuplicateKeyError:
        payload = draft.payload.model_dump(mode="json")
        key = declaration_key(draft.type, draft.unit, payload["declaration_id"])
        existing = await coordination.store.find_declaration(key)
        if existing is None or existing["payload"] != payload:
            raise Conflict(
                "body.declaration_id", f"declaration {key} already records other figures"
            ) from None
        return _unchanged(response, key, unit, existing)
    key = declaration_key(draft.type, draft.unit, envelope.payload["declaration_id"])
    return _recorded(key, draft.unit, envelope)


@router.post(
    "/units/{unit}/delegates",
    status_code=201,
    response_model=Recorded,
    summary="Declare the council's seats in a term and how many delegates have been trained",
    responses=WRITE_RESPONSES,
)
async def declare_delegates(
    request: Request,
    response: Response,
    unit: Annotated[UnitCode, Path()],
    declared: Annotated[CouncilDelegatesDeclared, Body()],
    caller: CallerDep,
) -> Recorded:
    caller.may_write(unit, declared.as_of)
    draft = domain.declare_delegates(_coordination(request).context(), unit, declared)
    return await _declare(request, response, unit, draft)


@router.post(
    "/units/{unit}/staff",
    status_code=201,
    response_model=Recorded,
    summary="Declare the staff serving the council (cán bộ chuyên trách / kiêm nhiệm)",
    responses=WRITE_RESPONSES,
)
async def declare_staff(
    request: Request,
    response: Response,
    unit: Annotated[UnitCode, Path()],
    declared: Annotated[CouncilStaffDeclared, Body()],
    caller: CallerDep,
) -> Recorded:
    caller.may_write(unit, declared.as_of)
    draft = domain.declare_staff(_coordination(request).context(), unit, declared)
    return await _declare(request, response, unit, draft)


@router.post(
    "/units/{unit}/reports",
    status_code=201,
    response_model=Recorded,
    summary="File the council's periodic report (6 tháng, 9 tháng, cả năm, nhiệm kỳ)",
    responses={**WRITE_RESPONSES, 409: {"description": "The period's report is already filed"}},
)
async def file_report(
    request: Request,
    response: Response,
    unit: Annotated[UnitCode, Path()],
    report: Annotated[ReportToFile, Body()],
    caller: CallerDep,
) -> Recorded:
    coordination = _coordination(request)
    caller.may_write(unit, report.filed_on)
    draft = domain.file_report(
        coordination.context(), domain.FileReport(unit=unit, **report.model_dump())
    )
    try:
        envelope = await _write(coordination, draft, coordination.store.file_report)
    except DuplicateKeyError:
        period = draft.payload.model_dump(mode="json")["period"]
        existing = await coordination.store.find_filing(unit, period)
        if existing is None or existing["payload"] != draft.payload.model_dump(mode="json"):
            raise Conflict(
                "body.period", f"unit {unit} has already filed its report on {period}"
            ) from None
        return _unchanged(response, existing["report_id"], unit, existing)
    return _recorded(report.report_id, unit, envelope)


@router.get(
    "/units/{unit}/reports",
    summary="Periodic reports a unit filed, by due date",
    responses={404: {"description": "No such unit"}},
)
async def list_reports(
    request: Request,
    unit: Annotated[UnitCode, Path()],
    caller: CallerDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    caller.may_read_between(unit, None, None)
    docs = await _coordination(request).store.list_filings(unit, limit)
    return [jsonable(d) for d in docs]


@router.post(
    "/units/{unit}/tasks",
    status_code=201,
    response_model=Recorded,
    summary="Put a task in the council's work programme for a period",
    responses=WRITE_RESPONSES,
)
async def set_task(
    request: Request,
    response: Response,
    unit: Annotated[UnitCode, Path()],
    task: Annotated[TaskSet, Body()],
    caller: CallerDep,
) -> Recorded:
    coordination = _coordination(request)
    caller.may_write(unit, task.set_on)
    draft = domain.set_task(coordination.context(), unit, task)
    try:
        envelope = await _write(coordination, draft, coordination.store.set_task)
    except DuplicateKeyError:
        existing = await coordination.store.find_task(unit, task.task_id)
        same = existing is not None and all(
            existing.get(k) == v for k, v in draft.payload.model_dump(mode="json").items()
        )
        if not same or existing is None:
            raise Conflict(
                "body.task_id", f"task_id {task.task_id} already names another task"
            ) from None
        return _unchanged(response, task.task_id, unit, existing)
    return _recorded(task.task_id, unit, envelope)


@router.get(
    "/units/{unit}/tasks",
    summary="The work programme of a unit, optionally of one period",
    responses={404: {"description": "No such unit"}},
)
async def list_tasks(
    request: Request,
    unit: Annotated[UnitCode, Path()],
    caller: CallerDep,
    period: Annotated[str | None, Query(max_length=20)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    caller.may_read_between(unit, None, None)
    return await _coordination(request).store.list_tasks(unit, period, limit)


@router.post(
    "/units/{unit}/tasks/{task_id}/status",
    status_code=201,
    response_model=Recorded,
    summary="Record that a task of the work programme moved on (in progress, done, cancelled)",
    responses={**WRITE_RESPONSES, 404: {"description": "No such task"}},
)
async def change_task_status(
    request: Request,
    response: Response,
    unit: Annotated[UnitCode, Path()],
    task_id: Id,
    change: Annotated[StatusChange, Body()],
    caller: CallerDep,
) -> Recorded:
    coordination = _coordination(request)
    caller.may_write(unit, change.changed_on)
    task = await coordination.store.find_task(unit, task_id)
    if task is None:
        raise NotFound("path.task_id", f"unit {unit} has no task {task_id}")
    if task["status"] == change.status:
        return _unchanged(response, task_id, unit, task)
    draft = domain.change_task_status(
        coordination.context(), unit, task, change.status, change.changed_on, change.note
    )

    async def work(session: AsyncClientSession) -> Envelope | None:
        return await coordination.store.change_task(session, draft)

    envelope = await coordination.runtime.write(work)
    if envelope is None:
        raise Conflict("path.task_id", f"task {task_id} changed meanwhile; read it and retry")
    return _recorded(task_id, unit, envelope)


@router.post(
    "/units/{unit}/proposals",
    status_code=201,
    response_model=Recorded,
    summary="Raise a proposal (kiến nghị, đề xuất) to a council above the unit",
    responses=WRITE_RESPONSES,
)
async def raise_proposal(
    request: Request,
    response: Response,
    unit: Annotated[UnitCode, Path()],
    proposal: Annotated[ProposalRaised, Body()],
    caller: CallerDep,
) -> Recorded:
    coordination = _coordination(request)
    caller.may_write(unit, proposal.raised_on)
    draft = domain.raise_proposal(coordination.context(), unit, proposal)
    try:
        envelope = await _write(coordination, draft, coordination.store.raise_proposal)
    except DuplicateKeyError:
        existing = await coordination.store.find_proposal(proposal.proposal_id)
        same = (
            existing is not None
            and existing["raised_by"] == unit
            and all(existing.get(k) == v for k, v in proposal.model_dump(mode="json").items())
        )
        if not same or existing is None:
            raise Conflict(
                "body.proposal_id", f"proposal_id {proposal.proposal_id} is taken"
            ) from None
        return _unchanged(response, proposal.proposal_id, unit, existing)
    return _recorded(proposal.proposal_id, unit, envelope)


@router.get(
    "/units/{unit}/proposals",
    summary="Proposals a unit raised, or received from the units below it, with answers",
    responses={404: {"description": "No such unit"}},
)
async def list_proposals(
    request: Request,
    unit: Annotated[UnitCode, Path()],
    caller: CallerDep,
    direction: Literal["raised", "received"] = "received",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    caller.may_read_between(unit, None, None)
    docs = await _coordination(request).store.list_proposals(unit, direction, limit)
    return [jsonable(d) for d in docs]


@router.post(
    "/units/{unit}/proposals/{proposal_id}/answer",
    status_code=201,
    response_model=Recorded,
    summary="Answer a proposal addressed to the unit",
    responses={**WRITE_RESPONSES, 404: {"description": "No such proposal received here"}},
)
async def answer_proposal(
    request: Request,
    response: Response,
    unit: Annotated[UnitCode, Path()],
    proposal_id: Id,
    answer: Annotated[Answer, Body()],
    caller: CallerDep,
) -> Recorded:
    coordination = _coordination(request)
    caller.may_write(unit, answer.answered_on)
    proposal = await coordination.store.find_proposal(proposal_id)
    if proposal is None:
        raise NotFound("path.proposal_id", f"no proposal {proposal_id} has reached this service")
    draft = domain.answer_proposal(
        coordination.context(), unit, proposal, answer.answered_on, answer.answer
    )
    if proposal.get("status") == "answered":
        given = proposal.get("answer", {})
        if (given.get("answered_on"), given.get("answer")) != (
            answer.answered_on.isoformat(),
            answer.answer,
        ):
            raise Conflict("path.proposal_id", f"proposal {proposal_id} is already answered")
        response.status_code = 200
        return Recorded(id=proposal_id, unit=unit, event_id=given["event_id"], status="unchanged")

    async def work(session: AsyncClientSession) -> Envelope | None:
        return await coordination.store.answer_proposal(session, draft)

    envelope = await coordination.runtime.write(work)
    if envelope is None:
        raise Conflict("path.proposal_id", f"proposal {proposal_id} was answered meanwhile")
    return _recorded(proposal_id, unit, envelope)
