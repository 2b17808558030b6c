"""Effective-dated administrative hierarchy of Vietnam, loaded from ``vietnamadminunits`` data.

Council figures roll up commune → district → province, but the shape of that tree changed on
2025-07-01: the legacy era has three levels (63 provinces), the 2025 era has two (34 provinces,
no districts). Events keep the unit code of their time, so every lookup here is scoped to an
era (given directly or derived from a date).

Codes are *era-scoped*: the official codes of the 2025 units reuse legacy codes, often for a
different unit (e.g. ``00004`` is "Phường Trúc Bạch" in the legacy era and "Phường Ba Đình" from
2025; province ``15`` is "Tỉnh Yên Bái" then "Tỉnh Lào Cai"). Never compare codes across eras;
use :meth:`Hierarchy.successors` / :meth:`Hierarchy.predecessors` to cross the reform.

The legacy era is a single snapshot of the units as they stood on 2025-06-30; earlier
reorganisations of districts and communes (2019-2024 merges) are not modelled. It answers from
:data:`LEGACY_FROM` (the first councils under the 1994 law), and a province re-established
since then, with every unit below it, only from its establishment (:data:`ESTABLISHED`): a
record dated before names no unit, and is refused rather than counted in a unit that did not
exist. The data is read with the stdlib ``sqlite3``/``json`` directly, because importing the
package itself takes about a second.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import sqlite3
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, get_args

from contracts.hierarchy import (
    Dissolve,
    Divide,
    HierarchyChanged,
    Merge,
    NewUnit,
    Rename,
    Reparent,
    UnitRegistered,
)

__all__ = [
    "ESTABLISHED",
    "LEGACY_FROM",
    "REFORM_DATE",
    "Ended",
    "Era",
    "Hierarchy",
    "Level",
    "Unit",
    "UnknownUnit",
    "era_of",
]

Era = Literal["legacy", "2025"]
Level = Literal["province", "district", "commune"]

REFORM_DATE = date(2025, 7, 1)
"""First day of the two-level (2025) administration; the legacy era ends the day before."""

LEGACY_FROM = date(1994, 12, 1)
"""First day the legacy units answer: the first councils under the 1994 law (Luật Tổ chức
HĐND và UBND 1994) met in December 1994; no council term before is known here."""

_1997 = (date(1997, 1, 1), "Nghị quyết ngày 06/11/1996 của Quốc hội chia, điều chỉnh tỉnh")
_2004 = (date(2004, 1, 1), "Nghị quyết 22/2003/QH11")
ESTABLISHED: Mapping[str, tuple[date, str]] = {
    **dict.fromkeys(("06", "19", "24", "25", "26", "27", "30", "33"), _1997),
    **dict.fromkeys(("35", "36", "48", "49", "70", "74", "95", "96"), _1997),
    **dict.fromkeys(("11", "12", "66", "67", "92", "93"), _2004),
    "01": (date(2008, 8, 1), "Nghị quyết 15/2008/QH12"),
}
"""Legacy provinces established after :data:`LEGACY_FROM` in the shape the dataset has them
(first day, decision): those split off on 1 January 1997 and 1 January 2004, and Hà Nội as
extended on 1 August 2008. Their units answer from that day."""

_ERAS: tuple[Era, ...] = get_args(Era)
_LEVELS_BY_ERA: dict[Era, tuple[Level, ...]] = {
    "legacy": ("province", "district", "commune"),
    "2025": ("province", "commune"),
}


def era_of(day: date) -> Era:
    """Return the era whose units were in force on ``day`` (a datetime counts by its date)."""
    if isinstance(day, datetime):  # datetime < date comparisons raise TypeError
        day = day.date()
    return "legacy" if day < REFORM_DATE else "2025"


def _resolve(on: date | Era) -> Era:
    if isinstance(on, date):
        return era_of(on)
    if on in _ERAS:
        return on
    raise ValueError(f"expected a date or one of {_ERAS}, got {on!r}")


@dataclass(frozen=True, slots=True)
class Unit:
    """One administrative unit as it existed in one era; ``code`` is unique only within the era."""

    code: str
    name: str
    """Full Vietnamese name with the unit type, e.g. "Phường Phúc Xá"."""
    level: Level
    parent: str | None
    """Code of the parent unit in the same era; ``None`` for a province."""
    era: Era
    short_name: str = ""
    """Name without the unit type, e.g. "Phúc Xá"."""
    lat: float | None = None
    lon: float | None = None
    starts: date | None = None
    """First day of this version when a change established it (else the era's start)."""

    @property
    def valid_from(self) -> date | None:
        """First day this version is in force; ``None`` when older than the modelled data."""
        if self.starts is not None:
            return self.starts
        return None if self.era == "legacy" else REFORM_DATE

    @property
    def valid_to(self) -> date | None:
        """Last day the unit is in force (inclusive) as the dataset gives it; see
        :meth:`Hierarchy.ended` for units a change ended."""
        return REFORM_DATE - timedelta(days=1) if self.era == "legacy" else None


class UnknownUnit(LookupError):
    """Raised when a code does not denote a unit in the requested era."""

    def __init__(self, code: str, era: Era, on: date | None = None, hint: str = "") -> None:
        self.code = code
        self.era = era
        self.on = on
        when = f" on {on.isoformat()}" if on is not None else ""
        super().__init__(f"no {era} administrative unit with code {code!r}{when}{hint}")


@dataclass(frozen=True, slots=True)
class Ended:
    """A unit a change ended: from ``on`` its records count in ``successor`` (same era)."""

    on: date
    successor: str
    change_no: int


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """The units of one era in force from ``since`` until the next snapshot."""

    since: date
    units: Mapping[str, Unit]
    children: Mapping[str, tuple[Unit, ...]]
    provinces: tuple[Unit, ...]

    @classmethod
    def of(cls, since: date, units: Mapping[str, Unit]) -> _Snapshot:
        kids: dict[str, list[Unit]] = {}
        for u in units.values():
            _check_shape(u, units)
            if u.parent is not None:
                kids.setdefault(u.parent, []).append(u)
        return cls(
            since,
            units,
            {p: tuple(sorted(v, key=lambda u: u.code)) for p, v in kids.items()},
            tuple(sorted((u for u in units.values() if u.parent is None), key=lambda u: u.code)),
        )


_ERA_START: dict[Era, date] = {"legacy": date.min, "2025": REFORM_DATE}


class Hierarchy:
    """Effective-dated tree of units per era, plus the legacy → 2025 mapping.

    Each era starts from the dataset's units; `hierarchy.changed` events (merge, divide,
    dissolve, re-parent, rename) given to :meth:`apply` add snapshots from their effective
    dates. Changes are applied in (effective date, change_no) order whatever order they were
    given in, so every holder of the same changes derives the same tree. A change that does
    not fit the tree it lands on is kept aside in :meth:`rejected` with the reason.
    """

    __slots__ = (
        "_absorbing",
        "_base",
        "_base_snaps",
        "_changes",
        "_crosses",
        "_ended",
        "_ever",
        "_opens",
        "_predecessors",
        "_rejected",
        "_since",
        "_snaps",
        "_successors",
    )

    def __init__(
        self,
        units: Iterable[Unit],
        successors: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        """Index ``units`` and validate the tree; prefer :meth:`load` or :meth:`from_units`."""
        base: dict[Era, dict[str, Unit]] = {era: {} for era in _ERAS}
        for u in units:
            table = base[u.era]
            if u.code in table:
                raise ValueError(f"duplicate {u.era} unit code {u.code!r}")
            table[u.code] = u
        self._base = base
        self._changes: dict[int, HierarchyChanged] = {}
        self._base_snaps: dict[Era, _Snapshot] = {
            era: _Snapshot.of(_ERA_START[era], table) for era, table in base.items()
        }
        self._snaps: dict[Era, list[_Snapshot]] = {
            era: [snap] for era, snap in self._base_snaps.items()
        }
        self._crosses: bool | None = None
        self._absorbing: dict[str, list[str]] | None = None
        self._ever: dict[Era, frozenset[str]] = {
            era: frozenset(table) for era, table in base.items()
        }
        self._since: dict[Era, list[date]] = {era: [_ERA_START[era]] for era in _ERAS}
        self._ended: dict[Era, dict[str, Ended]] = {era: {} for era in _ERAS}
        self._rejected: dict[int, str] = {}
        self._successors = self._roll_up_successors(successors or {})
        inverse: dict[str, set[str]] = {}
        legacy_kids = self._snaps["legacy"][0].children
        for old, news in self._successors.items():
            if base["legacy"][old].level == "district" and legacy_kids.get(old):
                continue  # a district's mapping is its communes' mappings; avoid double entries
            for new in news:
                inverse.setdefault(new, set()).add(old)
        self._predecessors = {k: tuple(sorted(v)) for k, v in inverse.items()}
        self._opens = _openings(self._base_snaps["legacy"])

    @classmethod
    def load(cls) -> Hierarchy:
        """The hierarchy of the real data, without changes; shared and never changed in place:
        call :meth:`copy` before :meth:`apply`."""
        return _load_default()

    @classmethod
    def from_units(
        cls,
        units: Iterable[Unit],
        successors: Mapping[str, Iterable[str]] | None = None,
    ) -> Hierarchy:
        """Build a (typically small, synthetic) hierarchy, e.g. for tests or sample data.

        ``successors`` maps legacy codes to 2025 codes; districts and provinces left out of it
        get the roll-up of their children's successors (see :meth:`successors`).
        Raises ``ValueError`` on duplicate codes, dangling parents or a wrong level nesting.
        """
        return cls(units, successors)

    def copy(self) -> Hierarchy:
        """A hierarchy with the same units and changes that :meth:`apply` may change alone."""
        other = object.__new__(Hierarchy)
        other._base = self._base
        other._successors = self._successors
        other._predecessors = self._predecessors
        other._changes = dict(self._changes)
        other._snaps = {era: list(v) for era, v in self._snaps.items()}
        other._base_snaps = self._base_snaps
        other._opens = self._opens
        other._crosses = self._crosses
        other._absorbing = self._absorbing
        other._ever = dict(self._ever)
        other._since = {era: list(v) for era, v in self._since.items()}
        other._ended = {era: dict(v) for era, v in self._ended.items()}
        other._rejected = dict(self._rejected)
        return other

    # -- changes over time ---------------------------------------------------------------------

    def adopt(self, other: Hierarchy) -> None:
        """Take over the changes of `other` (a copy of this one), for every holder of self."""
        self._changes = other._changes
        self._snaps = other._snaps
        self._crosses = other._crosses
        self._absorbing = other._absorbing
        self._ever = other._ever
        self._since = other._since
        self._ended = other._ended
        self._rejected = other._rejected

    def differences(self, other: Hierarchy, era: Era) -> tuple[date, set[str]] | None:
        """Where `other` places units differently in an era: the first day it does, and the
        codes whose lineage (or existence) differs on some day from then on. None if same."""
        first: date | None = None
        codes: set[str] = set()
        for bound in sorted(set(self._since[era]) | set(other._since[era])):
            mine, theirs = self._snap(bound), other._snap(bound)
            if mine.units is theirs.units:
                continue
            for code in mine.units.keys() | theirs.units.keys():
                if _lineage_in(mine, code) != _lineage_in(theirs, code):
                    codes.add(code)
                    first = bound if first is None else first
        return (first, codes) if first is not None else None

    def apply(self, changes: Iterable[HierarchyChanged]) -> list[int]:
        """Add changes (idempotent per change_no) and re-derive the affected eras.

        Returns the change numbers that were new. Raises ``ValueError`` if a change number is
        already taken by a different change (the registry never does that).
        """
        new: list[int] = []
        for change in changes:
            known = self._changes.get(change.change_no)
            if known is not None:
                if known != change:
                    raise ValueError(f"change {change.change_no} is already a different change")
                continue
            self._changes[change.change_no] = change
            new.append(change.change_no)
        fresh = set(new)
        for era in {era_of(self._changes[n].effective) for n in new}:
            arriving = sorted(
                (self._changes[n] for n in new if era_of(self._changes[n].effective) == era),
                key=lambda c: (c.effective, c.change_no),
            )
            first = (arriving[0].effective, arriving[0].change_no)
            older = [
                (c.effective, c.change_no)
                for c in self._changes.values()
                if era_of(c.effective) == era and c.change_no not in fresh
            ]
            # In order (the usual case): apply on top of what is derived, in time linear in
            # the changes; otherwise re-derive the era from the dataset.
            self._derive(era, arriving if all(k < first for k in older) else None)
        return new

    def changes(self) -> list[HierarchyChanged]:
        """Accepted and rejected changes, in the order they apply."""
        return sorted(self._changes.values(), key=lambda c: (c.effective, c.change_no))

    def rejected(self) -> dict[int, str]:
        """change_no → why the change did not fit the tree it landed on."""
        return dict(self._rejected)

    def differs_from_dataset(self, registered: UnitRegistered) -> str | None:
        """Why a `unit.registered` event does not match the dataset this code runs on (None
        when it matches): every service must derive the same units."""
        unit = self._base[registered.era].get(registered.code)
        if unit is None:
            return f"{registered.era} unit {registered.code} is not in this service's dataset"
        mine = (unit.level, unit.parent, unit.name)
        theirs = (registered.level, registered.parent, registered.name)
        if mine != theirs:
            return f"{registered.era} unit {registered.code} is {mine} here, {theirs} in the event"
        if registered.era == "legacy" and tuple(registered.successors) != self.successors(
            registered.code
        ):
            return f"legacy unit {registered.code} has other successors in this dataset"
        return None

    def registered(self, unit: Unit) -> UnitRegistered:
        """The `unit.registered` payload of a dataset unit (what the registry publishes)."""
        return UnitRegistered(
            code=unit.code,
            era=unit.era,
            level=unit.level,
            parent=unit.parent,
            name=unit.name,
            short_name=unit.short_name,
            lat=unit.lat,
            lon=unit.lon,
            valid_from=unit.valid_from,
            valid_to=unit.valid_to,
            successors=list(self.successors(unit.code)) if unit.era == "legacy" else [],
        )

    def history(self, code: str, era: Era) -> list[dict[str, Any]]:
        """Every version of a unit in an era with its validity, oldest first (the registry's
        `units` documents)."""
        out: list[dict[str, Any]] = []
        snaps = self._snaps[era]
        era_end = REFORM_DATE - timedelta(days=1) if era == "legacy" else None
        for i, snap in enumerate(snaps):
            unit = snap.units.get(code)
            if unit is None or (out and out[-1]["_unit"] is unit):
                continue
            if out and out[-1]["valid_to"] is None:
                out[-1]["valid_to"] = snap.since - timedelta(days=1)
            valid_to = era_end
            for later in snaps[i + 1 :]:
                if later.units.get(code) is not unit:
                    valid_to = later.since - timedelta(days=1)
                    break
            ended = self._ended[era].get(code)
            last = ended is not None and valid_to == ended.on - timedelta(days=1)
            out.append(
                {
                    "_unit": unit,
                    "code": code,
                    "era": era,
                    "level": unit.level,
                    "parent": unit.parent,
                    "name": unit.name,
                    "short_name": unit.short_name,
                    "lat": unit.lat,
                    "lon": unit.lon,
                    "valid_from": unit.valid_from,
                    "valid_to": valid_to,
                    "successor": ended.successor if ended and last else None,
                }
            )
        for v in out:
            del v["_unit"]
        return out

    def history_crosses_provinces(self) -> bool:
        """Whether a post-reform change carried some unit's history into another province
        (a commune re-parented, or merged into a unit elsewhere). While it has not, a 2025
        province's history as today is exactly that of the legacy provinces merged into it."""
        if self._crosses is None:
            self._crosses = self._history_crosses_provinces()
        return self._crosses

    def _history_crosses_provinces(self) -> bool:
        last = self._snaps["2025"][-1]
        for snap in self._snaps["2025"]:
            for code in snap.units:
                now = self.current(code, "2025")
                if now is None:
                    continue
                then_top = _lineage_in(snap, code)
                now_top = _lineage_in(last, now)
                if then_top and now_top and then_top[-1] != now_top[-1]:
                    return True
        return False

    def absorbed(self, code: str) -> list[str]:
        """2025-era codes whose records now count in the current unit `code` (itself first,
        then units merged into it or divided with it as default successor, followed through
        later changes)."""
        if self._absorbing is None:  # once per set of changes, not once per unit asked
            inverse: dict[str, list[str]] = {}
            for old in self._ended["2025"]:
                now = self.current(old, "2025")
                if now is not None:
                    inverse.setdefault(now, []).append(old)
            self._absorbing = {k: sorted(v) for k, v in inverse.items()}
        return [code, *self._absorbing.get(code, [])]

    def ended(self, code: str, era: Era) -> Ended | None:
        """How a unit a change ended continues (None while in force or never ended)."""
        return self._ended[era].get(code)

    def change_dates(self, era: Era) -> list[date]:
        """Effective dates of the era's snapshots after its start."""
        return self._since[era][1:]

    def resolve(self, code: str, day: date) -> str | None:
        """The unit in force on ``day`` that records of ``code`` count in: the unit itself, or,
        if a change ended it earlier in the same era, its successor (followed through later
        changes). None if ``code`` never named a unit of that era before ``day``."""
        era = era_of(day)
        for _ in range(100):
            if self._locate(code, day) is not None:
                return code
            ended = self._ended[era].get(code)
            if ended is None or ended.on > day:
                return None
            code = ended.successor
        raise RuntimeError(f"successor chain of {code!r} does not end")

    def current(self, code: str, era: Era) -> str | None:
        """The unit in force at the end of ``era`` that ``code`` (of that era) continues as."""
        last = self._snaps[era][-1]
        for _ in range(100):
            if code in last.units:
                return code
            ended = self._ended[era].get(code)
            if ended is None:
                return None
            code = ended.successor
        raise RuntimeError(f"successor chain of {code!r} does not end")

    def _derive(self, era: Era, after: list[HierarchyChanged] | None = None) -> None:
        """Derive the era's snapshots from the dataset, or, given `after` (changes that sort
        after every change already in the era), apply only those on top."""
        self._crosses = self._absorbing = None  # derived from the snapshots: computed again
        if after is None:
            # From the dataset: never from a snapshot a change replaced (same first day).
            snaps = [self._base_snaps[era]]
            ended: dict[str, Ended] = {}
            ever: set[str] = set(snaps[0].units)
            todo = [c for c in self.changes() if era_of(c.effective) == era]
        else:
            snaps = list(self._snaps[era])
            ended = dict(self._ended[era])
            ever = set(self._ever[era])
            todo = after
        for change in todo:
            self._rejected.pop(change.change_no, None)
            table, ending = dict(snaps[-1].units), dict(ended)
            try:
                _apply_change(change, table, ending, ever, era)
                snapshot = _Snapshot.of(max(change.effective, _ERA_START[era]), table)
            except ValueError as exc:
                self._rejected[change.change_no] = str(exc)
                continue
            ended = ending
            ever.update(table)
            if snapshot.since == snaps[-1].since:
                snaps[-1] = snapshot
            else:
                snaps.append(snapshot)
        self._snaps[era] = snaps
        self._since[era] = [s.since for s in snaps]
        self._ended[era] = ended
        self._ever[era] = frozenset(ever)

    def _snap(self, on: date | Era) -> _Snapshot:
        if isinstance(on, date):
            if isinstance(on, datetime):
                on = on.date()
            era = era_of(on)
            snaps = self._snaps[era]
            if len(snaps) == 1:
                return snaps[0]
            return snaps[bisect_right(self._since[era], on) - 1]
        return self._snaps[_resolve(on)][-1]

    def _locate(self, code: str, on: date | Era) -> _Snapshot | None:
        """The snapshot to read ``code`` in: the one of the day, or for an era the latest one
        in which the code names a unit."""
        if isinstance(on, date):
            snap = self._snap(on)
            if code not in snap.units or on < self.opens(code):
                return None
            return snap
        for snap in reversed(self._snaps[_resolve(on)]):
            if code in snap.units:
                return snap
        return None

    # -- lookups -------------------------------------------------------------------------------

    def find(self, code: str, on: date | Era) -> Unit | None:
        """The unit ``code`` denotes on a day, or in an era (its latest version), or None."""
        snap = self._locate(code, on)
        return snap.units[code] if snap is not None else None

    def unit(self, code: str, on: date | Era) -> Unit:
        """The unit ``code`` denotes on a day or in an era; raise :class:`UnknownUnit`."""
        snap = self._locate(code, on)
        if snap is None:
            raise self._unknown(code, _resolve(on), on)
        return snap.units[code]

    def ancestors(self, code: str, on: date | Era) -> tuple[str, ...]:
        """Codes of the enclosing units, parent first and province last; ``()`` for a province."""
        snap = self._locate(code, on)
        if snap is None:
            raise self._unknown(code, _resolve(on), on)
        chain = _lineage_in(snap, code)
        assert chain is not None  # located above
        return chain[1:]

    def lineage(self, code: str, on: date | Era) -> tuple[str, ...]:
        """``(code, *ancestors)``: every unit a figure of ``code`` adds up into, itself first."""
        return (code, *self.ancestors(code, on))

    def children(self, code: str, on: date | Era) -> list[Unit]:
        """Direct children of ``code``, sorted by code (a fresh list the caller may modify)."""
        snap = self._locate(code, on)
        if snap is None:
            raise self._unknown(code, _resolve(on), on)
        return list(snap.children.get(code, ()))

    def descendants(self, code: str, on: date | Era) -> Iterator[Unit]:
        """All units below ``code`` (not itself), depth-first, children in code order."""
        snap = self._locate(code, on)
        if snap is None:
            raise self._unknown(code, _resolve(on), on)
        return self._walk(snap, code)

    def is_within(self, code: str, scope: str, on: date | Era) -> bool:
        """Whether ``code`` is ``scope`` or lies inside it; both must exist then."""
        self.unit(scope, on)
        return scope in self.lineage(code, on)

    def provinces(self, on: date | Era) -> list[Unit]:
        """The provinces in force (on the day, or at the end of the era), sorted by code."""
        provinces = self._snap(on).provinces
        if isinstance(on, date):
            return [p for p in provinces if on >= self.opens(p.code)]
        return list(provinces)

    def units(self, on: date | Era) -> Iterator[Unit]:
        """Every unit in force, in tree order: each province followed by its descendants."""
        snap = self._snap(on)
        for province in self.provinces(on):
            yield province
            yield from self._walk(snap, province.code)

    def latest_era(self, code: str) -> Era | None:
        """The latest era in which ``code`` names a unit: what a code means when nothing
        says which era (a code reused since the reform names its 2025 unit)."""
        return next((era for era in ("2025", "legacy") if self.find(code, era)), None)

    def opens(self, code: str) -> date:
        """First day a legacy unit of the dataset answers (the first of a month; see
        :data:`ESTABLISHED`); ``date.min`` for any other code."""
        return self._opens.get(code, date.min)

    def absent(self, code: str, day: date) -> str:
        """Why ``code`` names no unit on ``day``, for a refusal: a code of no unit then, or a
        unit of the dataset dated before it answers (see :meth:`not_yet`)."""
        why = self.not_yet(code, day)
        return f"unit {code} did not exist on {day}" + (f": {why}" if why else "")

    def not_yet(self, code: str, day: date) -> str | None:
        """Why a legacy unit of the dataset names nothing on a day before the dataset places
        it (see :data:`ESTABLISHED`), or None when that is not the reason."""
        opens = self._opens.get(code)
        if opens is None or day >= opens:
            return None
        unit = province = self._base["legacy"][code]
        while province.parent is not None:
            province = self._base["legacy"][province.parent]
        if province.code in ESTABLISHED:
            decision = ESTABLISHED[province.code][1]
            return (
                f"{unit.name} ({code}) exists from {opens}, when {province.name} was established"
                f" ({decision}); nothing of it can be dated earlier"
            )
        return (
            f"{unit.name} ({code}) is known from {opens}, the first councils under the 1994"
            " law; nothing can be dated earlier"
        )

    # -- across the reform -------------------------------------------------------------------------

    def successors(self, legacy_code: str) -> tuple[str, ...]:
        """2025 unit codes a legacy unit maps into, per the package's official old → new mapping.

        - commune: one code when it went whole into a new commune; when it was split, every
          new commune that received part of it, the package's default target first (what its
          converter picks when nothing finer is known, e.g. no street), then the rest by code.
        - district: the sorted union of its communes' successors (2025 communes); the five
          island districts without communes map to their special zone (đặc khu).
        - province: the one 2025 province it merged into (always exactly one).
        Raises :class:`UnknownUnit` if ``legacy_code`` is not a legacy unit of the dataset.
        """
        if legacy_code not in self._base["legacy"]:
            raise self._unknown(legacy_code, "legacy", "legacy")
        return self._successors.get(legacy_code, ())

    def predecessors(self, code_2025: str) -> tuple[str, ...]:
        """Legacy codes whose successors include a 2025 unit of the dataset, sorted.

        For a 2025 commune: the legacy communes (or commune-less island districts) mapped wholly
        or partly into it; for a 2025 province: the legacy provinces merged into it.
        """
        if code_2025 not in self._base["2025"]:
            if self.find(code_2025, "2025") is not None:
                return ()  # established by a later change: no legacy predecessors
            raise self._unknown(code_2025, "2025", "2025")
        return self._predecessors.get(code_2025, ())

    # -- internals --------------------------------------------------------------------------------

    def _walk(self, snap: _Snapshot, code: str) -> Iterator[Unit]:
        for child in snap.children.get(code, ()):
            yield child
            yield from self._walk(snap, child.code)

    def _unknown(self, code: str, era: Era, on: date | Era) -> UnknownUnit:
        other: Era = "2025" if era == "legacy" else "legacy"
        hint = (
            f" (the code exists in the {other} era)"
            if any(code in s.units for s in self._snaps[other])
            else ""
        )
        return UnknownUnit(code, era, on if isinstance(on, date) else None, hint)

    def _roll_up_successors(
        self, explicit: Mapping[str, Iterable[str]]
    ) -> dict[str, tuple[str, ...]]:
        """Complete the mapping bottom-up so every legacy unit (not only communes) has one."""
        legacy, new = self._base["legacy"], self._base["2025"]
        legacy_kids = self._snaps["legacy"][0].children
        result: dict[str, tuple[str, ...]] = {}
        for old, targets in explicit.items():
            if old not in legacy:
                raise ValueError(f"successor mapping names unknown legacy code {old!r}")
            targets = tuple(dict.fromkeys(targets))
            for t in targets:
                if t not in new:
                    raise ValueError(f"{old!r} maps to unknown 2025 code {t!r}")
            result[old] = targets
        for level in ("district", "province"):
            for u in legacy.values():
                if u.level != level or u.code in result:
                    continue
                below = {t for c in legacy_kids.get(u.code, ()) for t in result.get(c.code, ())}
                if level == "province":
                    below = {self._top(t) for t in below}
                if below:
                    result[u.code] = tuple(sorted(below))
        return result

    def _top(self, code_2025: str) -> str:
        table = self._base["2025"]
        unit = table[code_2025]
        while unit.parent is not None:
            unit = table[unit.parent]
        return unit.code


def _openings(legacy: _Snapshot) -> dict[str, date]:
    """First day each legacy unit of the dataset answers: its province's (see ESTABLISHED)."""
    opens: dict[str, date] = {}
    for province in legacy.provinces:
        first = ESTABLISHED.get(province.code, (LEGACY_FROM, ""))[0]
        opens[province.code] = first
        stack = list(legacy.children.get(province.code, ()))
        while stack:
            unit = stack.pop()
            opens[unit.code] = first
            stack.extend(legacy.children.get(unit.code, ()))
    return opens


def _lineage_in(snap: _Snapshot, code: str) -> tuple[str, ...] | None:
    table = snap.units
    unit = table.get(code)
    if unit is None:
        return None
    chain = [code]
    while unit.parent is not None:
        chain.append(unit.parent)
        unit = table[unit.parent]
    return tuple(chain)


def _apply_change(
    change: HierarchyChanged,
    table: dict[str, Unit],
    ended: dict[str, Ended],
    ever: set[str],
    era: Era,
) -> None:
    """Apply one change to a copy of the units in force; ValueError if it does not fit."""
    day = change.effective
    c = change.change

    def existing(code: str) -> Unit:
        unit = table.get(code)
        if unit is None:
            raise ValueError(f"unit {code} is not in force on {day}")
        return unit

    def establish(new: NewUnit, like: Unit) -> Unit:
        if new.code in ever:
            raise ValueError(f"code {new.code} is already used in the {era} era")
        parent = new.parent if new.parent is not None else like.parent
        return Unit(
            new.code, new.name, like.level, parent, era, new.short_name, new.lat, new.lon, day
        )

    def end(code: str, successor: str) -> None:
        del table[code]
        ended[code] = Ended(day, successor, change.change_no)

    def move_children(of: str, to: Callable[[Unit], str]) -> None:
        for child in [u for u in table.values() if u.parent == of]:
            table[child.code] = replace(child, parent=to(child), starts=day)

    match c:
        case Rename():
            u = existing(c.unit)
            table[u.code] = replace(u, name=c.name, short_name=c.short_name, starts=day)
        case Reparent():
            u = existing(c.unit)
            existing(c.parent)
            table[u.code] = replace(u, parent=c.parent, starts=day)
        case Merge():
            sources = [existing(code) for code in c.units]
            if c.established is not None:
                table[c.into] = establish(c.established, sources[0])
            target = existing(c.into)
            for s in sources:
                if s.level != target.level:
                    raise ValueError(f"{s.level} {s.code} cannot merge into {target.level}")
                move_children(s.code, lambda _: target.code)
                end(s.code, target.code)
        case Divide():
            source = existing(c.unit)
            for new in c.established:
                table[new.code] = establish(new, source)
            targets = [existing(code) for code in c.into]
            for t in targets:
                if t.level != source.level:
                    raise ValueError(f"{source.level} {source.code} cannot go into {t.level}")
            orphans = [u.code for u in table.values() if u.parent == source.code]
            missing = sorted(set(orphans) - set(c.children_to))
            if missing:
                raise ValueError(f"children_to does not place {', '.join(missing)}")
            move_children(source.code, lambda child: c.children_to[child.code])
            end(source.code, targets[0].code)
        case Dissolve():
            u = existing(c.unit)
            if u.parent is None:
                raise ValueError(f"province {u.code} cannot be dissolved into a parent")
            left = [x.code for x in table.values() if x.parent == u.code]
            if left:
                raise ValueError(f"{u.code} still has units below it: {', '.join(left[:5])}")
            end(u.code, u.parent)


def _check_shape(u: Unit, table: Mapping[str, Unit]) -> None:
    """Reject trees that would break roll-ups: dangling parents or skipped/unknown levels."""
    if u.level not in _LEVELS_BY_ERA[u.era]:
        raise ValueError(f"{u.era} unit {u.code!r} has level {u.level!r}, not used in that era")
    if u.parent is None:
        if u.level != "province":
            raise ValueError(f"{u.era} {u.level} {u.code!r} has no parent")
        return
    parent = table.get(u.parent)
    if parent is None:
        raise ValueError(f"{u.era} unit {u.code!r} has unknown parent {u.parent!r}")
    levels = _LEVELS_BY_ERA[u.era]
    if u.level == "province" or levels.index(parent.level) != levels.index(u.level) - 1:
        raise ValueError(f"{u.era} {u.level} {u.code!r} cannot sit under {parent.level}")


# -- loading the package data ---------------------------------------------------------------------


def _data_dir() -> Path:
    """Locate the package's data without importing it (its __init__ costs about a second)."""
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the vietnamadminunits package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _read_units(db: Path) -> tuple[list[Unit], dict[str, str], dict[tuple[str, str], str]]:
    """Units of both eras, plus the name keys the converter uses mapped to official codes."""
    units: dict[tuple[Era, str], Unit] = {}
    old_keys: dict[str, str] = {}  # "province_district_ward" key -> legacy code
    new_keys: dict[tuple[str, str], str] = {}  # (province key, ward key) -> 2025 code

    def add(era: Era, level: Level, parent: str | None, row: tuple[Any, ...], at: int) -> None:
        """Add the unit described by row[at:at + 5] (code, name, short, lat, lon) once."""
        code = row[at]
        if (era, code) not in units:
            units[era, code] = Unit(code, row[at + 1], level, parent, era, *row[at + 2 : at + 5])

    conn = sqlite3.connect(db.as_uri() + "?mode=ro", uri=True)
    try:
        for r in conn.execute(
            "SELECT provinceCode, province, provinceShort, provinceLat, provinceLon,"
            " districtCode, district, districtShort, districtLat, districtLon,"
            " wardCode, ward, wardShort, wardLat, wardLon, provinceKey, districtKey, wardKey"
            " FROM admin_units_legacy"
        ):
            pc, dc, wc = r[0], r[5], r[10]
            add("legacy", "province", None, r, 0)
            add("legacy", "district", pc, r, 5)
            if wc is not None:  # five island districts have no communes
                add("legacy", "commune", dc, r, 10)
            old_keys[f"{r[15]}_{r[16]}_{r[17] or ''}"] = wc or dc
            old_keys[r[15]] = pc
        for r in conn.execute(
            "SELECT provinceCode, province, provinceShort, provinceLat, provinceLon,"
            " wardCode, ward, wardShort, wardLat, wardLon, provinceKey, wardKey"
            " FROM admin_units"
        ):
            add("2025", "province", None, r, 0)
            add("2025", "commune", r[0], r, 5)
            new_keys[r[10], r[11]] = r[5]
            new_keys[r[10], ""] = r[0]
    finally:
        conn.close()
    return list(units.values()), old_keys, new_keys


def _read_successors(
    path: Path, old_keys: Mapping[str, str], new_keys: Mapping[tuple[str, str], str]
) -> dict[str, list[str]]:
    """Translate the converter's name-key mapping into official codes."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    out: dict[str, list[str]] = {}
    for new_p, old_ps in data["DICT_PROVINCE"].items():
        for old_p in old_ps:
            out[old_keys[old_p]] = [new_keys[(new_p, "")]]
    for new_p, wards in data["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_w, olds in wards.items():
            for old in olds:
                out.setdefault(old_keys[old], []).append(new_keys[(new_p, new_w)])
    for new_p, split in data["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, candidates in split.items():
            ranked = sorted(
                candidates,
                key=lambda c: (not c["isDefaultNewWard"], new_keys[(new_p, c["newWardKey"])]),
            )
            out.setdefault(old_keys[old], []).extend(
                new_keys[(new_p, c["newWardKey"])] for c in ranked
            )
    return out


@functools.cache
def _load_default() -> Hierarchy:
    data = _data_dir()
    units, old_keys, new_keys = _read_units(data / "dataset.db")
    return Hierarchy(units, _read_successors(data / "converter_2025.json", old_keys, new_keys))
