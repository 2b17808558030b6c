"""HTTP API of the meetings service: a council office schedules, records, cancels and
corrects its meetings (services.meetings.service does it); each write and its event commit
in one transaction (outbox)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Body, FastAPI, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from contracts.meetings import Meeting, MeetingScheduled, Text
from services.common.activity import (
    WRITE_REFUSALS,
    From,
    IdPath,
    Limit,
    Responses,
    To,
    Unit,
    guarded_router,
    readable,
    receipt,
    recording_responses,
)
from services.common.auth import CallerDep
from services.common.errors import NotFound
from services.common.http import carried_in
from services.meetings import service
from services.meetings.domain import Status
from services.meetings.store import view
from services.meetings.wiring import Meetings


def _service_of(app: FastAPI) -> Meetings:
    meetings: Meetings = app.state.meetings
    return meetings


router = guarded_router("meetings", _service_of)

_STEP_RESPONSES: Responses = {
    **WRITE_REFUSALS,
    404: {"description": "No such meeting of this unit"},
    409: {"description": "The meeting is not in a state that allows this step"},
}


class Recorded(BaseModel):
    meeting_id: str
    unit: str
    event_id: str
    sequence: int | None = None
    status: str


class Cancellation(BaseModel):
    """Why a scheduled meeting is called off, and when."""

    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(description="Lý do hủy.")
    cancelled_on: date | None = Field(
        default=None,
        description="The day it was called off (default today): not in the future, not before"
        " the meeting was scheduled (the day its scheduling was recorded).",
    )


class Correction(BaseModel):
    """The full corrected content of a held meeting (đính chính), and why."""

    model_config = ConfigDict(extra="forbid")

    meeting: Meeting
    reason: str | None = Field(default=None, max_length=2000, description="Lý do đính chính.")


def _meetings(request: Request) -> Meetings:
    return _service_of(request.app)


def _with_id(meeting: Meeting, meeting_id: str) -> Meeting:
    """The path names the meeting; a body that names none means the same one."""
    if "meeting_id" in meeting.model_fields_set:
        return meeting
    return meeting.model_copy(update={"meeting_id": meeting_id})


@router.post(
    "/units/{unit}/meetings",
    status_code=201,
    response_model=Recorded,
    summary="Record a meeting the council of `unit` held (without scheduling it first)",
    responses=recording_responses(
        "The meeting_id is taken by different content, or the session number is taken in the term"
    ),
)
async def post_meeting(
    request: Request,
    response: Response,
    unit: Unit,
    meeting: Annotated[Meeting, Body()],
    caller: CallerDep,
) -> Recorded:
    caller.may_write(unit, meeting.held_on)
    with carried_in(meeting="body"):
        done = await service.record(_meetings(request), unit, meeting)
    return Recorded(meeting_id=meeting.meeting_id, unit=unit, **receipt(response, done))


@router.post(
    "/units/{unit}/scheduled-meetings",
    status_code=201,
    response_model=Recorded,
    summary="Schedule a meeting of the council of `unit` (the day may be in the future)",
    responses=recording_responses(
        "The meeting_id is taken, or the session number in the term",
        retried="Already scheduled with the same plan (idempotent retry)",
    ),
)
async def schedule(
    request: Request,
    response: Response,
    unit: Unit,
    plan: Annotated[MeetingScheduled, Body()],
    caller: CallerDep,
) -> Recorded:
    caller.may_write(unit, plan.scheduled_for)
    with carried_in(plan="body"):
        done = await service.schedule(_meetings(request), unit, plan)
    status = Status.SCHEDULED.value
    return Recorded(meeting_id=plan.meeting_id, unit=unit, **receipt(response, done, status))


@router.post(
    "/units/{unit}/meetings/{meeting_id}/hold",
    status_code=201,
    response_model=Recorded,
    summary="Record that a scheduled meeting was held, with what it did",
    responses=_STEP_RESPONSES,
)
async def hold(
    request: Request,
    response: Response,
    unit: Unit,
    meeting_id: IdPath,
    meeting: Annotated[Meeting, Body()],
    caller: CallerDep,
) -> Recorded:
    meeting = _with_id(meeting, meeting_id)
    caller.may_write(unit, meeting.held_on)
    with carried_in(meeting="body"):
        done = await service.hold(_meetings(request), unit, meeting_id, meeting)
    status = Status.HELD.value
    return Recorded(meeting_id=meeting_id, unit=unit, **receipt(response, done, status))


@router.post(
    "/units/{unit}/meetings/{meeting_id}/cancel",
    status_code=201,
    response_model=Recorded,
    summary="Cancel a scheduled meeting, with the reason",
    responses=_STEP_RESPONSES,
)
async def cancel(
    request: Request,
    response: Response,
    unit: Unit,
    meeting_id: IdPath,
    cancellation: Annotated[Cancellation, Body()],
    caller: CallerDep,
) -> Recorded:
    reason, on = cancellation.reason, cancellation.cancelled_on
    done = await service.cancel(_meetings(request), caller, unit, meeting_id, reason, on)
    status = Status.CANCELLED.value
    return Recorded(meeting_id=meeting_id, unit=unit, **receipt(response, done, status))


@router.post(
    "/units/{unit}/meetings/{meeting_id}/correct",
    status_code=201,
    response_model=Recorded,
    summary="Correct what was recorded of a held meeting (the full corrected content)",
    responses={
        **_STEP_RESPONSES,
        200: {"description": "The meeting already reads so (nothing to correct; a retry)"},
    },
)
async def correct(
    request: Request,
    response: Response,
    unit: Unit,
    meeting_id: IdPath,
    correction: Annotated[Correction, Body()],
    caller: CallerDep,
) -> Recorded:
    corrected = _with_id(correction.meeting, meeting_id)
    caller.may_write(unit, corrected.held_on)
    meetings, reason = _meetings(request), correction.reason
    done = await service.correct(meetings, caller, unit, meeting_id, corrected, reason)
    return Recorded(meeting_id=meeting_id, unit=unit, **receipt(response, done, "corrected"))


@router.get(
    "/units/{unit}/meetings",
    summary="Meetings of a unit by day (held on, else planned for), oldest first, with status",
    responses={404: {"description": "No such unit between `from` and `to`"}},
)
async def list_meetings(
    request: Request,
    unit: Unit,
    caller: CallerDep,
    start: From = None,
    end: To = None,
    status: Annotated[Status | None, Query()] = None,
    limit: Limit = 200,
) -> list[dict[str, Any]]:
    start, end = caller.may_read_between(unit, start, end)
    return await _meetings(request).store.list(unit, start, end, limit, status)


@router.get(
    "/meetings/{meeting_id}",
    summary="One meeting: its content (held, else as planned), status and latest event",
    responses={404: {"description": "No such meeting"}},
)
async def get_meeting(request: Request, meeting_id: str, caller: CallerDep) -> dict[str, Any]:
    doc = await _meetings(request).store.find(meeting_id)
    return view(readable(caller, doc, "day", NotFound("meeting_id", f"no meeting {meeting_id}")))
