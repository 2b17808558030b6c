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
from services.common.hierarchy import Hierarchy
from services.reporting.figures import Figures, contributions_of


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
        contributions = contributions_of(decoded)
        lineages = []
        for c in contributions:
            if self.hierarchy.find(c.unit, c.day) is None:
                raise InvalidEvent(f"unit {c.unit} did not exist on {c.day}")
            lineages.append((self.hierarchy.lineage(c.unit, c.day), c))
        position = self.streams.setdefault(envelope.stream, StreamPosition())
        if not position.accept(envelope.sequence):
            self.duplicates += 1
            return False
        for lineage, c in lineages:
            month = month_of(c.day)
            self._document(lineage[0], month, c.day).own.update(c.figures)
            for code in lineage:
                self._document(code, month, c.day).total.update(c.figures)
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
