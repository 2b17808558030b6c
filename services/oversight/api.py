"""HTTP API of the oversight service: a council office records the supervisions it finished."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, Response
from pydantic import BaseModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from contracts import UnitCode
from contracts.oversight import SupervisionFinished
from services.common.http import Conflict, NotFound
from services.oversight.domain import RecordSupervision, record_supervision
from services.oversight.wiring import Oversight

router = APIRouter(tags=["oversight"])


class Recorded(BaseModel):
    supervision_id: str
    unit: str
    event_id: str
    sequence: int | None = None
    status: str


def _oversight(request: Request) -> Oversight:
    service: Oversight = request.app.state.oversight
    return service


@router.post(
    "/units/{unit}/supervisions",
    status_code=201,
    response_model=Recorded,
    summary="Record a supervision, survey or verification the council of `unit` finished",
    responses={
        200: {"description": "Already recorded with the same content (idempotent retry)"},
        403: {"description": "This instance does not serve that unit"},
        409: {"description": "The supervision_id is taken by different content"},
        422: {"description": "Invalid field, unknown unit on that date, or a future date"},
    },
)
async def post_supervision(
    request: Request,
    response: Response,
    unit: Annotated[UnitCode, Path()],
    supervision: Annotated[SupervisionFinished, Body()],
) -> Recorded:
    service = _oversight(request)
    draft = record_supervision(
        RecordSupervision(unit=unit, supervision=supervision),
        service.hierarchy,
        service.settings.units,
        today=service.today(),
    )

    async def work(session: AsyncClientSession) -> Any:
        return await service.store.record(session, draft)

    try:
        envelope = await service.runtime.write(work)
    except DuplicateKeyError:
        existing = await service.store.find(supervision.supervision_id)
        same = (
            existing is not None
            and existing["unit"] == unit
            and existing["supervision"] == supervision.model_dump(mode="json")
        )
        if not same or existing is None:
            raise Conflict(
                "body.supervision_id",
                f"supervision_id {supervision.supervision_id} already records another supervision",
            ) from None
        response.status_code = 200
        return Recorded(
            supervision_id=supervision.supervision_id,
            unit=unit,
            event_id=existing["event_id"],
            status="unchanged",
        )
    return Recorded(
        supervision_id=supervision.supervision_id,
        unit=unit,
        event_id=str(envelope.event_id),
        sequence=envelope.sequence,
        status="recorded",
    )


@router.get(
    "/units/{unit}/supervisions",
    summary="Supervisions recorded for a unit, by the day they finished, oldest first",
)
async def list_supervisions(
    request: Request,
    unit: Annotated[UnitCode, Path()],
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    return await _oversight(request).store.list(unit, start, end, limit)


@router.get("/supervisions/{supervision_id}", summary="One recorded supervision")
async def get_supervision(request: Request, supervision_id: str) -> dict[str, Any]:
    doc = await _oversight(request).store.find(supervision_id)
    if doc is None:
        raise NotFound("path.supervision_id", f"no supervision {supervision_id}")
    return {**doc["supervision"], "unit": doc["unit"], "event_id": doc["event_id"]}
