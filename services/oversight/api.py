"""HTTP API of the oversight service: a council office records the supervisions it finished."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Body, FastAPI, Path, Query, Request, Response
from pydantic import BaseModel

from contracts import UnitCode
from contracts.oversight import SupervisionFinished
from services.common.activity import (
    guarded_router,
    readable,
    receipt,
    record_once,
    recording_responses,
)
from services.common.auth import CallerDep
from services.common.errors import Conflict, NotFound
from services.oversight.domain import RecordSupervision, record_supervision
from services.oversight.wiring import Oversight


def _service_of(app: FastAPI) -> Oversight:
    service: Oversight = app.state.oversight
    return service


router = guarded_router("oversight", _service_of)


class Recorded(BaseModel):
    supervision_id: str
    unit: str
    event_id: str
    sequence: int | None = None
    status: str


def _oversight(request: Request) -> Oversight:
    return _service_of(request.app)


@router.post(
    "/units/{unit}/supervisions",
    status_code=201,
    response_model=Recorded,
    summary="Record a supervision, survey or verification the council of `unit` finished",
    responses=recording_responses("The supervision_id is taken by different content"),
)
async def post_supervision(
    request: Request,
    response: Response,
    unit: Annotated[UnitCode, Path()],
    supervision: Annotated[SupervisionFinished, Body()],
    caller: CallerDep,
) -> Recorded:
    service = _oversight(request)
    caller.may_write(unit, supervision.finished_on)
    supervision_id = supervision.supervision_id
    if await service.items.find("supervision_plans", supervision_id) is not None:
        raise Conflict(
            "body.supervision_id",
            f"supervision {supervision_id} was planned: record its end with"
            f" POST /units/{unit}/supervision-plans/{supervision_id}/finished",
        )
    draft = record_supervision(
        RecordSupervision(unit=unit, supervision=supervision),
        service.hierarchy,
        service.settings.units,
        today=service.today(),
    )
    finished = supervision.model_dump(mode="json")
    done = await record_once(
        service.runtime,
        lambda session: service.store.record(session, draft),
        lambda: service.store.find(supervision_id),
        lambda existing: existing["unit"] == unit and existing["supervision"] == finished,
        lambda _: Conflict(
            "body.supervision_id",
            f"supervision_id {supervision_id} already records another supervision",
        ),
    )
    return Recorded(supervision_id=supervision_id, unit=unit, **receipt(response, done))


@router.get(
    "/units/{unit}/supervisions",
    summary="Supervisions recorded for a unit, by the day they finished, oldest first",
    responses={404: {"description": "No such unit between `from` and `to`"}},
)
async def list_supervisions(
    request: Request,
    unit: Annotated[UnitCode, Path()],
    caller: CallerDep,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    start, end = caller.may_read_between(unit, start, end)
    return await _oversight(request).store.list(unit, start, end, limit)


@router.get(
    "/supervisions/{supervision_id}",
    summary="One recorded supervision",
    responses={404: {"description": "No such supervision"}},
)
async def get_supervision(
    request: Request, supervision_id: str, caller: CallerDep
) -> dict[str, Any]:
    doc = await _oversight(request).store.find(supervision_id)
    missing = NotFound("path.supervision_id", f"no supervision {supervision_id}")
    doc = readable(caller, doc, "finished_on", missing)
    return {**doc["supervision"], "unit": doc["unit"], "event_id": doc["event_id"]}
