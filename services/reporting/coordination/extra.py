"""The figures that are not monthly flows, computed when a summary is asked for:

- stocks: seats and delegates trained (of the term in force), staff; for a unit, the latest
  declaration in force at the end of the period of each unit whose records count in it,
  summed (never averaged); only declarations of that day's era count (codes were reused in
  2025 by other councils: see CoordinationStore.declarations_in_force);
- reports due in the period (every unit owes its periodic reports, by the deployment's
  deadline rules, services.reporting.deadlines) and those missing: due, deadline passed as of
  today, and not filed.

Each is computed for the unit's own council and for its total, like the folded figures.
"Whose records count in it": as it was, the unit, of its own era only (a 2025 unit counts
nothing of the days its code named a legacy council), and every unit below it on the day in
question; as today, for a day before the 2025 reform, the legacy units mapped onto it by the
same rule as the rest of the figures (`legacy_sources`: a province, the legacy provinces
merged into it with everything below them, their district councils being its own; a
commune, the legacy communes whose default successor it is).
"""

from __future__ import annotations

import asyncio
import functools
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from services.common.hierarchy import REFORM_DATE, Hierarchy, Level, Unit, era_of
from services.reporting.coordination.store import CoordinationStore
from services.reporting.deadlines.rules import due_on, periods_near
from services.reporting.deadlines.service import Deadlines
from services.reporting.read.figures.coordination import REPORTS_BY_OUTCOME, REPORTS_DUE
from services.reporting.read.periods import (
    InvalidPeriod,
    Period,
    month_after,
    month_end,
    month_start,
    term_of,
)
from services.reporting.read.views import Extras, ViewName, absorbed_into, legacy_sources


def members(
    hierarchy: Hierarchy,
    unit: Unit,
    day: date,
    view: ViewName,
    whole: bool = True,
    under: str | None = None,
) -> list[Unit]:
    """The units whose own declarations and reports count in `unit` on `day`: in its own
    council's figures, or (`whole`) in its total; as it was, with `under`, only while `unit`
    is a child of that unit (its row in its parent's summary)."""
    if view == "as_it_was":
        if era_of(day) != unit.era:  # a month of the other era (a period across the reform)
            return []
        then = hierarchy.find(unit.code, day)
        if then is None or under not in (None, then.parent):
            return []
        return [then, *_below(hierarchy, unit.code, day, whole)]
    field = "total" if whole else "own"
    found: list[Unit] = []
    for code in absorbed_into(hierarchy, unit.code, field):
        if day >= REFORM_DATE:
            sources: Iterable[str] = [code]
        else:
            sources = legacy_sources(hierarchy, code, field)[0]
        for source in sources:
            if (counted := hierarchy.find(source, day)) is not None:
                found += [counted, *_below(hierarchy, source, day, whole)]
    return found


def _below(hierarchy: Hierarchy, code: str, day: date, whole: bool) -> list[Unit]:
    return list(hierarchy.descendants(code, day)) if whole else []


def stock_day(hierarchy: Hierarchy, unit: Unit, period: Period, view: ViewName) -> date | None:
    """The day a stock is read for a period: its end, or, as it was, the last day of the
    period on which the unit existed (a district in 2025: 30 June 2025)."""
    end = month_end(period.last)
    if view == "as_today" or (era_of(end) == unit.era and hierarchy.find(unit.code, end)):
        return end
    before = REFORM_DATE - timedelta(days=1)
    if (
        unit.era == "legacy"
        and month_start(period.first) <= before < end
        and hierarchy.find(unit.code, before) is not None
    ):
        return before
    return None


@dataclass(frozen=True, slots=True)
class Part:
    """What is summed into `figures`: `unit`'s own council's, or (`whole`) its total, as it
    was only while under `under` (see `members`)."""

    unit: Unit
    whole: bool
    figures: Counter[str]
    under: str | None = None

    def members(self, hierarchy: Hierarchy, day: date, view: ViewName) -> list[Unit]:
        return members(hierarchy, self.unit, day, view, self.whole, self.under)


class CoordinationExtra:
    """`Extra` of services.reporting.read.views: stocks and reports due / missing per unit."""

    def __init__(
        self,
        store: CoordinationStore,
        hierarchy: Hierarchy,
        today: Callable[[], date],
        deadlines: Deadlines,
    ) -> None:
        self.store = store
        self.hierarchy = hierarchy
        self.today = today
        self.deadlines = deadlines

    async def __call__(
        self, unit: Unit, children: Sequence[Unit], period: Period, view: ViewName
    ) -> dict[str, Extras]:
        added = {u.code: Extras() for u in (unit, *children)}
        under = unit.code if view == "as_it_was" else None
        parts = [
            Part(unit, False, added[unit.code].own),
            Part(unit, True, added[unit.code].total),
            *(Part(child, True, added[child.code].total, under) for child in children),
        ]
        # Independent reads: their round trips overlap (each adds to its own keys).
        await asyncio.gather(self._stocks(parts, period, view), self._reports(parts, period, view))
        return added

    async def _stocks(self, parts: Sequence[Part], period: Period, view: ViewName) -> None:
        by_day: dict[date, list[tuple[list[str], Counter[str]]]] = {}
        for part in parts:
            day = stock_day(self.hierarchy, part.unit, period, view)
            if day is not None:
                counted = [m.code for m in part.members(self.hierarchy, day, view)]
                by_day.setdefault(day, []).append((counted, part.figures))
        for day, counted_in in by_day.items():
            everyone = {m for ms, _ in counted_in for m in ms}
            try:
                term: str | None = term_of(f"{day:%Y-%m}")
            except InvalidPeriod:
                term = None
            stocks = await self.store.declarations_in_force("staff", everyone, day)
            if term is not None:
                delegates = await self.store.declarations_in_force("delegates", everyone, day, term)
                for code, declared in delegates.items():
                    stocks.setdefault(code, {}).update(declared)
            for counted, figures in counted_in:
                for member in counted:
                    figures.update(stocks.get(member, {}))

    async def _reports(self, parts: Sequence[Part], period: Period, view: ViewName) -> None:
        """Each member counts the reports whose deadline, by the rules in force (and its own
        sessions, where they count from them), falls in a month of `period`."""
        today = self.today()
        passed: list[tuple[Counter[str], list[tuple[str, str]]]] = [(p.figures, []) for p in parts]
        months = period.months()
        # The tree changes a few times a year: the months are taken per state of the tree,
        # whose members are the same in each (and so are the reports they owe, by level and
        # sessions held), rather than month by month.
        states: dict[tuple[str, int, int], list[str]] = {}
        for month in months:
            states.setdefault(self.hierarchy.state_on(month_start(month)), []).append(month)
        members = {
            state: [part.members(self.hierarchy, month_start(ms[0]), view) for part in parts]
            for state, ms in states.items()
        }
        everyone = {m.code for per_part in members.values() for ms in per_part for m in ms}
        rules, sessions = await self.deadlines.in_force(everyone, month_start(months[0]))
        for state, in_state in states.items():
            windows = [
                (periods_near(m), month_start(m), month_start(month_after(m))) for m in in_state
            ]

            @functools.cache
            def due_in(level: Level, held: tuple[date, ...] = ()) -> list[tuple[str, date]]:
                return [
                    (p.key, due)
                    for candidates, first, nxt in windows  # noqa: B023
                    for p in candidates
                    for due in (due_on(level, p, rules, held),)
                    if first <= due < nxt
                ]

            for per_part, (figures, owed) in zip(members[state], passed, strict=True):
                for member in per_part:
                    dues = due_in(member.level, tuple(sessions.get(member.code, ())))
                    figures[REPORTS_DUE.key] += len(dues)
                    owed.extend((member.code, key) for key, due in dues if due < today)
        pairs = {p for _, ps in passed for p in ps}
        if not pairs:
            return
        filed = await self.store.filed({u for u, _ in pairs}, {p for _, p in pairs})
        for figures, owed in passed:
            missing = sum(1 for pair in owed if pair not in filed)
            if missing:
                figures[REPORTS_BY_OUTCOME["missing"].key] += missing
