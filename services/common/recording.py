"""The rules every "a council recorded what it did" command shares, in one place.

A record is accepted only if its day is not in the future, its unit existed that day, this
instance serves the unit, and every other unit it names is the unit or below it. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time

from contracts.timezone import VIETNAM_TZ
from services.common.hierarchy import Hierarchy, Unit
from services.common.http import DomainError, Forbidden


def recordable_unit(
    hierarchy: Hierarchy,
    code: str,
    day: date,
    *,
    served: Sequence[str],
    today: date,
    day_field: str,
    named_units: Iterable[tuple[str, str]] = (),
) -> Unit:
    """The unit a record is for, or a DomainError/Forbidden naming the offending field."""
    if day > today:
        name = day_field.rsplit(".", 1)[-1]
        raise DomainError(day_field, f"{name} {day} is in the future; record it once it happened")
    unit = hierarchy.find(code, day)
    if unit is None:
        raise DomainError("path.unit", f"unit {code} did not exist on {day}")
    if served and not any(_within(hierarchy, unit.code, scope, day) for scope in served):
        raise Forbidden(
            "path.unit",
            f"unit {unit.code} is not served by this instance (serves {', '.join(served)})",
            kind="not_served",
        )
    for field, other in named_units:
        if hierarchy.find(other, day) is None:
            raise DomainError(field, f"unit {other} did not exist on {day}")
        if not hierarchy.is_within(other, unit.code, day):
            raise DomainError(field, f"unit {other} is not {unit.name} ({unit.code}) or below it")
    return unit


def business_time(day: date) -> datetime:
    """Noon in Vietnam on the day: `occurred_at` of a record, safely inside its month."""
    return datetime.combine(day, time(12), tzinfo=VIETNAM_TZ)


def _within(hierarchy: Hierarchy, code: str, scope: str, day: date) -> bool:
    """A served scope may not exist on that day (a district after 2025): then it covers nothing."""
    return hierarchy.find(scope, day) is not None and hierarchy.is_within(code, scope, day)
