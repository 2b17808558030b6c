"""HTTP API of the meetings service: a council office records the meetings it held."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, Path, Query, Request, Response
from pydantic import BaseModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from contracts import UnitCode
from contracts.meetings import Meeting
from services.common.auth import AUTH_RESPONSES, CallerDep, caller_of, tokens_lifespan
from services.common.http import Conflict, NotFound
from services.meetings.domain import RecordMeeting, record_meeting
from services.meetings.wiring import Meetings


def _service_of(app: FastAPI) -> Meetings:
    service: Meetings = app.state.meetings
    return service


# Every route needs a valid bearer token (401 otherwise), even one that forgets to check the
# unit with `caller: CallerDep`; the secret is loaded when the app starts.
router = APIRouter(
    tags=["meetings"],
    dependencies=[Depends(caller_of)],
    responses=dict(AUTH_RESPONSES),
    lifespan=tokens_lifespan(_service_of),
)


class Recorded(BaseModel):
    meeting_id: str
    unit: str
    event_id: str
    sequence: int | None = None
    status: str


def _meetings(request: Request) -> Meetings:
    service: Meetings = request.app.state.meetings
    return service


@router.post(
    "/units/{unit}/meetings",
    status_code=201,
    response_model=Recorded,
    summary="Record a meeting the council of `unit` held",
    responses={
        200: {"description": "Already recorded with the same content (idempotent retry)"},
        400: {"description": "The body is not UTF-8 text"},
        403: {
            "description": "Outside the token's unit, a read-only token, or a unit this"
            " instance does not serve"
        },
        409: {"description": "The meeting_id is taken by different content"},
        422: {"description": "Invalid field, unknown unit on that date, or a future date"},
    },
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

    async def work(session: AsyncClientSession) -> Any:
        return await service.store.record(session, draft)

    try:
        envelope = await service.runtime.write(work)
    except DuplicateKeyError:
        existing = await service.store.find(meeting.meeting_id)
        same = (
            existing is not None
            and existing["unit"] == unit
            and existing["meeting"] == meeting.model_dump(mode="json")
        )
        if not same or existing is None:
            raise Conflict(
                "body.meeting_id",
                f"meeting_id {meeting.meeting_id} already records another meeting",
            ) from None
        response.status_code = 200
        return Recorded(
            meeting_id=meeting.meeting_id,
            unit=unit,
            event_id=existing["event_id"],
            status="unchanged",
        )
    return Recorded(
        meeting_id=meeting.meeting_id,
        unit=unit,
        event_id=str(envelope.event_id),
        sequence=envelope.sequence,
        status="recorded",
    )


@router.get(
    "/units/{unit}/meetings",
    summary="Meetings recorded for a unit, oldest first",
    responses={404: {"description": "No such unit between `from` and `to`"}},
)
async def list_meetings(
    request: Request,
    unit: Annotated[UnitCode, Path()],
    caller: CallerDep,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    caller.may_read_between(unit, start, end)
    return await _meetings(request).store.list(unit, start, end, limit)


@router.get(
    "/meetings/{meeting_id}",
    summary="One recorded meeting",
    responses={404: {"description": "No such meeting"}},
)
async def get_meeting(request: Request, meeting_id: str, caller: CallerDep) -> dict[str, Any]:
    doc = await _meetings(request).store.find(meeting_id)
    if doc is None:
        raise NotFound("path.meeting_id", f"no meeting {meeting_id}")
    caller.may_read_on(doc["unit"], date.fromisoformat(doc["held_on"]))
    return {**doc["meeting"], "unit": doc["unit"], "event_id": doc["event_id"]}
