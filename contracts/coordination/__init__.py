"""Coordination between council levels (bounded context `coordination`, topic `hdnd.reporting`).

What a council declares or sends to the levels above and below it:

- `council.delegates_declared`: seats of the council in a term and delegates trained so far
  (số đại biểu, đại biểu đã được tập huấn, bồi dưỡng): a stock, in force from its date.
- `council.staff_declared`: staff serving the council (cán bộ chuyên trách / kiêm nhiệm).
- `report.filed`: a periodic report (báo cáo định kỳ) sent to the level above; v2 adds the
  SHA-256 of the document attached to it (v1 upcasts with none).
- `task.set`, `task.status_changed`: the work programme (chương trình công tác).
- `proposal.raised`, `proposal.answered`: a proposal (kiến nghị, đề xuất) from a lower council
  to an upper one, and the upper one's answer.

All are version 1 except `report.filed` (v2; v1 is kept as `ReportFiledV1`).
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Final

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import UnitCode
from contracts.ids import ID_PATTERN, new_id
from contracts.rules import Text as Text
from contracts.rules import at_most, not_before
from contracts.versioning import Payload, upcaster

TOPIC: Final = "reporting"  # the `Topics` property its events travel on

Count = Annotated[int, Field(ge=0, le=100_000)]
LongText = Annotated[str, Field(min_length=1, max_length=20_000)]
Term = Annotated[
    str,
    Field(
        pattern=r"^\d{4}-\d{4}$",
        examples=["2021-2026"],
        description="Nhiệm kỳ (council term), e.g. 2021-2026.",
    ),
]


def _id_field(what: str) -> Any:
    return Field(
        default_factory=new_id,
        min_length=1,
        max_length=64,
        pattern=ID_PATTERN,
        description=f"Stable id of the {what}; send your own to make a retried request idempotent.",
    )


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CouncilDelegatesDeclared(_Event):
    """`council.delegates_declared` v1: the council of the envelope's unit has `seats` seats
    (số đại biểu HĐND) in `term`, and `delegates_trained` of its delegates have been trained
    in that term (đại biểu đã được tập huấn, bồi dưỡng). A stock: it stays in force until the
    unit's next declaration for the term; `occurred_at` is `as_of`."""

    TYPE: ClassVar[str] = "council.delegates_declared"
    VERSION: ClassVar[int] = 1

    declaration_id: str = _id_field("declaration")
    term: Term
    as_of: date = Field(description="The day the figures are true from.")
    seats: int = Field(ge=1, le=1000, description="Số đại biểu HĐND of the term (seats).")
    delegates_trained: Count = Field(
        description="Distinct delegates trained at least once in the term, not attendances."
    )

    _not_more_than_seats = at_most(
        "delegates_trained", "seats", "delegates_trained {value} is more than the {bound} seats"
    )


class CouncilStaffDeclared(_Event):
    """`council.staff_declared` v1: staff serving the council of the envelope's unit (cán bộ
    chuyên trách / kiêm nhiệm giúp việc HĐND), in force from `as_of` until the next one."""

    TYPE: ClassVar[str] = "council.staff_declared"
    VERSION: ClassVar[int] = 1

    declaration_id: str = _id_field("declaration")
    as_of: date = Field(description="The day the figures are true from.")
    full_time: Count = Field(description="Cán bộ chuyên trách (full-time staff).")
    part_time: Count = Field(description="Cán bộ kiêm nhiệm (staff serving part-time).")


class ReportObligation(StrEnum):
    """Which periodic report (báo cáo định kỳ) a council owes the level above."""

    FIRST_HALF = "first_half"  # báo cáo 6 tháng đầu năm; period YYYY-H1
    NINE_MONTHS = "nine_months"  # báo cáo 9 tháng; period YYYY-9M
    YEAR = "year"  # báo cáo cả năm; period YYYY
    TERM = "term"  # báo cáo tổng kết nhiệm kỳ; period YYYY-YYYY


class _ReportFiled(_Event):
    """`report.filed`: the council of the envelope's unit filed (gửi) its periodic report for
    `period`, due on `due_on` under the deadlines for its level; on time when
    `filed_on <= due_on`. `occurred_at` is `filed_on`."""

    TYPE: ClassVar[str] = "report.filed"

    report_id: str = _id_field("report")
    obligation: ReportObligation
    period: str = Field(
        pattern=r"^\d{4}(-H1|-9M|-\d{4})?$",
        examples=["2025-H1", "2025-9M", "2025", "2021-2026"],
        description="The period reported on.",
    )
    due_on: date = Field(description="The deadline in force for the unit's level.")
    filed_on: date
    title: Text | None = None
    report_ref: str | None = Field(
        default=None, min_length=1, max_length=100, examples=["112/BC-HĐND"]
    )


class ReportFiled(_ReportFiled):
    """`report.filed` v2: as v1, with the SHA-256 of the document attached, if any."""

    VERSION: ClassVar[int] = 2

    document_sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 of the report document attached when it was filed; the level"
        " above downloads exactly those bytes from GET /units/{unit}/reports/{period}/document.",
    )


class ReportFiledV1(_ReportFiled):
    """`report.filed` v1: the council of the envelope's unit filed (gửi) its periodic report
    for `period`, due on `due_on` under the deadlines for its level; on time when
    `filed_on <= due_on`. `occurred_at` is `filed_on`."""

    model_config = ConfigDict(title="ReportFiled")  # its schema stays as published

    VERSION: ClassVar[int] = 1


@upcaster(ReportFiledV1, to=ReportFiled)
def report_without_document(v1: Payload) -> Payload:
    """v1 → v2: v1 reports carried no attached document."""
    return {**v1, "document_sha256": None}


class TaskStatus(StrEnum):
    """Where a task of the work programme stands."""

    PLANNED = "planned"  # đã giao, chưa triển khai
    IN_PROGRESS = "in_progress"  # đang thực hiện
    DONE = "done"  # đã hoàn thành
    CANCELLED = "cancelled"  # không thực hiện, rút khỏi chương trình


class TaskSet(_Event):
    """`task.set` v1: the council of the envelope's unit put a task in its work programme
    (chương trình công tác) for `period` ("8 nhiệm vụ trọng tâm quý IV"). `occurred_at` is
    `set_on`; the figures count it in the first month of `period`."""

    TYPE: ClassVar[str] = "task.set"
    VERSION: ClassVar[int] = 1

    task_id: str = _id_field("task")
    period: str = Field(
        min_length=4, max_length=20, examples=["2025-Q4"], description="Period the task is for."
    )
    title: Text
    main: bool = Field(default=True, description="Nhiệm vụ trọng tâm (a main task).")
    set_on: date


class TaskStatusChanged(_Event):
    """`task.status_changed` v1: a task of the council's work programme moved from
    `previous_status` to `status` on `changed_on` (e.g. hoàn thành: done)."""

    TYPE: ClassVar[str] = "task.status_changed"
    VERSION: ClassVar[int] = 1

    task_id: str = Field(min_length=1, max_length=64, pattern=ID_PATTERN)
    period: str = Field(min_length=4, max_length=20, description="Period the task is for.")
    previous_status: TaskStatus
    status: TaskStatus
    changed_on: date
    note: str | None = Field(default=None, max_length=2000)


class ProposalKind(StrEnum):
    RECOMMENDATION = "recommendation"  # kiến nghị
    SUGGESTION = "suggestion"  # đề xuất


class ProposalRaised(_Event):
    """`proposal.raised` v1: the council of the envelope's unit sent a proposal (kiến nghị,
    đề xuất) to the council of `to_unit`, a unit above it (its parent or its province)."""

    TYPE: ClassVar[str] = "proposal.raised"
    VERSION: ClassVar[int] = 1

    proposal_id: str = _id_field("proposal")
    to_unit: UnitCode
    kind: ProposalKind
    title: Text
    content: LongText | None = None
    raised_on: date


class ProposalAnswered(_Event):
    """`proposal.answered` v1: the council of the envelope's unit (the one addressed) answered
    (trả lời) the proposal `proposal_id` that `raised_by` raised on `raised_on`."""

    TYPE: ClassVar[str] = "proposal.answered"
    VERSION: ClassVar[int] = 1

    proposal_id: str = Field(min_length=1, max_length=64, pattern=ID_PATTERN)
    raised_by: UnitCode
    raised_on: date
    answered_on: date
    answer: LongText

    _not_before_raised = not_before("answered_on", "raised_on")


COORDINATION_EVENTS: tuple[type[BaseModel], ...] = (
    CouncilDelegatesDeclared,
    CouncilStaffDeclared,
    ReportFiled,
    TaskSet,
    TaskStatusChanged,
    ProposalRaised,
    ProposalAnswered,
)
