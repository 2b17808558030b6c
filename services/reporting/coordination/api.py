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

from fastapi import Body, FastAPI, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from pymongo.asynchronous.client_session import AsyncClientSession

from contracts import Envelope, EventDraft, UnitCode
from contracts.coordination import (
    CouncilDelegatesDeclared,
    CouncilStaffDeclared,
    ProposalRaised,
    TaskSet,
    TaskStatus,
)
from services.common.activity import (
    guarded_router,
    receipt,
    record_once,
    recording_responses,
)
from services.common.auth import CallerDep
from services.common.http import Conflict, NotFound
from services.common.mongo import Document
from services.reporting.coordination import domain
from services.reporting.coordination.service import Coordination
from services.reporting.coordination.store import declaration_key, jsonable


def _reporting_of(app: FastAPI) -> Any:
    return app.state.reporting


router = guarded_router("coordination", _reporting_of)

Id = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
WRITE_RESPONSES = recording_responses("The id is taken by different content")


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
    filed = draft.payload.model_dump(mode="json")
    period = filed["period"]
    return await _record(
        request,
        response,
        report.report_id,
        unit,
        draft,
        coordination.store.file_report,
        lambda: coordination.store.find_filing(unit, period),
        lambda existing: bool(existing["payload"] == filed),
        Conflict("body.period", f"unit {unit} has already filed its report on {period}"),
    )


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
    fields = draft.payload.model_dump(mode="json")
    return await _record(
        request,
        response,
        task.task_id,
        unit,
        draft,
        coordination.store.set_task,
        lambda: coordination.store.find_task(unit, task.task_id),
        lambda existing: all(existing.get(k) == v for k, v in fields.items()),
        Conflict("body.task_id", f"task_id {task.task_id} already names another task"),
    )


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
        return Recorded(id=task_id, unit=unit, **receipt(response, task))
    draft = domain.change_task_status(
        coordination.context(), unit, task, change.status, change.changed_on, change.note
    )
    moved = Conflict("path.task_id", f"task {task_id} changed meanwhile; read it and retry")
    return await _move_on(
        request, response, task_id, unit, draft, coordination.store.change_task, moved
    )


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
    fields = proposal.model_dump(mode="json")
    return await _record(
        request,
        response,
        proposal.proposal_id,
        unit,
        draft,
        coordination.store.raise_proposal,
        lambda: coordination.store.find_proposal(proposal.proposal_id),
        lambda existing: (
            existing["raised_by"] == unit and all(existing.get(k) == v for k, v in fields.items())
        ),
        Conflict("body.proposal_id", f"proposal_id {proposal.proposal_id} is taken"),
    )


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
        return Recorded(id=proposal_id, unit=unit, **receipt(response, given))
    moved = Conflict("path.proposal_id", f"proposal {proposal_id} was answered meanwhile")
    return await _move_on(
        request, response, proposal_id, unit, draft, coordination.store.answer_proposal, moved
    )
