"""HTTP API of the oversight service: a council office records the supervisions it finished."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, Path, Query, Request, Response
from pydantic import BaseModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from contracts import UnitCode
from contracts.oversight import SupervisionFinished
from services.common.auth import AUTH_RESPONSES, CallerDep, caller_of, tokens_lifespan
from services.common.http import Conflict, NotFound
from services.oversight.domain import RecordSupervision, record_supervision
from services.oversight.wiring import Oversight


def _service_of(app: FastAPI) -> Oversight:
    service: Oversight = app.state.oversight
    return service


# Every route needs a valid bearer token (401 otherwise), even one that forgets to check the
# unit with `caller: CallerDep`; the secret is loaded when the app starts.
router = APIRouter(
    tags=["oversight"],
    dependencies=[Depends(caller_of)],
    responses=dict(AUTH_RESPONSES),
    lifespan=tokens_lifespan(_service_of),
)


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
        400: {"description": "The body is not UTF-8 text"},
        403: {
            "description": "Outside the token's unit, a read-only token, or a unit this"
            " instance does not serve"
        },
        409: {"description": "The supervision_id is taken by different content"},
        422: {"description": "Invalid field, unknown unit on that date, or a future date"},
    },
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
    if await service.items.find("supervision_plans", supervision.supervision_id) is not None:
        raise Conflict(
            "body.supervision_id",
            f"supervision {supervision.supervision_id} was planned: record its end with"
            f" POST /units/{unit}/supervision-plans/{supervision.supervision_id}/finished",
        )
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
    caller.may_read_between(unit, start, end)
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
    if doc is None:
        raise NotFound("path.supervision_id", f"no supervision {supervision_id}")
    caller.may_read_on(doc["unit"], date.fromisoformat(doc["finished_on"]))
    return {**doc["supervision"], "unit": doc["unit"], "event_id": doc["event_id"]}
