"""HTTP route of the roots received, part of the reporting service.

    GET /units/{unit}/audit-roots?day=YYYY-MM-DD   the roots of that day covering the unit

The roots of a day covering a unit are those listing a stream of the unit or of a unit below
it; `code` is the verification code over them, the one a report document dated the next day
prints (services.reporting.audit.store.verification_code).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import Query, Request

from contracts.timezone import today_in_vietnam
from services.common.activity import Unit, guarded_router
from services.common.auth import CallerDep
from services.reporting.audit.store import covered_units, verification_code

router = guarded_router("audit")
DayQuery = Annotated[date | None, Query(description="The day the roots close (default: yesterday)")]
ROOTS = "The daily roots of the hash chains received for the unit and the units below it"


@router.get(
    "/units/{unit}/audit-roots", summary=ROOTS, responses={404: {"description": "No such unit"}}
)
async def audit_roots(
    unit: Unit, caller: CallerDep, request: Request, day: DayQuery = None
) -> dict[str, Any]:
    caller.may_read_between(unit, None, None)
    reporting = request.app.state.reporting
    day = day or today_in_vietnam() - timedelta(days=1)
    roots = await reporting.audit_roots.of_day(day, covered_units(reporting.hierarchy, unit))
    return {
        "unit": unit,
        "day": day.isoformat(),
        "code": verification_code(roots),
        "roots": [{"event_id": r.pop("_id"), **r} for r in roots],
    }
