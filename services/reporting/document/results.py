"""Section I of a periodic report, "KẾT QUẢ HOẠT ĐỘNG": every sentence built from the figures
of one summary, with Vietnamese number formatting. Pure.

A figure that is zero is said plainly ("không tổ chức kỳ họp nào"); a rate whose denominator
is zero is said to be unknown, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.reporting.document.model import Block, Council, Paragraph, Quote, Style, Table
from services.reporting.document.numbers import vn_decimal, vn_int, vn_percent
from services.reporting.figures.base import COMMITTEES, FIELDS, about_field

Figures = Mapping[str, int]
Rates = Mapping[str, float | None]


class Writer:
    """Formats figures and remembers which ones the current paragraph quoted."""

    def __init__(self, figures: Figures, rates: Rates) -> None:
        self.figures, self.rates = figures, rates
        self.blocks: list[Block] = []
        self._quoted: list[Quote] = []

    def f(self, key: str) -> int:
        return int(self.figures.get(key, 0))

    def n(self, key: str, unit: str = "") -> str:
        """The figure as printed ("1.512"), followed by `unit` if given."""
        value = self.f(key)
        text = vn_int(value)
        self._quoted.append(Quote(key, value, text))
        return f"{text} {unit}".rstrip()

    def quote(self, key: str, value: int) -> str:
        """A figure from elsewhere in the summary (e.g. `own.sessions`), as printed."""
        text = vn_int(int(value))
        self._quoted.append(Quote(key, int(value), text))
        return text

    def rate(self, key: str, suffix: str = "") -> str | None:
        """A rate as printed ("20,3%", or "62,5" for a mean); None when it cannot be computed."""
        value = self.rates.get(key)
        if value is None:
            return None
        text = vn_percent(value) if not suffix else f"{vn_decimal(value)}"
        self._quoted.append(Quote(key, value, text))
        return text + suffix

    def parts(self, items: Sequence[tuple[str, str]]) -> str:
        """ "2 thường lệ, 1 chuyên đề" from (key, words) pairs, leaving out the zeros."""
        return ", ".join(self.n(key, words) for key, words in items if self.f(key))

    def count(
        self,
        key: str,
        lead: str,
        noun: str,
        parts: Sequence[tuple[str, str]],
        none: str,
        tail: Callable[[], str] = str,
    ) -> None:
        """ "{lead} {N noun} ({its parts}){tail}." or, when the figure is zero, `none`. The
        tail is called only then, so the figures it quotes stay with its own sentence."""
        if not self.f(key):
            self.para(none)
            return
        self.para(_with(f"{lead} {self.n(key, noun)}", self.parts(parts)) + tail() + ".")

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


_BODIES = (
    ("body_standing_committee", "của Thường trực HĐND"),
    ("body_committee", "của các Ban HĐND"),
    ("body_delegate_group", "của các Tổ đại biểu"),
)


def _sessions(w: Writer, scope: str, own_name: str, own: Figures, when: str) -> None:
    w.heading("1. Tổ chức kỳ họp")
    if not w.f("sessions"):
        w.para(f"{when}, {scope} không tổ chức kỳ họp nào.")
        return
    kinds = w.parts(
        [
            ("sessions_regular", "kỳ họp thường lệ"),
            ("sessions_thematic", "kỳ họp chuyên đề"),
            ("sessions_extraordinary", "kỳ họp bất thường"),
        ]
    )
    text = _with(f"{when}, {scope} đã tổ chức {w.n('sessions', 'kỳ họp')}", kinds)
    if scope != own_name:
        text += f", trong đó {own_name} tổ chức {w.quote('own.sessions', own.get('sessions', 0))}"
        text += " kỳ họp"
    resolutions = w.f("resolutions_adopted")
    text += (
        f"; thông qua {w.n('resolutions_adopted', 'nghị quyết')}."
        if resolutions
        else "; chưa thông qua nghị quyết nào."
    )
    w.para(text)
    attendance = w.rate("session_attendance_rate")
    if attendance is not None:
        w.para(
            f"Tỷ lệ đại biểu dự họp đạt {attendance} ({w.n('session_seats_present')}"
            f"/{w.n('session_seats')} lượt đại biểu được triệu tập)."
        )
    else:
        w.para("Chưa có số liệu tổng số đại biểu được triệu tập để tính tỷ lệ dự họp.")
    if w.f("sessions_with_questioning"):
        w.para(
            f"Có {w.n('sessions_with_questioning', 'kỳ họp')} tổ chức hoạt động chất vấn với"
            f" {w.n('session_questions', 'lượt đại biểu chất vấn')}."
        )
    else:
        w.para("Các kỳ họp trong kỳ không tổ chức hoạt động chất vấn.")


def _standing(w: Writer, standing: str) -> None:
    w.heading("2. Hoạt động của Thường trực HĐND; hội nghị giao ban, trao đổi kinh nghiệm")
    w.count(
        "standing_committee_meetings",
        f"{standing} đã họp",
        "phiên",
        [
            ("standing_committee_meetings_regular", "phiên thường kỳ"),
            ("standing_committee_meetings_ad_hoc", "phiên đột xuất"),
        ],
        f"{standing} không tổ chức phiên họp nào trong kỳ.",
    )
    w.count(
        "conferences",
        "Tổ chức",
        "hội nghị, tọa đàm",
        [
            ("conferences_briefing", "hội nghị giao ban"),
            ("conferences_experience_exchange", "hội nghị trao đổi kinh nghiệm"),
            ("conferences_roundtable", "tọa đàm"),
        ],
        "Không tổ chức hội nghị giao ban, hội nghị trao đổi kinh nghiệm hay tọa đàm.",
    )
    if w.f("meetings_cancelled"):
        w.para(
            f"Có {w.n('meetings_cancelled', 'cuộc họp, hoạt động')} đã lên lịch bị hủy trong"
            f" tổng số {w.n('meetings_scheduled')} cuộc họp, hoạt động được lên lịch."
        )


def _activity(w: Writer, key: str, done: str, noun: str, each: str) -> None:
    """One sentence for supervisions, surveys or verifications, by body, field (and Ban);
    `each` is the measure word of one item ("cuộc", "văn bản")."""
    if not w.f(key):
        w.para(f"Không {done} {noun} nào.")
        return
    bodies = w.parts([(f"{key}_{b}", f"{each} {words}") for b, words in _BODIES])
    fields = w.parts([(f"{key}_field_{f}", f"{each} {about_field(f)}") for f in FIELDS])
    text = f"{done.capitalize()} {w.n(key, noun)}"
    text += f", gồm {bodies}" if bodies else ""
    text += f"; theo lĩnh vực: {fields}" if fields else ""
    if key == "verifications":
        by_ban = w.parts(
            [(f"verifications_committee_{c}", f"{each} của {b}") for c, b in COMMITTEES.items()]
        )
        text += f"; theo Ban: {by_ban}" if by_ban else ""
    w.para(text + ".")


def _oversight(w: Writer) -> None:
    w.heading("3. Hoạt động giám sát, khảo sát, thẩm tra")
    _activity(w, "thematic_supervisions", "tiến hành", "cuộc giám sát chuyên đề", "cuộc")
    _activity(w, "surveys", "tổ chức", "cuộc khảo sát", "cuộc")
    _activity(w, "verifications", "thẩm tra", "báo cáo, dự thảo nghị quyết", "văn bản")
    if not w.f("recommendations_issued"):
        w.para("Không có kiến nghị nào được ban hành sau giám sát, khảo sát, thẩm tra.")
        return
    text = (
        f"Qua giám sát, khảo sát, thẩm tra đã ban hành {w.n('recommendations_issued', 'kiến nghị')}"
    )
    rate = w.rate("recommendation_implementation_rate")
    if w.f("recommendations_implemented"):
        text += f"; {w.n('recommendations_implemented', 'kiến nghị')} đã được thực hiện"
        text += f" (đạt {rate})" if rate else ""
        if w.f("recommendations_implemented_late"):
            text += f", trong đó {w.n('recommendations_implemented_late')} kiến nghị"
            text += " thực hiện sau thời hạn"
    else:
        text += "; chưa có kiến nghị nào được thực hiện"
    if w.f("recommendations_overdue"):
        text += f"; {w.n('recommendations_overdue', 'kiến nghị')} quá hạn chưa được thực hiện"
    w.para(text + ".")


def _voters(w: Writer) -> None:
    w.heading("4. Tiếp xúc cử tri; giải quyết ý kiến, kiến nghị của cử tri")
    w.count(
        "voter_contacts",
        "Các Tổ đại biểu đã tổ chức",
        "cuộc tiếp xúc cử tri",
        [
            ("voter_contacts_before_session", "cuộc trước kỳ họp"),
            ("voter_contacts_after_session", "cuộc sau kỳ họp"),
        ],
        "Trong kỳ không tổ chức cuộc tiếp xúc cử tri nào.",
        lambda: f" với {w.n('voters_reached', 'lượt cử tri')} tham dự",
    )
    if not w.f("voter_opinions_raised"):
        w.para("Không có ý kiến, kiến nghị nào của cử tri được tiếp nhận.")
        return
    fields = w.parts([(f"voter_opinions_field_{f}", about_field(f)) for f in FIELDS])
    text = f"Cử tri đã nêu {w.n('voter_opinions_raised', 'ý kiến, kiến nghị')}"
    w.para(text + (f", theo lĩnh vực: {fields}." if fields else "."))
    text = f"Đã chuyển {w.n('opinions_forwarded', 'ý kiến, kiến nghị')} đến cơ quan có thẩm quyền"
    text += f"; {w.n('opinions_answered')} ý kiến đã được trả lời"
    text += _resolved(
        w,
        ("opinions_resolved", "opinion_resolution_rate", "opinion_mean_days_to_resolve"),
        "ý kiến, kiến nghị",
        f"{w.n('voter_opinions_pending')} ý kiến, kiến nghị đang được giải quyết",
    )
    w.para(text)
    if w.f("delegate_reports"):
        w.para(
            f"Tổ chức {w.n('delegate_reports', 'buổi')} đại biểu báo cáo với cử tri, với"
            f" {w.n('delegate_report_voters', 'lượt cử tri')} tham dự."
        )


def _resolved(w: Writer, keys: tuple[str, str, str], noun: str, pending: str) -> str:
    """ "; R {noun} đã được giải quyết (đạt x%), {pending}. Thời gian … bình quân d ngày …";
    `keys` are the figure resolved, its rate and its mean days."""
    done, rate_key, days_key = keys
    rate, days = w.rate(rate_key), w.rate(days_key, " ngày")
    text = f"; {w.n(done, noun)} đã được giải quyết" + (f" (đạt {rate})" if rate else "")
    text += f", {pending}."
    return text + (f" Thời gian giải quyết bình quân {days} cho một {noun}." if days else "")


def _citizens(w: Writer) -> None:
    w.heading("5. Tiếp công dân; tiếp nhận, xử lý đơn thư")
    w.count(
        "citizen_receptions",
        "Tổ chức",
        "buổi tiếp công dân",
        [
            ("citizen_receptions_periodic", "buổi định kỳ"),
            ("citizen_receptions_ad_hoc", "buổi đột xuất"),
        ],
        "Trong kỳ không tổ chức buổi tiếp công dân nào.",
        lambda: f", tiếp {w.n('citizens_received', 'lượt công dân')}",
    )
    if not w.f("petitions_received"):
        w.para("Không tiếp nhận đơn thư nào.")
        return
    kinds = w.parts(
        [
            ("petitions_received_complaint", "đơn khiếu nại"),
            ("petitions_received_denunciation", "đơn tố cáo"),
            ("petitions_received_recommendation", "đơn kiến nghị"),
            ("petitions_received_reflection", "đơn phản ánh"),
        ]
    )
    text = f"Tiếp nhận {w.n('petitions_received', 'đơn thư')}"
    text += f" (qua tiếp công dân: {kinds})" if kinds else ""
    if w.f("petitions_received_by_mail"):
        text += f", trong đó {w.n('petitions_received_by_mail', 'đơn')} nhận qua đường bưu chính"
    text += f"; đã chuyển {w.n('petitions_transferred', 'đơn')} đến cơ quan có thẩm quyền"
    text += _resolved(
        w,
        ("petitions_settled", "petition_settlement_rate", "petition_mean_days_to_settle"),
        "đơn",
        f"{w.n('petitions_pending', 'đơn')} đang chờ giải quyết",
    )
    w.para(text)


def _training(w: Writer, scope: str) -> None:
    w.heading("6. Tập huấn, bồi dưỡng đại biểu")

    def attendance() -> str:
        text = ""
        if w.f("training_bridge_points"):
            text += f" tại {w.n('training_bridge_points', 'điểm cầu')}"
        text += f", với {w.n('training_attendees', 'lượt người')} tham dự, trong đó"
        return text + f" {w.n('training_delegate_attendances', 'lượt đại biểu HĐND')}"

    w.count(
        "trainings",
        "Tổ chức",
        "lớp tập huấn, bồi dưỡng",
        [("trainings_in_person", "lớp trực tiếp"), ("trainings_online", "lớp trực tuyến")],
        "Trong kỳ không tổ chức lớp tập huấn, bồi dưỡng nào.",
        attendance,
    )
    coverage = w.rate("training_coverage")
    if coverage is None:
        w.para(
            "Chưa có số liệu kê khai tổng số đại biểu HĐND của nhiệm kỳ, nên chưa tính được tỷ lệ"
            " đại biểu đã được tập huấn, bồi dưỡng."
        )
    else:
        w.para(
            f"Đến cuối kỳ, {w.n('delegates_trained')}/{w.n('council_seats')} đại biểu {scope}"
            f" đã được tập huấn, bồi dưỡng trong nhiệm kỳ, đạt {coverage}."
        )


def _coordination(w: Writer) -> None:
    w.heading("7. Chế độ báo cáo, thực hiện chương trình công tác, kiến nghị với cấp trên")
    if w.f("reports_due"):
        rate = w.rate("reports_on_time_rate")
        text = f"Có {w.n('reports_due', 'báo cáo định kỳ')} đến hạn phải gửi; "
        if w.f("reports_on_time"):
            text += f"đã gửi đúng hạn {w.n('reports_on_time', 'báo cáo')} (đạt {rate})"
        else:
            text += "không có báo cáo nào gửi đúng hạn"
        late = w.parts(
            [("reports_late", "báo cáo gửi chậm"), ("reports_missing", "báo cáo quá hạn chưa gửi")]
        )
        w.para(text + (f"; {late}." if late else "."))
    else:
        w.para("Trong kỳ không có báo cáo định kỳ nào đến hạn phải gửi.")
    if w.f("tasks_set"):
        rate = w.rate("tasks_done_rate")
        text = f"Chương trình công tác đề ra {w.n('tasks_set', 'nhiệm vụ')}; đã hoàn thành"
        text += f" {w.n('tasks_done', 'nhiệm vụ')}" + (f" (đạt {rate})" if rate else "")
        if w.f("tasks_cancelled"):
            text += f"; {w.n('tasks_cancelled', 'nhiệm vụ')} không thực hiện"
        w.para(text + ".")
    else:
        w.para("Chương trình công tác chưa ghi nhận nhiệm vụ nào cho kỳ này.")
    if w.f("proposals_raised"):
        rate = w.rate("proposals_answered_rate")
        w.para(
            f"Đã gửi {w.n('proposals_raised', 'kiến nghị, đề xuất')} lên cấp trên;"
            f" {w.n('proposals_answered')} kiến nghị, đề xuất đã được trả lời"
            + (f" (đạt {rate})." if rate else ".")
        )
    else:
        w.para("Không có kiến nghị, đề xuất nào gửi cấp trên trong kỳ.")


TABLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("sessions", "Kỳ họp"),
    ("resolutions_adopted", "Nghị quyết"),
    ("voter_contacts", "Tiếp xúc cử tri"),
    ("voters_reached", "Lượt cử tri"),
    ("voter_opinions_raised", "Ý kiến, kiến nghị"),
    ("opinions_resolved", "Đã giải quyết"),
    ("petitions_received", "Đơn thư"),
    ("thematic_supervisions", "Giám sát"),  # chuyên đề; the longer title would not fit
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
    keys = tuple(k for k, _ in TABLE_COLUMNS)
    rows = tuple(
        (c["code"], c["name"], tuple(int(c["figures"].get(k, 0)) for k in keys)) for c in children
    )
    total = (f"Toàn {council.kind}", tuple(w.f(k) for k in keys))
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
