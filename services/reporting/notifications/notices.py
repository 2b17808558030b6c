"""What the sweep decides, pure: from the deadlines still open and today, the notices due.

- Reminders (nhắc hạn): for each offset of `remind_days_before` (7 and 1 by default), on the
  days from `due - offset` until the next smaller offset's day (the last until the due day),
  the responsible unit's people are reminded: a sweep that missed a day (the notifier was
  down) sends the reminder of the window it is in, never one already superseded.
- Escalations (báo cáo cấp trên): from `escalate_days_after` after the due day and within
  `look_back_days`, the level above is told which of its units are late: one notice per rule,
  item, due day and unit above, naming every late unit below it.
- The weekly digest (tổng hợp hằng tuần): on `digest_weekday`, each unit above is sent the
  list of everything below it still late a week after its escalation, until it is done.

A notice's id is a hash of what makes it one (rule, item, due day, recipient unit, kind and
offset): the sweep may decide it again at every run and after a crash; only the first write
of that id counts (services.reporting.notifications.store).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from contracts.notifications import DeadlineRules, NoticeKind, NoticeRule
from services.reporting.document.numbers import vn_date

LINKS: dict[str, str] = {
    "report": "#/",
    "opinion": "#/theo-doi/y-kien",
    "petition": "#/theo-doi/don-thu",
    "recommendation": "#/theo-doi/kien-nghi-giam-sat",
    "proposal_answered": "#/theo-doi/de-xuat-gui",
    "digest": "#/",
}
MAX_LINES = 200


@dataclass(frozen=True, slots=True)
class Deadline:
    """Something `unit` must do by `due`: `what` says it in Vietnamese."""

    rule: NoticeRule
    item: str
    unit: str
    due: date
    what: str


@dataclass(frozen=True, slots=True)
class Notice:
    """One decision: tell the people of `unit` (`kind`, under `rule`) about `units` on `day`."""

    kind: NoticeKind
    rule: NoticeRule
    item: str
    unit: str
    units: tuple[str, ...]
    due: date | None
    day: date
    title: str
    lines: tuple[str, ...] = ()
    variant: str = ""  # what else makes it one: a reminder's offset
    link_unit: str = field(default="")

    @property
    def notice_id(self) -> str:
        due = self.due.isoformat() if self.due else "-"
        key = "|".join((self.rule, self.item, due, self.unit, self.kind, self.variant))
        if self.kind == "digest":
            key += f"|{self.day.isoformat()}"
        return hashlib.sha256(key.encode()).hexdigest()[:32]

    @property
    def link(self) -> str:
        return LINKS[self.rule]

    def document(self) -> dict[str, Any]:
        return {
            "_id": self.notice_id,
            "kind": self.kind,
            "rule": self.rule,
            "item": self.item,
            "unit": self.unit,
            "units": list(self.units),
            "due_on": self.due.isoformat() if self.due else None,
            "day": self.day.isoformat(),
            "title": self.title,
            "variant": self.variant,
        }


Names = Callable[[str], str]
Parents = Callable[[str], str | None]


def reminders(
    deadlines: Iterable[Deadline], today: date, rules: DeadlineRules, name: Names
) -> list[Notice]:
    offsets = sorted(set(rules.remind_days_before), reverse=True)
    found = []
    for d in deadlines:
        for i, offset in enumerate(offsets):
            start = d.due - timedelta(days=offset)
            end = d.due - timedelta(days=offsets[i + 1]) if i + 1 < len(offsets) else d.due
            last = i + 1 == len(offsets)
            if start <= today < end or (last and start <= today <= end):
                left = (d.due - today).days
                when = "hôm nay" if left == 0 else f"còn {left} ngày"
                title = f"Nhắc hạn: {d.what} của {name(d.unit)} hạn {vn_date(d.due)} ({when})"
                found.append(
                    Notice(
                        "reminder",
                        d.rule,
                        d.item,
                        d.unit,
                        (d.unit,),
                        d.due,
                        today,
                        title,
                        variant=str(offset),
                        link_unit=d.unit,
                    )
                )
    return found


def escalations(
    deadlines: Iterable[Deadline], today: date, rules: DeadlineRules, name: Names, parent: Parents
) -> list[Notice]:
    groups: dict[tuple[NoticeRule, str, date, str], list[Deadline]] = {}
    for d in deadlines:
        told_on = d.due + timedelta(days=rules.escalate_days_after)
        above = parent(d.unit)
        if above is not None and told_on <= today <= d.due + timedelta(days=rules.look_back_days):
            groups.setdefault((d.rule, d.item, d.due, above), []).append(d)
    found = []
    for (rule, item, due, above), late in sorted(groups.items()):
        units = tuple(sorted({d.unit for d in late}))
        what = late[0].what
        title = (
            f"Quá hạn: {what} của {name(units[0])}, hạn {vn_date(due)}"
            if len(units) == 1
            else f"Quá hạn: {what}, hạn {vn_date(due)}: {len(units)} đơn vị chưa thực hiện"
        )
        lines = tuple(f"{name(u)} ({u})" for u in units[:MAX_LINES])
        found.append(
            Notice(
                "escalation",
                rule,
                item,
                above,
                units,
                due,
                today,
                title,
                lines,
                link_unit=units[0] if len(units) == 1 else above,
            )
        )
    return found


def digests(
    deadlines: Iterable[Deadline], today: date, rules: DeadlineRules, name: Names, parent: Parents
) -> list[Notice]:
    if today.weekday() != rules.digest_weekday:
        return []
    week = timedelta(days=rules.escalate_days_after + 7)
    by_parent: dict[str, list[Deadline]] = {}
    for d in deadlines:
        above = parent(d.unit)
        if above is not None and d.due + week <= today:
            by_parent.setdefault(above, []).append(d)
    found = []
    for above, late in sorted(by_parent.items()):
        late.sort(key=lambda d: (d.due, d.unit, d.item))
        units = tuple(sorted({d.unit for d in late}))
        title = (
            f"Tổng hợp hằng tuần: {len(late)} việc quá hạn chưa thực hiện của các đơn vị trực thuộc"
        )
        lines = tuple(f"{name(d.unit)}: {d.what}, hạn {d.due:%d/%m/%Y}" for d in late[:MAX_LINES])
        found.append(
            Notice(
                "digest", "digest", above, above, units, None, today, title, lines, link_unit=above
            )
        )
    return found


def decide(
    deadlines: Sequence[Deadline], today: date, rules: DeadlineRules, name: Names, parent: Parents
) -> list[Notice]:
    """Every notice due today for `deadlines` (those not yet done)."""
    return [
        *reminders(deadlines, today, rules, name),
        *escalations(deadlines, today, rules, name, parent),
        *digests(deadlines, today, rules, name, parent),
    ]
