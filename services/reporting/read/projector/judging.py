"""Judging a batch: which records count, where, and which are refused (and why).

The records arrive read (reading.py: decoded, signature verified, turned into contributions,
in worker processes). What is left depends on the hierarchy, so it is done here, record by
record in order, under a copy of the projector's tree that the batch's own hierarchy changes
move as they come: may the signer publish for the unit on that day (the trust rule,
services.common.trust), may a coordination event touch the documents and figures its payload
names (services.reporting.coordination.owners), and which unit in force each contribution
counts in (fold.place). Pure: no I/O, safe in a thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from contracts import Decoded, InvalidEvent
from contracts.hierarchy import HierarchyChanged, UnitRegistered
from contracts.signing import REGISTRY_EVENTS, Verifier
from services.common.deadletter import DeadLetter, faulty, refused
from services.common.hierarchy import Hierarchy
from services.common.pipeline import Dispatch
from services.common.positions import Record
from services.common.trust import check_registry_scope, lineage_of
from services.reporting.coordination import owners
from services.reporting.read.projector.fold import Placed, place
from services.reporting.read.projector.reading import Reading, read


@dataclass(frozen=True, slots=True)
class Accepted:
    """A record to fold: its reading and where its contributions count (under the tree the
    judging had reached at it), or the hierarchy change it carries."""

    record: Record
    reading: Reading
    placed: list[Placed] = field(default_factory=list)
    change: HierarchyChanged | None = None


@dataclass
class Judging:
    """One batch's verdicts, in record order; `verifier` None: signatures are not checked."""

    working: Hierarchy
    verifier: Verifier | None
    accepted: list[Accepted] = field(default_factory=list)
    letters: list[DeadLetter] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lineage = lineage_of(self.working)  # who may sign for whom, for payloads' units
        if self.verifier is not None:
            self.verifier = Verifier(self.verifier.keys, lineage_of(self.working))

    def take(self, record: Record, reading: Reading) -> None:
        """Accept the record or dead-letter it: whatever judging it raises is this record's
        (a refusal, or a fault named by its type), and changes nothing (a hierarchy change
        applies all or nothing)."""
        if reading.refused is not None:
            why = reading.refused
            self.letters.append(faulty(record, why) if reading.fault else DeadLetter(record, why))
            return
        try:
            if self.verifier is not None:
                self._trust(record, reading, self.verifier)
            if reading.type in REGISTRY_EVENTS:
                self._tree(record, reading)
                return
            if reading.type in owners.RULED:
                owners.check(self.lineage, _event(reading))
            if reading.shares is None:
                raise InvalidEvent(reading.no_fold or f"no fold for {reading.type!r}")
            placed = place(self.working, reading.shares)
        except Exception as exc:  # one record's; never the partition's
            self.letters.append(refused(record, exc))
            return
        self.accepted.append(Accepted(record, reading, placed))

    def _trust(self, record: Record, reading: Reading, verifier: Verifier) -> None:
        r = reading
        if r.type not in REGISTRY_EVENTS and verifier.lineage(r.unit, r.day) is None:
            raise InvalidEvent(self.working.absent(r.unit, r.day))  # the tree says why
        key = verifier.signer_key(r.type, r.unit, r.day, r.recorded_at, r.signer, r.kid)
        if r.key != key.raw:  # the worker read another key for that signer (or none)
            r = read(record.value or b"", verifier.keys)  # read again, with ours
        if r.key != key.raw or not r.holds:
            raise InvalidEvent(f"bad signature by {key.name}")

    def _tree(self, record: Record, reading: Reading) -> None:
        """A hierarchy event: its registry may name the units it names, and a change is
        applied to the working tree, so the records after it are judged under it."""
        event = _event(reading)
        check_registry_scope(self.working, event)
        change = TREE.of(event)(self.working, event)
        if change is not None:
            self.accepted.append(Accepted(record, reading, change=change))


def _event(reading: Reading) -> Decoded[BaseModel]:
    """The decoded event of a reading of a KEPT type (reading.py)."""
    if reading.event is None:  # cannot happen: the KEPT types include every type judged so
        raise InvalidEvent(f"{reading.type!r} was read without its payload")
    return reading.event


def _registered(working: Hierarchy, event: Decoded[UnitRegistered]) -> None:
    reason = working.differs_from_dataset(event.payload)
    if reason:
        raise InvalidEvent(reason)
    # checked, nothing to fold


def _changed(working: Hierarchy, event: Decoded[HierarchyChanged]) -> HierarchyChanged:
    working.apply([event.payload])
    return event.payload


def _otherwise(working: Hierarchy, event: Decoded[BaseModel]) -> None:
    raise InvalidEvent(f"{event.envelope.type!r} is not of the unit tree")  # cannot happen


TREE = Dispatch[Callable[[Hierarchy, Decoded[Any]], HierarchyChanged | None]](
    {UnitRegistered: _registered, HierarchyChanged: _changed}, otherwise=_otherwise
)
"""What each event of the unit tree does to the working tree (and whether it is folded)."""
