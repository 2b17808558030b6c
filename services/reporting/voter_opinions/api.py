"""HTTP API of voters' opinions across units, part of the reporting service: the groups a
standing committee confirms, splits, merges, dissolves, answers and resolves (a secretary's
token of the level or above), the groups the matcher proposes, and the code of an opinion's
receipt. Reads answer for the units the token may read; a group outside them is a 404."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import BaseModel

from services.common.activity import (
    WRITE_REFUSALS,
    Call,
    CallDep,
    IdPath,
    Responses,
    Unit,
    guarded_router,
    readable,
    with_signature,
)
from services.common.errors import NotFound
from services.common.hierarchy import era_of
from services.reporting.read.views import eras_of
from services.reporting.voter_opinions import grouping
from services.reporting.voter_opinions.reads import (
    Listing,
    PeriodQuery,
    SessionQuery,
    Window,
    proposed,
    summary_of,
    window_of,
)
from services.reporting.voter_opinions.receipts import printed
from services.reporting.voter_opinions.service import Decided, VoterOpinions
from services.reporting.voter_opinions.store import opinion_key

router = guarded_router("voter opinions")

DECISION_RESPONSES: Responses = {
    **WRITE_REFUSALS,
    404: {"description": "No such group, or an opinion not registered under the level"},
    409: {"description": "An opinion in another group; a group ended or answered already"},
}


class GroupDecision(BaseModel):
    """A decision on a group as recorded: the group as it now stands and its new events."""

    group_id: str
    level: str
    revision: int
    status: str
    result: Literal["recorded", "unchanged"]
    event_ids: list[str]


def _service(call: Call) -> VoterOpinions:
    service: VoterOpinions = call.app.state.reporting.voter_opinions
    return service


def _listing(call: Call) -> Listing:
    return Listing(_service(call).store, call.app.state.reporting.hierarchy)


def _answer(call: Call, decided: Decided, created: bool = False) -> GroupDecision:
    group = decided.group
    call.response.status_code = 201 if created and decided.envelopes else 200
    return GroupDecision(
        group_id=group["group_id"],
        level=group["level"],
        revision=group["revision"],
        status=group["status"],
        result="recorded" if decided.envelopes else "unchanged",
        event_ids=[str(e.event_id) for e in decided.envelopes],
    )


async def _window(call: Call, unit: str, session: str | None, period: str | None) -> Window:
    """The window asked for, once the caller may read the unit in it."""
    window = await window_of(_service(call).store, unit, session, period)
    call.caller.may_read(unit, eras_of(window.period), f"during {window.period.key}")
    return window


def _window_json(window: Window | None) -> dict[str, Any] | None:
    if window is None:
        return None
    p, s = window.period, window.session
    session = None if s is None else {k: s[k] for k in ("meeting_id", "number", "term", "day")}
    return {"period": {"key": p.key, "label": p.label}, "session": session}


@router.get(
    "/units/{unit}/opinion-groups",
    summary="Groups of the same request confirmed at this level (and below, with below=true)",
    responses={404: {"description": "No such unit, or no such session"}},
)
async def list_groups(
    unit: Unit,
    call: CallDep,
    session: SessionQuery = None,
    period: PeriodQuery = None,
    below: bool = False,
    ended: Annotated[bool, Query(description="Also the groups merged or dissolved")] = False,
) -> dict[str, Any]:
    window = None
    if session is not None or period is not None:
        window = await _window(call, unit, session, period)
    else:
        latest = call.app.state.reporting.hierarchy.latest_era(unit)
        call.caller.may_read(unit, [latest] if latest else [], "at any time")
    listing = _listing(call)
    groups = await listing.store.groups_under(unit, active_only=not ended)
    shown = []
    for group in groups:
        if not below and group["level"] != unit:
            continue
        view = await listing.group(group, window)
        if window is None or view["count"]:
            shown.append(view)
    return {"unit": unit, "window": _window_json(window), "groups": shown}


@router.get(
    "/units/{unit}/opinion-groups/proposed",
    summary="Groups of the same request the matcher proposes among the opinions of a session",
    responses={404: {"description": "No such unit, or no such session"}},
)
async def proposed_groups(
    unit: Unit, call: CallDep, session: SessionQuery = None, period: PeriodQuery = None
) -> dict[str, Any]:
    window = await _window(call, unit, session, period)
    listing = _listing(call)
    opinions = await listing.store.under(unit, window.first, window.last)
    grouped = {
        opinion_key(m["unit"], m["opinion_id"])
        for g in await listing.store.groups_under(unit)
        if g["level"] == unit
        for m in g["members"]
    }
    found = []
    for docs, score in proposed(opinions, grouped):
        views = await listing.opinions(docs)
        found.append({"score": score, "opinions": views, **summary_of(views)})
    return {"unit": unit, "window": _window_json(window), "groups": found}


@router.get(
    "/units/{unit}/opinion-groups/{group_id}",
    summary="One group with its opinions as they stand",
    responses={404: {"description": "No such group of this unit"}},
)
async def get_group(unit: Unit, group_id: IdPath, call: CallDep) -> dict[str, Any]:
    listing = _listing(call)
    missing = NotFound("group_id", f"no group {group_id} of unit {unit}")
    group = await listing.store.group(unit, group_id)
    if group is not None:
        group = {**group, "unit": group["level"]}
    found = readable(call.caller, group, "decided_on", missing, unit)
    return await listing.group(found)


@router.post(
    "/units/{unit}/opinion-groups",
    status_code=201,
    response_model=GroupDecision,
    summary="Confirm that opinions of the units below make one request (opinion.grouped)",
    responses={200: {"description": "Confirmed before, the same way"}, **DECISION_RESPONSES},
)
async def confirm_group(unit: Unit, body: grouping.ConfirmGroup, call: CallDep) -> GroupDecision:
    decided = await _service(call).decide(call.caller, call.actor, unit, body.group_id, body)
    return _answer(call, decided, created=True)


DECISIONS: tuple[tuple[str, type[BaseModel], str], ...] = (
    ("split", grouping.SplitGroup, "Take opinions out of a group; two or more make a new one"),
    ("merge", grouping.MergeGroups, "Merge other groups of the level into this one"),
    ("ungroup", grouping.Ungroup, "Dissolve the group: its opinions stand alone again"),
    ("answer", grouping.AnswerGroup, "The agency's one answer: each opinion of it is answered"),
    ("resolve", grouping.ResolveGroup, "The request was resolved: each answered one is resolved"),
)


def _decision_route(name: str, body: type[BaseModel], summary: str) -> None:
    """The POST of decision `name` on one group, whose body is `body`."""

    async def decide(unit: str, group_id: str, body: grouping.Body, call: Call) -> GroupDecision:
        decided = await _service(call).decide(call.caller, call.actor, unit, group_id, body)
        return _answer(call, decided)

    endpoint = with_signature(
        decide, GroupDecision, unit=Unit, group_id=IdPath, body=body, call=CallDep
    )
    router.post(
        f"/units/{{unit}}/opinion-groups/{{group_id}}/{name}",
        name=f"{name}_opinion_group",
        response_model=GroupDecision,
        summary=summary,
        responses=DECISION_RESPONSES,
    )(endpoint)


for _decision in DECISIONS:
    _decision_route(*_decision)


@router.get(
    "/units/{unit}/opinions/{opinion_id}/receipt",
    summary="The code printed on the voter's receipt of an opinion (mã phiếu), and the opinion",
    responses={404: {"description": "No such unit"}},
)
async def receipt(unit: Unit, opinion_id: IdPath, call: CallDep) -> dict[str, Any]:
    """The code is derived from the opinion's unit and id, so it can be printed as soon as
    the voter contact is recorded, before the opinion reaches this register."""
    service = _service(call)
    found = await service.store.named([(unit, opinion_id)])
    doc = found.get(opinion_key(unit, opinion_id))
    day = date.fromisoformat(doc["raised_on"]) if doc else None
    if day is not None:
        call.caller.may_read_on(unit, day)
    else:
        latest = call.app.state.reporting.hierarchy.latest_era(unit)
        call.caller.may_read(unit, [latest] if latest else [], "at any time")
    code = service.receipt_code(unit, opinion_id)
    shown: dict[str, Any] = {"unit": unit, "opinion_id": opinion_id, "code": printed(code)}
    shown["public_path"] = f"/cong-khai/tra-cuu?ma={printed(code)}"
    if doc is not None:
        shown.update(_listing(call).opinion(doc, None))
        shown["era"] = era_of(date.fromisoformat(doc["raised_on"]))
    return shown
