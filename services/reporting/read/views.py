"""Read side: summaries for any unit and period, answered from projections only.

A summary adds the unit's `total` counters (its own council plus every unit below it, as the
hierarchy stood when each event happened) over the months of the period, and lists the units
that were its children during that period with their totals. As it was, a summary is of one
council: a code names one per era, so a period that straddles the 2025 reform counts only the
months of the era of the unit that answers; as today, the history mapped onto today's units.
Every figure, folded or not (`Extra`), obeys total = own + the children's totals.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

from pymongo.asynchronous.collection import AsyncCollection

from services.common.hierarchy import Era, Hierarchy, Unit, era_of
from services.common.mongo import Document
from services.reporting.read.figures import complete, rates_of
from services.reporting.read.periods import Period, month_end, month_start
from services.reporting.read.projector.store import months_of

ViewName = Literal["as_it_was", "as_today"]


def eras_of(period: Period) -> list[Era]:
    first, last = month_start(period.first), month_start(period.last)
    return sorted({era_of(first), era_of(last)}, key=lambda e: e != "legacy")


@dataclass(frozen=True)
class UnitSummary:
    unit: Unit
    period: Period
    figures: dict[str, int]
    own: dict[str, int]
    children: list[tuple[Unit, dict[str, int]]]

    def as_json(self) -> dict[str, Any]:
        return {
            "unit": _unit_json(self.unit),
            "period": {
                "key": self.period.key,
                "label": self.period.label,
                "from": self.period.first,
                "to": self.period.last,
            },
            "figures": self.figures,
            "rates": rates_of(self.figures),
            "own": self.own,
            "children": [
                {**_unit_json(u), "figures": f, "rates": rates_of(f)} for u, f in self.children
            ],
        }


def _unit_json(unit: Unit) -> dict[str, Any]:
    return {"code": unit.code, "name": unit.name, "level": unit.level, "era": unit.era}


@dataclass
class Extras:
    """What an extra adds to one unit's summary: to its own council's figures and to its
    total (its own and every council below it)."""

    own: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)

    def update(self, other: Extras) -> None:
        self.own.update(other.own)
        self.total.update(other.total)


class Extra(Protocol):
    """Figures not folded per month (stocks such as seats, obligations due by a date): what
    to add to a unit's own and total figures for the period, and to the total of each of
    its `children`'s rows (as it was, only while it was a child of the unit: every unit is
    of one era, and only that council's days count)."""

    async def __call__(
        self, unit: Unit, children: Sequence[Unit], period: Period, view: ViewName
    ) -> dict[str, Extras]: ...


async def with_extras(
    extras: Sequence[Extra],
    unit: Unit,
    children: Sequence[Unit],
    period: Period,
    view: ViewName,
) -> dict[str, Extras]:
    added: dict[str, Extras] = {u.code: Extras() for u in (unit, *children)}
    for extra in extras:
        for code, figures in (await extra(unit, children, period, view)).items():
            added[code].update(figures)
    return added


SUM_BATCH = 1_000  # months in the first reply (the server's default is 101, then a getMore)


async def sums_by_unit(
    unit_months: AsyncCollection[Document], query: dict[str, Any], field: str
) -> dict[str, Counter[str]]:
    """The `field` figures of the unit-months `query` matches, summed per unit. mongod sends
    only that field of each month (found by an index, ~1 ms for a province's 756 commune-months)
    and the sum is a dict loop here: `$objectToArray` + `$unwind` + `$group` made mongod build
    a document per figure and took 16-25 ms for the same months. A unit whose months hold no
    such figure is there, empty."""
    sums: dict[str, dict[str, int]] = {}
    async for doc in unit_months.find(query, {"unit": 1, field: 1}, batch_size=SUM_BATCH):
        into = sums.setdefault(doc["unit"], {})
        for key, value in doc.get(field, {}).items():
            into[key] = into.get(key, 0) + value
    return {unit: Counter(figures) for unit, figures in sums.items()}


class _UnitMonthsReader:
    """What both kinds of view read: the figures folded per unit and month, the hierarchy of
    units, and the figures not folded per month (extras)."""

    def __init__(
        self,
        unit_months: AsyncCollection[Document],
        hierarchy: Hierarchy,
        extras: Sequence[Extra] = (),
    ) -> None:
        self.unit_months = unit_months
        self.hierarchy = hierarchy
        self.extras = list(extras)
        self._rows: dict[tuple[Any, ...], dict[str, Counter[str]]] = {}  # Views' kept rows


ROWS_KEPT = 128
"""Child rows a Views keeps (a province's: ~130 small dicts), the least recently asked dropped."""


class Views(_UnitMonthsReader):
    """Summaries as it was. A unit's child rows are its children's months summed (the most
    costly part of a province's summary: 126 communes' figures over the period); they are kept
    per period and read again only when they may differ. Every write of a month document counts
    up its `rev`, and a child's write is its parent's too (its totals are in the parent's): so
    the unit's own months, each with its `rev` and totals, and the tree's revision say whether
    the rows kept are still the rows. A unit with a month not written since `rev` was
    introduced is never kept."""

    def unit_in(self, code: str, period: Period) -> Unit | None:
        """The unit a code named during the period (the latest era it existed in); a legacy
        unit only if the period reaches the day the dataset places it from."""
        last_month = month_start(period.last)
        found = [
            u
            for era in eras_of(period)
            if (u := self.hierarchy.find(code, era))
            and (era != "legacy" or self.hierarchy.opens(code) <= last_month)
        ]
        return found[-1] if found else None

    async def summary(self, code: str, period: Period) -> UnitSummary | None:
        """The figures of the council `code` names during the period (see `unit_in`), over
        the months of its own era only: a code reused in 2025 names another council, whose
        figures are never joined to its legacy namesake's (as today maps those onto it)."""
        unit = self.unit_in(code, period)
        if unit is None:
            return None
        first, last = era_months(period, unit.era)
        months = {"$gte": first, "$lte": last}
        total: Counter[str] = Counter()
        own: Counter[str] = Counter()

        written: list[tuple[Any, ...]] = []

        async def read_unit() -> None:
            figures_only = {"own": 1, "total": 1, "rev": 1}  # not the per-day `days`
            async for doc in self.unit_months.find(months_of([code], first, last), figures_only):
                total.update(doc.get("total", {}))
                own.update(doc.get("own", {}))
                written.append((doc["_id"], doc.get("rev"), *sorted(doc.get("total", {}).items())))

        children = children_during(self.hierarchy, code, first, last)
        known = sorted(children.values(), key=lambda c: c.code)
        _, added = await asyncio.gather(  # their round trips overlap
            read_unit(), with_extras(self.extras, unit, known, period, "as_it_was")
        )
        per_child = await self._child_rows(code, months, written)
        total.update(added[unit.code].total)
        own.update(added[unit.code].own)
        for child in known:
            per_child.setdefault(child.code, Counter()).update(added[child.code].total)
        # A child only the figures place under `code` (a change the tree in memory has not
        # followed yet) has a row of its figures. No extras: those count a unit only on days
        # the tree puts it under `code`, and any such day would have made it `known`.
        for child_code in per_child:
            if child_code not in children and (late := self.hierarchy.find(child_code, unit.era)):
                children[child_code] = late
        ordered = sorted(children.values(), key=lambda c: c.code)
        rows = [(child, complete(per_child.get(child.code, Counter()))) for child in ordered]
        return UnitSummary(unit, period, complete(total), complete(own), rows)

    async def _child_rows(
        self, code: str, months: dict[str, str], written: list[tuple[Any, ...]]
    ) -> dict[str, Counter[str]]:
        """The children's month sums (see the class): kept ones when nothing they were summed
        from may have changed, else read; a fresh copy either way (the caller adds to it)."""
        key: tuple[Any, ...] | None = None
        if written and all(w[1] is not None for w in written):
            key = (self.unit_months.name, self.hierarchy.revision, code, *sorted(written))
        kept = self._rows.pop(key, None) if key is not None else None
        if kept is None:
            query = {"parent": code, "month": months}
            kept = await sums_by_unit(self.unit_months, query, "total")
        if key is not None:
            self._rows[key] = kept  # the latest asked last
            while len(self._rows) > ROWS_KEPT:
                del self._rows[next(iter(self._rows))]
        return {child: Counter(figures) for child, figures in kept.items()}


async def country_as_it_was(
    unit_months: AsyncCollection[Document], hierarchy: Hierarchy, period: Period
) -> dict[str, Any]:
    """The whole country: every province's totals over the period, in the era of each month
    (63 provinces before the reform, 34 after)."""
    months = {"$gte": period.first, "$lte": period.last}
    per_province: dict[tuple[Era, str], Counter[str]] = {}
    query = {"level": "province", "month": months}
    async for doc in unit_months.find(query, {"unit": 1, "month": 1, "total": 1}):
        era: Era = "legacy" if doc["month"] < REFORM_MONTH else "2025"
        per_province.setdefault((era, doc["unit"]), Counter()).update(doc.get("total", {}))
    total: Counter[str] = Counter()
    for figures in per_province.values():
        total.update(figures)
    children = [
        {**_unit_json(p), "figures": f, "rates": rates_of(f)}
        for era in eras_of(period)
        for p in hierarchy.provinces(era)
        for f in [complete(per_province.get((era, p.code), Counter()))]
    ]
    return {
        "unit": {"code": "VN", "name": "Cả nước", "level": "country", "era": None},
        "period": _period_json(period),
        "view": "as_it_was",
        "figures": complete(total),
        "rates": rates_of(complete(total)),
        "children": children,
    }


def _period_json(period: Period) -> dict[str, Any]:
    return {"key": period.key, "label": period.label, "from": period.first, "to": period.last}


# --- "As today": the whole history mapped onto the 2025 units -------------------------------

REFORM_MONTH = "2025-07"
ATTRIBUTION_RULE = (
    "A legacy commune divided among several 2025 communes counts wholly in its default "
    "successor (the official converter's default target); figures of dissolved district "
    "councils themselves count in their province only."
)


@dataclass(frozen=True)
class Attribution:
    """A legacy unit whose figures were placed by the rule rather than by a whole merger."""

    legacy_unit: str
    legacy_name: str
    attributed_to: str
    also_divided_into: tuple[str, ...]
    figures: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "legacy_unit": self.legacy_unit,
            "legacy_name": self.legacy_name,
            "attributed_to": self.attributed_to,
            "also_divided_into": list(self.also_divided_into),
            "figures": self.figures,
        }


def legacy_sources(
    hierarchy: Hierarchy, code: str, field: str = "total"
) -> tuple[list[str], list[Attribution]]:
    """Legacy units whose `field` figures count in the 2025 unit `code` "as today", and the
    ones of them (or of its neighbours) placed by the division rule. A province's own figures
    also take those of the legacy district councils of the provinces merged into it."""
    if hierarchy.find(code, "2025") is None or code not in _dataset_2025(hierarchy, code):
        return [], []  # established after the reform: no legacy history
    unit = hierarchy.unit(code, "2025")
    predecessors = hierarchy.predecessors(code)
    if unit.level == "province":  # provinces merged whole: no rule needed
        if field != "own":
            return list(predecessors), []
        districts = [
            d.code
            for p in predecessors
            for d in hierarchy.children(p, "legacy")
            if hierarchy.children(d.code, "legacy")
        ]
        return [*predecessors, *districts], []
    sources, rule = [], []
    for legacy in predecessors:
        successors = hierarchy.successors(legacy)
        if successors and successors[0] == code:
            sources.append(legacy)
        if len(successors) > 1:
            rule.append(
                Attribution(
                    legacy,
                    hierarchy.unit(legacy, "legacy").name,
                    successors[0],
                    tuple(s for s in successors[1:]),
                )
            )
    return sources, rule


def _dataset_2025(hierarchy: Hierarchy, code: str) -> set[str]:
    try:
        hierarchy.predecessors(code)
    except LookupError:
        return set()
    return {code}


def split_at_reform(period: Period) -> tuple[tuple[str, str] | None, tuple[str, str] | None]:
    """(legacy months, 2025 months) of a period, each an inclusive range or None."""
    before = (period.first, min(period.last, "2025-06")) if period.first < REFORM_MONTH else None
    after = (max(period.first, REFORM_MONTH), period.last) if period.last >= REFORM_MONTH else None
    return before, after


def era_months(period: Period, era: Era) -> tuple[str, str]:
    """The months of `period` in `era` (an inclusive range; empty, first > last, if none)."""
    before, after = split_at_reform(period)
    return (before if era == "legacy" else after) or (period.last, period.first)


def children_during(hierarchy: Hierarchy, code: str, first: str, last: str) -> dict[str, Unit]:
    """The units that were children of `code` on some day of the months `first`..`last` (of
    one era), by code: those of the first day, of the day it opens (see `Hierarchy.opens`)
    and of every change within them."""
    start, end = month_start(first), month_end(last)
    changes = [hierarchy.opens(code), *hierarchy.change_dates(era_of(start))]
    days = [start, *(d for d in changes if start < d <= end)]
    found: dict[str, Unit] = {}
    for day in days:
        if hierarchy.find(code, day) is not None:
            found.update((c.code, c) for c in hierarchy.children(code, day))
    return found


def absorbed_into(hierarchy: Hierarchy, code: str, field: str) -> list[str]:
    """2025 units whose figures are `code`'s today. For totals, only those of its own level:
    a unit dissolved into its parent is already inside the parent's total."""
    merged = hierarchy.absorbed(code)
    if field != "total":
        return merged
    level = hierarchy.unit(code, "2025").level
    return [c for c in merged if hierarchy.unit(c, "2025").level == level]


class TodayViews(_UnitMonthsReader):
    """Summaries with every month counted in today's (2025) units."""

    async def _sums(
        self, codes: list[str], months: tuple[str, str] | None, field: str
    ) -> dict[str, Counter[str]]:
        if not codes or months is None:
            return {}
        return await sums_by_unit(self.unit_months, months_of(codes, *months), field)

    async def _mapped(
        self, codes: list[str], period: Period, field: str
    ) -> tuple[dict[str, Counter[str]], list[Attribution]]:
        """Figures of today's units: after the reform their own months and those of 2025
        units since merged into them; before it, their legacy sources' months."""
        before, after = split_at_reform(period)
        absorbed = {code: absorbed_into(self.hierarchy, code, field) for code in codes}
        sources: dict[str, tuple[list[str], list[Attribution]]] = {}
        for code, merged in absorbed.items():
            found: list[str] = []
            rules: list[Attribution] = []
            for merged_code in merged:
                src, placed_by_rule = legacy_sources(self.hierarchy, merged_code, field)
                found.extend(src)
                rules.extend(placed_by_rule)
            sources[code] = (found, rules)
        rule = [a for _, attributions in sources.values() for a in attributions]
        new, old, moved = await asyncio.gather(  # their round trips overlap
            self._sums([s for m in absorbed.values() for s in m], after, field),
            self._sums([s for src, _ in sources.values() for s in src], before, field),
            self._sums([a.legacy_unit for a in rule], before, "total"),  # what the rule placed
        )
        result: dict[str, Counter[str]] = {}
        for code, (src, _) in sources.items():
            total: Counter[str] = Counter()
            for merged_code in absorbed[code]:
                total.update(new.get(merged_code, Counter()))
            for legacy_code in src:
                total.update(old.get(legacy_code, Counter()))
            result[code] = total
        # Say which figures the rule placed: only divided units that had any in the period.
        placed = [
            replace(a, figures={k: int(v) for k, v in moved[a.legacy_unit].items() if v})
            for a in rule
            if any(moved.get(a.legacy_unit, Counter()).values())
        ]
        return result, placed

    async def country(self, period: Period) -> dict[str, Any]:
        """Today's 34 provinces, each with its whole history mapped onto it."""
        provinces = self.hierarchy.provinces("2025")
        codes = [p.code for p in provinces]
        if not self.hierarchy.history_crosses_provinces():
            # Provinces merged whole: a province's history is its predecessors' totals (a few
            # hundred documents for the country instead of every commune's).
            per_province, _ = await self._mapped(codes, period, "total")
        else:
            communes = [c for p in provinces for c in self.hierarchy.children(p.code, "2025")]
            commune_totals, _ = await self._mapped([c.code for c in communes], period, "total")
            owns, _ = await self._mapped(codes, period, "own")
            per_province = {p.code: Counter(owns[p.code]) for p in provinces}
            for c in communes:
                assert c.parent is not None
                per_province[c.parent].update(commune_totals[c.code])
        total: Counter[str] = Counter()
        for figures in per_province.values():
            total.update(figures)
        return {
            "unit": {"code": "VN", "name": "Cả nước", "level": "country", "era": "2025"},
            "period": _period_json(period),
            "view": "as_today",
            "figures": complete(total),
            "rates": rates_of(complete(total)),
            "children": [
                {**_unit_json(p), "figures": f, "rates": rates_of(f)}
                for p in provinces
                for f in [complete(per_province[p.code])]
            ],
            "rule": ATTRIBUTION_RULE,
        }

    async def summary(self, code: str, period: Period) -> dict[str, Any] | None:
        unit = self.hierarchy.find(code, "2025")
        if unit is None or self.hierarchy.current(code, "2025") != code:
            return None  # never a 2025 unit, or no longer one (see `current`)
        children = self.hierarchy.children(code, "2025")
        # Independent reads, so their round trips overlap; a province's total is its own
        # plus its children's (below), not read.
        (owns, _), (child_totals, rule), (totals, placed), added = await asyncio.gather(
            self._mapped([code], period, "own"),
            self._mapped([c.code for c in children], period, "total"),
            self._mapped([code] if unit.level != "province" else [], period, "total"),
            with_extras(self.extras, unit, children, period, "as_today"),
        )
        if unit.level == "commune":
            rule = placed
        if self.extras:
            owns[code].update(added[code].own)
            for c in children:
                child_totals[c.code].update(added[c.code].total)
            if unit.level != "province":
                totals[code].update(added[code].total)
        if unit.level == "province":
            # Today's children with their histories, plus the province's own: exact even when
            # a commune moved between provinces after the reform.
            totals = {code: Counter(owns[code])}
            for c in children:
                totals[code].update(child_totals[c.code])
        summary = UnitSummary(
            unit,
            period,
            complete(totals[code]),
            complete(owns[code]),
            [(c, complete(child_totals[c.code])) for c in children],
        )
        unique = {a.legacy_unit: a for a in rule}
        return {
            **summary.as_json(),
            "view": "as_today",
            "rule": ATTRIBUTION_RULE,
            "attributed_by_rule": [unique[k].as_json() for k in sorted(unique)],
        }
