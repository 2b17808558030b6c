"""The one rule every due date of a periodic report is computed by: the figures (reports due,
on time, late, missing), a filing's `due_on`, the home page's list and the reminders. Pure.

With the default rules (defaults.py) a report is due exactly as before the rules were data:
day 5, 10 or 15 (commune, district, province) of the month after its period.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Sequence
from datetime import date, timedelta

from contracts.coordination import ReportObligation
from contracts.notifications import CutOff, DeadlineRules
from services.common.hierarchy import Level
from services.reporting.deadlines.defaults import DEFAULT_RULES
from services.reporting.read.periods import (
    InvalidPeriod,
    Period,
    is_term,
    month_after,
    month_start,
    parse_period,
    term_of,
    year_month,
)


def obligation_key(period: Period) -> ReportObligation:
    key = period.key
    if key.endswith("-H1"):
        return ReportObligation.FIRST_HALF
    if key.endswith("-9M"):
        return ReportObligation.NINE_MONTHS
    if is_term(key):
        return ReportObligation.TERM
    return ReportObligation.YEAR


def cutoff(rules: DeadlineRules, period: Period) -> tuple[date, date, CutOff]:
    """The cut-off (thời gian chốt số liệu) of the report on `period`: first and last day."""
    rule = rules.cutoffs[obligation_key(period).value]
    y, m = year_month(period.first)
    before = date(y - 1, 12, 1) if m == 1 else date(y, m - 1, 1)
    return (
        before.replace(day=rule.starts_day),
        month_start(period.last).replace(day=rule.ends_day),
        rule,
    )


def due_on(
    level: Level,
    period: Period,
    rules: DeadlineRules = DEFAULT_RULES,
    sessions: Sequence[date] = (),
) -> date:
    """The deadline of a council of `level` for its report on `period`; `sessions`: the days
    of the regular sessions that council scheduled (for `before_session`)."""
    due = rules.report_due
    if due.mode == "after_cutoff":
        return cutoff(rules, period)[1] + timedelta(days=getattr(due.days_after_cutoff, level))
    if due.mode == "before_session":
        opens = month_start(period.last)
        within = opens + timedelta(days=due.session_within_days)
        fed = sorted(d for d in sessions if opens <= d <= within)
        if fed:
            return fed[0] - timedelta(days=due.days_before_session)
    day = getattr(due.day_of_month_after, level)
    return month_start(month_after(period.last)).replace(day=day)


@functools.lru_cache(maxsize=1024)
def periods_near(month: str) -> tuple[Period, ...]:
    """Every periodic report whose deadline could fall in `month` under any rule: those of the
    year before, this year and the next, and the terms ending within them (kept: a summary
    asks it for every month of its period, of every unit)."""
    y, _ = year_month(month)
    keys: set[str] = set()
    for year in (y - 1, y, y + 1):
        keys.update({f"{year}-H1", f"{year}-9M", f"{year}"})
        for m in (3, 6, 12):
            with contextlib.suppress(InvalidPeriod):
                keys.add(term_of(f"{year}-{m:02d}"))
    found = []
    for key in keys:
        with contextlib.suppress(InvalidPeriod):
            found.append(parse_period(key))
    return tuple(sorted(found, key=lambda p: (p.last, p.key)))


def obligations_due_in(
    month: str,
    level: Level = "commune",
    rules: DeadlineRules = DEFAULT_RULES,
    sessions: Sequence[date] = (),
) -> list[Period]:
    """The reports a council of `level` owes in `month` ("YYYY-MM")."""
    first = month_start(month)
    nxt = month_start(month_after(month))
    return [p for p in periods_near(month) if first <= due_on(level, p, rules, sessions) < nxt]
