"""HTTP API of the tracked items: supervision plans (planned → started → finished), their
recommendations (issued → implemented; overdue is recorded by the sweep), voter opinions
(received → forwarded → answered → resolved) and petitions (received → transferred → settled);
an opinion or petition whose meeting's corrected record no longer lists it is `withdrawn` (by
the intake) and takes no further step (409).

Every step is a POST naming the item under its unit, with the step's day in the body; the
rules are in `tracking.advance`: 409 out of order, 422 naming the field for a day in the
future, before the item was raised, or before the previous step; nothing is written then.
The routes parse, authorise and answer; services.oversight.service does the work, and the
bodies of the steps are in services.oversight.steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Body, Query
from fastapi.types import DecoratedCallable
from pydantic import BaseModel

from contracts.oversight import OpinionStage, PetitionReceived, PetitionStage, SupervisionPlanned
from services.common.activity import (
    Call,
    CallDep,
    IdPath,
    Limit,
    Responses,
    Unit,
    guarded_router,
    readable,
    with_signature,
)
from services.common.errors import NotFound
from services.common.mongo import Document
from services.oversight import service
from services.oversight.items import collection_of
from services.oversight.service import Moved
from services.oversight.steps import (
    FOLLOW_UPS,
    FinishSupervision,
    FollowUp,
    PetitionByMail,
)
from services.oversight.tracking import OPINION, PETITION, RECOMMENDATION, SUPERVISION, Lifecycle
from services.oversight.wiring import oversight_of

router = guarded_router("oversight")  # the secret is loaded by the supervisions' router

LIST_RESPONSES: Responses = {404: {"description": "No such unit between `from` and `to`"}}
STEP_RESPONSES: Responses = {
    400: {"description": "The body is not UTF-8 text"},
    200: {"description": "Already taken that day with the same details (idempotent retry)"},
    403: {"description": "Outside the token's unit, read-only, or a unit not served here"},
    404: {"description": "No such item in this unit"},
    409: {"description": "Out of order, or taken already with other details"},
    422: {"description": "Invalid field, a future day, or a day before the item or its last step"},
}
RaisedFrom = Annotated[date | None, Query(alias="from", description="Raised on or after")]
RaisedTo = Annotated[date | None, Query(alias="to", description="Raised on or before")]


class Recorded(BaseModel):
    """What a step (or an opening) recorded: the item, where it stands, its new events."""

    item_id: str
    unit: str
    stage: str
    status: Literal["recorded", "unchanged"]
    event_ids: list[str]


def _answer(call: Call, moved: Moved) -> Recorded:
    """The item as it now stands; a step or opening that wrote nothing (a retry) answers 200."""
    doc, envelopes = moved.item, moved.envelopes
    if not envelopes:
        call.response.status_code = 200
    return Recorded(
        item_id=doc["_id"],
        unit=doc["unit"],
        stage=doc["stage"],
        status="recorded" if envelopes else "unchanged",
        event_ids=[str(e.event_id) for e in envelopes],
    )


def _item_json(lifecycle: Lifecycle, doc: Document) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if k not in ("_id", "recorded_at")}
    return {f"{lifecycle.item}_id": doc["_id"], **out}


def _step_route(step: FollowUp[Any]) -> None:
    """Register the POST of `step`, which moves an item to the stage its path ends in."""
    lifecycle, to = step.lifecycle, step.to
    id_name = f"{lifecycle.item}_id"
    item_path: dict[str, Any] = {id_name: IdPath}

    async def take_step(unit: str, body: Any, call: Call, **ids: str) -> Recorded:
        on: date = getattr(body, f"{to}_on")
        moved = await service.take_step(
            oversight_of(call.app),
            call.caller,
            call.actor,
            unit,
            lifecycle,
            ids[id_name],
            to,
            on,
            lambda item, doc: step.events(body, item, doc),
        )
        return _answer(call, moved)

    endpoint = with_signature(
        take_step, Recorded, unit=Unit, **item_path, body=step.body, call=CallDep
    )
    router.post(
        step.path,
        name=step.name,
        response_model=Recorded,
        summary=step.summary,
        responses=STEP_RESPONSES,
    )(endpoint)


def _step_routes(lifecycle: Lifecycle) -> None:
    """Register the POSTs of the steps of `lifecycle` in the table, in its order."""
    for step in FOLLOW_UPS:
        if step.lifecycle is lifecycle:
            _step_route(step)


@dataclass(frozen=True, slots=True)
class Listing:
    """The GETs of the items of `lifecycle` at `path`: `items` (the route listing them,
    whose stage filter takes `stages`) and `item` (the route reading one)."""

    lifecycle: Lifecycle
    path: str  # "/units/{unit}/opinions"
    stages: Any  # a Literal of the stages a list may be filtered by
    items: tuple[str, str]  # its name and summary
    item: tuple[str, str, str]  # its name, summary, and what its 404 says


def _read_routes(listing: Listing) -> None:
    lifecycle = listing.lifecycle
    id_name = f"{lifecycle.item}_id"
    item_path: dict[str, Any] = {id_name: IdPath}
    collection = collection_of(lifecycle)

    async def list_items(
        unit: str, call: Call, stage: str | None, start: date | None, end: date | None, limit: int
    ) -> list[dict[str, Any]]:
        start, end = call.caller.may_read_between(unit, start, end)
        items = oversight_of(call.app).items
        docs = await items.listed(collection, unit, stage, start, end, limit)
        return [_item_json(lifecycle, d) for d in docs]

    async def get_item(unit: str, call: Call, **ids: str) -> dict[str, Any]:
        id_ = ids[id_name]
        doc = await oversight_of(call.app).items.find(collection, id_)
        missing = NotFound(id_name, f"no {lifecycle.item} {id_} in {unit}")
        return _item_json(lifecycle, readable(call.caller, doc, "raised_on", missing, unit))

    list_endpoint = with_signature(
        list_items,
        list[dict[str, Any]],
        defaults={"stage": None, "start": None, "end": None, "limit": 200},
        unit=Unit,
        call=CallDep,
        stage=Annotated[listing.stages | None, Query()],
        start=RaisedFrom,
        end=RaisedTo,
        limit=Limit,
    )
    name, summary = listing.items
    router.get(listing.path, name=name, summary=summary, responses=LIST_RESPONSES)(list_endpoint)
    one_endpoint = with_signature(get_item, dict[str, Any], unit=Unit, **item_path, call=CallDep)
    name, summary, missing = listing.item
    router.get(
        f"{listing.path}/{{{id_name}}}",
        name=name,
        summary=summary,
        responses={404: {"description": missing}},
    )(one_endpoint)


def _opening(path: str, summary: str) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """The POST at `path` that opens an item (201, or 200 for a retry)."""
    return router.post(
        path, status_code=201, response_model=Recorded, summary=summary, responses=STEP_RESPONSES
    )


# -- supervisions: planned → started → finished ----------------------------------------------


@_opening(
    "/units/{unit}/supervision-plans",
    "Record the plan of a supervision, survey or verification (kế hoạch giám sát)",
)
async def plan_supervision(
    unit: Unit, plan: Annotated[SupervisionPlanned, Body()], call: CallDep
) -> Recorded:
    call.caller.may_write(unit, plan.planned_on)
    moved = await service.plan_supervision(oversight_of(call.app), call.actor, unit, plan)
    return _answer(call, moved)


_step_routes(SUPERVISION)


@router.post(
    "/units/{unit}/supervision-plans/{supervision_id}/finished",
    response_model=Recorded,
    summary="The activity finished, with its findings and recommendations (kiến nghị)",
    responses=STEP_RESPONSES,
)
async def finish_supervision(
    unit: Unit, supervision_id: IdPath, body: FinishSupervision, call: CallDep
) -> Recorded:
    moved = await service.finish_supervision(
        oversight_of(call.app),
        call.caller,
        call.actor,
        unit,
        supervision_id,
        body.finished_on,
        body.findings,
        body.report_ref,
        body.recommendations,
    )
    return _answer(call, moved)


_read_routes(
    Listing(
        SUPERVISION,
        "/units/{unit}/supervision-plans",
        Literal["planned", "started", "finished"],
        ("list_supervision_plans", "Planned supervisions, by plan day"),
        (
            "get_supervision_plan",
            "One planned supervision and its steps",
            "No such plan in this unit",
        ),
    )
)

# -- recommendations: issued → implemented (or overdue, by the sweep) ------------------------

_step_routes(RECOMMENDATION)
_read_routes(
    Listing(
        RECOMMENDATION,
        "/units/{unit}/recommendations",
        Literal["issued", "implemented"],
        ("list_recommendations", "Recommendations, by the day issued"),
        (
            "get_recommendation",
            "One recommendation and its follow-up",
            "No such recommendation in this unit",
        ),
    )
)

# -- voter opinions: received (from voter contacts) → forwarded → answered → resolved --------

_step_routes(OPINION)
_read_routes(
    Listing(
        OPINION,
        "/units/{unit}/opinions",
        Literal[OpinionStage, "withdrawn"],
        ("list_opinions", "Voter opinions, by the day raised"),
        ("get_opinion", "One voter opinion and its follow-up", "No such opinion in this unit"),
    )
)

# -- petitions: received (at receptions, or by mail here) → transferred → settled ------------


@_opening("/units/{unit}/petitions", "Register a petition received by mail")
async def register_petition(
    unit: Unit, petition: Annotated[PetitionByMail, Body()], call: CallDep
) -> Recorded:
    call.caller.may_write(unit, petition.received_on)
    event = PetitionReceived(**petition.model_dump(), channel="mail")
    moved = await service.register_petition(oversight_of(call.app), call.actor, unit, event)
    return _answer(call, moved)


_step_routes(PETITION)
_read_routes(
    Listing(
        PETITION,
        "/units/{unit}/petitions",
        Literal[PetitionStage, "withdrawn"],
        ("list_petitions", "Petitions, by the day received"),
        ("get_petition", "One petition and its follow-up", "No such petition in this unit"),
    )
)
