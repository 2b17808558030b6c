"""A periodic report (báo cáo định kỳ) of a council's standing committee, composed from one
summary: the heading and the period it covers, section I from the figures (`results`), and
sections II and III as the secretary typed them (`Texts`, kept per unit and period); when none
was saved, section III is prefilled from the next period's tasks in the work programme. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from services.reporting.document.model import Council, ReportContent, Texts, Verification
from services.reporting.document.numbers import report_number
from services.reporting.document.results import Scope, Writer, sentence, write_results
from services.reporting.read.periods import ROMAN, Period, parse_period, year_month

# -- periods ---------------------------------------------------------------------------------


def next_period(period: Period) -> Period:
    """The period the report's section III plans for: after 6 months the last 6, after 9
    months the fourth quarter, after a year the next year, after a term the next term."""
    year, end = year_month(period.first)[0], year_month(period.last)[0]
    if period.key.endswith("-H1"):
        return parse_period(f"{year}-H2")
    if period.key.endswith("-9M"):
        return parse_period(f"{year}-Q4")
    if len(period.key) == 4:
        return parse_period(f"{year + 1}")
    return parse_period(f"{end}-{end + (end - year)}")


def period_phrase(period: Period) -> str:
    """How a sentence names the period: "9 tháng đầu năm 2025", "quý IV năm 2025" …"""
    if period.key[5:6] == "Q":
        year, month = year_month(period.first)
        return f"quý {ROMAN[(month + 2) // 3]} năm {year}"
    return period.label[0].lower() + period.label[1:]


def starts_within(key: str, period: Period) -> bool:
    """Whether the period `key` (of a task) starts inside `period`."""
    try:
        return period.first <= parse_period(key).first <= period.last
    except ValueError:
        return False


# -- the report ------------------------------------------------------------------------------


def _typed(w: Writer, text: str | None, placeholder: str) -> None:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        w.para(placeholder, "placeholder")
    for line in lines:
        w.para(line)


def prefilled_directions(tasks: Sequence[Mapping[str, Any]], next_label: str) -> str:
    """Section III as first offered: the next period's tasks of the work programme."""
    titles = [t["title"] for t in tasks if t.get("status") != "cancelled"]
    if not titles:
        return ""
    head = f"Tiếp tục thực hiện chương trình công tác {next_label}, tập trung vào các nhiệm vụ sau:"
    return "\n".join([head, *(f"{i}. {title}" for i, title in enumerate(titles, 1))])


def compose(
    summary: Mapping[str, Any],
    council: Council,
    number: int | None,
    dated: date,
    texts: Texts,
    next_tasks: Sequence[Mapping[str, Any]] = (),
    verification: Verification | None = None,
) -> ReportContent:
    """The whole report of `council` from its `summary` (the summary API's answer), with the
    code of the roots it was built on (`verification`) if given."""
    period = parse_period(summary["period"]["key"])
    coming = next_period(period)
    own_name = f"HĐND {council.kind}"
    has_children = bool(summary.get("children"))
    scope = Scope(
        own=own_name,
        all=f"HĐND các cấp trên địa bàn {council.kind}" if has_children else own_name,
        standing=(
            f"Thường trực HĐND các cấp trên địa bàn {council.kind}"
            if has_children
            else f"Thường trực {own_name}"
        ),
        when=sentence(f"trong {period_phrase(period)}"),
    )
    w = Writer(summary["figures"], summary.get("rates") or {})
    w.para(
        f"Thực hiện chế độ báo cáo định kỳ, Thường trực {own_name} {council.short_name} báo cáo"
        f" kết quả hoạt động {period_phrase(period)} và phương hướng, nhiệm vụ"
        f" {period_phrase(coming)} như sau:"
    )
    write_results(w, summary, council, scope)
    w.heading("II. TỒN TẠI, HẠN CHẾ", "heading")
    _typed(
        w, texts.shortcomings, "(Thường trực HĐND bổ sung những tồn tại, hạn chế và nguyên nhân.)"
    )
    w.heading("III. PHƯƠNG HƯỚNG, NHIỆM VỤ", "heading")
    directions = texts.directions
    if directions is None:
        directions = prefilled_directions(next_tasks, period_phrase(coming))
    _typed(
        w, directions, f"(Thường trực HĐND bổ sung phương hướng, nhiệm vụ {period_phrase(coming)}.)"
    )
    w.para(
        f"Trên đây là báo cáo kết quả hoạt động {period_phrase(period)} của {own_name}"
        f" {council.short_name}./."
    )
    issuer = ("HỘI ĐỒNG NHÂN DÂN", council.name.upper(), "THƯỜNG TRỰC")
    above = (
        f"- Thường trực HĐND {council.above[0].lower()}{council.above[1:]};"
        if council.above
        else "- Ủy ban Thường vụ Quốc hội;"
    )
    return ReportContent(
        issuer=issuer,
        number=f"{report_number(number)}/BC-HĐND" if number else "     /BC-HĐND",
        place=council.short_name,
        dated=dated,
        subject=(
            f"Kết quả hoạt động {period_phrase(period)} và phương hướng, nhiệm vụ"
            f" {period_phrase(coming)} của {own_name} {council.short_name}"
        ),
        blocks=tuple(w.blocks),
        recipients=(above, f"- Thường trực {own_name};", "- Lưu: VT."),
        verification=verification,
    )


def file_name(council: Council, period: Period, suffix: str) -> str:
    """ASCII file name: "BC-2025-9M-095.docx"."""
    return f"BC-{period.key}-{council.code}.{suffix}"
