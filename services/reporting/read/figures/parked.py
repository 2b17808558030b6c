"""`event.parked`, the placeholder of an event the broker refused for good
(services.common.parking), counts nothing: folding it only moves its stream's position past
the parked event's sequence, so the events after it are not left waiting ahead of a gap."""

from __future__ import annotations

from contracts import Decoded
from contracts.outbox import EventParked
from services.reporting.read.figures.base import Contribution, folds


@folds(EventParked)
def nothing_to_count(event: Decoded[EventParked]) -> list[Contribution]:
    return []
