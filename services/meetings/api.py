"""HTTP API of the meetings service: a council office schedules, records, cancels and
corrects its meetings (services.meetings.service does it); each write and its event commit
in one transaction (outbox)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import Body, FastAPI, Query
from fastapi.types import DecoratedCallable
from pydantic import BaseModel, ConfigDict, Field

from contracts.meetings import Meeting, MeetingScheduled, Text
from services.common.activity import (
    WRITE_REFUSALS,
    Call,
    CallDep,
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
from services.common.errors import NotFound
from services.common.limits import EventTooLarge
from services.meetings import service
from services.meetings.domain import Status
from services.meetings.service import Done
from services.meetings.store import view
from services.meetings.wiring import Meetings


def _service_of(app: FastAPI) -> Meetings:
    meetings: Meetings = app.state.meetings
    return meetings


router = guarded_router("meetings", _service_of)

Held = Annotated[Meeting, Body()]
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


def _meetings(call: Call) -> Meetings:
    return _service_of(call.app)


def _recorded(call: Call, meeting_id: str, unit: str, done: Done, status: str) -> Recorded:
    return Recorded(meeting_id=meeting_id, unit=unit, **receipt(call.response, done, status))


def _with_id(meeting: Meeting, meeting_id: str) -> Meeting:
    """The path names the meeting; a body that names none means the same one."""
    if "meeting_id" in meeting.model_fields_set:
        return meeting
    return meeting.model_copy(update={"meeting_id": meeting_id})


def _step(
    verb: str, summary: str, responses: Responses = _STEP_RESPONSES
) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """The POST of the step `verb` of the meeting a path names."""
    path = f"/units/{{unit}}/meetings/{{meeting_id}}/{verb}"
    return router.post(
        path, status_code=201, response_model=Recorded, summary=summary, responses=responses
    )


@router.post(
    "/units/{unit}/meetings",
    status_code=201,
    response_model=Recorded,
    summary="Record a meeting the council of `unit` held (without scheduling it first)",
    responses=recording_responses(
        "The meeting_id is taken by different content, or the session number is taken in the term"
    ),
)
async def post_meeting(unit: Unit, meeting: Held, call: CallDep) -> Recorded:
    call.caller.may_write(unit, meeting.held_on)
    done = await service.record(_meetings(call), call.actor, unit, meeting)
    return _recorded(call, meeting.meeting_id, unit, done, "recorded")


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
    unit: Unit, plan: Annotated[MeetingScheduled, Body()], call: CallDep
) -> Recorded:
    call.caller.may_write(unit, plan.scheduled_for)
    done = await service.schedule(_meetings(call), call.actor, unit, plan)
    return _recorded(call, plan.meeting_id, unit, done, Status.SCHEDULED.value)


@_step("hold", "Record that a scheduled meeting was held, with what it did")
async def hold(unit: Unit, meeting_id: IdPath, meeting: Held, call: CallDep) -> Recorded:
    meeting = _with_id(meeting, meeting_id)
    call.caller.may_write(unit, meeting.held_on)
    done = await service.hold(_meetings(call), call.caller, call.actor, unit, meeting_id, meeting)
    return _recorded(call, meeting_id, unit, done, Status.HELD.value)


@_step("cancel", "Cancel a scheduled meeting, with the reason")
async def cancel(
    unit: Unit, meeting_id: IdPath, cancellation: Annotated[Cancellation, Body()], call: CallDep
) -> Recorded:
    reason, on = cancellation.reason, cancellation.cancelled_on
    meetings = _meetings(call)
    done = await service.cancel(meetings, call.caller, call.actor, unit, meeting_id, reason, on)
    return _recorded(call, meeting_id, unit, done, Status.CANCELLED.value)


@_step(
    "correct",
    "Correct what was recorded of a held meeting (the full corrected content)",
    {
        **_STEP_RESPONSES,
        200: {"description": "The meeting already reads so (nothing to correct; a retry)"},
    },
)
async def correct(
    unit: Unit, meeting_id: IdPath, correction: Annotated[Correction, Body()], call: CallDep
) -> Recorded:
    corrected = _with_id(correction.meeting, meeting_id)
    call.caller.may_write(unit, corrected.held_on)
    meetings, reason = _meetings(call), correction.reason
    try:
        done = await service.correct(
            meetings, call.caller, call.actor, unit, meeting_id, corrected, reason
        )
    except EventTooLarge as exc:  # its event carries both contents; the body is `meeting`
        raise exc.renamed(previous="meeting", corrected="meeting") from None
    return _recorded(call, meeting_id, unit, done, "corrected")


@router.get(
    "/units/{unit}/meetings",
    summary="Meetings of a unit by day (held on, else planned for), oldest first, with status",
    responses={404: {"description": "No such unit between `from` and `to`"}},
)
async def list_meetings(
    unit: Unit,
    call: CallDep,
    start: From = None,
    end: To = None,
    status: Annotated[Status | None, Query()] = None,
    limit: Limit = 200,
) -> list[dict[str, Any]]:
    start, end = call.caller.may_read_between(unit, start, end)
    return await _meetings(call).store.list(unit, start, end, limit, status)


@router.get(
    "/meetings/{meeting_id}",
    summary="One meeting: its content (held, else as planned), status and latest event",
    responses={404: {"description": "No such meeting"}},
)
async def get_meeting(meeting_id: str, call: CallDep) -> dict[str, Any]:
    doc = await _meetings(call).store.find(meeting_id)
    missing = NotFound("meeting_id", f"no meeting {meeting_id}")
    return view(readable(call.caller, doc, "day", missing))
