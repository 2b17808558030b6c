"""HTTP routes of report documents, part of the reporting service.

    GET /units/{unit}/report?period=2025-9M[&view=…][&format=docx|html][&dated=YYYY-MM-DD]
    GET /units/{unit}/report/sections?period=…      sections II and III (saved or prefilled)
    PUT /units/{unit}/report/sections?period=…      the secretary saves them
    GET /units/{unit}/reports/{period}/document     exactly the document filed with the report

The report is written from the same summary `GET /units/{unit}/summary` answers, so every
figure it prints is one the API gives.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Body, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from contracts.timezone import today_in_vietnam
from services.common.activity import WRITE_REFUSALS, Unit, guarded_router
from services.common.auth import CallerDep
from services.common.errors import NotFound
from services.reporting.document.content import file_name
from services.reporting.document.model import Texts
from services.reporting.document.responses import (
    DOCUMENT_RESPONSES,
    DOCX,
    NO_UNIT,
    FormatQuery,
    document_answer,
)
from services.reporting.document.service import (
    build_report,
    council_era,
    report_period,
    sections_of,
)
from services.reporting.read.periods import month_start
from services.reporting.read.queries import PeriodQuery, ViewQuery, reporting_of
from services.reporting.read.views import eras_of

router = guarded_router("report documents")


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
    format: FormatQuery = "docx",
    dated: Annotated[
        date | None, Query(description="Date printed on the report (default: today)")
    ] = None,
) -> Response:
    asked = report_period(period)
    content, council = await build_report(
        reporting_of(request.app), caller, unit, asked, view, dated or today_in_vietnam()
    )
    return document_answer(content, format, file_name(council, asked, "docx"))


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
    reporting = reporting_of(request.app)
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
    reporting = reporting_of(request.app)
    if reporting.hierarchy.find(unit, last_month) is None:
        raise NotFound("path.unit", f"no unit {unit} existed during {asked.key}")
    await reporting.documents.save_texts(
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
    doc = await reporting_of(request.app).documents.attached(unit, asked.key)
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
