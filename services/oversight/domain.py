"""The oversight domain: which finished supervisions may be recorded, and the event. Pure: no I/O.

A council office records a giám sát chuyên đề, khảo sát or thẩm tra once it is finished. The
rules are the ones a secretary would check by hand: it has finished (not in the future), the
unit existed on the day it finished, it is one this office serves, and every unit whose
agencies were supervised is that unit or lies below it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from contracts import EventDraft
from contracts.oversight import SupervisionFinished
from contracts.timezone import VIETNAM_TZ
from services.common.hierarchy import Hierarchy
from services.common.http import DomainError, Forbidden


@dataclass(frozen=True, slots=True)
class RecordSupervision:
    """Command: a body of the council of `unit` finished `supervision`."""

    unit: str
    supervision: SupervisionFinished


def record_supervision(
    command: RecordSupervision, hierarchy: Hierarchy, served: Sequence[str], today: date
) -> EventDraft:
    """Decide whether the supervision can be recorded; return `supervision.finished` if so."""
    supervision = command.supervision
    day = supervision.finished_on
    if day > today:
        raise DomainError(
            "body.finished_on",
            f"finished_on {day} is in the future; record supervisions once finished",
        )
    unit = hierarchy.find(command.unit, day)
    if unit is None:
        raise DomainError("path.unit", f"unit {command.unit} did not exist on {day}")
    if served and not any(_within(hierarchy, unit.code, scope, day) for scope in served):
        raise Forbidden(
            "path.unit",
            f"unit {unit.code} is not served by this instance (serves {', '.join(served)})",
            kind="not_served",
        )
    for i, code in enumerate(supervision.supervised_units):
        field = f"body.supervised_units.{i}"
        if hierarchy.find(code, day) is None:
            raise DomainError(field, f"unit {code} did not exist on {day}")
        if not hierarchy.is_within(code, unit.code, day):
            raise DomainError(field, f"unit {code} is not {unit.name} ({unit.code}) or below it")
    return EventDraft(
        type=SupervisionFinished.TYPE,
        version=SupervisionFinished.VERSION,
        unit=unit.code,
        occurred_at=datetime.combine(day, time(12), tzinfo=VIETNAM_TZ),
        payload=supervision,
    )


def _within(hierarchy: Hierarchy, code: str, scope: str, day: date) -> bool:
    """A served scope may not exist on that day (a district after 2025): then it covers nothing."""
    return hierarchy.find(scope, day) is not None and hierarchy.is_within(code, scope, day)
