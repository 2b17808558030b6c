"""Which items a meetings event opens: one voter opinion per opinion raised at a voter contact,
one petition per petition taken at a citizen reception. Pure: no I/O.

A correction (`meeting.corrected`) makes the meeting's items follow its corrected content
(`reconcile`), whatever stage they reached: an item it no longer lists is withdrawn, one whose
meeting moved to another day moves with it (its follow-ups stay, its days to resolve or settle
count from the new day: 0 if it was resolved or settled before it, see
`tracking.days_to_close`), one withdrawn by an earlier correction and listed again is opened
afresh, and one never tracked is opened. The follow-ups themselves are facts of their own.

Every event the intake writes is done by the actor of the meetings event that caused it (who
recorded or corrected the meeting), none for a meeting recorded before actors were kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel

from contracts import Actor, Decoded, EventDraft
from contracts.meetings import CitizenReception, MeetingCorrected, MeetingHeld, VoterContact
from contracts.oversight import (
    OPINION_STAGES,
    PETITION_STAGES,
    OpinionMoved,
    OpinionReceived,
    OpinionWithdrawn,
    PetitionMoved,
    PetitionReceived,
    PetitionType,
    PetitionWithdrawn,
)
from services.common.hierarchy import Hierarchy
from services.common.recording import recorded, serves
from services.oversight.tracking import days_to_close

WITHDRAWN = "withdrawn"  # the stage of an item its meeting's corrected record no longer lists


@dataclass(frozen=True, slots=True)
class Opening:
    """An item to open, unless it is open already: its collection and its opening event."""

    collection: str  # "opinions" | "petitions"
    item_id: str
    unit: str
    day: date
    draft: EventDraft


def openings(
    decoded: Decoded[BaseModel], hierarchy: Hierarchy, served: Sequence[str]
) -> list[Opening]:
    """The items `decoded` opens for the units this instance serves (none for other events)."""
    payload = decoded.payload
    if isinstance(payload, MeetingHeld):
        meeting = payload.meeting
    elif isinstance(payload, MeetingCorrected):
        meeting = payload.corrected
    else:
        return []
    unit = decoded.envelope.unit
    if not serves(hierarchy, unit, meeting.held_on, served):
        return []
    cause = decoded.envelope.event_id
    correlation = decoded.envelope.correlation_id or cause
    day, actor = meeting.held_on, decoded.envelope.actor

    def opening(collection: str, item_id: str, event: BaseModel) -> Opening:
        draft = recorded(
            event, unit, day, correlation_id=correlation, causation_id=cause, actor=actor
        )
        return Opening(collection, item_id, unit, day, draft)

    if isinstance(meeting, VoterContact):
        return [
            opening(
                "opinions",
                o.opinion_id,
                OpinionReceived(
                    opinion_id=o.opinion_id,
                    raised_on=day,
                    meeting_id=meeting.meeting_id,
                    text=o.text,
                    field=o.field,
                    addressed_to=o.addressed_to,
                ),
            )
            for o in meeting.opinions
        ]
    if isinstance(meeting, CitizenReception):
        return [
            opening(
                "petitions",
                p.petition_id,
                PetitionReceived(
                    petition_id=p.petition_id,
                    received_on=day,
                    petition_type=PetitionType(p.petition_type.value),
                    summary=p.summary,
                    channel="citizen_reception",
                    meeting_id=meeting.meeting_id,
                ),
            )
            for p in meeting.petitions
        ]
    return []


# -- corrections ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Correction:
    """A held meeting's record corrected (`event_id`, applied at most once): its items follow
    `wanted`, the items its corrected content lists for the units this instance serves."""

    event_id: str
    unit: str
    meeting_id: str
    day: date
    wanted: tuple[Opening, ...]
    cause: UUID
    correlation: UUID
    actor: Actor | None = None  # who corrected the meeting


def plan(
    decoded: Decoded[BaseModel], hierarchy: Hierarchy, served: Sequence[str]
) -> list[Opening | Correction]:
    """What `decoded` asks of the intake: items to open, or a correction to follow."""
    payload = decoded.payload
    if not isinstance(payload, MeetingCorrected):
        return list(openings(decoded, hierarchy, served))
    envelope = decoded.envelope
    return [
        Correction(
            event_id=str(envelope.event_id),
            unit=envelope.unit,
            meeting_id=payload.meeting_id,
            day=payload.corrected.held_on,
            wanted=tuple(openings(decoded, hierarchy, served)),
            cause=envelope.event_id,
            correlation=envelope.correlation_id or envelope.event_id,
            actor=envelope.actor,
        )
    ]


@dataclass(frozen=True, slots=True)
class _Kind:
    """How items of one collection read: their stages, their day and their last step."""

    stages: tuple[str, ...]
    day: str  # the payload field of the day it was raised: "raised_on" | "received_on"
    done: str  # "resolved_on" | "settled_on"
    took: str  # "days_to_resolve" | "days_to_settle"
    item: str  # "opinion_id" | "petition_id"
    withdrawn: type[OpinionWithdrawn] | type[PetitionWithdrawn]
    moved: type[OpinionMoved] | type[PetitionMoved]


KINDS: Mapping[str, _Kind] = {
    "opinions": _Kind(
        OPINION_STAGES,
        "raised_on",
        "resolved_on",
        "days_to_resolve",
        "opinion_id",
        OpinionWithdrawn,
        OpinionMoved,
    ),
    "petitions": _Kind(
        PETITION_STAGES,
        "received_on",
        "settled_on",
        "days_to_settle",
        "petition_id",
        PetitionWithdrawn,
        PetitionMoved,
    ),
}


@dataclass(frozen=True, slots=True)
class Change:
    """What a correction does to an item already tracked: its event, and the item's fields
    to set (for `reopened`, the opening to start it again from)."""

    collection: str
    item_id: str
    kind: Literal["withdrawn", "moved", "reopened"]
    draft: EventDraft
    fields: dict[str, Any]
    opening: Opening | None = None


def reconcile(
    correction: Correction, tracked: Sequence[tuple[str, Mapping[str, Any]]]
) -> tuple[list[Opening], list[Change]]:
    """Make the meeting's items (`tracked`: collection and stored item, any stage) follow
    the correction: the items to open, and the changes to the items tracked."""
    wanted = {(o.collection, o.item_id): o for o in correction.wanted}
    known = {(collection, doc["_id"]) for collection, doc in tracked}
    changes: list[Change] = []
    for collection, doc in tracked:
        opening = wanted.get((collection, doc["_id"]))
        if opening is None:
            if doc["stage"] != WITHDRAWN:
                changes.append(_withdrawn(correction, collection, doc))
        elif doc["stage"] == WITHDRAWN:
            draft = opening.draft
            changes.append(Change(collection, opening.item_id, "reopened", draft, {}, opening))
        elif doc["raised_on"] != opening.day.isoformat():
            changes.append(_moved(correction, collection, doc))
    return [o for key, o in wanted.items() if key not in known], changes


def _draft(correction: Correction, unit: str, day: date, event: BaseModel) -> EventDraft:
    return recorded(
        event,
        unit,
        day,
        correlation_id=correction.correlation,
        causation_id=correction.cause,
        actor=correction.actor,
    )


def _took(kind: _Kind, doc: Mapping[str, Any]) -> int | None:
    """The days its last step counted, when it took it."""
    last = doc["steps"].get(kind.stages[-1]) if doc["stage"] == kind.stages[-1] else None
    return None if last is None else int(last[kind.took])


def _withdrawn(correction: Correction, collection: str, doc: Mapping[str, Any]) -> Change:
    kind = KINDS[collection]
    raised = date.fromisoformat(doc["raised_on"])
    event = kind.withdrawn.model_validate(
        {
            kind.item: doc["_id"],
            kind.day: raised,
            "meeting_id": correction.meeting_id,
            "stage": doc["stage"],
            kind.took: _took(kind, doc),
        }
    )
    fields = {"stage": WITHDRAWN, "withdrawn_at_stage": doc["stage"]}
    return Change(
        collection, doc["_id"], "withdrawn", _draft(correction, doc["unit"], raised, event), fields
    )


def _moved(correction: Correction, collection: str, doc: Mapping[str, Any]) -> Change:
    kind = KINDS[collection]
    day = correction.day
    took = _took(kind, doc)
    last = doc["steps"].get(kind.stages[-1]) if took is not None else None
    took_now = None if last is None else days_to_close(day, date.fromisoformat(last[kind.done]))
    event = kind.moved.model_validate(
        {
            kind.item: doc["_id"],
            kind.day: day,
            f"previous_{kind.day}": doc["raised_on"],
            "meeting_id": correction.meeting_id,
            "stage": doc["stage"],
            f"previous_{kind.took}": took,
            kind.took: took_now,
        }
    )
    fields: dict[str, Any] = {
        "raised_on": day.isoformat(),
        f"days.{kind.stages[0]}": day.isoformat(),
        f"opened.{kind.day}": day.isoformat(),
    }
    for stage in doc["steps"]:
        fields[f"steps.{stage}.{kind.day}"] = day.isoformat()
    if took_now is not None:
        fields[f"steps.{kind.stages[-1]}.{kind.took}"] = took_now
    return Change(
        collection, doc["_id"], "moved", _draft(correction, doc["unit"], day, event), fields
    )
