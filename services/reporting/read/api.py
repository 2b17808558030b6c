"""HTTP API of the reporting service: figures for any unit and period, from projections."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request, Response
from pydantic import BaseModel, Field

from services.common.activity import Unit, guarded_router
from services.common.auth import CallerDep
from services.common.errors import Forbidden
from services.reporting.read.figures.served import FigureCatalogue, served
from services.reporting.read.periods import period_in
from services.reporting.read.queries import PeriodQuery, ViewQuery, reporting_of, summary_of
from services.reporting.read.views import country_as_it_was

router = guarded_router("reporting", reporting_of)


@router.get(
    "/units/{unit}/summary",
    summary="Figures of a unit (its own council plus every unit below) and of its child units",
    responses={404: {"description": "No such unit during the period"}},
    response_model=dict[str, Any],
)
async def unit_summary(
    request: Request,
    unit: Unit,
    period: PeriodQuery,
    caller: CallerDep,
    view: ViewQuery = "as_it_was",
) -> Response:
    # Written by orjson, the same bytes as FastAPI's encoder (the declared response is kept):
    # a province's answer, every commune with all its figures (about 1 MB), took that
    # encoder several times as long. No docstring: it would be the OpenAPI description.
    asked = period_in(period, "query.period")
    answer = await summary_of(reporting_of(request.app), caller, unit, asked, view)
    return Response(orjson.dumps(answer), media_type="application/json")


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
    reporting = reporting_of(request.app)
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
    from services.reporting.read.figures import CATALOGUE

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
    from services.reporting.read.figures import RATES

    return {
        key: RateInfo(
            label=r.label, numerator=r.numerator, denominator=r.denominator, percent=r.scale == 100
        )
        for key, r in RATES.items()
    }
