"""The synthesis documents of voters' opinions, in the layout of the periodic reports
(services.reporting.document: Nghị định 30/2020/NĐ-CP). Pure.

- "Báo cáo tổng hợp ý kiến, kiến nghị của cử tri" before a session: the voter contacts and the
  opinions raised (figures from the summary API), then what voters asked, by field and by the
  agency addressed: first the requests raised in several units (the confirmed groups, each
  with the units that raised it and how many opinions), then the single opinions.
- "Báo cáo kết quả giải quyết ý kiến, kiến nghị của cử tri" after it: how many were forwarded,
  answered and resolved (the summary's figures), each request with its answer or result, and
  what remains pending.

Every figure a sentence quotes is the summary's, recorded as a `Quote` (a test holds each
against the summary API); the counts beside each request are its opinions listed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from contracts.oversight import OversightField
from services.reporting.document.content import period_phrase
from services.reporting.document.model import Council, ReportContent, Verification
from services.reporting.document.results import Writer
from services.reporting.read.figures import meetings, oversight
from services.reporting.read.figures.base import FIELDS
from services.reporting.read.periods import Period

Kind = Literal["synthesis", "results"]
TITLES: Mapping[Kind, str] = {
    "synthesis": "Tổng hợp ý kiến, kiến nghị của cử tri",
    "results": "Kết quả giải quyết ý kiến, kiến nghị của cử tri",
}
STAGE_WORDS = {
    "received": "chưa chuyển cơ quan có thẩm quyền",
    "forwarded": "đã chuyển cơ quan có thẩm quyền, chưa được trả lời",
    "answered": "đã được trả lời",
    "resolved": "đã được giải quyết",
}


@dataclass(frozen=True, slots=True)
class VoterRequest:
    """One request as the report lists it: a group (several opinions, its title) or a single
    opinion (its text), with where it stands."""

    field: str
    agency: str
    text: str
    units: tuple[str, ...]
    count: int
    stage: str  # the least advanced of its opinions
    answer: str | None = None
    answered_on: str | None = None
    result: str | None = None
    grouped: bool = True


@dataclass(frozen=True, slots=True)
class Session:
    number: int
    term: str


@dataclass
class Synthesis:
    """What the report is about: the council, the period (and session), its requests."""

    council: Council
    period: Period
    session: Session | None
    requests: list[VoterRequest] = field(default_factory=list)


ORDER = ("received", "forwarded", "answered", "resolved")


def request_of_group(group: Mapping[str, Any]) -> VoterRequest:
    """A confirmed group as listed (its opinions as the API shows them, in the window)."""
    opinions = group["opinions"]
    stage = min((o["stage"] for o in opinions if o["stage"] in ORDER), key=ORDER.index)
    answer = group.get("answer") or {}
    resolution = group.get("resolution") or {}
    answered: Mapping[str, Any] = next((o for o in opinions if o.get("answer")), {})
    return VoterRequest(
        field=group["field"],
        agency=group["agency"],
        text=group["title"],
        units=tuple(group["units"]),
        count=len(opinions),
        stage=stage,
        answer=answer.get("answer") or answered.get("answer"),
        answered_on=answer.get("answered_on") or (answered.get("days") or {}).get("answered"),
        result=resolution.get("result"),
    )


def request_of_opinion(opinion: Mapping[str, Any]) -> VoterRequest:
    return VoterRequest(
        field=opinion["field"],
        agency=opinion.get("agency") or opinion.get("addressed_to") or "",
        text=opinion["text"],
        units=(opinion["unit_name"],),
        count=1,
        stage=opinion["stage"],
        answer=opinion.get("answer"),
        answered_on=(opinion.get("days") or {}).get("answered"),
        result=opinion.get("result"),
        grouped=False,
    )


def _by_field_and_agency(
    requests: Iterable[VoterRequest],
) -> list[tuple[str, list[tuple[str, list[VoterRequest]]]]]:
    """Requests by field (in the figures' order), then by agency; groups before singles."""
    out: list[tuple[str, list[tuple[str, list[VoterRequest]]]]] = []
    every = list(requests)
    for f in [*FIELDS, *sorted({r.field for r in every} - set(FIELDS))]:
        in_field = [r for r in every if r.field == f]
        agencies = sorted({r.agency for r in in_field})
        if in_field:
            listed = [
                (a, sorted((r for r in in_field if r.agency == a), key=lambda r: not r.grouped))
                for a in agencies
            ]
            out.append((f, listed))
    return out


def _units(units: Sequence[str]) -> str:
    return ", ".join(units)


def _dmy(day: str | None) -> str:
    return "" if not day else date.fromisoformat(day).strftime("%d/%m/%Y")


def _listed(r: VoterRequest, kind: Kind) -> str:
    """One request's line: what was asked, by whom, and (results) what came of it."""
    text = r.text.rstrip(".")
    who = f"cử tri {_units(r.units)}"
    line = f"- {text} ({who}; {r.count} ý kiến)." if r.grouped else f"- {text} ({who})."
    if kind == "synthesis":
        return line
    outcome = []
    if r.answer:
        outcome.append(f"Đã được trả lời ngày {_dmy(r.answered_on)}: {r.answer.rstrip('.')}.")
    if r.stage == "resolved":
        outcome.append("Đã được giải quyết" + (f": {r.result.rstrip('.')}." if r.result else "."))
    return " ".join([line, *(outcome or [f"Tình trạng: {STAGE_WORDS.get(r.stage, r.stage)}."])])


def _field_name(key: str) -> str:
    try:
        return FIELDS[OversightField(key)]
    except ValueError:
        return key


def _contents(w: Writer, requests: Sequence[VoterRequest], kind: Kind) -> None:
    for i, (f, agencies) in enumerate(_by_field_and_agency(requests), 1):
        w.heading(f"{i}. Lĩnh vực {_field_name(f)}")
        for agency, listed in agencies:
            w.para(f"Kiến nghị gửi {agency or 'cơ quan có thẩm quyền'}:")
            for r in listed:
                w.para(_listed(r, kind))


def subject_of(s: Synthesis, kind: Kind) -> str:
    own = f"HĐND {s.council.kind} {s.council.short_name}"
    if s.session is not None:
        when = "trước" if kind == "synthesis" else "gửi đến"
        return f"{TITLES[kind]} {when} kỳ họp thứ {s.session.number}, {own}" + (
            f" nhiệm kỳ {s.session.term.replace('-', '–')}"
        )
    return f"{TITLES[kind]} {period_phrase(s.period)} của {own}"


def compose(
    summary: Mapping[str, Any],
    s: Synthesis,
    kind: Kind,
    dated: date,
    verification: Verification | None = None,
) -> ReportContent:
    """The document of `kind` from the unit's `summary` over the synthesis' period."""
    w = Writer(summary["figures"], summary.get("rates") or {})
    own = f"HĐND {s.council.kind}"
    groups = [r for r in s.requests if r.grouped]
    singles = [r for r in s.requests if not r.grouped]
    w.para(
        f"Thường trực {own} {s.council.short_name} báo cáo"
        f" {subject_of(s, kind)[0].lower()}{subject_of(s, kind)[1:]} như sau:"
    )
    w.heading("I. KHÁI QUÁT", "heading")
    phrase = period_phrase(s.period)
    when = phrase if phrase.startswith("từ") else f"trong {phrase}"
    before_session = meetings.VOTER_CONTACTS_BY_TIMING["before_session"]
    w.para(
        f"{when}, các Tổ đại biểu HĐND đã tổ chức"
        f" {w.n(meetings.VOTER_CONTACTS, 'cuộc tiếp xúc cử tri')} (trong đó"
        f" {w.n(before_session, 'cuộc')} trước kỳ họp) với"
        f" {w.n(meetings.VOTERS_REACHED, 'lượt cử tri')} tham dự; cử tri đã nêu"
        f" {w.n(meetings.VOTER_OPINIONS_RAISED, 'ý kiến, kiến nghị')}."
    )
    if kind == "results":
        stage = oversight.OPINIONS_BY_STAGE
        w.para(
            f"Đã chuyển {w.n(stage['forwarded'], 'ý kiến, kiến nghị')} đến cơ quan có"
            f" thẩm quyền; {w.n(stage['answered'], 'ý kiến')} đã được trả lời;"
            f" {w.n(stage['resolved'], 'ý kiến')} đã được giải quyết"
            f" và {w.n(oversight.VOTER_OPINIONS_PENDING, 'ý kiến')} đang được giải quyết."
        )
    w.para(
        f"Qua tổng hợp, có {len(groups)} nội dung được cử tri nhiều nơi cùng kiến nghị"
        f" ({sum(r.count for r in groups)} ý kiến) và {len(singles)} ý kiến, kiến nghị riêng."
    )
    heading = "II. NỘI DUNG Ý KIẾN, KIẾN NGHỊ CỦA CỬ TRI"
    if kind == "results":
        heading = "II. KẾT QUẢ TRẢ LỜI, GIẢI QUYẾT"
    w.heading(heading, "heading")
    if not s.requests:
        w.para("Không có ý kiến, kiến nghị nào được ghi nhận chi tiết trong kỳ.")
    _contents(w, s.requests, kind)
    if kind == "results":
        w.heading("III. NHỮNG Ý KIẾN, KIẾN NGHỊ CHƯA ĐƯỢC GIẢI QUYẾT", "heading")
        pending = [r for r in s.requests if r.stage != "resolved"]
        if not pending:
            w.para("Tất cả ý kiến, kiến nghị đã được giải quyết.")
        for r in pending:
            w.para(_listed(r, "synthesis") + f" Tình trạng: {STAGE_WORDS.get(r.stage, r.stage)}.")
    w.para(f"Trên đây là báo cáo {subject_of(s, kind)[0].lower()}{subject_of(s, kind)[1:]}./.")
    issuer = ("HỘI ĐỒNG NHÂN DÂN", s.council.name.upper(), "THƯỜNG TRỰC")
    above = (
        f"- Thường trực HĐND {s.council.above[0].lower()}{s.council.above[1:]};"
        if s.council.above
        else "- Ủy ban Thường vụ Quốc hội;"
    )
    return ReportContent(
        issuer=issuer,
        number="     /BC-HĐND",
        place=s.council.short_name,
        dated=dated,
        subject=subject_of(s, kind),
        blocks=tuple(w.blocks),
        recipients=(
            above,
            f"- UBND {s.council.kind} {s.council.short_name};",
            "- Các cơ quan có liên quan;",
            "- Lưu: VT.",
        ),
        verification=verification,
    )
