"""Which items a meetings event opens: one voter opinion per opinion raised at a voter contact,
one petition per petition taken at a citizen reception. Pure: no I/O.

A correction (`meeting.corrected`) opens the items its corrected content lists that were not
tracked yet; items already opened stay as they are (their follow-up is a fact of its own).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel

from contracts import Decoded, EventDraft
from contracts.meetings import CitizenReception, MeetingCorrected, MeetingHeld, VoterContact
from contracts.oversight import OpinionReceived, PetitionReceived, PetitionType
from services.common.hierarchy import Hierarchy
from services.common.recording import business_time


@dataclass(frozen=True, slots=True)
class Opening:
    """An item to open, unless it is open already: its collection and its opening event."""

    collection: str  # "opinions" | "petitions"
    item_id: str
    unit: str
    day: date
    draft: EventDraft


def serves(hierarchy: Hierarchy, unit: str, day: date, served: Sequence[str]) -> bool:
    """Whether an instance serving `served` (empty: every unit) serves `unit` on `day`."""
    if hierarchy.find(unit, day) is None:
        return False
    return not served or any(
        hierarchy.find(scope, day) is not None and hierarchy.is_within(unit, scope, day)
        for scope in served
    )


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
    day = meeting.held_on

    def opening(collection: str, item_id: str, event: BaseModel) -> Opening:
        draft = EventDraft(
            type=event.TYPE,  # type: ignore[attr-defined]
            version=event.VERSION,  # type: ignore[attr-defined]
            unit=unit,
            occurred_at=business_time(day),
            payload=event,
            correlation_id=correlation,
            causation_id=cause,
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
