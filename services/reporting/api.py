"""HTTP API of the reporting service: figures for any unit and period, from projections."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from contracts import UnitCode
from services.common.http import DomainError, NotFound
from services.reporting.periods import InvalidPeriod, Period, parse_period
from services.reporting.wiring import Reporting

router = APIRouter(tags=["reporting"])

PeriodQuery = Annotated[
    str,
    Query(
        description="2025 (year), 2025-03 (month), 2025-Q3 (quarter), 2025-H1 (6 tháng đầu năm),"
        " 2025-9M (9 tháng), or 2025-01..2025-05 (range)",
        examples=["2025-H1"],
    ),
]


def period_of(text: str) -> Period:
    try:
        return parse_period(text)
    except InvalidPeriod as exc:
        raise DomainError("query.period", str(exc)) from None


@router.get(
    "/units/{unit}/summary",
    summary="Figures of a unit (its own council plus every unit below) and of its child units",
    responses={404: {"description": "No such unit during the period"}},
)
async def unit_summary(
    request: Request, unit: Annotated[UnitCode, Path()], period: PeriodQuery
) -> dict[str, Any]:
    reporting: Reporting = request.app.state.reporting
    summary = await reporting.views.summary(unit, period_of(period))
    if summary is None:
        raise NotFound("path.unit", f"no unit {unit} existed during {period}")
    return summary.as_json()


@router.get("/figures", summary="Every figure key with its Vietnamese label, in report order")
async def figure_labels() -> dict[str, str]:
    from services.reporting.views import LABELS

    return LABELS
