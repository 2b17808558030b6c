"""HTTP API of coordination between levels, part of the reporting service.

A council office declares its seats, delegates trained and staff, files its periodic reports,
keeps its work programme, raises proposals to the levels above and answers the proposals it
received. Every write needs a secretary's token for the unit; services.reporting.coordination
.service does it, writing to the outbox in the same transaction as the document it changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from functools import partial
from typing import Annotated, Any, Literal
from uuid import uuid4

from fastapi import Body, Query
from fastapi.types import DecoratedCallable
from pydantic import BaseModel, ConfigDict, Field

from contracts import EventDraft
from contracts.coordination import (
    CouncilDelegatesDeclared,
    CouncilStaffDeclared,
    ProposalRaised,
    TaskSet,
)
from contracts.envelope import UnitCode
from contracts.ids import ID_MAX_LENGTH, ID_PATTERN
from services.common.activity import (
    Call,
    CallDep,
    IdPath,
    Limit,
    Unit,
    guarded_router,
    receipt,
    recording_responses,
    with_signature,
)
from services.common.hierarchy import Era
from services.reporting.coordination import domain, service
from services.reporting.coordination.domain import Context
from services.reporting.coordination.service import (
    Answer,
    Coordination,
    Declared,
    Done,
    StatusChange,
)
from services.reporting.document.service import document_to_file
from services.reporting.read.queries import reporting_of

router = guarded_router("coordination", reporting_of)

WRITE_RESPONSES = recording_responses("The id is taken by different content")
NO_MORE: Mapping[int, str] = {}  # refused only as every write may be

EraQuery = Annotated[
    Era | None,
    Query(
        description="legacy or 2025: a code reused since the 2025 reform names a different"
        " council in each era; by default the era in which the code names a unit today"
    ),
]
RaisedBy = Annotated[
    UnitCode | None,
    Query(
        description="The unit that raised the proposal: needed only when several units raised"
        " proposals with this id to the unit",
    ),
]


def _records(
    path: str, summary: str, refusals: Mapping[int, str] = NO_MORE, name: str | None = None
) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """The POST at `path` that records something of the unit (201, or 200 for a retry), with
    its own `refusals` (status: what it means) besides those of every write."""
    return router.post(
        path,
        name=name,
        status_code=201,
        response_model=Recorded,
        summary=summary,
        responses={**WRITE_RESPONSES, **{k: {"description": v} for k, v in refusals.items()}},
    )


def _lists(path: str, summary: str) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """The GET at `path` that lists documents of the unit (of the era asked for)."""
    return router.get(path, summary=summary, responses={404: {"description": "No such unit"}})


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


def _coordination(call: Call) -> Coordination:
    return reporting_of(call.app).coordination


def _recorded(call: Call, done: Done) -> Recorded:
    return Recorded(id=done.id, unit=done.unit, **receipt(call.response, done.record))


def _readable_era(call: Call, unit: str, era: Era | None) -> Era:
    """The era whose council of `unit` a listing is about, once the caller may read it."""
    chosen = service.listing_era(_coordination(call), unit, era)
    call.caller.may_read(unit, [chosen], f"in the {chosen} era")
    return chosen


def _declaration_route(
    name: str,
    path: str,
    summary: str,
    model: type[Declared],
    declare: Callable[[Context, str, Declared], EventDraft],
) -> None:
    """Register `name`, the POST at `path` where a council declares figures true from `as_of`."""

    async def post(unit: str, declared: Declared, call: Call) -> Recorded:
        call.caller.may_write(unit, declared.as_of)
        done = await service.declare(_coordination(call), call.actor, unit, declared, declare)
        return _recorded(call, done)

    endpoint = with_signature(
        post, Recorded, unit=Unit, declared=Annotated[model, Body()], call=CallDep
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
    {409: "The period's report is already filed"},
)
async def file_report(
    unit: Unit, report: Annotated[ReportToFile, Body()], call: CallDep
) -> Recorded:
    call.caller.may_write(unit, report.filed_on)
    command = domain.FileReport(unit=unit, **report.model_dump(exclude={"attach_document"}))
    attaching = None
    if report.attach_document:
        attaching = partial(document_to_file, reporting_of(call.app), call.caller)
    done = await service.file_report(_coordination(call), call.actor, command, attaching)
    return _recorded(call, done)


@_lists("/units/{unit}/reports", "Periodic reports a unit filed, by due date")
async def list_reports(
    unit: Unit, call: CallDep, era: EraQuery = None, limit: Limit = 200
) -> list[dict[str, Any]]:
    chosen = _readable_era(call, unit, era)
    return await service.reports_filed(_coordination(call), unit, chosen, limit)


@router.get(
    "/units/{unit}/reports/due",
    summary="Reports the unit owes (recent and coming), each with its deadline and whether it"
    " was filed on time, late, is missing or not yet due",
    responses={404: {"description": "No such unit today"}},
)
async def reports_due(unit: Unit, call: CallDep) -> list[dict[str, Any]]:
    coordination = _coordination(call)
    today = coordination.today()
    call.caller.may_read_on(unit, today)
    return await service.reports_due(coordination, unit, today)


@_records("/units/{unit}/tasks", "Put a task in the council's work programme for a period")
async def set_task(unit: Unit, task: Annotated[TaskSet, Body()], call: CallDep) -> Recorded:
    call.caller.may_write(unit, task.set_on)
    return _recorded(call, await service.set_task(_coordination(call), call.actor, unit, task))


@_lists("/units/{unit}/tasks", "The work programme of a unit, optionally of one period")
async def list_tasks(
    unit: Unit,
    call: CallDep,
    period: Annotated[str | None, Query(max_length=20)] = None,
    era: EraQuery = None,
    limit: Limit = 200,
) -> list[dict[str, Any]]:
    chosen = _readable_era(call, unit, era)
    return await _coordination(call).store.list_tasks(unit, chosen, period, limit)


@_records(
    "/units/{unit}/tasks/{task_id}/status",
    "Record that a task of the work programme moved on (in progress, done, cancelled)",
    {404: "No such task"},
)
async def change_task_status(
    unit: Unit, task_id: IdPath, change: Annotated[StatusChange, Body()], call: CallDep
) -> Recorded:
    call.caller.may_write(unit, change.changed_on)
    done = await service.change_task_status(_coordination(call), call.actor, unit, task_id, change)
    return _recorded(call, done)


@_records(
    "/units/{unit}/proposals", "Raise a proposal (kiến nghị, đề xuất) to a council above the unit"
)
async def raise_proposal(
    unit: Unit, proposal: Annotated[ProposalRaised, Body()], call: CallDep
) -> Recorded:
    call.caller.may_write(unit, proposal.raised_on)
    done = await service.raise_proposal(_coordination(call), call.actor, unit, proposal)
    return _recorded(call, done)


@_lists(
    "/units/{unit}/proposals",
    "Proposals a unit raised, or received from the units below it, with answers",
)
async def list_proposals(
    unit: Unit,
    call: CallDep,
    direction: Literal["raised", "received"] = "received",
    era: EraQuery = None,
    limit: Limit = 200,
) -> list[dict[str, Any]]:
    chosen = _readable_era(call, unit, era)
    return await service.proposals(_coordination(call), unit, chosen, direction, limit)


@_records(
    "/units/{unit}/proposals/{proposal_id}/answer",
    "Answer a proposal addressed to the unit",
    {404: "No such proposal received here"},
)
async def answer_proposal(
    unit: Unit,
    proposal_id: IdPath,
    answer: Annotated[Answer, Body()],
    call: CallDep,
    raised_by: RaisedBy = None,
) -> Recorded:
    call.caller.may_write(unit, answer.answered_on)
    done = await service.answer_proposal(
        _coordination(call), call.actor, unit, proposal_id, raised_by, answer
    )
    return _recorded(call, done)
