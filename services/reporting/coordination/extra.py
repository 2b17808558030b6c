"""The figures that are not monthly flows, computed when a summary is asked for:

- stocks: seats and delegates trained (of the term in force), staff; for a unit, the latest
  declaration in force at the end of the period of each unit whose records count in it,
  summed (never averaged); only declarations of that day's era count (codes were reused in
  2025 by other councils: see CoordinationStore.declarations_in_force);
- reports due in the period (every unit owes its periodic reports, by the deadlines of
  services.reporting.coordination.domain) and those missing: due, deadline passed as of
  today, and not filed.

"Whose records count in it": as it was, the unit and every unit below it on the day in
question; as today, for a day before the 2025 reform, the legacy units mapped onto it by the
same rule as the rest of the figures (a province: the legacy provinces merged into it with
everything below them; a commune: the legacy communes whose default successor it is).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, timedelta

from services.common.hierarchy import REFORM_DATE, Hierarchy, Unit
from services.reporting.coordination.domain import due_on, obligations_due_in
from services.reporting.coordination.store import CoordinationStore
from services.reporting.periods import InvalidPeriod, Period, month_end, month_start, term_of
from services.reporting.views import ViewName


def members(hierarchy: Hierarchy, code: str, day: date, view: ViewName) -> list[Unit]:
    """The units whose own declarations and reports count in `code` on `day`."""
    if view == "as_it_was" or day >= REFORM_DATE:
        unit = hierarchy.find(code, day)
        return [] if unit is None else [unit, *hierarchy.descendants(code, day)]
    today = hierarchy.find(code, "2025")
    if today is None:
        return []
    found: list[Unit] = []
    for legacy in hierarchy.predecessors(code):
        if today.level == "province":
            found += [hierarchy.unit(legacy, "legacy"), *hierarchy.descendants(legacy, "legacy")]
        elif hierarchy.successors(legacy)[:1] == (code,):
            found.append(hierarchy.unit(legacy, "legacy"))
    return found


def stock_day(hierarchy: Hierarchy, code: str, period: Period, view: ViewName) -> date | None:
    """The day a stock is read for a period: its end, or, as it was, the last day of the
    period on which the unit existed (a district in 2025: 30 June 2025)."""
    end = month_end(period.last)
    if view == "as_today" or hierarchy.find(code, end) is not None:
        return end
    before = REFORM_DATE - timedelta(days=1)
    if month_start(period.first) <= before < end and hierarchy.find(code, before) is not None:
        return before
    return None


class CoordinationExtra:
    """`Extra` of services.reporting.views: stocks and reports due / missing per unit."""

    def __init__(
        self, store: CoordinationStore, hierarchy: Hierarchy, today: Callable[[], date]
    ) -> None:
        self.store = store
        self.hierarchy = hierarchy
        self.today = today

    async def __call__(
        self, units: Sequence[Unit], period: Period, view: ViewName
    ) -> dict[str, Counter[str]]:
        added: dict[str, Counter[str]] = {u.code: Counter() for u in units}
        await self._stocks(units, period, view, added)
        await self._reports(units, period, view, added)
        return added

    async def _stocks(
        self, units: Sequence[Unit], period: Period, view: ViewName, added: dict[str, Counter[str]]
    ) -> None:
        by_day: dict[date, dict[str, list[str]]] = {}
        for unit in units:
            day = stock_day(self.hierarchy, unit.code, period, view)
            if day is not None:
                counted = [m.code for m in members(self.hierarchy, unit.code, day, view)]
                by_day.setdefault(day, {})[unit.code] = counted
        for day, counted_in in by_day.items():
            everyone = {m for ms in counted_in.values() for m in ms}
            try:
                term: str | None = term_of(f"{day:%Y-%m}")
            except InvalidPeriod:
                term = None
            stocks = await self.store.declarations_in_force("staff", everyone, day)
            if term is not None:
                delegates = await self.store.declarations_in_force("delegates", everyone, day, term)
                for code, figures in delegates.items():
                    stocks.setdefault(code, {}).update(figures)
            for code, counted in counted_in.items():
                for member in counted:
                    added[code].update(stocks.get(member, {}))

    async def _reports(
        self, units: Sequence[Unit], period: Period, view: ViewName, added: dict[str, Counter[str]]
    ) -> None:
        today = self.today()
        passed: dict[str, list[tuple[str, str]]] = {u.code: [] for u in units}
        for month in period.months():
            for obligation in obligations_due_in(month):
                day = month_start(month)
                for unit in units:
                    for member in members(self.hierarchy, unit.code, day, view):
                        added[unit.code]["reports_due"] += 1
                        if due_on(member.level, obligation) < today:
                            passed[unit.code].append((member.code, obligation.key))
        pairs = {p for ps in passed.values() for p in ps}
        if not pairs:
            return
        filed = await self.store.filed({u for u, _ in pairs}, {p for _, p in pairs})
        for code, owed in passed.items():
            missing = sum(1 for pair in owed if pair not in filed)
            if missing:
                added[code]["reports_missing"] += missing
