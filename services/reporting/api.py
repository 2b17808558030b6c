"""HTTP API of the reporting service: figures for any unit and period, from projections."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query, Request
from pydantic import BaseModel, Field

from services.common.activity import Unit, guarded_router
from services.common.auth import Caller, CallerDep
from services.common.errors import Forbidden, NotFound
from services.reporting.figures.served import FigureCatalogue, served
from services.reporting.periods import Period, period_in
from services.reporting.views import country_as_it_was, eras_of
from services.reporting.wiring import Reporting


def _service_of(app: FastAPI) -> Reporting:
    service: Reporting = app.state.reporting
    return service


router = guarded_router("reporting", _service_of)

PeriodQuery = Annotated[
    str,
    Query(
        description="2025 (year), 2025-03 (month), 2025-Q3 (quarter), 2025-H1 (6 tháng đầu năm),"
        " 2025-9M (9 tháng), 2021-2026 (nhiệm kỳ), or 2025-01..2025-05 (range)",
        examples=["2025-H1"],
    ),
]


ViewQuery = Annotated[
    Literal["as_it_was", "as_today"],
    Query(
        description="as_it_was: units and parents in force when each event happened."
        " as_today: the whole history mapped onto the 2025 units (see `rule` in the answer).",
    ),
]


@router.get(
    "/units/{unit}/summary",
    summary="Figures of a unit (its own council plus every unit below) and of its child units",
    responses={404: {"description": "No such unit during the period"}},
)
async def unit_summary(
    request: Request,
    unit: Unit,
    period: PeriodQuery,
    caller: CallerDep,
    view: ViewQuery = "as_it_was",
) -> dict[str, Any]:
    asked = period_in(period, "query.period")
    return await summary_of(request.app.state.reporting, caller, unit, asked, view)


async def summary_of(
    reporting: Reporting, caller: Caller, unit: str, asked: Period, view: str
) -> dict[str, Any]:
    """The summary API's answer for `unit` and `asked`, after checking the caller may read it
    (also what a report document is written from)."""
    if view == "as_today":
        caller.may_read(unit, ["2025"], f"during {asked.key}")
        mapped = await reporting.today_views.summary(unit, asked)
        if mapped is None:
            now = reporting.hierarchy.current(unit, "2025")
            if now is not None:
                raise NotFound(
                    "path.unit", f"unit {unit} no longer exists; as today its figures are {now}'s"
                )
            raise NotFound("path.unit", f"no unit {unit} exists today (after the 2025 reform)")
        return mapped
    caller.may_read(unit, eras_of(asked), f"during {asked.key}")
    summary = await reporting.views.summary(unit, asked)
    if summary is None:
        raise NotFound("path.unit", f"no unit {unit} existed during {asked.key}")
    return {**summary.as_json(), "view": "as_it_was"}


@router.get(
    "/country/summary",
    summary="Figures of the whole country and of each province (national scope only)",
)
async def country_summary(
    request: Request,
    period: PeriodQuery,
    caller: CallerDep,
    view: ViewQuery = "as_it_was",
) -> dict[str, Any]:
    reporting: Reporting = request.app.state.reporting
    asked = period_in(period, "query.period")
    if caller.principal.unit is not None and caller.principal.role != "operator":
        raise Forbidden(
            "header.authorization",
            f"national figures need a national token; this one is for unit {caller.principal.unit}",
        )
    if view == "as_today":
        return await reporting.today_views.country(asked)
    return await country_as_it_was(reporting.views.unit_months, reporting.hierarchy, asked)


@router.get(
    "/figures",
    summary="Every figure key with its Vietnamese label, in report order",
)
async def figure_labels() -> FigureCatalogue:
    from services.reporting.figures import CATALOGUE

    return served(CATALOGUE)


class RateInfo(BaseModel):
    """One rate of `rates` in a summary: computed from two summed figures after the roll-up."""

    label: str = Field(description="Vietnamese label, as printed on a report")
    numerator: str = Field(description="figure key counted above the line")
    denominator: str = Field(description="figure key counted below the line (no rate if zero)")
    percent: bool = Field(description="true: a percentage; false: a mean per item (e.g. days)")


@router.get(
    "/rates",
    summary="Every rate key of `rates` with its Vietnamese label and the figures it divides",
)
async def rate_labels() -> dict[str, RateInfo]:
    from services.reporting.figures import RATES

    return {
        key: RateInfo(
            label=r.label, numerator=r.numerator, denominator=r.denominator, percent=r.scale == 100
        )
        for key, r in RATES.items()
    }
