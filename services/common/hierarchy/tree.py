"""The effective-dated tree of units per era: snapshots over time, lookups on a day or in an
era, and the crossing of the reform (see the package docstring)."""

from __future__ import annotations

import functools
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any

from contracts.hierarchy import HierarchyChanged, UnitRegistered
from services.common.hierarchy.changes import apply_in_order, established_later
from services.common.hierarchy.dataset import read_dataset
from services.common.hierarchy.payloads import (
    dataset_difference,
    registered_payload,
    unit_history,
)
from services.common.hierarchy.reform import invert_successors, roll_up_successors
from services.common.hierarchy.snapshots import Snapshot, before_opening, lineage_in, openings
from services.common.hierarchy.units import (
    ERA_START,
    ERAS,
    Ended,
    Era,
    Unit,
    UnknownUnit,
    era_of,
    resolve_era,
)


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
        "_opening_days",
        "_opens",
        "_predecessors",
        "_rejected",
        "_revision",
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
        base: dict[Era, dict[str, Unit]] = {era: {} for era in ERAS}
        for u in units:
            table = base[u.era]
            if u.code in table:
                raise ValueError(f"duplicate {u.era} unit code {u.code!r}")
            table[u.code] = u
        self._base = base
        self._changes: dict[int, HierarchyChanged] = {}
        self._base_snaps: dict[Era, Snapshot] = {
            era: Snapshot.of(ERA_START[era], table) for era, table in base.items()
        }
        self._snaps: dict[Era, list[Snapshot]] = {
            era: [snap] for era, snap in self._base_snaps.items()
        }
        self._crosses: bool | None = None
        self._absorbing: dict[str, list[str]] | None = None
        self._ever: dict[Era, frozenset[str]] = {
            era: frozenset(table) for era, table in base.items()
        }
        self._since: dict[Era, list[date]] = {era: [ERA_START[era]] for era in ERAS}
        self._ended: dict[Era, dict[str, Ended]] = {era: {} for era in ERAS}
        self._rejected: dict[int, str] = {}
        legacy = self._base_snaps["legacy"]
        self._successors = roll_up_successors(legacy, base["2025"], successors or {})
        self._predecessors = invert_successors(legacy, self._successors)
        self._opens = openings(self._base_snaps["legacy"])
        self._opening_days = sorted(set(self._opens.values()))
        self._revision = 0

    @property
    def revision(self) -> int:
        """Counts up whenever what a lookup answers may have changed (a change applied, or
        another tree adopted): what a reader may keep keyed by it stays right."""
        return self._revision

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
        other._opening_days = self._opening_days
        other._crosses = self._crosses
        other._absorbing = self._absorbing
        other._ever = dict(self._ever)
        other._since = {era: list(v) for era, v in self._since.items()}
        other._ended = {era: dict(v) for era, v in self._ended.items()}
        other._revision = self._revision
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
        self._revision = max(self._revision, other._revision) + 1

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
                if lineage_in(mine, code) != lineage_in(theirs, code):
                    codes.add(code)
                    first = bound if first is None else first
        return (first, codes) if first is not None else None

    def apply(self, changes: Iterable[HierarchyChanged]) -> list[int]:
        """Add changes (idempotent per change_no) and re-derive the affected eras.

        Returns the change numbers that were new. Raises ``ValueError`` if a change number is
        already taken by a different change (the registry never does that). All or nothing:
        whatever it raises, the tree is left as it was, so a consumer that refuses the record
        goes on under the tree it had.
        """
        before = self.copy()
        try:
            return self._apply(changes)
        except BaseException:
            self.adopt(before)
            raise

    def _apply(self, changes: Iterable[HierarchyChanged]) -> list[int]:
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
        successors = self._successors.get(registered.code, ())
        return dataset_difference(unit, registered, successors)

    def registered(self, unit: Unit) -> UnitRegistered:
        """The `unit.registered` payload of a dataset unit (what the registry publishes)."""
        return registered_payload(unit, self.successors(unit.code) if unit.era == "legacy" else ())

    def history(self, code: str, era: Era) -> list[dict[str, Any]]:
        """Every version of a unit in an era with its validity, oldest first (the registry's
        `units` documents)."""
        return unit_history(self._snaps[era], self._ended[era], code, era)

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
                then_top = lineage_in(snap, code)
                now_top = lineage_in(last, now)
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

    def state_on(self, day: date) -> tuple[Era, int, int]:
        """A key equal for two days when every lookup answers alike on both (same era, same
        snapshot, the same units opened: see :meth:`opens`): per-day work keyed by it is done
        once per state of the tree instead of once per day."""
        era = era_of(day)
        return era, bisect_right(self._since[era], day), bisect_right(self._opening_days, day)

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
        self._revision += 1
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
        snaps, ended, ever = apply_in_order(todo, snaps, ended, ever, era, self._rejected)
        self._snaps[era] = snaps
        self._since[era] = [s.since for s in snaps]
        self._ended[era] = ended
        self._ever[era] = frozenset(ever)

    def _snap(self, on: date | Era) -> Snapshot:
        if isinstance(on, date):
            if isinstance(on, datetime):
                on = on.date()
            era = era_of(on)
            snaps = self._snaps[era]
            if len(snaps) == 1:
                return snaps[0]
            return snaps[bisect_right(self._since[era], on) - 1]
        return self._snaps[resolve_era(on)][-1]

    def _locate(self, code: str, on: date | Era) -> Snapshot | None:
        """The snapshot to read ``code`` in: the one of the day, or for an era the latest one
        in which the code names a unit."""
        if isinstance(on, date):
            snap = self._snap(on)
            if code not in snap.units or on < self.opens(code):
                return None
            return snap
        for snap in reversed(self._snaps[resolve_era(on)]):
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
            raise self._unknown(code, resolve_era(on), on)
        return snap.units[code]

    def ancestors(self, code: str, on: date | Era) -> tuple[str, ...]:
        """Codes of the enclosing units, parent first and province last; ``()`` for a province."""
        return self.lineage(code, on)[1:]

    def lineage(self, code: str, on: date | Era) -> tuple[str, ...]:
        """``(code, *ancestors)``: every unit a figure of ``code`` adds up into, itself first."""
        snap = self._locate(code, on)
        if snap is None:
            raise self._unknown(code, resolve_era(on), on)
        chain = lineage_in(snap, code)
        assert chain is not None  # located above
        return chain

    def lineage_if_any(self, code: str, day: date) -> tuple[str, ...] | None:
        """``lineage(code, day)``, or None where ``code`` names no unit on ``day``."""
        snap = self._locate(code, day)
        return None if snap is None else lineage_in(snap, code)

    def same_tree_on(self, other: Hierarchy, day: date) -> bool:
        """Whether both place every unit alike on ``day`` (no change applied to either since
        they shared their snapshots) and end no unit differently before it."""
        era = era_of(day)
        return self._snap(day) is other._snap(day) and self._ended[era] == other._ended[era]

    def children(self, code: str, on: date | Era) -> list[Unit]:
        """Direct children of ``code``, sorted by code (a fresh list the caller may modify)."""
        snap = self._locate(code, on)
        if snap is None:
            raise self._unknown(code, resolve_era(on), on)
        return list(snap.children.get(code, ()))

    def descendants(self, code: str, on: date | Era) -> Iterator[Unit]:
        """All units below ``code`` (not itself), depth-first, children in code order."""
        snap = self._locate(code, on)
        if snap is None:
            raise self._unknown(code, resolve_era(on), on)
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
        """Why ``code`` names no unit on ``day``, for a refusal: a change ended it before (which,
        into which unit, when), a change established it later, a unit of the dataset dated
        before it answers (see :meth:`not_yet`), or a code of no unit then."""
        era = era_of(day)
        ended = self._ended[era].get(code)
        if ended is not None and ended.on <= day:
            return f"unit {code} was {ended.what}"
        why = self.not_yet(code, day) or established_later(
            self.changes(), self._rejected, code, day
        )
        return f"unit {code} did not exist on {day}" + (f": {why}" if why else "")

    def not_yet(self, code: str, day: date) -> str | None:
        """Why a legacy unit of the dataset names nothing on a day before the dataset places
        it (see :data:`ESTABLISHED`), or None when that is not the reason."""
        opens = self._opens.get(code)
        if opens is None or day >= opens:
            return None
        return before_opening(self._base["legacy"], code, opens)

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

    def _walk(self, snap: Snapshot, code: str) -> Iterator[Unit]:
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


@functools.cache
def _load_default() -> Hierarchy:
    return Hierarchy(*read_dataset())
