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
from typing import Literal, assert_never

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
from services.reporting.read.figures.base import Contribution, folds
from services.reporting.read.figures.catalogue import Figure, Group, Section, counts
from services.reporting.read.periods import InvalidPeriod, month_start, parse_period

Outcome = Literal["on_time", "late", "missing"]  # of a report due: sent on time, late, not yet
_REPORT_OUTCOMES: dict[Outcome, str] = {
    "on_time": "Báo cáo gửi đúng hạn",
    "late": "Báo cáo gửi chậm",
    "missing": "Báo cáo quá hạn chưa gửi",
}

# Figures from coordination, in report order, declared by group.
FIGURES = Section()
_council = FIGURES.counter(Group.COUNCIL)
_reports = FIGURES.counter(Group.REPORTS)
_tasks = FIGURES.counter(Group.WORK_PROGRAMME)
_proposals = FIGURES.counter(Group.PROPOSALS)

COUNCIL_SEATS = _council("council_seats", "Tổng số đại biểu HĐND", "đại biểu")
DELEGATES_TRAINED = FIGURES.counter(Group.TRAINING)(
    "delegates_trained", "Đại biểu đã được tập huấn, bồi dưỡng trong nhiệm kỳ", "đại biểu"
)
STAFF_FULL_TIME = _council("staff_full_time", "Cán bộ chuyên trách giúp việc HĐND", "người")
STAFF_PART_TIME = _council("staff_part_time", "Cán bộ kiêm nhiệm giúp việc HĐND", "người")
REPORTS_DUE = _reports("reports_due", "Báo cáo định kỳ phải gửi", "báo cáo")
REPORTS_BY_OUTCOME = FIGURES.parts(REPORTS_DUE, _REPORT_OUTCOMES, "reports_")
TASKS_SET = _tasks("tasks_set", "Nhiệm vụ trong chương trình công tác", "nhiệm vụ")
TASKS_BY_STATUS = FIGURES.parts(
    TASKS_SET,
    {TaskStatus.DONE: "Nhiệm vụ đã hoàn thành", TaskStatus.CANCELLED: "Nhiệm vụ không thực hiện"},
    "tasks_",
)
PROPOSALS_RAISED = _proposals(
    "proposals_raised", "Kiến nghị, đề xuất gửi cấp trên", "kiến nghị, đề xuất"
)
PROPOSALS_ANSWERED = _proposals(
    "proposals_answered", "Kiến nghị, đề xuất đã được trả lời", "kiến nghị, đề xuất"
)

TRAINING_COVERAGE = FIGURES.rate(
    "training_coverage",
    "Tỷ lệ đại biểu được tập huấn, bồi dưỡng (%)",
    DELEGATES_TRAINED,
    COUNCIL_SEATS,
)
REPORTS_ON_TIME_RATE = FIGURES.rate(
    "reports_on_time_rate",
    "Tỷ lệ báo cáo gửi đúng hạn (%)",
    REPORTS_BY_OUTCOME["on_time"],
    REPORTS_DUE,
)
TASKS_DONE_RATE = FIGURES.rate(
    "tasks_done_rate",
    "Tỷ lệ nhiệm vụ hoàn thành (%)",
    TASKS_BY_STATUS[TaskStatus.DONE],
    TASKS_SET,
)
PROPOSALS_ANSWERED_RATE = FIGURES.rate(
    "proposals_answered_rate",
    "Tỷ lệ kiến nghị, đề xuất được trả lời (%)",
    PROPOSALS_ANSWERED,
    PROPOSALS_RAISED,
)


def _status_figure(status: TaskStatus) -> Figure | None:
    """The figure a task in `status` counts in, if its status has one of its own (a change away
    from it takes it back)."""
    match status:
        case TaskStatus.DONE | TaskStatus.CANCELLED:
            return TASKS_BY_STATUS[status]
        case TaskStatus.PLANNED | TaskStatus.IN_PROGRESS:
            return None
        case _:
            assert_never(status)


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
    filed = REPORTS_BY_OUTCOME["on_time" if report.filed_on <= report.due_on else "late"]
    return [Contribution(decoded.envelope.unit, report.due_on, counts((filed, 1)))]


@folds(TaskSet)
def task_set(decoded: Decoded[TaskSet]) -> list[Contribution]:
    day = first_day_of(decoded.payload.period)
    return [Contribution(decoded.envelope.unit, day, counts((TASKS_SET, 1)))]


@folds(TaskStatusChanged)
def task_status_changed(decoded: Decoded[TaskStatusChanged]) -> list[Contribution]:
    change = decoded.payload
    figures: Counter[str] = Counter()
    before, after = _status_figure(change.previous_status), _status_figure(change.status)
    if before is not None:
        figures[before.key] -= 1
    if after is not None:
        figures[after.key] += 1
    if not figures:
        return []
    return [Contribution(decoded.envelope.unit, first_day_of(change.period), figures)]


@folds(ProposalRaised)
def proposal_raised(decoded: Decoded[ProposalRaised]) -> list[Contribution]:
    day = decoded.payload.raised_on
    return [Contribution(decoded.envelope.unit, day, counts((PROPOSALS_RAISED, 1)))]


@folds(ProposalAnswered)
def proposal_answered(decoded: Decoded[ProposalAnswered]) -> list[Contribution]:
    """Counted for the unit that raised it, on the day it was raised, so the answered rate
    compares the same proposals."""
    answer = decoded.payload
    return [Contribution(answer.raised_by, answer.raised_on, counts((PROPOSALS_ANSWERED, 1)))]
