"""HTTP API of the meetings service: a council office records the meetings it held."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, Response
from pydantic import BaseModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from contracts import UnitCode
from contracts.meetings import Meeting
from services.common.http import Conflict, NotFound
from services.meetings.domain import RecordMeeting, record_meeting
from services.meetings.wiring import Meetings

router = APIRouter(tags=["meetings"])


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
        403: {"description": "This instance does not serve that unit"},
        409: {"description": "The meeting_id is taken by different content"},
        422: {"description": "Invalid field, unknown unit on that date, or a future date"},
    },
)
async def post_meeting(
    request: Request,
    response: Response,
    unit: Annotated[UnitCode, Path()],
    meeting: Annotated[Meeting, Body()],
) -> Recorded:
    service = _meetings(request)
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


@router.get("/units/{unit}/meetings", summary="Meetings recorded for a unit, oldest first")
async def list_meetings(
    request: Request,
    unit: Annotated[UnitCode, Path()],
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    return await _meetings(request).store.list(unit, start, end, limit)


@router.get("/meetings/{meeting_id}", summary="One recorded meeting")
async def get_meeting(request: Request, meeting_id: str) -> dict[str, Any]:
    doc = await _meetings(request).store.find(meeting_id)
    if doc is None:
        raise NotFound("path.meeting_id", f"no meeting {meeting_id}")
    return {**doc["meeting"], "unit": doc["unit"], "event_id": doc["event_id"]}
