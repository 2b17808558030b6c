"""Deadlines and the notifications they cause (bounded context `notifications`, topic
`hdnd.reporting`).

- `deadline_rules.changed`: an admin (or `hdnd deadlines set`) changed the deployment's
  deadline rules (quy định thời hạn); the event carries the whole new version, so the rules in
  force on any day can be read back from the topic.
- `notification.sent`: the notifier told the people of a unit something: a reminder before a
  deadline (nhắc hạn), an escalation to the level above the day after it passed (báo cáo cấp
  trên), the weekly digest of what is still late, or an answer coming down. It names units and
  counts, never a person: who received it stays in reporting's own `notifications`.

Both are version 1.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.envelope import UnitCode

TOPIC: Final = "reporting"  # the `Topics` property its events travel on

Days = Annotated[int, Field(ge=0, le=3650)]
Source = Annotated[str, Field(min_length=1, max_length=1000)]
Obligation = Literal["first_half", "nine_months", "year", "term"]
DueMode = Literal["month_after", "after_cutoff", "before_session"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PerLevel(_Frozen):
    """A number of days (or a day of the month) for each council level."""

    commune: Days
    district: Days
    province: Days


class CutOff(_Frozen):
    """Thời gian chốt số liệu of one periodic report: from day `starts_day` of the month before
    the period's first month to day `ends_day` of its last month."""

    starts_day: int = Field(default=15, ge=1, le=28)
    ends_day: int = Field(default=14, ge=1, le=28)
    derived: bool = Field(
        default=False, description="Not set by the source itself: derived from another rule."
    )
    source: Source


class ReportDue(_Frozen):
    """When a periodic report is due (hạn gửi báo cáo), by `mode`:

    - `month_after`: on day `day_of_month_after` (per level) of the month after the period;
    - `after_cutoff`: `days_after_cutoff` (per level) days after the cut-off ends;
    - `before_session`: `days_before_session` days before the first regular session (kỳ họp
      thường lệ) the council scheduled from the first day of the period's last month, within
      `session_within_days`; without one, as `month_after`.
    """

    mode: DueMode = "month_after"
    day_of_month_after: PerLevel = PerLevel(commune=5, district=10, province=15)
    days_after_cutoff: PerLevel = PerLevel(commune=21, district=26, province=31)
    days_before_session: Days = 10
    session_within_days: Days = 120
    source: Source

    @model_validator(mode="after")
    def _days_of_a_month(self) -> ReportDue:
        for level in ("commune", "district", "province"):
            if not 1 <= getattr(self.day_of_month_after, level) <= 28:
                raise ValueError("day_of_month_after is a day between 1 and 28")
        return self


class ItemRule(_Frozen):
    """An item waiting on an agency is late `days` after it was handed over."""

    days: Days = Field(ge=1)
    source: Source


class DeadlineRules(_Frozen):
    """The deadline rules of a deployment (quy định thời hạn): the data the reports' due dates,
    the reminders and the escalations are computed from."""

    cutoffs: dict[Obligation, CutOff] = Field(min_length=4, max_length=4)
    report_due: ReportDue
    opinion_answer: ItemRule = Field(
        description="A voter opinion forwarded to an agency and not answered after `days`."
    )
    petition_settle: ItemRule = Field(
        description="A petition transferred to an agency and not settled after `days`."
    )
    remind_days_before: list[Annotated[int, Field(ge=1, le=365)]] = Field(
        max_length=10, description="Reminders this many days before a deadline (e.g. 7 and 1)."
    )
    escalate_days_after: Days = Field(
        default=1, ge=1, description="The level above is told this many days after a deadline."
    )
    digest_weekday: int = Field(
        default=0, ge=0, le=6, description="The weekly digest's day (0 Monday … 6 Sunday)."
    )
    look_back_days: Days = Field(
        default=30,
        ge=1,
        description="Deadlines passed longer ago than this are only in the digests, and answers"
        " older than this notify nobody (a replay of history sends nothing).",
    )


class DeadlineRulesChanged(_Frozen):
    """`deadline_rules.changed` v1: version `version` of the deployment's deadline rules is in
    force from now; `occurred_at` is the day it was set."""

    TYPE: ClassVar[str] = "deadline_rules.changed"
    VERSION: ClassVar[int] = 1

    version: int = Field(ge=1, le=1_000_000)
    changed_on: date
    rules: DeadlineRules


NoticeKind = Literal["reminder", "escalation", "digest", "answer"]
NoticeRule = Literal[
    "report", "opinion", "petition", "recommendation", "proposal_answered", "digest"
]


class NotificationSent(_Frozen):
    """`notification.sent` v1: the people of the envelope's unit were notified (in the
    workspace, and by e-mail where they chose it) on `sent_on`, of `kind`, under `rule`, about
    `item` due on `due_on`; `units` are the units it is about (reminded, late or answered), what
    the figures "đã nhắc" and "đã báo cáo cấp trên" count. `occurred_at` is `sent_on`."""

    TYPE: ClassVar[str] = "notification.sent"
    VERSION: ClassVar[int] = 1

    notice_id: str = Field(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")
    kind: NoticeKind
    rule: NoticeRule
    item: str = Field(min_length=1, max_length=200, description="What it is about.")
    due_on: date | None = None
    sent_on: date
    units: list[UnitCode] = Field(min_length=1, max_length=1000)
    recipients: int = Field(ge=0, le=100_000, description="Accounts notified in the workspace.")
    emails: int = Field(ge=0, le=100_000, description="Of them, by e-mail.")
    rules_version: int = Field(ge=0, le=1_000_000)
    title: str = Field(min_length=1, max_length=500, description="What it says, in Vietnamese.")


NOTIFICATION_EVENTS: tuple[type[BaseModel], ...] = (DeadlineRulesChanged, NotificationSent)
