"""Section I of a periodic report, "KẾT QUẢ HOẠT ĐỘNG": every sentence built from the figures
of one summary, with Vietnamese number formatting. Pure.

A figure that is zero is said plainly ("không tổ chức kỳ họp nào"); a rate whose denominator
is zero is said to be unknown, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from contracts.coordination import TaskStatus
from contracts.oversight import Activity, Body, PetitionType
from services.reporting.document.model import Block, Council, Paragraph, Quote, Style, Table
from services.reporting.document.numbers import vn_decimal, vn_int, vn_percent
from services.reporting.read.figures import (
    CATALOGUE,
    Figure,
    Rate,
    coordination,
    meetings,
    oversight,
)
from services.reporting.read.figures.base import COMMITTEES, FIELDS, about_field

Figures = Mapping[str, int]
Rates = Mapping[str, float | None]


class Writer:
    """Formats figures and remembers which ones the current paragraph quoted. Figures are named
    by their declarations (`meetings.SESSIONS`): one the catalogue does not declare is a
    KeyError, never a silent 0."""

    def __init__(self, figures: Figures, rates: Rates) -> None:
        self.figures, self.rates = figures, rates
        self.blocks: list[Block] = []
        self._quoted: list[Quote] = []

    def f(self, figure: Figure) -> int:
        """The figure's value (0 in a summary older than the figure)."""
        return int(self.figures.get(CATALOGUE.declared(figure).key, 0))

    def n(self, figure: Figure, unit: str = "") -> str:
        """The figure as printed ("1.512"), followed by `unit` if given."""
        value = self.f(figure)
        text = vn_int(value)
        self._quoted.append(Quote(figure.key, value, text))
        return f"{text} {unit}".rstrip()

    def quote(self, key: str, value: int) -> str:
        """A figure from elsewhere in the summary (e.g. `own.sessions`), as printed."""
        text = vn_int(int(value))
        self._quoted.append(Quote(key, int(value), text))
        return text

    def rate(self, rate: Rate, suffix: str = "") -> str | None:
        """A rate as printed ("20,3%", or "62,5" for a mean); None when it cannot be computed."""
        value = self.rates.get(CATALOGUE.declared(rate).key)
        if value is None:
            return None
        text = vn_percent(value) if not suffix else f"{vn_decimal(value)}"
        self._quoted.append(Quote(rate.key, value, text))
        return text + suffix

    def parts(self, items: Sequence[tuple[Figure, str]]) -> str:
        """ "2 thường lệ, 1 chuyên đề" from (figure, words) pairs, leaving out the zeros."""
        return ", ".join(self.n(figure, words) for figure, words in items if self.f(figure))

    def count(
        self,
        figure: Figure,
        lead: str,
        noun: str,
        parts: Sequence[tuple[Figure, str]],
        none: str,
        tail: Callable[[], str] = str,
    ) -> None:
        """ "{lead} {N noun} ({its parts}){tail}." or, when the figure is zero, `none`. The
        tail is called only then, so the figures it quotes stay with its own sentence."""
        if not self.f(figure):
            self.para(none)
            return
        self.para(_with(f"{lead} {self.n(figure, noun)}", self.parts(parts)) + tail() + ".")

    def para(self, text: str, style: Style = "body") -> None:
        self.blocks.append(Paragraph(sentence(text), style, tuple(self._quoted)))
        self._quoted = []

    def heading(self, text: str, style: Style = "subheading") -> None:
        self.blocks.append(Paragraph(text, style))


def sentence(text: str) -> str:
    text = " ".join(text.split())
    return text[0].upper() + text[1:] if text else text


def _with(text: str, detail: str) -> str:
    return f"{text} ({detail})" if detail else text


_BODIES = {
    Body.STANDING_COMMITTEE: "của Thường trực HĐND",
    Body.COMMITTEE: "của các Ban HĐND",
    Body.DELEGATE_GROUP: "của các Tổ đại biểu",
}


def _sessions(w: Writer, scope: str, own_name: str, own: Figures, when: str) -> None:
    w.heading("1. Tổ chức kỳ họp")
    sessions = meetings.SESSIONS
    if not w.f(sessions):
        w.para(f"{when}, {scope} không tổ chức kỳ họp nào.")
        return
    by_type = meetings.SESSIONS_BY_TYPE
    kinds = w.parts(
        [
            (by_type["regular"], "kỳ họp thường lệ"),
            (by_type["thematic"], "kỳ họp chuyên đề"),
            (by_type["extraordinary"], "kỳ họp bất thường"),
        ]
    )
    text = _with(f"{when}, {scope} đã tổ chức {w.n(sessions, 'kỳ họp')}", kinds)
    if scope != own_name:
        held = w.quote(f"own.{sessions.key}", own.get(sessions.key, 0))
        text += f", trong đó {own_name} tổ chức {held} kỳ họp"
    resolutions = meetings.RESOLUTIONS_ADOPTED
    text += (
        f"; thông qua {w.n(resolutions, 'nghị quyết')}."
        if w.f(resolutions)
        else "; chưa thông qua nghị quyết nào."
    )
    w.para(text)
    attendance = w.rate(meetings.SESSION_ATTENDANCE_RATE)
    if attendance is not None:
        w.para(
            f"Tỷ lệ đại biểu dự họp đạt {attendance} ({w.n(meetings.SESSION_SEATS_PRESENT)}"
            f"/{w.n(meetings.SESSION_SEATS)} lượt đại biểu được triệu tập)."
        )
    else:
        w.para("Chưa có số liệu tổng số đại biểu được triệu tập để tính tỷ lệ dự họp.")
    if w.f(meetings.SESSIONS_WITH_QUESTIONING):
        w.para(
            f"Có {w.n(meetings.SESSIONS_WITH_QUESTIONING, 'kỳ họp')} tổ chức hoạt động chất vấn"
            f" với {w.n(meetings.SESSION_QUESTIONS, 'lượt đại biểu chất vấn')}."
        )
    else:
        w.para("Các kỳ họp trong kỳ không tổ chức hoạt động chất vấn.")


def _standing(w: Writer, standing: str) -> None:
    w.heading("2. Hoạt động của Thường trực HĐND; hội nghị giao ban, trao đổi kinh nghiệm")
    by_type = meetings.STANDING_COMMITTEE_MEETINGS_BY_TYPE
    w.count(
        meetings.STANDING_COMMITTEE_MEETINGS,
        f"{standing} đã họp",
        "phiên",
        [(by_type["regular"], "phiên thường kỳ"), (by_type["ad_hoc"], "phiên đột xuất")],
        f"{standing} không tổ chức phiên họp nào trong kỳ.",
    )
    conferences = meetings.CONFERENCES_BY_TYPE
    w.count(
        meetings.CONFERENCES,
        "Tổ chức",
        "hội nghị, tọa đàm",
        [
            (conferences["briefing"], "hội nghị giao ban"),
            (conferences["experience_exchange"], "hội nghị trao đổi kinh nghiệm"),
            (conferences["roundtable"], "tọa đàm"),
        ],
        "Không tổ chức hội nghị giao ban, hội nghị trao đổi kinh nghiệm hay tọa đàm.",
    )
    if w.f(meetings.MEETINGS_CANCELLED):
        w.para(
            f"Có {w.n(meetings.MEETINGS_CANCELLED, 'cuộc họp, hoạt động')} đã lên lịch bị hủy"
            f" trong tổng số {w.n(meetings.MEETINGS_SCHEDULED)} cuộc họp, hoạt động được lên"
            " lịch."
        )


def _activity(w: Writer, activity: Activity, done: str, noun: str) -> None:
    """One sentence for supervisions, surveys or verifications, by body, field (and Ban),
    each counted in its unit ("cuộc", "văn bản")."""
    tally = oversight.ACTIVITIES[activity]
    if not w.f(tally.total):
        w.para(f"Không {done} {noun} nào.")
        return
    each = tally.total.unit
    bodies = w.parts([(tally.by_body[b], f"{each} {words}") for b, words in _BODIES.items()])
    fields = w.parts([(tally.by_field[f], f"{each} {about_field(f)}") for f in FIELDS])
    text = f"{done.capitalize()} {w.n(tally.total, noun)}"
    text += f", gồm {bodies}" if bodies else ""
    text += f"; theo lĩnh vực: {fields}" if fields else ""
    if activity == Activity.VERIFICATION:
        by_committee = oversight.VERIFICATIONS_BY_COMMITTEE
        by_ban = w.parts([(by_committee[c], f"{each} của {b}") for c, b in COMMITTEES.items()])
        text += f"; theo Ban: {by_ban}" if by_ban else ""
    w.para(text + ".")


def _oversight(w: Writer) -> None:
    w.heading("3. Hoạt động giám sát, khảo sát, thẩm tra")
    _activity(w, Activity.THEMATIC_SUPERVISION, "tiến hành", "cuộc giám sát chuyên đề")
    _activity(w, Activity.SURVEY, "tổ chức", "cuộc khảo sát")
    _activity(w, Activity.VERIFICATION, "thẩm tra", "báo cáo, dự thảo nghị quyết")
    if not w.f(oversight.RECOMMENDATIONS_ISSUED):
        w.para("Không có kiến nghị nào được ban hành sau giám sát, khảo sát, thẩm tra.")
        return
    issued = w.n(oversight.RECOMMENDATIONS_ISSUED, "kiến nghị")
    text = f"Qua giám sát, khảo sát, thẩm tra đã ban hành {issued}"
    rate = w.rate(oversight.RECOMMENDATION_IMPLEMENTATION_RATE)
    outcome = oversight.RECOMMENDATIONS_BY_OUTCOME
    if w.f(outcome["implemented"]):
        text += f"; {w.n(outcome['implemented'], 'kiến nghị')} đã được thực hiện"
        text += f" (đạt {rate})" if rate else ""
        if w.f(outcome["implemented_late"]):
            text += f", trong đó {w.n(outcome['implemented_late'])} kiến nghị"
            text += " thực hiện sau thời hạn"
    else:
        text += "; chưa có kiến nghị nào được thực hiện"
    if w.f(outcome["overdue"]):
        text += f"; {w.n(outcome['overdue'], 'kiến nghị')} quá hạn chưa được thực hiện"
    w.para(text + ".")


def _voters(w: Writer) -> None:
    w.heading("4. Tiếp xúc cử tri; giải quyết ý kiến, kiến nghị của cử tri")
    timing = meetings.VOTER_CONTACTS_BY_TIMING
    w.count(
        meetings.VOTER_CONTACTS,
        "Các Tổ đại biểu đã tổ chức",
        "cuộc tiếp xúc cử tri",
        [
            (timing["before_session"], "cuộc trước kỳ họp"),
            (timing["after_session"], "cuộc sau kỳ họp"),
        ],
        "Trong kỳ không tổ chức cuộc tiếp xúc cử tri nào.",
        lambda: f" với {w.n(meetings.VOTERS_REACHED, 'lượt cử tri')} tham dự",
    )
    if not w.f(meetings.VOTER_OPINIONS_RAISED):
        w.para("Không có ý kiến, kiến nghị nào của cử tri được tiếp nhận.")
        return
    by_field = meetings.VOTER_OPINIONS_BY_FIELD
    fields = w.parts([(by_field[f], about_field(f)) for f in FIELDS])
    text = f"Cử tri đã nêu {w.n(meetings.VOTER_OPINIONS_RAISED, 'ý kiến, kiến nghị')}"
    w.para(text + (f", theo lĩnh vực: {fields}." if fields else "."))
    stage = oversight.OPINIONS_BY_STAGE
    text = f"Đã chuyển {w.n(stage['forwarded'], 'ý kiến, kiến nghị')} đến cơ quan có thẩm quyền"
    text += f"; {w.n(stage['answered'])} ý kiến đã được trả lời"
    text += _resolved(
        w,
        (
            stage["resolved"],
            oversight.OPINION_RESOLUTION_RATE,
            oversight.OPINION_MEAN_DAYS_TO_RESOLVE,
        ),
        "ý kiến, kiến nghị",
        f"{w.n(oversight.VOTER_OPINIONS_PENDING)} ý kiến, kiến nghị đang được giải quyết",
    )
    w.para(text)
    if w.f(meetings.DELEGATE_REPORTS):
        w.para(
            f"Tổ chức {w.n(meetings.DELEGATE_REPORTS, 'buổi')} đại biểu báo cáo với cử tri, với"
            f" {w.n(meetings.DELEGATE_REPORT_VOTERS, 'lượt cử tri')} tham dự."
        )


def _resolved(w: Writer, figures: tuple[Figure, Rate, Rate], noun: str, pending: str) -> str:
    """ "; R {noun} đã được giải quyết (đạt x%), {pending}. Thời gian … bình quân d ngày …";
    `figures` are the figure resolved, its rate and its mean days."""
    done, rate_of_done, mean_days = figures
    rate, days = w.rate(rate_of_done), w.rate(mean_days, " ngày")
    text = f"; {w.n(done, noun)} đã được giải quyết" + (f" (đạt {rate})" if rate else "")
    text += f", {pending}."
    return text + (f" Thời gian giải quyết bình quân {days} cho một {noun}." if days else "")


def _citizens(w: Writer) -> None:
    w.heading("5. Tiếp công dân; tiếp nhận, xử lý đơn thư")
    by_type = meetings.CITIZEN_RECEPTIONS_BY_TYPE
    w.count(
        meetings.CITIZEN_RECEPTIONS,
        "Tổ chức",
        "buổi tiếp công dân",
        [(by_type["periodic"], "buổi định kỳ"), (by_type["ad_hoc"], "buổi đột xuất")],
        "Trong kỳ không tổ chức buổi tiếp công dân nào.",
        lambda: f", tiếp {w.n(meetings.CITIZENS_RECEIVED, 'lượt công dân')}",
    )
    if not w.f(meetings.PETITIONS_RECEIVED):
        w.para("Không tiếp nhận đơn thư nào.")
        return
    petitions = meetings.PETITIONS_RECEIVED_BY_TYPE
    kinds = w.parts(
        [
            (petitions[PetitionType.COMPLAINT], "đơn khiếu nại"),
            (petitions[PetitionType.DENUNCIATION], "đơn tố cáo"),
            (petitions[PetitionType.RECOMMENDATION], "đơn kiến nghị"),
            (petitions[PetitionType.REFLECTION], "đơn phản ánh"),
        ]
    )
    text = f"Tiếp nhận {w.n(meetings.PETITIONS_RECEIVED, 'đơn thư')}"
    text += f" (qua tiếp công dân: {kinds})" if kinds else ""
    if w.f(oversight.PETITIONS_RECEIVED_BY_MAIL):
        by_mail = w.n(oversight.PETITIONS_RECEIVED_BY_MAIL, "đơn")
        text += f", trong đó {by_mail} nhận qua đường bưu chính"
    stage = oversight.PETITIONS_BY_STAGE
    text += f"; đã chuyển {w.n(stage['transferred'], 'đơn')} đến cơ quan có thẩm quyền"
    text += _resolved(
        w,
        (
            stage["settled"],
            oversight.PETITION_SETTLEMENT_RATE,
            oversight.PETITION_MEAN_DAYS_TO_SETTLE,
        ),
        "đơn",
        f"{w.n(oversight.PETITIONS_PENDING, 'đơn')} đang chờ giải quyết",
    )
    w.para(text)


def _training(w: Writer, scope: str) -> None:
    w.heading("6. Tập huấn, bồi dưỡng đại biểu")

    def attendance() -> str:
        text = ""
        if w.f(meetings.TRAINING_BRIDGE_POINTS):
            text += f" tại {w.n(meetings.TRAINING_BRIDGE_POINTS, 'điểm cầu')}"
        text += f", với {w.n(meetings.TRAINING_ATTENDEES, 'lượt người')} tham dự, trong đó"
        return text + f" {w.n(meetings.TRAINING_DELEGATE_ATTENDANCES, 'lượt đại biểu HĐND')}"

    by_format = meetings.TRAININGS_BY_FORMAT
    w.count(
        meetings.TRAININGS,
        "Tổ chức",
        "lớp tập huấn, bồi dưỡng",
        [(by_format["in_person"], "lớp trực tiếp"), (by_format["online"], "lớp trực tuyến")],
        "Trong kỳ không tổ chức lớp tập huấn, bồi dưỡng nào.",
        attendance,
    )
    coverage = w.rate(coordination.TRAINING_COVERAGE)
    if coverage is None:
        w.para(
            "Chưa có số liệu kê khai tổng số đại biểu HĐND của nhiệm kỳ, nên chưa tính được tỷ lệ"
            " đại biểu đã được tập huấn, bồi dưỡng."
        )
    else:
        w.para(
            f"Đến cuối kỳ, {w.n(coordination.DELEGATES_TRAINED)}/{w.n(coordination.COUNCIL_SEATS)}"
            f" đại biểu {scope}"
            f" đã được tập huấn, bồi dưỡng trong nhiệm kỳ, đạt {coverage}."
        )


def _coordination(w: Writer) -> None:
    w.heading("7. Chế độ báo cáo, thực hiện chương trình công tác, kiến nghị với cấp trên")
    if w.f(coordination.REPORTS_DUE):
        rate = w.rate(coordination.REPORTS_ON_TIME_RATE)
        outcome = coordination.REPORTS_BY_OUTCOME
        text = f"Có {w.n(coordination.REPORTS_DUE, 'báo cáo định kỳ')} đến hạn phải gửi; "
        if w.f(outcome["on_time"]):
            text += f"đã gửi đúng hạn {w.n(outcome['on_time'], 'báo cáo')} (đạt {rate})"
        else:
            text += "không có báo cáo nào gửi đúng hạn"
        late = w.parts(
            [
                (outcome["late"], "báo cáo gửi chậm"),
                (outcome["missing"], "báo cáo quá hạn chưa gửi"),
            ]
        )
        w.para(text + (f"; {late}." if late else "."))
    else:
        w.para("Trong kỳ không có báo cáo định kỳ nào đến hạn phải gửi.")
    if w.f(coordination.TASKS_SET):
        rate = w.rate(coordination.TASKS_DONE_RATE)
        done, cancelled = (
            coordination.TASKS_BY_STATUS[s] for s in (TaskStatus.DONE, TaskStatus.CANCELLED)
        )
        text = (
            f"Chương trình công tác đề ra {w.n(coordination.TASKS_SET, 'nhiệm vụ')}; đã hoàn thành"
        )
        text += f" {w.n(done, 'nhiệm vụ')}" + (f" (đạt {rate})" if rate else "")
        if w.f(cancelled):
            text += f"; {w.n(cancelled, 'nhiệm vụ')} không thực hiện"
        w.para(text + ".")
    else:
        w.para("Chương trình công tác chưa ghi nhận nhiệm vụ nào cho kỳ này.")
    if w.f(coordination.PROPOSALS_RAISED):
        rate = w.rate(coordination.PROPOSALS_ANSWERED_RATE)
        w.para(
            f"Đã gửi {w.n(coordination.PROPOSALS_RAISED, 'kiến nghị, đề xuất')} lên cấp trên;"
            f" {w.n(coordination.PROPOSALS_ANSWERED)} kiến nghị, đề xuất đã được trả lời"
            + (f" (đạt {rate})." if rate else ".")
        )
    else:
        w.para("Không có kiến nghị, đề xuất nào gửi cấp trên trong kỳ.")


TABLE_COLUMNS: tuple[tuple[Figure, str], ...] = (
    (meetings.SESSIONS, "Kỳ họp"),
    (meetings.RESOLUTIONS_ADOPTED, "Nghị quyết"),
    (meetings.VOTER_CONTACTS, "Tiếp xúc cử tri"),
    (meetings.VOTERS_REACHED, "Lượt cử tri"),
    (meetings.VOTER_OPINIONS_RAISED, "Ý kiến, kiến nghị"),
    (oversight.OPINIONS_BY_STAGE["resolved"], "Đã giải quyết"),
    (meetings.PETITIONS_RECEIVED, "Đơn thư"),
    # chuyên đề; the longer title would not fit
    (oversight.ACTIVITIES[Activity.THEMATIC_SUPERVISION].total, "Giám sát"),
)


def _children_table(w: Writer, summary: Mapping[str, Any], council: Council) -> None:
    children = summary.get("children") or []
    w.heading("8. Số liệu của các đơn vị trực thuộc")
    if not children:
        w.para(f"{council.name} không có đơn vị hành chính trực thuộc trong kỳ báo cáo.")
        return
    w.para(
        f"Số liệu chủ yếu của {vn_int(len(children))} đơn vị hành chính trực thuộc"
        " (mỗi đơn vị gồm cả các đơn vị cấp dưới của đơn vị đó):"
    )
    keys = tuple(f.key for f, _ in TABLE_COLUMNS)
    rows = tuple(
        (c["code"], c["name"], tuple(int(c["figures"].get(k, 0)) for k in keys)) for c in children
    )
    total = (f"Toàn {council.kind}", tuple(w.f(f) for f, _ in TABLE_COLUMNS))
    w.blocks.append(Table(("TT", "Đơn vị", *(t for _, t in TABLE_COLUMNS)), keys, rows, total))


@dataclass(frozen=True, slots=True)
class Scope:
    """How section I names the councils its figures cover: the reporting council alone
    (`own`), or with the councils below it (`all` and `standing`, "… các cấp trên địa bàn")."""

    own: str  # "HĐND thị xã"
    all: str  # the councils whose figures these are
    standing: str  # their standing committees
    when: str  # "Trong 9 tháng đầu năm 2025"


def write_results(w: Writer, summary: Mapping[str, Any], council: Council, scope: Scope) -> None:
    """Section I of `council`'s report from its `summary` (the summary API's answer)."""
    w.heading("I. KẾT QUẢ HOẠT ĐỘNG", "heading")
    _sessions(w, scope.all, scope.own, summary.get("own") or {}, scope.when)
    _standing(w, scope.standing)
    _oversight(w)
    _voters(w)
    _citizens(w)
    _training(w, scope.all)
    _coordination(w)
    _children_table(w, summary, council)
