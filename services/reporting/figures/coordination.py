"""Figures from coordination between levels: reports, the work programme, proposals, and
the stocks (seats, delegates trained, staff) that the coordination extra adds at query time.

Flows are folded per month like every other figure, on the day that makes the figure mean
what a report says: a filed report on its due date (so a period's reports due, on time, late
and missing add up), a task and its status in the first month of the period it is for (so
"8 tasks for Q4, 6 done" stay together), a proposal and its answer on the day it was raised.
Declarations are stocks, not flows: their folds add nothing and the extra
(services.reporting.coordination.extra) reads the declaration in force at the period's end.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from contracts import Decoded, InvalidEvent
from contracts.coordination import (
    CouncilDelegatesDeclared,
    CouncilStaffDeclared,
    ProposalAnswered,
    ProposalRaised,
    ReportFiled,
    TaskSet,
    TaskStatus,
    TaskStatusChanged,
)
from contracts.privacy import PersonalDataErased
from services.common.hierarchy import era_of
from services.reporting.figures.base import Contribution, Rate, folds
from services.reporting.periods import InvalidPeriod, month_start, parse_period

# Figures from coordination, in report order, with their Vietnamese labels.
LABELS: dict[str, str] = {
    "council_seats": "Tổng số đại biểu HĐND",
    "delegates_trained": "Đại biểu đã được tập huấn, bồi dưỡng trong nhiệm kỳ",
    "staff_full_time": "Cán bộ chuyên trách giúp việc HĐND",
    "staff_part_time": "Cán bộ kiêm nhiệm giúp việc HĐND",
    "reports_due": "Báo cáo định kỳ phải gửi",
    "reports_on_time": "Báo cáo gửi đúng hạn",
    "reports_late": "Báo cáo gửi chậm",
    "reports_missing": "Báo cáo quá hạn chưa gửi",
    "tasks_set": "Nhiệm vụ trong chương trình công tác",
    "tasks_done": "Nhiệm vụ đã hoàn thành",
    "tasks_cancelled": "Nhiệm vụ không thực hiện",
    "proposals_raised": "Kiến nghị, đề xuất gửi cấp trên",
    "proposals_answered": "Kiến nghị, đề xuất đã được trả lời",
}

RATES: dict[str, Rate] = {
    "training_coverage": Rate(
        "delegates_trained", "council_seats", "Tỷ lệ đại biểu được tập huấn, bồi dưỡng (%)"
    ),
    "reports_on_time_rate": Rate(
        "reports_on_time", "reports_due", "Tỷ lệ báo cáo gửi đúng hạn (%)"
    ),
    "tasks_done_rate": Rate("tasks_done", "tasks_set", "Tỷ lệ nhiệm vụ hoàn thành (%)"),
    "proposals_answered_rate": Rate(
        "proposals_answered", "proposals_raised", "Tỷ lệ kiến nghị, đề xuất được trả lời (%)"
    ),
}

# Statuses that have a figure of their own; a change away from one takes it back.
_COUNTED = {TaskStatus.DONE: "tasks_done", TaskStatus.CANCELLED: "tasks_cancelled"}


def first_day_of(period: str) -> date:
    """The first day of a period key ("2025-Q4" → 2025-10-01)."""
    try:
        first = parse_period(period).first
    except InvalidPeriod:  # the service validated it; an old or foreign event may not have
        raise InvalidEvent(f"period {period!r} is not a reporting period") from None
    return month_start(first)


@folds(CouncilDelegatesDeclared)
def delegates_declared(_: Decoded[CouncilDelegatesDeclared]) -> list[Contribution]:
    return []  # a stock: served by the coordination extra


@folds(CouncilStaffDeclared)
def staff_declared(_: Decoded[CouncilStaffDeclared]) -> list[Contribution]:
    return []  # a stock: served by the coordination extra


@folds(PersonalDataErased)
def personal_data_erased(_: Decoded[PersonalDataErased]) -> list[Contribution]:
    return []  # an erasure changes texts, never what was counted


@folds(ReportFiled)
def report_filed(decoded: Decoded[ReportFiled]) -> list[Contribution]:
    """Counted on its due date for the council that owed it, which files it in its own era: a
    filing from the other side of the reform is by a council that only shares the code (the
    service refuses it; the reports missing ignore it)."""
    report = decoded.payload
    if era_of(report.filed_on) != era_of(report.due_on):
        raise InvalidEvent(
            f"report on {report.period} of unit {decoded.envelope.unit} filed on"
            f" {report.filed_on}, in another era than its due date {report.due_on}: the code"
            " names another council there, which owed it"
        )
    key = "reports_on_time" if report.filed_on <= report.due_on else "reports_late"
    return [Contribution(decoded.envelope.unit, report.due_on, Counter({key: 1}))]


@folds(TaskSet)
def task_set(decoded: Decoded[TaskSet]) -> list[Contribution]:
    day = first_day_of(decoded.payload.period)
    return [Contribution(decoded.envelope.unit, day, Counter({"tasks_set": 1}))]


@folds(TaskStatusChanged)
def task_status_changed(decoded: Decoded[TaskStatusChanged]) -> list[Contribution]:
    change = decoded.payload
    figures: Counter[str] = Counter()
    if change.previous_status in _COUNTED:
        figures[_COUNTED[change.previous_status]] -= 1
    if change.status in _COUNTED:
        figures[_COUNTED[change.status]] += 1
    if not figures:
        return []
    return [Contribution(decoded.envelope.unit, first_day_of(change.period), figures)]


@folds(ProposalRaised)
def proposal_raised(decoded: Decoded[ProposalRaised]) -> list[Contribution]:
    day = decoded.payload.raised_on
    return [Contribution(decoded.envelope.unit, day, Counter({"proposals_raised": 1}))]


@folds(ProposalAnswered)
def proposal_answered(decoded: Decoded[ProposalAnswered]) -> list[Contribution]:
    """Counted for the unit that raised it, on the day it was raised, so the answered rate
    compares the same proposals."""
    answer = decoded.payload
    return [Contribution(answer.raised_by, answer.raised_on, Counter({"proposals_answered": 1}))]
