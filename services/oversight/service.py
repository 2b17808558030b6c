"""What the oversight service does when a council office records a supervision or moves a
tracked item on: check who may and what the rules allow (services.oversight.followups,
tracking, domain), then write the record and its events in one transaction (outbox).
No HTTP: the routes parse, authorise and shape the answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from contracts import Actor, Envelope, EventDraft
from contracts.oversight import (
    PetitionReceived,
    Recommendation,
    SupervisionFinished,
    SupervisionPlanned,
)
from services.common.activity import decide_record, record_once
from services.common.errors import Conflict, DomainError, NotFound
from services.common.hierarchy import Hierarchy
from services.common.mongo import Document
from services.common.recording import Writer, recordable_unit
from services.oversight import followups
from services.oversight.domain import RecordSupervision, record_supervision
from services.oversight.items import Taken, collection_of, new_item
from services.oversight.tracking import PETITION, SUPERVISION, Lifecycle, Tracked
from services.oversight.wiring import Oversight

Events = Callable[[Tracked, Document], list[EventDraft]]  # a step's events, from the item
Then = Callable[[AsyncClientSession, Taken], Awaitable[None]]  # more writes of a step


@dataclass(frozen=True, slots=True)
class Moved:
    """A tracked item as a command left it, and the events it emitted (none: a retry)."""

    item: Document
    envelopes: list[Envelope]


# -- supervisions recorded once finished -------------------------------------------------------


async def record_finished_supervision(
    oversight: Oversight, actor: Actor, unit: str, supervision: SupervisionFinished
) -> Envelope | Document:
    """A supervision the council of `unit` finished, recorded without a plan: its event, or
    the record a retry finds as the first try left it."""
    supervision_id = supervision.supervision_id
    if await oversight.items.find("supervision_plans", supervision_id) is not None:
        raise Conflict(
            "supervision.supervision_id",
            f"supervision {supervision_id} was planned: record its end with"
            f" POST /units/{unit}/supervision-plans/{supervision_id}/finished",
        )
    command = RecordSupervision(unit=unit, supervision=supervision)
    draft = decide_record(oversight, record_supervision, command, actor)
    finished = supervision.model_dump(mode="json")
    return await record_once(
        oversight.runtime,
        lambda session: oversight.store.record(session, draft),
        lambda: oversight.store.find(supervision_id),
        lambda existing: existing["unit"] == unit and existing["supervision"] == finished,
        lambda _: Conflict(
            "supervision.supervision_id",
            f"supervision_id {supervision_id} already records another supervision",
        ),
    )


# -- opening tracked items ---------------------------------------------------------------------


async def plan_supervision(
    oversight: Oversight, actor: Actor, unit: str, plan: SupervisionPlanned
) -> Moved:
    """The plan of a supervision a body of the council of `unit` adopted."""
    draft = followups.plan_supervision(unit, plan, *_checked_against(oversight))
    return await _open(oversight, SUPERVISION, unit, "plan", plan.supervision_id, draft.by(actor))


async def register_petition(
    oversight: Oversight, actor: Actor, unit: str, petition: PetitionReceived
) -> Moved:
    """A petition the council of `unit` received by mail."""
    draft = followups.receive_petition(unit, petition, *_checked_against(oversight))
    return await _open(oversight, PETITION, unit, "petition", petition.petition_id, draft.by(actor))


def _checked_against(oversight: Oversight) -> tuple[Hierarchy, Sequence[str], date]:
    """What an opening is checked against: the hierarchy, the units served, today."""
    return oversight.hierarchy, oversight.settings.units, oversight.today()


async def _open(
    oversight: Oversight,
    lifecycle: Lifecycle,
    unit: str,
    named: str,
    item_id: str,
    draft: EventDraft,
) -> Moved:
    """Open item `item_id` of `unit` with its first event `draft` (whose payload is what it
    opens with, on the day it happened); a retry with the same content changes nothing.
    `named` is what the command calls that content, whose id field a taken id is refused on."""
    collection = collection_of(lifecycle)
    day = draft.occurred_at.date()
    opened = draft.payload.model_dump(mode="json")
    doc = new_item(item_id, unit, lifecycle.stages[0], day, opened)

    async def work(session: AsyncClientSession) -> Envelope:
        (envelope,) = await oversight.items.insert(session, collection, [doc], [draft])
        return envelope

    done = await record_once(
        oversight.runtime,
        work,
        lambda: oversight.items.find(collection, doc["_id"]),
        lambda existing: existing["unit"] == doc["unit"] and existing["opened"] == doc["opened"],
        lambda _: Conflict(
            f"{named}.{lifecycle.item}_id",
            f"{lifecycle.item}_id {doc['_id']} already records another {lifecycle.item}",
        ),
    )
    if isinstance(done, Envelope):
        return Moved(doc, [done])
    return Moved({**doc, "stage": done["stage"]}, [])  # as the first try left it


# -- steps -------------------------------------------------------------------------------------


async def take_step(
    oversight: Oversight,
    writer: Writer,
    actor: Actor,
    unit: str,
    lifecycle: Lifecycle,
    item_id: str,
    to: str,
    on: date,
    events: Events,
    then: Then | None = None,
) -> Moved:
    """Move item `item_id` of `unit` to stage `to` on `on`, after checking who may: the
    step's events (`events`, done by `actor`) and, when it wrote them, `then`, in one
    transaction."""
    writer.may_write(unit, on)
    collection = collection_of(lifecycle)
    doc = await oversight.items.find(collection, item_id)
    missing = NotFound(f"{lifecycle.item}_id", f"no {lifecycle.item} {item_id} in {unit}")
    if doc is None or doc["unit"] != unit:
        raise missing
    raised = date.fromisoformat(doc["raised_on"])
    # Its unit surely existed then, even if dissolved since; outside the scope: not found.
    writer.may_change(unit, raised, missing)
    today = oversight.today()
    if lifecycle is SUPERVISION and on <= today and not oversight.hierarchy.find(unit, on):
        # a supervision's steps are its council's acts, each on its own day
        raise DomainError(f"{to}_on", oversight.hierarchy.absent(unit, on))
    recordable_unit(
        oversight.hierarchy,
        unit,
        raised,
        served=oversight.settings.units,
        today=today,
        day_field="unit",
    )

    async def work(session: AsyncClientSession) -> list[Envelope]:
        taken = await oversight.items.step(
            session,
            lifecycle,
            collection,
            item_id,
            to,
            on,
            oversight.today(),
            lambda item, doc: [draft.by(actor) for draft in events(item, doc)],
        )
        if taken.envelopes and then is not None:
            await then(session, taken)
        return taken.envelopes

    try:
        envelopes = await oversight.runtime.write(work)
    except DuplicateKeyError as exc:
        raise Conflict("body", f"an id in this request is taken already: {exc.details}") from None
    return Moved({**doc, "stage": to}, envelopes)


async def finish_supervision(
    oversight: Oversight,
    writer: Writer,
    actor: Actor,
    unit: str,
    supervision_id: str,
    finished_on: date,
    findings: str | None,
    report_ref: str | None,
    recommendations: list[Recommendation],
) -> Moved:
    """The planned supervision finished: it is recorded as a finished supervision too, and
    each recommendation it issued is opened, in the step's transaction."""

    def events(item: Tracked, doc: Document) -> list[EventDraft]:
        return followups.supervision_finished(
            item, doc, finished_on, findings, report_ref, recommendations
        )

    async def then(session: AsyncClientSession, taken: Taken) -> None:
        await oversight.store.remember(session, taken.drafts[0], taken.envelopes[0])
        await oversight.items.issue_recommendations(session, taken.drafts[1:], taken.envelopes[1:])

    return await take_step(
        oversight,
        writer,
        actor,
        unit,
        SUPERVISION,
        supervision_id,
        "finished",
        finished_on,
        events,
        then,
    )
