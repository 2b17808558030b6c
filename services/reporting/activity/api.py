"""HTTP API of the activity log (nhật ký): a unit's entries newest first, as JSON pages or as
one CSV file for Excel, who made them, and the Vietnamese names of their kinds.

A caller reads the log of its unit and of every unit below it (a province its communes'), in
the eras whose council of that code it may read; any other unit answers 404 like one that
does not exist, so the answer never tells whether another council keeps a log.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Annotated, Any, Literal, get_args

from fastapi import Query, Request
from fastapi.responses import StreamingResponse

from services.common.activity import From, To, Unit, guarded_router
from services.common.auth import Caller, CallerDep
from services.common.errors import Forbidden, NotFound
from services.common.hierarchy import Era
from services.reporting.activity.entries import ACTOR_KINDS, LABELS
from services.reporting.activity.log import ActivityLog, Filter

router = guarded_router("activity")  # the token secret is loaded by reporting's own router

ERAS: tuple[Era, ...] = get_args(Era)
CSV_MAX = 100_000  # entries in one export: a province's busiest years fit many times over
CSV_COLUMNS = (
    "Thời điểm",
    "Đơn vị",
    "Mã đơn vị",
    "Người ghi nhận",
    "Tài khoản",
    "Loại tài khoản",
    "Loại việc",
    "Mã hồ sơ",
    "Nội dung",
    "Mã sự kiện",
)
FORMULA_STARTS = frozenset("=+-@\t\r")
BELOW = Annotated[
    bool, Query(description="Also the entries of every unit below it (a province: its communes)")
]
Person = Annotated[
    str | None, Query(min_length=1, max_length=128, description="An account id (actor.id)")
]
Kind = Annotated[
    str | None,
    Query(
        pattern=r"^[a-z_]+(\.[a-z_]+)?$",
        max_length=64,
        description="An event type (opinion.resolved), or every type of one kind (opinion)",
    ),
]


def _log(request: Request) -> ActivityLog:
    reporting = request.app.state.reporting
    return ActivityLog(reporting.store.activity, reporting.hierarchy)


def _filter(
    caller: Caller,
    unit: str,
    below: bool,
    person: str | None,
    kind: str | None,
    first: date | None,
    last: date | None,
) -> Filter:
    """What the caller may read of `unit`'s log: 404 unless some era's council of it."""
    eras = []
    for era in ERAS:
        try:
            caller.may_read(unit, [era], f"in the {era} era")
        except (Forbidden, NotFound):
            continue
        eras.append(era)
    if not eras:
        raise NotFound("path.unit", f"no unit {unit} whose log you may read")
    return Filter(unit, eras, below, person, kind, first, last)


@router.get(
    "/units/{unit}/activity",
    summary="Who recorded what and when in a unit (nhật ký), newest first; `format=csv` for Excel",
    responses={
        200: {
            "description": "A page of entries and the cursor of the next, or the CSV file",
            "content": {"text/csv": {}},
        },
        404: {"description": "No such unit whose log you may read"},
        422: {"description": "An invalid filter or cursor"},
    },
)
async def activity(
    request: Request,
    unit: Unit,
    caller: CallerDep,
    below: BELOW = False,
    person: Person = None,
    kind: Kind = None,
    start: From = None,
    end: To = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    format: Literal["json", "csv"] = "json",
) -> Any:
    which = _filter(caller, unit, below, person, kind, start, end)
    log = _log(request)
    if format == "csv":
        name = f"nhat-ky-{unit}.csv"
        return StreamingResponse(
            _csv(log.every(which, CSV_MAX)),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    items, following = await log.page(which, limit, cursor)
    return {"items": items, "next": following}


@router.get(
    "/units/{unit}/activity/people",
    summary="Who made the entries of a unit's log (for the page's filter), by name",
    responses={404: {"description": "No such unit whose log you may read"}},
)
async def activity_people(
    request: Request, unit: Unit, caller: CallerDep, below: BELOW = False
) -> list[dict[str, Any]]:
    return await _log(request).people(_filter(caller, unit, below, None, None, None, None))


@router.get("/activity/kinds", summary="The Vietnamese name of each kind of entry and of actor")
async def activity_kinds() -> dict[str, dict[str, str]]:
    return {"kinds": dict(LABELS), "actors": dict(ACTOR_KINDS)}


async def _csv(entries: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    """The entries as CSV rows, UTF-8 with a byte order mark so Excel reads Vietnamese."""
    yield "\ufeff".encode()
    yield _line(CSV_COLUMNS)
    async for e in entries:
        actor = e["actor"]
        yield _line(
            (
                datetime.fromisoformat(e["at"]).strftime("%d/%m/%Y %H:%M:%S"),
                e["unit_name"],
                e["unit"],
                actor["name"],
                actor["id"],
                ACTOR_KINDS.get(actor["kind"], actor["kind"]),
                e["label"],
                e["record"] or "",
                e["summary"],
                e["event_id"],
            )
        )


def _line(values: tuple[str, ...]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerow([_cell(v) for v in values])
    return out.getvalue().encode()


def _cell(value: str) -> str:
    """A typed text Excel must not take for a formula (=, +, -, @ first): quoted as text."""
    return f"'{value}" if value[:1] in FORMULA_STARTS else value
