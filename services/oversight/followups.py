"""The events of each step of a tracked item, decided from the item as stored. Pure: no I/O.

Whether a step may be taken at all is `tracking.advance`; these functions only say what the
step records, so that every event carries what reporting needs without state of its own:
the unit (the envelope's), the day the item was raised, and the days it took.

A follow-up of an item (recommendation, opinion, petition) happens, as far as its envelope
says, on the day the item was raised: `occurred_at` decides the reporting period, and a
follow-up counts in its item's cohort (see services/reporting/read/figures/oversight.py). This also
keeps it publishable for units dissolved since (a district after 2025-06-30): its unit existed
on that day. The step's own day is in the payload (`resolved_on` …).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel

from contracts import EventDraft
from contracts.oversight import (
    OpinionAnswered,
    OpinionForwarded,
    OpinionResolved,
    PetitionReceived,
    PetitionSettled,
    PetitionTransferred,
    Recommendation,
    RecommendationImplemented,
    RecommendationIssued,
    RecommendationOverdue,
    SupervisionFinished,
    SupervisionPlanned,
    SupervisionStarted,
)
from services.common.errors import DomainError
from services.common.hierarchy import Hierarchy
from services.common.mongo import Document
from services.common.recording import recordable_unit, recorded
from services.oversight.tracking import OpenRecommendation, Tracked, days_to_close


def draft(unit: str, day: date, event: BaseModel) -> EventDraft:
    """The event `event` of `unit`, happened on `day`."""
    return recorded(event, unit, day)


def _follow_up(item: Tracked, event: BaseModel) -> list[EventDraft]:
    """The step `event` of an item raised before: it happens, as far as its envelope says,
    on the day the item was raised (see above)."""
    return [draft(item.unit, item.raised_on, event)]


# -- supervisions ----------------------------------------------------------------------------


def plan_supervision(
    unit: str, plan: SupervisionPlanned, hierarchy: Hierarchy, served: Sequence[str], today: date
) -> EventDraft:
    """A plan adopted by a body of the council of `unit` (not in the future; the units to be
    supervised are the unit or below it)."""
    found = recordable_unit(
        hierarchy,
        unit,
        plan.planned_on,
        served=served,
        today=today,
        day_field="plan.planned_on",
        named_units=(
            (f"plan.supervised_units.{i}", c) for i, c in enumerate(plan.supervised_units)
        ),
    )
    return draft(found.code, plan.planned_on, plan)


def _step_fields(plan: Document) -> dict[str, Any]:
    keys = ("supervision_id", "activity", "body", "committee", "field")
    return {k: plan["opened"][k] for k in keys}


def supervision_started(item: Tracked, plan: Document, started_on: date) -> list[EventDraft]:
    return [
        draft(
            item.unit, started_on, SupervisionStarted(**_step_fields(plan), started_on=started_on)
        )
    ]


def supervision_finished(
    item: Tracked,
    plan: Document,
    finished_on: date,
    findings: str | None,
    report_ref: str | None,
    recommendations: Sequence[Recommendation],
) -> list[EventDraft]:
    """`supervision.finished` with as many recommendations as it issues, then one
    `recommendation.issued` per recommendation, each due on or after the day it was issued."""
    for i, r in enumerate(recommendations):
        if r.deadline < finished_on:
            raise DomainError(
                f"recommendations.{i}.deadline",
                f"deadline {r.deadline} is before the recommendation was issued on {finished_on}",
            )
    opened = plan["opened"]
    finished = SupervisionFinished(
        **_step_fields(plan),
        title=opened["title"],
        started_on=item.days["started"],
        finished_on=finished_on,
        supervised_units=opened["supervised_units"],
        findings=findings,
        recommendations=len(recommendations),
        report_ref=report_ref,
    )
    issued = [
        RecommendationIssued(
            recommendation_id=r.recommendation_id,
            supervision_id=item.item_id,
            issued_on=finished_on,
            deadline=r.deadline,
            text=r.text,
            addressed_to=r.addressed_to,
        )
        for r in recommendations
    ]
    return [draft(item.unit, finished_on, e) for e in (finished, *issued)]


# -- recommendations -------------------------------------------------------------------------


def recommendation_implemented(
    item: Tracked, doc: Document, implemented_on: date, note: str | None
) -> list[EventDraft]:
    event = RecommendationImplemented(
        recommendation_id=item.item_id,
        supervision_id=doc["opened"]["supervision_id"],
        issued_on=item.raised_on,
        deadline=date.fromisoformat(doc["deadline"]),
        implemented_on=implemented_on,
        was_overdue=bool(doc.get("overdue")),
        note=note,
    )
    return _follow_up(item, event)


def overdue_events(
    recommendations: Sequence[OpenRecommendation], noticed_on: date
) -> list[tuple[str, EventDraft]]:
    """`recommendation.overdue` for each (overdue from the day after its deadline)."""
    return [
        (
            r.recommendation_id,
            draft(
                r.unit,
                r.issued_on,
                RecommendationOverdue(
                    recommendation_id=r.recommendation_id,
                    supervision_id=r.supervision_id,
                    issued_on=r.issued_on,
                    deadline=r.deadline,
                    noticed_on=noticed_on,
                ),
            ),
        )
        for r in recommendations
    ]


# -- voter opinions --------------------------------------------------------------------------


def _opinion_step(item: Tracked, event: type[BaseModel], **fields: Any) -> list[EventDraft]:
    """A step of a voter opinion: the event names the opinion and the day it was raised."""
    return _follow_up(item, event(opinion_id=item.item_id, raised_on=item.raised_on, **fields))


def opinion_forwarded(item: Tracked, forwarded_on: date, agency: str) -> list[EventDraft]:
    return _opinion_step(item, OpinionForwarded, forwarded_on=forwarded_on, agency=agency)


def opinion_answered(item: Tracked, answered_on: date, answer: str | None) -> list[EventDraft]:
    return _opinion_step(item, OpinionAnswered, answered_on=answered_on, answer=answer)


def opinion_resolved(item: Tracked, resolved_on: date, result: str | None) -> list[EventDraft]:
    days = days_to_close(item.raised_on, resolved_on)
    return _opinion_step(
        item, OpinionResolved, resolved_on=resolved_on, days_to_resolve=days, result=result
    )


# -- petitions -------------------------------------------------------------------------------


def receive_petition(
    unit: str, petition: PetitionReceived, hierarchy: Hierarchy, served: Sequence[str], today: date
) -> EventDraft:
    """A petition the council of `unit` received by mail (not in the future, a unit it serves)."""
    found = recordable_unit(
        hierarchy,
        unit,
        petition.received_on,
        served=served,
        today=today,
        day_field="petition.received_on",
    )
    return draft(found.code, petition.received_on, petition)


def _petition_step(item: Tracked, event: type[BaseModel], **fields: Any) -> list[EventDraft]:
    """A step of a petition: the event names the petition and the day it was received."""
    return _follow_up(item, event(petition_id=item.item_id, received_on=item.raised_on, **fields))


def petition_transferred(item: Tracked, transferred_on: date, agency: str) -> list[EventDraft]:
    return _petition_step(item, PetitionTransferred, transferred_on=transferred_on, agency=agency)


def petition_settled(item: Tracked, settled_on: date, outcome: str | None) -> list[EventDraft]:
    days = days_to_close(item.raised_on, settled_on)
    return _petition_step(
        item, PetitionSettled, settled_on=settled_on, days_to_settle=days, outcome=outcome
    )
