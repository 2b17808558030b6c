"""The pure fold from events to figures per unit and month, added into every ancestor.

No I/O here: the consumer hands a batch of decoded events in, gets back the increments per
(unit, month) document and the stream positions to store, and writes both in one transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from pydantic import BaseModel

from contracts import Decoded, InvalidEvent
from contracts.meetings import (
    CitizenReception,
    Conference,
    MeetingHeld,
    Session,
    StandingCommitteeMeeting,
    Training,
    VoterContact,
)
from contracts.oversight import SupervisionFinished
from services.common.hierarchy import Hierarchy

Figures = Counter[str]


def meeting_figures(unit: str, event: MeetingHeld) -> list[tuple[str, Figures]]:
    """What one meeting adds, to which unit. Training attendees count where they sat."""
    m = event.meeting
    f: Figures = Counter()
    extra: list[tuple[str, Figures]] = []
    match m:
        case Session():
            f.update(
                sessions=1,
                **{f"sessions_{m.session_type}": 1},
                session_delegates_present=m.delegates_present,
                resolutions_adopted=m.resolutions_adopted,
                sessions_with_questioning=int(m.questioning_held),
            )
        case StandingCommitteeMeeting():
            f.update(
                standing_committee_meetings=1,
                **{f"standing_committee_meetings_{m.meeting_type}": 1},
            )
        case Conference():
            f.update(conferences=1, **{f"conferences_{m.conference_type}": 1})
        case Training():
            f.update(trainings=1, **{f"trainings_{m.format}": 1})
            for point in m.bridge_points:
                extra.append(
                    (
                        point.unit,
                        Counter(
                            training_bridge_points=1,
                            training_attendees=point.attendees,
                            training_delegate_attendances=point.delegates,
                        ),
                    )
                )
        case VoterContact():
            f.update(
                voter_contacts=1,
                **{f"voter_contacts_{m.timing}": 1},
                voters_reached=m.voters_attending,
                voter_opinions_raised=m.opinions_raised,
            )
        case CitizenReception():
            f.update(
                citizen_receptions=1,
                **{f"citizen_receptions_{m.reception_type}": 1},
                citizens_received=m.citizens_received,
                petitions_received=m.petitions_received,
            )
    return [(unit, f), *extra]


def supervision_figures(unit: str, event: SupervisionFinished) -> list[tuple[str, Figures]]:
    """What one finished supervision, survey or verification adds to its council's unit.

    Counted by activity, by the body that carried it out and by field; verifications also by
    the Ban that verified. The supervised units get nothing: the figures are the council's work.
    """
    kind = f"{event.activity}s"  # thematic_supervisions | surveys | verifications
    f: Figures = Counter(
        {
            kind: 1,
            f"{kind}_body_{event.body}": 1,
            f"{kind}_field_{event.field}": 1,
            "recommendations_issued": event.recommendations,  # the figure keeps its name
        }
    )
    if event.activity == "verification" and event.committee is not None:
        f[f"verifications_committee_{event.committee}"] += 1
    return [(unit, f)]


def figures_of(decoded: Decoded[BaseModel]) -> list[tuple[str, Figures]]:
    payload = decoded.payload
    if isinstance(payload, MeetingHeld):
        return meeting_figures(decoded.envelope.unit, payload)
    if isinstance(payload, SupervisionFinished):
        return supervision_figures(decoded.envelope.unit, payload)
    raise InvalidEvent(f"reporting has no fold for {decoded.envelope.type!r}")


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


@dataclass
class UnitMonth:
    """Increments for one (unit, month) document: its own council's figures and the total
    of its own plus every unit below it."""

    level: str
    parent: str | None
    own: Figures = field(default_factory=Counter)
    total: Figures = field(default_factory=Counter)


@dataclass
class StreamPosition:
    """How far one source stream has been applied: every sequence <= `applied_through`,
    plus `ahead` (applied out of order after a failed publish was retried). Exact dedup
    with bounded state, whatever order duplicates arrive in."""

    applied_through: int = 0
    ahead: set[int] = field(default_factory=set)

    def accept(self, sequence: int) -> bool:
        if sequence <= self.applied_through or sequence in self.ahead:
            return False
        self.ahead.add(sequence)
        while self.applied_through + 1 in self.ahead:
            self.applied_through += 1
            self.ahead.discard(self.applied_through)
        return True


@dataclass
class Fold:
    """Accumulates one batch in memory; `changes` is what the batch writes."""

    hierarchy: Hierarchy
    streams: dict[str, StreamPosition]
    changes: dict[tuple[str, str], UnitMonth] = field(default_factory=dict)
    applied: int = 0
    duplicates: int = 0

    def add(self, decoded: Decoded[BaseModel]) -> bool:
        """Fold one event; False if it was a duplicate. Raises InvalidEvent before changing
        anything if the event cannot be counted (unknown unit on its date, no fold)."""
        envelope = decoded.envelope
        day = envelope.business_day
        contributions = figures_of(decoded)
        lineages = []
        for unit, figures in contributions:
            unit_info = self.hierarchy.find(unit, day)
            if unit_info is None:
                raise InvalidEvent(f"unit {unit} did not exist on {day}")
            lineages.append((self.hierarchy.lineage(unit, day), figures))
        position = self.streams.setdefault(envelope.stream, StreamPosition())
        if not position.accept(envelope.sequence):
            self.duplicates += 1
            return False
        month = month_of(day)
        for lineage, figures in lineages:
            self._document(lineage[0], month, day).own.update(figures)
            for code in lineage:
                self._document(code, month, day).total.update(figures)
        self.applied += 1
        return True

    def _document(self, code: str, month: str, day: date) -> UnitMonth:
        key = (code, month)
        doc = self.changes.get(key)
        if doc is None:
            unit = self.hierarchy.unit(code, day)
            doc = self.changes[key] = UnitMonth(level=unit.level, parent=unit.parent)
        return doc


def fold(hierarchy: Hierarchy, events: Iterable[Decoded[BaseModel]]) -> Fold:
    """Fold events from an empty state (tests, replays)."""
    result = Fold(hierarchy, {})
    for event in events:
        result.add(event)
    return result
