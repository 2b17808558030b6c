"""HTTP API of the tracked items: supervision plans (planned → started → finished), their
recommendations (issued → implemented; overdue is recorded by the sweep), voter opinions
(received → forwarded → answered → resolved) and petitions (received → transferred → settled);
an opinion or petition whose meeting's corrected record no longer lists it is `withdrawn` (by
the intake) and takes no further step (409).

Every step is a POST naming the item under its unit, with the step's day in the body; the
rules are in `tracking.advance`: 409 out of order, 422 naming the field for a day in the
future, before the item was raised, or before the previous step; nothing is written then.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal, TypeVar
from uuid import uuid4

from fastapi import Body, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from contracts import Envelope, EventDraft
from contracts.ids import ID_PATTERN
from contracts.oversight import (
    Agency,
    ItemId,
    LongText,
    OpinionStage,
    PetitionReceived,
    PetitionStage,
    PetitionType,
    Recommendation,
    SupervisionPlanned,
)
from services.common.activity import (
    Limit,
    Responses,
    Unit,
    guarded_router,
    readable,
    record_once,
    with_signature,
)
from services.common.auth import Caller, CallerDep
from services.common.errors import Conflict, DomainError, NotFound
from services.common.mongo import Document
from services.common.recording import recordable_unit
from services.oversight import followups
from services.oversight.items import collection_of, new_item
from services.oversight.tracking import (
    OPINION,
    PETITION,
    RECOMMENDATION,
    SUPERVISION,
    Lifecycle,
    Tracked,
)
from services.oversight.wiring import Oversight

router = guarded_router("oversight")  # the secret is loaded by the supervisions' router

ItemPath = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)]
LIST_RESPONSES: Responses = {404: {"description": "No such unit between `from` and `to`"}}
STEP_RESPONSES: Responses = {
    400: {"description": "The body is not UTF-8 text"},
    200: {"description": "Already taken that day with the same details (idempotent retry)"},
    403: {"description": "Outside the token's unit, read-only, or a unit not served here"},
    404: {"description": "No such item in this unit"},
    409: {"description": "Out of order, or taken already with other details"},
    422: {"description": "Invalid field, a future day, or a day before the item or its last step"},
}


def _oversight(request: Request) -> Oversight:
    service: Oversight = request.app.state.oversight
    return service


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Recorded(BaseModel):
    """What a step (or an opening) recorded: the item, where it stands, its new events."""

    item_id: str
    unit: str
    stage: str
    status: Literal["recorded", "unchanged"]
    event_ids: list[str]


def _answer(response: Response, doc: Document, envelopes: list[Any]) -> Recorded:
    """The item as it now stands; a step or opening that wrote nothing (a retry) answers 200."""
    if not envelopes:
        response.status_code = 200
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


async def _take_step(
    request: Request,
    response: Response,
    caller: CallerDep,
    unit: str,
    lifecycle: Lifecycle,
    item_id: str,
    to: str,
    on: date,
    events: Callable[[Tracked, Document], list[EventDraft]],
    also: Callable[[AsyncClientSession, list[EventDraft], list[Any]], Any] | None = None,
) -> Recorded:
    """Check who may, then decide and write the step in one transaction with its events."""
    service = _oversight(request)
    caller.may_write(unit, on)
    collection = collection_of(lifecycle)
    doc = await service.items.find(collection, item_id)
    if doc is None or doc["unit"] != unit:
        raise NotFound(f"path.{lifecycle.item}_id", f"no {lifecycle.item} {item_id} in {unit}")
    raised = date.fromisoformat(doc["raised_on"])
    caller.may_write(unit, raised)  # its unit surely existed then, even if dissolved since
    if lifecycle is SUPERVISION and on <= service.today() and not service.hierarchy.find(unit, on):
        # a supervision's steps are its council's acts, each on its own day
        raise DomainError(f"body.{to}_on", f"unit {unit} did not exist on {on}")
    recordable_unit(
        service.hierarchy,
        unit,
        raised,
        served=service.settings.units,
        today=service.today(),
        day_field="path.unit",
    )
    made: list[EventDraft] = []

    def decide(item: Tracked, stored: Document) -> list[EventDraft]:
        made[:] = events(item, stored)
        return made

    async def work(session: AsyncClientSession) -> list[Any]:
        _, envelopes = await service.items.step(
            session, lifecycle, collection, item_id, to, on, service.today(), decide
        )
        if envelopes and also is not None:
            await also(session, made, envelopes)
        return envelopes

    try:
        envelopes = await service.runtime.write(work)
    except DuplicateKeyError as exc:
        raise Conflict("body", f"an id in this request is taken already: {exc.details}") from None
    return _answer(response, {**doc, "stage": to}, envelopes)


async def _open(
    request: Request,
    response: Response,
    lifecycle: Lifecycle,
    doc: Document,
    draft: EventDraft,
) -> Recorded:
    """Open an item registered over HTTP; a retry with the same content changes nothing."""
    service = _oversight(request)
    collection = collection_of(lifecycle)

    async def work(session: AsyncClientSession) -> Envelope:
        (envelope,) = await service.items.insert(session, collection, [doc], [draft])
        return envelope

    done = await record_once(
        service.runtime,
        work,
        lambda: service.items.find(collection, doc["_id"]),
        lambda existing: existing["unit"] == doc["unit"] and existing["opened"] == doc["opened"],
        lambda _: Conflict(
            f"body.{lifecycle.item}_id",
            f"{lifecycle.item}_id {doc['_id']} already records another {lifecycle.item}",
        ),
    )
    if isinstance(done, Envelope):
        return _answer(response, doc, [done])
    return _answer(response, {**doc, "stage": done["stage"]}, [])  # as the first try left it


async def _list(
    request: Request,
    caller: CallerDep,
    lifecycle: Lifecycle,
    unit: str,
    stage: str | None,
    start: date | None,
    end: date | None,
    limit: int,
) -> list[dict[str, Any]]:
    start, end = caller.may_read_between(unit, start, end)
    items = _oversight(request).items
    docs = await items.listed(collection_of(lifecycle), unit, stage, start, end, limit)
    return [_item_json(lifecycle, d) for d in docs]


async def _one(
    request: Request, caller: CallerDep, lifecycle: Lifecycle, unit: str, id_: str
) -> dict[str, Any]:
    doc = await _oversight(request).items.find(collection_of(lifecycle), id_)
    missing = NotFound(f"path.{lifecycle.item}_id", f"no {lifecycle.item} {id_} in {unit}")
    return _item_json(lifecycle, readable(caller, doc, "raised_on", missing, unit))


From = Annotated[date | None, Query(alias="from", description="Raised on or after")]
To = Annotated[date | None, Query(alias="to", description="Raised on or before")]
StepT = TypeVar("StepT", bound=Step)


def _step_route(
    name: str,
    path: str,
    summary: str,
    lifecycle: Lifecycle,
    model: type[StepT],
    events: Callable[[StepT, Tracked, Document], list[EventDraft]],
) -> None:
    """Register `name`, the POST at `path` that moves an item of `lifecycle` to the stage the
    path ends in; `model` is its body, dated in `<stage>_on`, and `events` what it emits."""
    to = path.rsplit("/", 1)[1]
    id_name = f"{lifecycle.item}_id"

    async def take_step(
        request: Request, response: Response, unit: str, body: StepT, caller: Caller, **ids: str
    ) -> Recorded:
        on: date = getattr(body, f"{to}_on")
        return await _take_step(
            request,
            response,
            caller,
            unit,
            lifecycle,
            ids[id_name],
            to,
            on,
            lambda item, doc: events(body, item, doc),
        )

    endpoint = with_signature(
        take_step,
        Recorded,
        request=Request,
        response=Response,
        unit=Unit,
        **{id_name: ItemPath},
        body=model,
        caller=CallerDep,
    )
    router.post(
        path, name=name, response_model=Recorded, summary=summary, responses=STEP_RESPONSES
    )(endpoint)


# -- supervisions: planned → started → finished ----------------------------------------------


@router.post(
    "/units/{unit}/supervision-plans",
    status_code=201,
    response_model=Recorded,
    summary="Record the plan of a supervision, survey or verification (kế hoạch giám sát)",
    responses=STEP_RESPONSES,
)
async def plan_supervision(
    request: Request,
    response: Response,
    unit: Unit,
    plan: Annotated[SupervisionPlanned, Body()],
    caller: CallerDep,
) -> Recorded:
    service = _oversight(request)
    caller.may_write(unit, plan.planned_on)
    draft = followups.plan_supervision(
        unit, plan, service.hierarchy, service.settings.units, service.today()
    )
    opened = plan.model_dump(mode="json")
    doc = new_item(plan.supervision_id, unit, "planned", plan.planned_on, opened)
    return await _open(request, response, SUPERVISION, doc, draft)


class StartSupervision(Step):
    started_on: date


_step_route(
    "start_supervision",
    "/units/{unit}/supervision-plans/{supervision_id}/started",
    "The planned activity started",
    SUPERVISION,
    StartSupervision,
    lambda body, item, doc: followups.supervision_started(item, doc, body.started_on),
)


class FinishSupervision(Step):
    finished_on: date
    findings: str | None = Field(default=None, max_length=20_000, description="Kết quả, nhận xét.")
    report_ref: str | None = Field(default=None, min_length=1, max_length=100)
    recommendations: list[Recommendation] = Field(default_factory=list, max_length=1000)

    @field_validator("recommendations")
    @classmethod
    def _each_id_once(cls, recs: list[Recommendation]) -> list[Recommendation]:
        ids = [r.recommendation_id for r in recs]
        if len(ids) != len(set(ids)):
            raise ValueError("each recommendation_id may appear only once")
        return recs


@router.post(
    "/units/{unit}/supervision-plans/{supervision_id}/finished",
    response_model=Recorded,
    summary="The activity finished, with its findings and recommendations (kiến nghị)",
    responses=STEP_RESPONSES,
)
async def finish_supervision(
    request: Request,
    response: Response,
    unit: Unit,
    supervision_id: ItemPath,
    body: FinishSupervision,
    caller: CallerDep,
) -> Recorded:
    service = _oversight(request)

    def events(item: Tracked, doc: Document) -> list[EventDraft]:
        return followups.supervision_finished(
            item, doc, body.finished_on, body.findings, body.report_ref, body.recommendations
        )

    async def also(session: AsyncClientSession, drafts: list[EventDraft], envs: list[Any]) -> None:
        await service.store.remember(session, drafts[0], envs[0])
        docs = []
        for draft in drafts[1:]:
            issued = draft.payload.model_dump(mode="json")
            docs.append(
                new_item(
                    issued["recommendation_id"],
                    unit,
                    "issued",
                    body.finished_on,
                    issued,
                    deadline=issued["deadline"],
                    overdue=False,
                )
            )
        for doc, env in zip(docs, envs[1:], strict=True):
            doc["event_ids"] = {"issued": str(env.event_id)}
            await service.items.db["recommendations"].insert_one(doc, session=session)

    return await _take_step(
        request,
        response,
        caller,
        unit,
        SUPERVISION,
        supervision_id,
        "finished",
        body.finished_on,
        events,
        also,
    )


@router.get(
    "/units/{unit}/supervision-plans",
    summary="Planned supervisions, by plan day",
    responses=LIST_RESPONSES,
)
async def list_supervision_plans(
    request: Request,
    unit: Unit,
    caller: CallerDep,
    stage: Annotated[Literal["planned", "started", "finished"] | None, Query()] = None,
    start: From = None,
    end: To = None,
    limit: Limit = 200,
) -> list[dict[str, Any]]:
    return await _list(request, caller, SUPERVISION, unit, stage, start, end, limit)


@router.get(
    "/units/{unit}/supervision-plans/{supervision_id}",
    summary="One planned supervision and its steps",
    responses={404: {"description": "No such plan in this unit"}},
)
async def get_supervision_plan(
    request: Request, unit: Unit, supervision_id: ItemPath, caller: CallerDep
) -> dict[str, Any]:
    return await _one(request, caller, SUPERVISION, unit, supervision_id)


# -- recommendations: issued → implemented (or overdue, by the sweep) ------------------------


class ImplementRecommendation(Step):
    implemented_on: date
    note: str | None = Field(default=None, max_length=5000)


_step_route(
    "implement_recommendation",
    "/units/{unit}/recommendations/{recommendation_id}/implemented",
    "The agency implemented the recommendation",
    RECOMMENDATION,
    ImplementRecommendation,
    lambda body, item, doc: followups.recommendation_implemented(
        item, doc, body.implemented_on, body.note
    ),
)


@router.get(
    "/units/{unit}/recommendations",
    summary="Recommendations, by the day issued",
    responses=LIST_RESPONSES,
)
async def list_recommendations(
    request: Request,
    unit: Unit,
    caller: CallerDep,
    stage: Annotated[Literal["issued", "implemented"] | None, Query()] = None,
    start: From = None,
    end: To = None,
    limit: Limit = 200,
) -> list[dict[str, Any]]:
    return await _list(request, caller, RECOMMENDATION, unit, stage, start, end, limit)


@router.get(
    "/units/{unit}/recommendations/{recommendation_id}",
    summary="One recommendation and its follow-up",
    responses={404: {"description": "No such recommendation in this unit"}},
)
async def get_recommendation(
    request: Request, unit: Unit, recommendation_id: ItemPath, caller: CallerDep
) -> dict[str, Any]:
    return await _one(request, caller, RECOMMENDATION, unit, recommendation_id)


# -- voter opinions: received (from voter contacts) → forwarded → answered → resolved --------


class ForwardOpinion(Step):
    forwarded_on: date
    agency: Agency


class AnswerOpinion(Step):
    answered_on: date
    answer: LongText | None = None


class ResolveOpinion(Step):
    resolved_on: date
    result: LongText | None = None


_step_route(
    "forward_opinion",
    "/units/{unit}/opinions/{opinion_id}/forwarded",
    "The opinion was forwarded to the competent agency",
    OPINION,
    ForwardOpinion,
    lambda body, item, _: followups.opinion_forwarded(item, body.forwarded_on, body.agency),
)


_step_route(
    "answer_opinion",
    "/units/{unit}/opinions/{opinion_id}/answered",
    "The agency answered the opinion",
    OPINION,
    AnswerOpinion,
    lambda body, item, _: followups.opinion_answered(item, body.answered_on, body.answer),
)


_step_route(
    "resolve_opinion",
    "/units/{unit}/opinions/{opinion_id}/resolved",
    "The opinion was resolved",
    OPINION,
    ResolveOpinion,
    lambda body, item, _: followups.opinion_resolved(item, body.resolved_on, body.result),
)


@router.get(
    "/units/{unit}/opinions", summary="Voter opinions, by the day raised", responses=LIST_RESPONSES
)
async def list_opinions(
    request: Request,
    unit: Unit,
    caller: CallerDep,
    stage: Annotated[Literal[OpinionStage, "withdrawn"] | None, Query()] = None,
    start: From = None,
    end: To = None,
    limit: Limit = 200,
) -> list[dict[str, Any]]:
    return await _list(request, caller, OPINION, unit, stage, start, end, limit)


@router.get(
    "/units/{unit}/opinions/{opinion_id}",
    summary="One voter opinion and its follow-up",
    responses={404: {"description": "No such opinion in this unit"}},
)
async def get_opinion(
    request: Request, unit: Unit, opinion_id: ItemPath, caller: CallerDep
) -> dict[str, Any]:
    return await _one(request, caller, OPINION, unit, opinion_id)


# -- petitions: received (at receptions, or by mail here) → transferred → settled ------------


class PetitionByMail(Step):
    """A petition the council received by mail (đơn thư gửi qua đường bưu chính)."""

    petition_id: ItemId = Field(default_factory=lambda: uuid4().hex)
    petition_type: PetitionType
    summary: LongText
    received_on: date


class TransferPetition(Step):
    transferred_on: date
    agency: Agency


class SettlePetition(Step):
    settled_on: date
    outcome: LongText | None = None


@router.post(
    "/units/{unit}/petitions",
    status_code=201,
    response_model=Recorded,
    summary="Register a petition received by mail",
    responses=STEP_RESPONSES,
)
async def register_petition(
    request: Request,
    response: Response,
    unit: Unit,
    petition: Annotated[PetitionByMail, Body()],
    caller: CallerDep,
) -> Recorded:
    service = _oversight(request)
    caller.may_write(unit, petition.received_on)
    event = PetitionReceived(**petition.model_dump(), channel="mail")
    draft = followups.receive_petition(
        unit, event, service.hierarchy, service.settings.units, service.today()
    )
    opened = event.model_dump(mode="json")
    doc = new_item(petition.petition_id, unit, "received", petition.received_on, opened)
    return await _open(request, response, PETITION, doc, draft)


_step_route(
    "transfer_petition",
    "/units/{unit}/petitions/{petition_id}/transferred",
    "The petition was transferred to the competent agency",
    PETITION,
    TransferPetition,
    lambda body, item, _: followups.petition_transferred(item, body.transferred_on, body.agency),
)


_step_route(
    "settle_petition",
    "/units/{unit}/petitions/{petition_id}/settled",
    "The petition was settled",
    PETITION,
    SettlePetition,
    lambda body, item, _: followups.petition_settled(item, body.settled_on, body.outcome),
)


@router.get(
    "/units/{unit}/petitions", summary="Petitions, by the day received", responses=LIST_RESPONSES
)
async def list_petitions(
    request: Request,
    unit: Unit,
    caller: CallerDep,
    stage: Annotated[Literal[PetitionStage, "withdrawn"] | None, Query()] = None,
    start: From = None,
    end: To = None,
    limit: Limit = 200,
) -> list[dict[str, Any]]:
    return await _list(request, caller, PETITION, unit, stage, start, end, limit)


@router.get(
    "/units/{unit}/petitions/{petition_id}",
    summary="One petition and its follow-up",
    responses={404: {"description": "No such petition in this unit"}},
)
async def get_petition(
    request: Request, unit: Unit, petition_id: ItemPath, caller: CallerDep
) -> dict[str, Any]:
    return await _one(request, caller, PETITION, unit, petition_id)
