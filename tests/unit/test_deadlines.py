"""Deadline rules as data: the defaults keep today's deadlines, the other modes follow their
rule, and the sweep's decisions (reminders 7 and 1 days before, the level above told the day
after, the weekly digest) come once per window."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from contracts.notifications import DeadlineRules
from services.reporting.deadlines.defaults import DEFAULT_RULES
from services.reporting.deadlines.rules import cutoff, due_on, obligations_due_in
from services.reporting.notifications.notices import Deadline, decide
from services.reporting.read.periods import (
    month_after,
    month_start,
    parse_period,
    term_of,
    year_month,
)

DAY = {"commune": 5, "district": 10, "province": 15}


def old_due_on(level: str, key: str) -> date:
    """The deadline before the rules were data (coordination/domain.py until issue 22)."""
    return month_start(month_after(parse_period(key).last)).replace(day=DAY[level])


def old_obligations_due_in(month: str) -> list[str]:
    y, m = year_month(month)
    due = {1: [f"{y - 1}"], 7: [f"{y}-H1"], 10: [f"{y}-9M"]}.get(m, [])
    previous = f"{y - 1:04d}-12" if m == 1 else f"{y:04d}-{m - 1:02d}"
    try:
        term = term_of(previous)
    except ValueError:
        term = None
    if term is not None and parse_period(term).last == previous:
        due.append(term)
    return sorted(due)


def months(first: int, last: int) -> list[str]:
    return [f"{y:04d}-{m:02d}" for y in range(first, last + 1) for m in range(1, 13)]


@pytest.mark.parametrize("level", ["commune", "district", "province"])
def test_the_default_rules_give_every_deadline_as_before(level: str) -> None:
    for month in months(1995, 2032):
        found = obligations_due_in(month, level, DEFAULT_RULES)  # type: ignore[arg-type]
        assert sorted(p.key for p in found) == old_obligations_due_in(month), month
        for period in found:
            assert due_on(level, period) == old_due_on(level, period.key)  # type: ignore[arg-type]


def test_cut_offs_are_those_of_nghi_dinh_09_and_the_derived_ones_say_so() -> None:
    first, last, rule = cutoff(DEFAULT_RULES, parse_period("2025-H1"))
    assert (first, last, rule.derived) == (date(2024, 12, 15), date(2025, 6, 14), False)
    first, last, rule = cutoff(DEFAULT_RULES, parse_period("2025-9M"))
    assert (first, last, rule.derived) == (date(2024, 12, 15), date(2025, 9, 14), True)
    first, last, rule = cutoff(DEFAULT_RULES, parse_period("2025"))
    assert (first, last, rule.derived) == (date(2024, 12, 15), date(2025, 12, 14), False)
    assert "09/2019" in rule.source


def _rules(**due: object) -> DeadlineRules:
    report_due = DEFAULT_RULES.report_due.model_copy(update=due)
    return DEFAULT_RULES.model_copy(update={"report_due": report_due})


def test_a_deadline_after_the_cut_off_or_before_the_session_it_feeds() -> None:
    h1 = parse_period("2025-H1")
    after = _rules(mode="after_cutoff")
    assert due_on("commune", h1, after) == date(2025, 7, 5)  # 14/06 + 21 days
    assert due_on("province", h1, after) == date(2025, 7, 15)
    before = _rules(mode="before_session", days_before_session=10)
    sessions = [date(2025, 3, 20), date(2025, 7, 16), date(2025, 12, 10)]
    assert due_on("commune", h1, before, sessions) == date(2025, 7, 6)
    assert due_on("commune", h1, before, []) == date(2025, 7, 5)  # no session: month after
    assert [p.key for p in obligations_due_in("2025-07", "commune", before, sessions)] == [
        "2025-H1"
    ]


def test_a_commune_is_reminded_7_and_1_days_before_and_the_province_told_the_day_after() -> None:
    late = Deadline("report", "2025-H1", "03390", date(2025, 7, 5), "gửi báo cáo")
    names = {"03390": "Xã A", "106": "Huyện B"}.__getitem__

    def kinds(day: date) -> list[tuple[str, str, str]]:
        found = decide([late], day, DEFAULT_RULES, names, lambda _: "106")
        return [(n.kind, n.unit, n.variant) for n in found]

    every = {d: kinds(d) for d in (date(2025, 6, 20) + timedelta(days=i) for i in range(40))}
    sent = {d: k for d, k in every.items() if k}
    assert sent[date(2025, 6, 28)] == [("reminder", "03390", "7")]
    assert sent[date(2025, 7, 4)] == [("reminder", "03390", "1")]
    assert sent[date(2025, 7, 6)] == [("escalation", "106", "")]
    assert sent[date(2025, 7, 14)] == [("escalation", "106", ""), ("digest", "106", "")]
    ids = {
        n.notice_id for d in every for n in decide([late], d, DEFAULT_RULES, names, lambda _: "106")
    }
    reminders = {
        n.notice_id
        for d in (date(2025, 6, 28) + timedelta(days=i) for i in range(8))
        for n in decide([late], d, DEFAULT_RULES, names, lambda _: "106")
        if n.kind == "reminder"
    }
    assert len(reminders) == 2  # one 7-day, one 1-day: the same notice every day of a window
    assert len(ids) > 3
