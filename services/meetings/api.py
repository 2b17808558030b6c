"""HTTP API of the meetings service: a council office schedules, records, cancels and
corrects its meetings; each write and its event commit in one transaction (outbox)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import Body, FastAPI, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from contracts import Envelope, EventDraft, UnitCode
from contracts.ids import ID_PATTERN
from contracts.meetings import Meeting, MeetingScheduled, Text
from contracts.timezone import VIETNAM_TZ
from services.common.activity import (
    WRITE_REFUSALS,
    Responses,
    guarded_router,
    readable,
    receipt,
    record_once,
    recording_responses,
)
from services.common.auth import CallerDep
from services.common.errors import Conflict, NotFound
from services.common.mongo import Document
from services.meetings.domain import (
    MeetingState,
    RecordMeeting,
    Rules,
    ScheduleMeeting,
    Status,
    cancel_meeting,
    correct_meeting,
    hold_meeting,
    record_meeting,
    schedule_meeting,
)
from services.meetings.store import is_session_number_taken, view
from services.meetings.wiring import Meetings


def _service_of(app: FastAPI) -> Meetings:
    service: Meetings = app.state.meetings
    return service


router = guarded_router("meetings", _service_of)

MeetingId = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)]
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


def _rules(service: Meetings) -> Rules:
    return Rules(service.hierarchy, service.settings.units, service.today())


def _session_number_taken(field: str, error: DuplicateKeyError) -> Conflict | None:
    if not is_session_number_taken(error):
        return None
    return Conflict(field, "this council already has a session with that number in that term")


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
    unit: Annotated[UnitCode, Path()],
    meeting: Annotated[Meeting, Body()],
    caller: CallerDep,
) -> Recorded:
    service = _meetings(request)
    caller.may_write(unit, meeting.held_on)
    draft = record_meeting(
        RecordMeeting(unit=unit, meeting=meeting),
        service.hierarchy,
        service.settings.units,
        today=service.today(),
    )
    held = meeting.model_dump(mode="json")

    def taken(existing: Document | None) -> Conflict:
        if existing is None or existing["unit"] != unit or existing.get("meeting") is None:
            return Conflict(
                "body.meeting_id",
                f"meeting_id {meeting.meeting_id} is taken"
                + (
                    f": it is {existing['status']}"
                    f" (record it held with POST /units/{unit}/meetings/{meeting.meeting_id}/hold)"
                    if existing is not None and existing["unit"] == unit
                    else ""
                ),
            )
        return Conflict(
            "body.meeting_id", f"meeting_id {meeting.meeting_id} already records another meeting"
        )

    done = await record_once(
        service.runtime,
        lambda session: service.store.record(session, draft),
        lambda: service.store.find(meeting.meeting_id),
        lambda existing: existing["unit"] == unit and existing.get("meeting") == held,
        taken,
        lambda exc: _session_number_taken("body.number_in_term", exc),
    )
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
    unit: Annotated[UnitCode, Path()],
    plan: Annotated[MeetingScheduled, Body()],
    caller: CallerDep,
) -> Recorded:
    service = _meetings(request)
    caller.may_write(unit, plan.scheduled_for)
    draft = schedule_meeting(ScheduleMeeting(unit=unit, plan=plan), _rules(service))
    planned = plan.model_dump(mode="json")
    done = await record_once(
        service.runtime,
        lambda session: service.store.schedule(session, draft),
        lambda: service.store.find(plan.meeting_id),
        lambda existing: existing["unit"] == unit and existing.get("plan") == planned,
        lambda _: Conflict(
            "body.meeting_id", f"meeting_id {plan.meeting_id} is taken by another meeting"
        ),
        lambda exc: _session_number_taken("body.session.number_in_term", exc),
    )
    return Recorded(
        meeting_id=plan.meeting_id, unit=unit, **receipt(response, done, Status.SCHEDULED.value)
    )


async def _step(
    service: Meetings,
    response: Response,
    unit: str,
    meeting_id: str,
    status: str,
    decide: Callable[[MeetingState], EventDraft | None],
    write: Callable[[AsyncClientSession, EventDraft], Awaitable[Envelope]],
    number_field: str | None = None,
) -> Recorded:
    """Read the meeting, let the domain decide, write it and its event: one transaction.
    A decision to change nothing (a retry) answers with the meeting as it stands."""

    async def work(session: AsyncClientSession) -> Envelope | None:
        state = await service.store.state(session, meeting_id)
        if state is None or state.unit != unit:
            raise NotFound("path.meeting_id", f"no meeting {meeting_id} of unit {unit}")
        draft = decide(state)
        return None if draft is None else await write(session, draft)

    try:
        done: Envelope | Document | None = await service.runtime.write(work)
    except DuplicateKeyError as exc:
        if number_field is None:
            raise
        raise _session_number_taken(number_field, exc) or exc from None
    if done is None:
        done = await service.store.find(meeting_id)
        assert done is not None
    return Recorded(meeting_id=meeting_id, unit=unit, **receipt(response, done, status))


def _recorded_day(doc: Document | None) -> date | None:
    """The day in Vietnam a meeting's first record (its scheduling) was written; it never
    changes, so it may be read outside the step's transaction."""
    recorded = None if doc is None else doc.get("recorded_at")
    if not isinstance(recorded, datetime):
        return None
    if recorded.tzinfo is None:  # MongoDB hands back naive UTC
        recorded = recorded.replace(tzinfo=UTC)
    return recorded.astimezone(VIETNAM_TZ).date()


def _with_id(meeting: Meeting, meeting_id: str) -> Meeting:
    """The path names the meeting; a body that names none means the same one."""
    if "meeting_id" in meeting.model_fields_set:
        return meeting
    return meeting.model_copy(update={"meeting_id": meeting_id})


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
    unit: Annotated[UnitCode, Path()],
    meeting_id: MeetingId,
    meeting: Annotated[Meeting, Body()],
    caller: CallerDep,
) -> Recorded:
    service = _meetings(request)
    meeting = _with_id(meeting, meeting_id)
    caller.may_write(unit, meeting.held_on)
    rules = _rules(service)
    return await _step(
        service,
        response,
        unit,
        meeting_id,
        Status.HELD.value,
        lambda state: hold_meeting(state, meeting, rules),
        service.store.hold,
        "body.number_in_term",
    )


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
    unit: Annotated[UnitCode, Path()],
    meeting_id: MeetingId,
    cancellation: Annotated[Cancellation, Body()],
    caller: CallerDep,
) -> Recorded:
    service = _meetings(request)
    rules = _rules(service)
    scheduled_on = _recorded_day(await service.store.find(meeting_id))

    def decide(state: MeetingState) -> EventDraft:
        caller.may_write(unit, state.day)
        known = replace(state, scheduled_on=scheduled_on)
        return cancel_meeting(known, cancellation.reason, rules, cancellation.cancelled_on)

    return await _step(
        service, response, unit, meeting_id, Status.CANCELLED.value, decide, service.store.cancel
    )


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
    unit: Annotated[UnitCode, Path()],
    meeting_id: MeetingId,
    correction: Annotated[Correction, Body()],
    caller: CallerDep,
) -> Recorded:
    service = _meetings(request)
    corrected = _with_id(correction.meeting, meeting_id)
    caller.may_write(unit, corrected.held_on)
    rules = _rules(service)

    def decide(state: MeetingState) -> EventDraft | None:
        caller.may_write(unit, state.day)  # the record being changed, as well as the new day
        return correct_meeting(state, corrected, correction.reason, rules)

    return await _step(
        service,
        response,
        unit,
        meeting_id,
        "corrected",
        decide,
        service.store.correct,
        "body.meeting.number_in_term",
    )


@router.get(
    "/units/{unit}/meetings",
    summary="Meetings of a unit by day (held on, else planned for), oldest first, with status",
    responses={404: {"description": "No such unit between `from` and `to`"}},
)
async def list_meetings(
    request: Request,
    unit: Annotated[UnitCode, Path()],
    caller: CallerDep,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    status: Annotated[Status | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
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
    return view(
        readable(caller, doc, "day", NotFound("path.meeting_id", f"no meeting {meeting_id}"))
    )
