"""HTTP API of the oversight service: a council office records the supervisions it finished
(services.oversight.service does it)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body
from pydantic import BaseModel

from contracts.oversight import SupervisionFinished
from services.common.activity import (
    CallDep,
    From,
    Limit,
    To,
    Unit,
    guarded_router,
    readable,
    receipt,
    recording_responses,
)
from services.common.errors import NotFound
from services.oversight import service
from services.oversight.wiring import oversight_of

router = guarded_router("oversight", oversight_of)


class Recorded(BaseModel):
    supervision_id: str
    unit: str
    event_id: str
    sequence: int | None = None
    status: str


@router.post(
    "/units/{unit}/supervisions",
    status_code=201,
    response_model=Recorded,
    summary="Record a supervision, survey or verification the council of `unit` finished",
    responses=recording_responses("The supervision_id is taken by different content"),
)
async def post_supervision(
    unit: Unit, supervision: Annotated[SupervisionFinished, Body()], call: CallDep
) -> Recorded:
    call.caller.may_write(unit, supervision.finished_on)
    oversight = oversight_of(call.app)
    done = await service.record_finished_supervision(oversight, call.actor, unit, supervision)
    answer = receipt(call.response, done)
    return Recorded(supervision_id=supervision.supervision_id, unit=unit, **answer)


@router.get(
    "/units/{unit}/supervisions",
    summary="Supervisions recorded for a unit, by the day they finished, oldest first",
    responses={404: {"description": "No such unit between `from` and `to`"}},
)
async def list_supervisions(
    unit: Unit, call: CallDep, start: From = None, end: To = None, limit: Limit = 200
) -> list[dict[str, Any]]:
    start, end = call.caller.may_read_between(unit, start, end)
    return await oversight_of(call.app).store.list(unit, start, end, limit)


@router.get(
    "/supervisions/{supervision_id}",
    summary="One recorded supervision",
    responses={404: {"description": "No such supervision"}},
)
async def get_supervision(supervision_id: str, call: CallDep) -> dict[str, Any]:
    doc = await oversight_of(call.app).store.find(supervision_id)
    missing = NotFound("supervision_id", f"no supervision {supervision_id}")
    doc = readable(call.caller, doc, "finished_on", missing)
    shown = {"unit": doc["unit"], "event_id": doc["event_id"]}
    return {**doc["supervision"], **shown, "recorded_by": doc.get("recorded_by")}
