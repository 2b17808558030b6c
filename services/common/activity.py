"""What every service's HTTP writes share, kept once so the services answer alike.

A council office records its activity (a meeting, a supervision, a report …) with a POST that
may be retried: the record and its event commit in one transaction (outbox), a retry with the
same content answers 200 `unchanged` with the event the first try emitted, and an id taken by
other content is a 409 naming the field. Each service keeps its own rules and routes.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request, Response
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from contracts import Actor, Envelope, EventDraft, UnitCode
from contracts.ids import ID_MAX_LENGTH, ID_PATTERN
from services.common.auth import AUTH_RESPONSES, Caller, CallerDep, caller_of, tokens_lifespan
from services.common.errors import Conflict, NotFound
from services.common.hierarchy import Hierarchy
from services.common.mongo import Document
from services.common.outbox import Outbox
from services.common.runtime import Runtime
from services.common.settings import Settings

Responses = dict[int | str, dict[str, Any]]

Unit = Annotated[UnitCode, Path()]  # the unit a route's path names
Limit = Annotated[int, Query(ge=1, le=1000)]  # how many documents a list answers with at most
From = Annotated[date | None, Query(alias="from")]  # a list's first day (open if absent)
To = Annotated[date | None, Query(alias="to")]  # a list's last day (open if absent)
# a record's own id in a route's path (a meeting, an item, a task …)
IdPath = Annotated[str, Path(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)]


@dataclass(frozen=True, slots=True)
class Call:
    """What a route needs besides the fields it names: who calls (from the bearer token),
    the app (whose state holds its service) and the response, whose status a retry that
    wrote nothing turns to 200."""

    caller: Caller
    app: FastAPI
    response: Response

    @property
    def actor(self) -> Actor:
        """Who the route's writes are done by: the caller's account (người ghi nhận)."""
        return self.caller.principal.actor()


async def _call(request: Request, response: Response, caller: CallerDep) -> Call:
    return Call(caller, request.app, response)


CallDep = Annotated[Call, Depends(_call)]

# The refusals every write of a council office can meet, before its own (404, 409 …).
WRITE_REFUSALS: Responses = {
    400: {"description": "The body is not UTF-8 text"},
    403: {
        "description": "Outside the token's unit, a read-only token, or a unit this"
        " instance does not serve"
    },
    422: {"description": "Invalid field, unknown unit on that date, or a future date"},
}


def recording_responses(
    taken: str, retried: str = "Already recorded with the same content (idempotent retry)"
) -> Responses:
    """The answers of a POST that records once (`record_once`): `taken` says which key, taken
    by other content, makes it a 409."""
    return {**WRITE_REFUSALS, 200: {"description": retried}, 409: {"description": taken}}


def guarded_router(tag: str, service_of: Callable[[FastAPI], Any] | None = None) -> APIRouter:
    """A router whose every route needs a valid bearer token (401 otherwise), even one that
    forgets to check the unit with `caller: CallerDep`. With `service_of`, the router loads the
    token secret when the app starts (one router of each app does)."""
    return APIRouter(
        tags=[tag],
        dependencies=[Depends(caller_of)],
        responses=dict(AUTH_RESPONSES),
        lifespan=None if service_of is None else tokens_lifespan(service_of),
    )


Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def with_signature(
    endpoint: Endpoint,
    returns: Any,
    /,
    defaults: Mapping[str, Any] | None = None,
    **parameters: Any,
) -> Endpoint:
    """Give `endpoint` the signature FastAPI reads a route's parameters from: keyword-only
    parameters named and annotated as in `parameters`, in that order, optional with the
    value `defaults` gives. For routes a function registers, where the name of a path
    parameter or the model of the body varies by route."""
    given = defaults or {}
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=annotation,
                default=given.get(name, inspect.Parameter.empty),
            )
            for name, annotation in parameters.items()
        ],
        return_annotation=returns,
    )
    return endpoint


async def record_once(
    runtime: Runtime,
    write: Callable[[AsyncClientSession], Awaitable[Envelope]],
    earlier: Callable[[], Awaitable[Document | None]],
    same: Callable[[Document], bool],
    taken: Callable[[Document | None], Conflict],
    other_key: Callable[[DuplicateKeyError], Conflict | None] = lambda _: None,
) -> Envelope | Document:
    """Write a new record and its event in one transaction, or find that a retry already did.

    The record's id is a unique key, so only the first try writes. When the key refuses a try,
    the document `earlier` finds tells a retry (`same`: that document is returned, nothing is
    written) from an id taken by other content (`taken`: a 409). `other_key` names a clash on
    another unique key of the record (a session number …), which is no retry.
    """
    try:
        return await runtime.write(write)
    except DuplicateKeyError as exc:
        if clash := other_key(exc):
            raise clash from None
        existing = await earlier()
        if existing is None or not same(existing):
            raise taken(existing) from None
        return existing


class Deciding(Protocol):
    """What a service gives its domain to decide a record: the hierarchy, its settings (the
    units it serves) and today."""

    @property
    def hierarchy(self) -> Hierarchy: ...
    @property
    def settings(self) -> Settings: ...
    def today(self) -> date: ...


_Command = TypeVar("_Command")


def decide_record(
    service: Deciding,
    decide: Callable[[_Command, Hierarchy, Sequence[str], date], EventDraft],
    command: _Command,
    actor: Actor,
) -> EventDraft:
    """The event the domain decides for a record made without a plan (a meeting held, a
    supervision finished), done by `actor`, as of the service's hierarchy, units and today."""
    return decide(command, service.hierarchy, service.settings.units, service.today()).by(actor)


def receipt(
    response: Response, done: Envelope | Document, status: str = "recorded"
) -> dict[str, Any]:
    """The fields every write answers with: the event it emitted, or, when it changed nothing
    (a retry), 200 instead of 201 and the event of the document as it already stands."""
    if isinstance(done, Envelope):
        return {"event_id": str(done.event_id), "sequence": done.sequence, "status": status}
    response.status_code = 200
    return {"event_id": done["event_id"], "status": "unchanged"}


def readable(
    caller: Caller, doc: Document | None, day: str, missing: NotFound, unit: str | None = None
) -> Document:
    """The document a GET answers with: `missing` (404) unless it exists (in `unit`, when the
    path names one) and the caller may read its unit on its `day` (the field holding it): a
    record outside the caller's scope is answered as one that does not exist."""
    if doc is None or (unit is not None and doc["unit"] != unit):
        raise missing
    if not caller.sees(doc["unit"], date.fromisoformat(doc[day])):
        raise missing
    return doc


def days_between(start: date | None, end: date | None) -> Document:
    """A MongoDB condition on an ISO day field: within [start, end], either end open."""
    return {k: v.isoformat() for k, v in (("$gte", start), ("$lte", end)) if v is not None}


def done_by(envelope: Envelope) -> Document | None:
    """The actor of `envelope` as a stored document keeps it (`recorded_by`, `by.<step>`)."""
    return None if envelope.actor is None else envelope.actor.model_dump()


class EmittingStore:
    """A store whose writes emit events: it appends them to the service's outbox in the
    caller's transaction, so a document never commits without its event, nor the reverse."""

    def __init__(self, outbox: Outbox, topic: str) -> None:
        self.outbox = outbox
        self.topic = topic

    async def emit(
        self, session: AsyncClientSession, drafts: Sequence[EventDraft], actor: Actor | None = None
    ) -> list[Envelope]:
        """Append `drafts`, each done by its own actor or else `actor` (Outbox.append)."""
        return await self.outbox.append(session, self.topic, drafts, actor)

    async def emit_one(
        self, session: AsyncClientSession, draft: EventDraft, actor: Actor | None = None
    ) -> Envelope:
        (envelope,) = await self.emit(session, [draft], actor)
        return envelope
