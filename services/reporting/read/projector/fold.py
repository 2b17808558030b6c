"""The pure fold from events to figures per unit and month, added into every ancestor.

No I/O here: the consumer hands a batch of decoded events in, gets back the increments per
(unit, month) document and the stream positions to store, and writes both in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel

from contracts import Decoded, InvalidEvent
from services.common.hierarchy import Hierarchy, era_of
from services.reporting.activity.entries import Entry, listed_under
from services.reporting.read.figures import Figures, contributions_of
from services.reporting.read.periods import month_end


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


class Tally(dict[str, int]):
    """Figures being added up: a plain dict whose missing keys read 0. Made for every unit,
    month and day an event touches, so it is made as a dict is (a Counter's own __init__ and
    a dataclass's default factories were a fifth of the projector's process in a rebuild)."""

    __slots__ = ()

    def __missing__(self, key: str) -> int:
        return 0


class UnitMonth:
    """Increments for one (unit, month) document: its own council's figures and the total
    of its own plus every unit below it."""

    __slots__ = ("level", "own", "parent", "total")

    def __init__(self, level: str, parent: str | None) -> None:
        self.level = level
        self.parent = parent
        self.own = Tally()
        self.total = Tally()


STREAM_WINDOW = 10_000
"""How far ahead of a stream's position (the last sequence it applied without a gap) an event
may be applied: one further ahead is refused (dead-lettered), so the set of sequences applied
ahead of a gap, stored with the position, never holds more than this many. An honest stream
numbers its events without gaps; a gap is an event still to come (a retried publish) or
dead-lettered (re-drive it, and then what was refused beyond the window)."""


@dataclass
class StreamPosition:
    """How far one source stream has been applied: every sequence <= `applied_through`,
    plus `ahead` (applied out of order after a failed publish was retried). Exact dedup
    with bounded state, whatever order duplicates arrive in."""

    applied_through: int = 0
    ahead: set[int] = field(default_factory=set)

    def applied(self, sequence: int) -> bool:
        return sequence <= self.applied_through or sequence in self.ahead

    def beyond(self, sequence: int) -> bool:
        """Whether `sequence` lies further than STREAM_WINDOW ahead of `applied_through`."""
        return sequence > self.applied_through + STREAM_WINDOW

    def accept(self, sequence: int) -> bool:
        if self.applied(sequence):
            return False
        self.ahead.add(sequence)
        while self.applied_through + 1 in self.ahead:
            self.applied_through += 1
            self.ahead.discard(self.applied_through)
        return True


@dataclass
class Fold:
    """Accumulates one batch in memory; `changes` and `days` are what the batch writes, and
    `activity` the entries of the activity log its events make (services.reporting.activity).

    `days` holds each unit's own figures per day: what a hierarchy change needs to move
    figures exactly when it re-parents, merges or divides units after they were counted.
    """

    hierarchy: Hierarchy
    streams: dict[str, StreamPosition]
    changes: dict[tuple[str, str], UnitMonth] = field(default_factory=dict)
    days: dict[tuple[str, date], Tally] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)  # streams whose position moved
    applied: int = 0
    duplicates: int = 0
    moved: int = 0
    # (unit, month) -> level and parent the document shows: the same for every fold under the
    # same tree, so a write-behind working set shares one between its folds.
    placements: dict[tuple[str, str], tuple[str, str | None]] = field(default_factory=dict)
    activity: list[dict[str, Any]] = field(default_factory=list)

    def add(self, decoded: Decoded[BaseModel]) -> bool:
        """Fold one event; False if it was a duplicate. Raises InvalidEvent before changing
        anything if the event cannot be counted (unknown unit on its date, no fold). The
        reference the tests and benchmarks fold with: placed as the projector's judging
        places a reading (`place`), then counted.

        A record for a unit a change ended before its date counts in the unit's successor
        (see Hierarchy.resolve), so the result does not depend on whether the change or the
        record arrived first."""
        envelope = decoded.envelope
        return self.count(envelope.stream, envelope.sequence, place_event(self.hierarchy, decoded))

    def count(
        self, stream: str, sequence: int, placed: Iterable[Placed], entry: Entry | None = None
    ) -> bool:
        """Fold one event of `stream` already placed (unit in force, day, figures), and its
        activity `entry` if it has one; False if the stream has applied that sequence already.
        Raises (InvalidEvent for a sequence beyond STREAM_WINDOW) before changing anything."""
        position = self.streams.get(stream) or StreamPosition()
        if position.applied(sequence):
            self.duplicates += 1
            return False
        if position.beyond(sequence):
            raise InvalidEvent(
                f"sequence {sequence} of stream {stream} is more than {STREAM_WINDOW} ahead of"
                f" {position.applied_through}, the last it applied without a gap"
            )
        lineages = [(t, d, f, self.hierarchy.lineage(t, d)) for t, d, f in placed]
        self.streams.setdefault(stream, position).accept(sequence)
        self.touched.add(stream)
        for target, day, figures, lineage in lineages:
            self._count(target, day, figures, 1, lineage)
        self.applied += 1
        if entry is not None:
            self.note(entry)
        return True

    def note(self, entry: Entry) -> None:
        """Add an entry to the activity log, under its unit and the units above it that day."""
        self.activity.append(entry.document(listed_under(self.hierarchy, entry.unit, entry.day)))

    def move(self, old: Hierarchy, unit: str, day: date, figures: Figures) -> bool:
        """Re-place a unit's own figures of one day counted under `old` where the current
        hierarchy puts them; False when nothing changes for them."""
        target = self.hierarchy.resolve(unit, day)
        if target is None or old.find(unit, day) is None:
            return False  # cannot happen for changes the registry accepts; keep as counted
        before = old.lineage(unit, day)
        after = self.hierarchy.lineage(target, day)
        if before == after:
            return False
        self._count(unit, day, figures, -1, before)
        self._count(target, day, figures, 1, after)
        self.moved += 1
        return True

    def _count(
        self,
        unit: str,
        day: date,
        figures: Mapping[str, int],
        sign: int,
        lineage: tuple[str, ...] | None = None,
    ) -> None:
        # Plain dict arithmetic, no Counter per document: this runs for every event and
        # every ancestor, and Counter.update was most of the fold's time.
        lineage = lineage or self.hierarchy.lineage(unit, day)
        month = month_of(day)
        items = [(k, sign * v) for k, v in figures.items() if v]
        own_day = self.days.get((unit, day))
        if own_day is None:
            own_day = self.days[(unit, day)] = Tally()
        own = self._document(unit, month).own
        for k, v in items:
            own_day[k] = own_day.get(k, 0) + v
            own[k] = own.get(k, 0) + v
        for code in lineage:
            total = self._document(code, month).total
            for k, v in items:
                total[k] = total.get(k, 0) + v

    def _document(self, code: str, month: str) -> UnitMonth:
        key = (code, month)
        doc = self.changes.get(key)
        if doc is None:
            place = self.placements.get(key)
            if place is None:
                place = self.placements[key] = placed(self.hierarchy, code, month)
            doc = self.changes[key] = UnitMonth(level=place[0], parent=place[1])
        return doc

    def take(self) -> Fold:
        """Hand over the figures folded so far and start them empty (positions and activity
        entries carry on, written with the positions)."""
        done = Fold(self.hierarchy, self.streams, self.changes, self.days)
        self.changes, self.days = {}, {}
        return done

    def detach(self) -> Fold:
        """Hand over everything folded since the last detach, with copies of the positions of
        the streams it moved (folding goes on moving the originals), and start empty."""
        streams = {
            name: StreamPosition(p.applied_through, set(p.ahead))
            for name in self.touched
            for p in (self.streams[name],)
        }
        done = Fold(
            self.hierarchy,
            streams,
            self.changes,
            self.days,
            self.touched,
            self.applied,
            self.duplicates,
            self.moved,
            self.placements,
            self.activity,
        )
        self.changes, self.days, self.touched, self.activity = {}, {}, set(), []
        self.applied = self.duplicates = self.moved = 0
        return done


Placed = tuple[str, date, Mapping[str, int]]
"""(unit, day, figures): a contribution, and once placed, the unit in force it counts in."""


def place(hierarchy: Hierarchy, shares: Iterable[Placed]) -> list[Placed]:
    """Where each contribution counts: the unit in force on its day (Hierarchy.resolve);
    InvalidEvent if one cannot be counted. The one placement: the projector's judging places
    each reading with it, `Fold.add` each event. Pure, so a batch is judged before it is
    written."""
    placed: list[Placed] = []
    for unit, day, figures in shares:
        target = hierarchy.resolve(unit, day)
        if target is None:
            raise InvalidEvent(hierarchy.absent(unit, day))
        placed.append((target, day, figures))
    return placed


def place_event(hierarchy: Hierarchy, decoded: Decoded[BaseModel]) -> list[Placed]:
    """`place` over an event's contributions (the reference fold, and the benchmarks' peers)."""
    return place(hierarchy, ((c.unit, c.day, c.figures) for c in contributions_of(decoded)))


def placed(hierarchy: Hierarchy, code: str, month: str) -> tuple[str, str | None]:
    """Level and parent a unit's month document shows: its parent on the month's last day,
    or on its own last day if a change ended it during the month. Depends only on the
    hierarchy, never on the order events and changes arrived in."""
    end = month_end(month)
    unit = hierarchy.find(code, end) or hierarchy.unit(code, era_of(end))
    return unit.level, unit.parent


def fold(hierarchy: Hierarchy, events: Iterable[Decoded[BaseModel]]) -> Fold:
    """Fold events from an empty state (tests, replays)."""
    result = Fold(hierarchy, {})
    for event in events:
        result.add(event)
    return result
