"""How a tracked item moves through its lifecycle, and when a recommendation is overdue. Pure.

Supervisions, recommendations, voter opinions and petitions each go through fixed stages, one
step at a time, each step dated. The rules are the ones a secretary would check by hand:
a step happens after the one before it (409 otherwise), on a day that is not in the future,
not before the item was raised, and not before the previous step (422 naming the field).
A refusal names the item (``opinion_id`` …) or the step's day (``resolved_on`` …).
Repeating the step the item is already at, on the same day, is a retry and changes nothing,
even once a correction of its meeting moved the day it was raised after that step (its days
to resolve or settle then count 0: see `days_to_close`).
An item withdrawn (its voter contact's or reception's corrected record no longer lists it)
takes no further step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from contracts.oversight import OPINION_STAGES, PETITION_STAGES
from services.common.errors import Conflict, DomainError


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """The stages of one kind of item, in order; the first is the one it is opened at."""

    item: str  # "opinion"
    stages: tuple[str, ...]  # OPINION_STAGES or PETITION_STAGES
    raised: str  # how its first day reads in messages: "raised", "received" …


SUPERVISION = Lifecycle("supervision", ("planned", "started", "finished"), "planned")
RECOMMENDATION = Lifecycle("recommendation", ("issued", "implemented"), "issued")
OPINION = Lifecycle("opinion", OPINION_STAGES, "raised")
PETITION = Lifecycle("petition", PETITION_STAGES, "received")


@dataclass(frozen=True, slots=True)
class Tracked:
    """Where an item stands: its stage, and the day of each stage it went through; `raised`
    is the day it was raised when known (a corrected meeting may have moved it after a step),
    else the first of those days."""

    item_id: str
    unit: str
    stage: str
    days: Mapping[str, date] = field(default_factory=dict)
    raised: date | None = None

    @property
    def raised_on(self) -> date:
        return self.raised if self.raised is not None else min(self.days.values())


def advance(lifecycle: Lifecycle, item: Tracked, to: str, on: date, today: date) -> bool:
    """Decide whether `item` may take the step `to` on day `on`: True if it may, False if it
    already took it that very day (a retry), else DomainError (422) or Conflict (409)."""
    day_field = f"{to}_on"
    if item.stage not in lifecycle.stages:
        raise Conflict(
            f"{lifecycle.item}_id",
            f"{lifecycle.item} {item.item_id} is {item.stage}: it takes no further step",
            kind="out_of_order",
        )
    if on > today:
        raise DomainError(day_field, f"{to}_on {on} is in the future; record it once it happened")
    here, there = lifecycle.stages.index(item.stage), lifecycle.stages.index(to)
    if there == here and item.days.get(to) == on:
        return False
    if there != here + 1:
        expected = lifecycle.stages[here + 1] if here + 1 < len(lifecycle.stages) else None
        next_step = f"it can next be {expected}" if expected else "it has no further step"
        raise Conflict(
            f"{lifecycle.item}_id",
            f"{lifecycle.item} {item.item_id} is {item.stage}: {next_step}, not {to}",
            kind="out_of_order",
        )
    if on < item.raised_on:
        raise DomainError(
            day_field,
            f"{to}_on {on} is before the {lifecycle.item} was {lifecycle.raised}"
            f" on {item.raised_on}",
        )
    previous = item.days.get(item.stage, item.raised_on)
    if on < previous:
        raise DomainError(day_field, f"{to}_on {on} is before it was {item.stage} on {previous}")
    return True


def days_to_close(raised_on: date, closed_on: date) -> int:
    """The days an item took to be resolved (settled): from the day it was raised to the day
    it was closed, never negative.

    `advance` never lets an item close before it was raised, but a correction of its meeting
    (`meeting.corrected`) may later move the day it was raised after the day it was closed.
    The closing stays a fact on its own day and is not undone; it then counts 0 days, both in
    the item's `*.moved` event and in its stored step, so that retrying that step as it was
    first taken (same day, same details) is still a retry (200, nothing written) rebuilt from
    the item as it now stands, and not a step with negative days.
    """
    return max(0, (closed_on - raised_on).days)


@dataclass(frozen=True, slots=True)
class OpenRecommendation:
    """A recommendation as the overdue sweep sees it."""

    recommendation_id: str
    supervision_id: str
    unit: str
    issued_on: date
    deadline: date
    implemented: bool = False
    overdue: bool = False


def overdue_as_of(
    recommendations: Iterable[OpenRecommendation], day: date
) -> list[OpenRecommendation]:
    """Those whose deadline passed before `day` without implementation and that are not yet
    recorded overdue. The deadline day itself is still in time."""
    return [r for r in recommendations if not r.implemented and not r.overdue and r.deadline < day]
