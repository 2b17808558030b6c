"""What the reporting service's routers share: the service the app holds, the period and view
a query names, and the summary every figure of a page or a document comes from. Kept apart
from the routes so that no router imports another router's module."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query

from services.common.auth import Caller
from services.common.errors import NotFound
from services.reporting.read.periods import Period
from services.reporting.read.views import eras_of
from services.reporting.wiring import Reporting


def reporting_of(app: FastAPI) -> Reporting:
    """The reporting service the app serves (set by `create_app`)."""
    reporting: Reporting = app.state.reporting
    return reporting


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
