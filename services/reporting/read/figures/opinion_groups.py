"""Groups of voters' opinions (contracts.opinions) count nothing themselves: a group's answer
counts through the `opinion.answered` oversight records for each of its opinions (figures in
oversight.py), so an opinion answered with its group is counted once, in its own unit."""

from __future__ import annotations

from typing import Any

from contracts import Decoded
from contracts.opinions import GROUP_EVENTS
from contracts.versioning import event_type
from services.reporting.read.figures.base import FOLDS, Contribution


def nothing_to_count(event: Decoded[Any]) -> list[Contribution]:
    return []


for _model in GROUP_EVENTS:
    FOLDS[event_type(_model)] = nothing_to_count
