"""The synthesis documents of voters' opinions, served by reporting:

    GET /units/{unit}/opinions-report?session=…|period=…[&kind=synthesis|results]
        [&format=docx|html][&dated=YYYY-MM-DD]

written from the unit's summary over the session's period (the summary API's answer, so every
figure it prints is one the API gives) and from the register: the groups confirmed at the
unit's level, then those confirmed below it for opinions no group of the level holds, then the
single opinions (services.reporting.voter_opinions.report)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Query, Request, Response

from contracts.timezone import today_in_vietnam
from services.common.activity import Unit, guarded_router
from services.common.auth import Caller, CallerDep
from services.reporting.document.model import Council, ReportContent
from services.reporting.document.responses import (
    DOCUMENT_RESPONSES,
    FormatQuery,
    document_answer,
)
from services.reporting.document.service import built_on, council_of
from services.reporting.read.queries import reporting_of, summary_of
from services.reporting.voter_opinions.reads import (
    Listing,
    PeriodQuery,
    SessionQuery,
    Window,
    window_of,
)
from services.reporting.voter_opinions.report import (
    Kind,
    Session,
    Synthesis,
    VoterRequest,
    compose,
    request_of_group,
    request_of_opinion,
)
from services.reporting.voter_opinions.store import opinion_key
from services.reporting.wiring import Reporting

router = guarded_router("voter opinions")


async def requests_of(reporting: Reporting, unit: str, window: Window) -> list[VoterRequest]:
    """What the report lists: the level's groups, then the groups below it (for opinions no
    group listed before holds), then the opinions of no group, all raised in the window."""
    listing = Listing(reporting.voter_opinions.store, reporting.hierarchy)
    groups = await listing.store.groups_under(unit)
    groups.sort(key=lambda g: g["level"] != unit)  # the level's own first
    taken: set[str] = set()
    listed: list[VoterRequest] = []
    for group in groups:
        view = await listing.group(group, window)
        keys = {opinion_key(o["unit"], o["opinion_id"]) for o in view["opinions"]}
        if group["level"] != unit:
            view["opinions"] = [
                o for o in view["opinions"] if opinion_key(o["unit"], o["opinion_id"]) not in taken
            ]
            view.update(units=_names(view["opinions"]))
        if len(view["opinions"]) >= 2 or (view["opinions"] and group["level"] == unit):
            listed.append(request_of_group(view))
            taken |= keys
    docs = await listing.store.under(unit, window.first, window.last)
    alone = [d for d in docs if d["stage"] != "withdrawn" and d["_id"] not in taken]
    listed += [request_of_opinion(o) for o in await listing.opinions(alone)]
    return listed


def _names(opinions: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(o["unit_name"] for o in opinions))


async def build(
    reporting: Reporting, caller: Caller, unit: str, window: Window, kind: Kind, dated: date
) -> tuple[ReportContent, Council]:
    summary = await summary_of(reporting, caller, unit, window.period, "as_it_was")
    council = council_of(reporting, summary)
    s = window.session
    session = None if s is None else Session(s["number"], s["term"])
    synthesis = Synthesis(
        council, window.period, session, await requests_of(reporting, council.code, window)
    )
    verification = await built_on(reporting, council.code, dated)
    return compose(summary, synthesis, kind, dated, verification), council


@router.get(
    "/units/{unit}/opinions-report",
    summary="Báo cáo tổng hợp ý kiến, kiến nghị của cử tri (before a session), or the report"
    " on what was answered and resolved (kind=results), as a Word document or a web page",
    response_class=Response,
    responses=DOCUMENT_RESPONSES,
)
async def opinions_report(
    request: Request,
    unit: Unit,
    caller: CallerDep,
    session: SessionQuery = None,
    period: PeriodQuery = None,
    kind: Annotated[Kind, Query()] = "synthesis",
    format: FormatQuery = "docx",
    dated: Annotated[date | None, Query(description="Date printed (default: today)")] = None,
) -> Response:
    reporting = reporting_of(request.app)
    window = await window_of(reporting.voter_opinions.store, unit, session, period)
    content, council = await build(
        reporting, caller, unit, window, kind, dated or today_in_vietnam()
    )
    what = "TH-YKCT" if kind == "synthesis" else "KQ-YKCT"
    name = f"{what}-{window.period.key.replace('..', '_')}-{council.code}.docx"
    return document_answer(content, format, name)
