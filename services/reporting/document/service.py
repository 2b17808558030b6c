"""What a report document is written from: the unit's summary (so every figure it prints is one
the summary API gives), the sections the secretary typed (or III prefilled from the work
programme), the number from the office's register or the one allocated at filing, and the
audit roots it is built on. Also the document a filing attaches. No HTTP: the routes parse,
authorise and shape the answer.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from services.common.auth import Caller
from services.common.errors import DomainError
from services.common.hierarchy import Era
from services.reporting.audit.store import covered_units, verification_code
from services.reporting.coordination.domain import FileReport, obligation_of
from services.reporting.document import render_docx
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
from services.reporting.read.periods import InvalidPeriod, Period
from services.reporting.read.queries import summary_of
from services.reporting.read.views import REFORM_MONTH
from services.reporting.wiring import Reporting


def report_period(text: str) -> Period:
    """A periodic report's period (YYYY-H1, YYYY-9M, YYYY, YYYY-YYYY); 422 otherwise."""
    try:
        return obligation_of(text)[1]
    except InvalidPeriod as exc:
        raise DomainError("query.period", str(exc)) from None


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


def filing_view(reporting: Reporting, command: FileReport) -> str:
    """The view a filed report is written in: the units as they were, unless a unit of the
    2025 era owes a report on months before the reform (the 2025-H1 report of a new commune),
    which then covers its predecessors' history mapped onto it (as today)."""
    unit = reporting.hierarchy.find(command.unit, command.filed_on)
    period = report_period(command.period)
    if unit is None or unit.era != "2025" or period.first >= REFORM_MONTH:
        return "as_it_was"
    return "as_today"


async def document_to_file(reporting: Reporting, caller: Caller, command: FileReport) -> Attached:
    """The report document a filing attaches, dated the day it is filed: coordination keeps
    its exact bytes in the filing's transaction."""
    period = report_period(command.period)
    content, council = await build_report(
        reporting, caller, command.unit, period, filing_view(reporting, command), command.filed_on
    )
    return Attached(
        unit=council.code,
        period=period.key,
        report_id=command.report_id,
        number=content.number,
        filename=file_name(council, period, "docx"),
        media_type=render_docx.MEDIA_TYPE,
        content=render_docx.render_docx(content),
        dated=command.filed_on,
    )
