"""HTTP routes of report documents, part of the reporting service.

    GET /units/{unit}/report?period=2025-9M[&view=…][&format=docx|html][&dated=YYYY-MM-DD]
    GET /units/{unit}/report/sections?period=…      sections II and III (saved or prefilled)
    PUT /units/{unit}/report/sections?period=…      the secretary saves them
    GET /units/{unit}/reports/{period}/document     exactly the document filed with the report

The report is written from the same summary `GET /units/{unit}/summary` answers, so every
figure it prints is one the API gives.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import Body, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from pymongo.asynchronous.client_session import AsyncClientSession

from contracts import Envelope, EventDraft
from contracts.coordination import ReportFiled
from contracts.timezone import today_in_vietnam
from services.common.activity import WRITE_REFUSALS, Unit, guarded_router
from services.common.auth import Caller, CallerDep
from services.common.errors import DomainError, NotFound
from services.common.hierarchy import Era
from services.common.security import page_policy
from services.reporting.audit.store import covered_units, verification_code
from services.reporting.coordination.domain import FileReport, obligation_of
from services.reporting.document import render_docx, render_html
from services.reporting.document.content import (
    compose,
    file_name,
    next_period,
    period_phrase,
    prefilled_directions,
    starts_within,
)
from services.reporting.document.model import Council, ReportContent, Texts, Verification
from services.reporting.document.store import Attached
from services.reporting.periods import InvalidPeriod, Period, month_start
from services.reporting.queries import PeriodQuery, ViewQuery, summary_of
from services.reporting.views import REFORM_MONTH, eras_of
from services.reporting.wiring import Reporting

router = guarded_router("report documents")
# The report as a page: its own style sheet (by hash), nothing else.
REPORT_PAGE_POLICY = page_policy(style_src=render_html.STYLE_SOURCE)

DOCX = render_docx.MEDIA_TYPE
NO_UNIT: dict[int | str, dict[str, Any]] = {404: {"description": "No such unit during the period"}}
DOCUMENT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report as a Word document (format=docx) or a web page (format=html)",
        "content": {DOCX: {}, "text/html": {}},
    },
    **NO_UNIT,
}


def report_period(text: str) -> Period:
    """A periodic report's period (YYYY-H1, YYYY-9M, YYYY, YYYY-YYYY); 422 otherwise."""
    try:
        return obligation_of(text)[1]
    except InvalidPeriod as exc:
        raise DomainError("query.period", str(exc)) from None


def _reporting(request: Request) -> Reporting:
    reporting: Reporting = request.app.state.reporting
    return reporting


def council_of(reporting: Reporting, summary: dict[str, Any]) -> Council:
    """The reporting unit, with the unit its report goes to, as the summary's era names them."""
    code, era = summary["unit"]["code"], summary["unit"]["era"]
    unit = reporting.hierarchy.unit(code, era)
    parent = reporting.hierarchy.find(unit.parent, era) if unit.parent else None
    return Council(
        unit.code,
        unit.name,
        unit.short_name or unit.name,
        unit.level,
        parent.name if parent else None,
    )


def council_era(reporting: Reporting, unit: str, period: Period) -> Era:
    """The era of the council whose report on `period` this is: a legacy one for a period
    that ends before the reform, else the latest unit the code names."""
    if period.last < REFORM_MONTH:
        return "legacy"
    return reporting.hierarchy.latest_era(unit) or "2025"


async def sections_of(
    reporting: Reporting, unit: str, era: Era, period: Period
) -> tuple[Texts, bool]:
    """Sections II and III as saved, or with III prefilled from the next period's tasks of
    the council of `era` (True when the programme had something to prefill)."""
    texts, _ = await reporting.documents.texts_of(unit, period.key)
    if texts.directions is not None:
        return texts, False
    coming = next_period(period)
    tasks = await reporting.coordination.store.list_tasks(unit, era, None, 1000)
    upcoming = [t for t in tasks if starts_within(t["period"], coming)]
    directions = prefilled_directions(upcoming, period_phrase(coming))
    return Texts(texts.shortcomings, directions), bool(directions)


async def build_report(
    reporting: Reporting, caller: Caller, unit: str, period: Period, view: str, dated: date
) -> tuple[ReportContent, Council]:
    """The report of `unit` on `period` as of `dated`, with the secretary's sections and the
    number from the office's register, else the one allocated when it was filed (blank
    before: building a report writes nothing)."""
    summary = await summary_of(reporting, caller, unit, period, view)
    council = council_of(reporting, summary)
    texts, _ = await sections_of(reporting, council.code, summary["unit"]["era"], period)
    _, register = await reporting.documents.texts_of(council.code, period.key)
    number = register or await reporting.documents.number_of(council.code, period.key)
    verification = await built_on(reporting, council.code, dated)
    return compose(summary, council, number, dated, texts, verification=verification), council


async def built_on(reporting: Reporting, unit: str, dated: date) -> Verification:
    """The roots a report of `unit` dated `dated` is built on: those of the day before,
    covering the unit and the units below it (`GET /units/{unit}/audit-roots?day=` lists
    them, with the same code)."""
    day = dated - timedelta(days=1)
    roots = await reporting.audit_roots.of_day(day, covered_units(reporting.hierarchy, unit))
    return Verification(day, verification_code(roots), len(roots))


async def number_at_filing(request: Request, filing: EventDraft) -> None:
    """Allocate the number of the report `filing` files, unless the office's register gives
    it one: the next of the unit's counter in the year the report is due. Filing is the only
    write that numbers a report; reading one never does."""
    report = filing.payload
    assert isinstance(report, ReportFiled)
    documents = _reporting(request).documents
    _, register = await documents.texts_of(filing.unit, report.period)
    if register is None:
        await documents.allocate_number(filing.unit, report.period, report.due_on.year)


@router.get(
    "/units/{unit}/report",
    summary="The periodic report (báo cáo 6 tháng, 9 tháng, năm, nhiệm kỳ) as a Word document"
    " or a web page, written from the unit's figures",
    response_class=Response,
    responses=DOCUMENT_RESPONSES,
)
async def report_document(
    request: Request,
    unit: Unit,
    period: PeriodQuery,
    caller: CallerDep,
    view: ViewQuery = "as_it_was",
    format: Annotated[Literal["docx", "html"], Query()] = "docx",
    dated: Annotated[
        date | None, Query(description="Date printed on the report (default: today)")
    ] = None,
) -> Response:
    asked = report_period(period)
    content, council = await build_report(
        _reporting(request), caller, unit, asked, view, dated or today_in_vietnam()
    )
    if format == "html":
        return Response(
            render_html.render_html(content),
            media_type=render_html.MEDIA_TYPE,
            headers={"Content-Security-Policy": REPORT_PAGE_POLICY},
        )
    name = file_name(council, asked, "docx")
    return Response(
        render_docx.render_docx(content),
        media_type=DOCX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


class Sections(BaseModel):
    """Sections II and III of a report, as the secretary types them (one paragraph a line)."""

    model_config = ConfigDict(extra="forbid")

    shortcomings: str | None = Field(
        default=None, max_length=50_000, description="II. Tồn tại, hạn chế"
    )
    directions: str | None = Field(
        default=None,
        max_length=50_000,
        description="III. Phương hướng, nhiệm vụ (null: prefilled from the work programme)",
    )
    number: int | None = Field(
        default=None,
        ge=1,
        le=9999,
        description="Số from the office's register; null: the number hdnd allocated",
    )


class SavedSections(Sections):
    prefilled: bool = Field(description="true: directions come from the work programme")


@router.get(
    "/units/{unit}/report/sections",
    summary="Sections II and III of a report (saved, or III prefilled from the next tasks)",
    responses=NO_UNIT,
)
async def get_sections(
    request: Request, unit: Unit, period: PeriodQuery, caller: CallerDep
) -> SavedSections:
    asked = report_period(period)
    caller.may_read(unit, eras_of(asked), f"during {asked.key}")
    reporting = _reporting(request)
    texts, prefilled = await sections_of(
        reporting, unit, council_era(reporting, unit, asked), asked
    )
    _, number = await reporting.documents.texts_of(unit, asked.key)
    return SavedSections(
        shortcomings=texts.shortcomings,
        directions=texts.directions,
        number=number,
        prefilled=prefilled,
    )


@router.put(
    "/units/{unit}/report/sections",
    summary="Save sections II and III of a report (and optionally its register number)",
    status_code=204,
    responses={**WRITE_REFUSALS, **NO_UNIT},
)
async def put_sections(
    request: Request,
    unit: Unit,
    period: PeriodQuery,
    sections: Annotated[Sections, Body()],
    caller: CallerDep,
) -> Response:
    asked = report_period(period)
    last_month = month_start(asked.last)
    caller.may_write(unit, last_month)
    if _reporting(request).hierarchy.find(unit, last_month) is None:
        raise NotFound("path.unit", f"no unit {unit} existed during {asked.key}")
    await _reporting(request).documents.save_texts(
        unit,
        asked.key,
        Texts(sections.shortcomings, sections.directions),
        sections.number,
        caller.principal.user,
    )
    return Response(status_code=204)


@router.get(
    "/units/{unit}/reports/{period}/document",
    summary="Exactly the document attached when the unit filed its report on the period",
    response_class=Response,
    responses={
        200: {"description": "The filed document", "content": {DOCX: {}}},
        404: {"description": "No document was attached to that report"},
    },
)
async def filed_document(request: Request, unit: Unit, period: str, caller: CallerDep) -> Response:
    asked = report_period(period)
    caller.may_read(unit, eras_of(asked), f"during {asked.key}")
    doc = await _reporting(request).documents.attached(unit, asked.key)
    if doc is None:
        raise NotFound("path.period", f"unit {unit} filed no document with its {asked.key} report")
    return Response(
        bytes(doc["content"]),
        media_type=doc["media_type"],
        headers={
            "Content-Disposition": f'attachment; filename="{doc["filename"]}"',
            "X-Content-SHA256": doc["sha256"],
        },
    )


def filing_view(reporting: Reporting, command: FileReport) -> str:
    """The view a filed report is written in: the units as they were, unless a unit of the
    2025 era owes a report on months before the reform (the 2025-H1 report of a new commune),
    which then covers its predecessors' history mapped onto it (as today)."""
    unit = reporting.hierarchy.find(command.unit, command.filed_on)
    period = report_period(command.period)
    if unit is None or unit.era != "2025" or period.first >= REFORM_MONTH:
        return "as_it_was"
    return "as_today"


FilingWrite = Callable[[AsyncClientSession, EventDraft], Awaitable[Envelope]]


async def with_document(
    request: Request, caller: Caller, command: FileReport, write: FilingWrite
) -> tuple[FileReport, FilingWrite]:
    """Filing with the report attached: the command carries the document's SHA-256 (and its
    number as `report_ref` unless one was given), and the write keeps the exact bytes in the
    filing's transaction."""
    reporting = _reporting(request)
    period = report_period(command.period)
    content, council = await build_report(
        reporting, caller, command.unit, period, filing_view(reporting, command), command.filed_on
    )
    attached = Attached(
        unit=council.code,
        period=period.key,
        report_id=command.report_id,
        number=content.number,
        filename=file_name(council, period, "docx"),
        media_type=DOCX,
        content=render_docx.render_docx(content),
        dated=command.filed_on,
    )
    command = replace(
        command,
        report_ref=command.report_ref or content.number,
        document_sha256=attached.sha256,
    )

    async def file_with_document(session: AsyncClientSession, draft: EventDraft) -> Envelope:
        envelope = await write(session, draft)
        await reporting.documents.attach(session, attached)
        return envelope

    return command, file_with_document
