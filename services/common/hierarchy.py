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
reorganisations (2019-2024 merges) are not modelled. The data is read with the stdlib
``sqlite3``/``json`` directly, because importing the package itself takes about a second.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, get_args

__all__ = [
    "REFORM_DATE",
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

    @property
    def valid_from(self) -> date | None:
        """First day the unit is in force; ``None`` when older than the modelled snapshot."""
        return None if self.era == "legacy" else REFORM_DATE

    @property
    def valid_to(self) -> date | None:
        """Last day the unit is in force (inclusive); ``None`` while still current."""
        return REFORM_DATE - timedelta(days=1) if self.era == "legacy" else None


class UnknownUnit(LookupError):
    """Raised when a code does not denote a unit in the requested era."""

    def __init__(self, code: str, era: Era, on: date | None = None, hint: str = "") -> None:
        self.code = code
        self.era = era
        self.on = on
        when = f" on {on.isoformat()}" if on is not None else ""
        super().__init__(f"no {era} administrative unit with code {code!r}{when}{hint}")


class Hierarchy:
    """In-memory, read-only tree of units per era, plus the legacy → 2025 mapping."""

    __slots__ = ("_children", "_predecessors", "_provinces", "_successors", "_units")

    def __init__(
        self,
        units: Iterable[Unit],
        successors: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        """Index ``units`` and validate the tree; prefer :meth:`load` or :meth:`from_units`."""
        self._units: dict[Era, dict[str, Unit]] = {era: {} for era in _ERAS}
        for u in units:
            table = self._units[u.era]
            if u.code in table:
                raise ValueError(f"duplicate {u.era} unit code {u.code!r}")
            table[u.code] = u

        self._children: dict[Era, dict[str, tuple[Unit, ...]]] = {}
        self._provinces: dict[Era, tuple[Unit, ...]] = {}
        for era, table in self._units.items():
            kids: dict[str, list[Unit]] = {}
            for u in table.values():
                _check_shape(u, table)
                if u.parent is not None:
                    kids.setdefault(u.parent, []).append(u)
            self._children[era] = {
                p: tuple(sorted(v, key=lambda u: u.code)) for p, v in kids.items()
            }
            self._provinces[era] = tuple(
                sorted((u for u in table.values() if u.parent is None), key=lambda u: u.code)
            )

        self._successors = self._roll_up_successors(successors or {})
        inverse: dict[str, set[str]] = {}
        for old, news in self._successors.items():
            if self._units["legacy"][old].level == "district" and self._children["legacy"].get(old):
                continue  # a district's mapping is its communes' mappings; avoid double entries
            for new in news:
                inverse.setdefault(new, set()).add(old)
        self._predecessors = {k: tuple(sorted(v)) for k, v in inverse.items()}

    @classmethod
    def load(cls) -> Hierarchy:
        """Return the hierarchy of the real data; built once per process and shared (immutable)."""
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

    # -- lookups -------------------------------------------------------------------------------

    def find(self, code: str, on: date | Era) -> Unit | None:
        """Return the unit ``code`` denotes in the era of ``on``, or ``None``."""
        return self._units[_resolve(on)].get(code)

    def unit(self, code: str, on: date | Era) -> Unit:
        """Return the unit ``code`` denotes in the era of ``on``; raise :class:`UnknownUnit`."""
        era = _resolve(on)
        found = self._units[era].get(code)
        if found is None:
            raise self._unknown(code, era, on)
        return found

    def ancestors(self, code: str, on: date | Era) -> tuple[str, ...]:
        """Codes of the enclosing units, parent first and province last; ``()`` for a province."""
        era = _resolve(on)
        table = self._units[era]
        parent = self.unit(code, era).parent
        chain: list[str] = []
        while parent is not None:
            chain.append(parent)
            parent = table[parent].parent
        return tuple(chain)

    def lineage(self, code: str, on: date | Era) -> tuple[str, ...]:
        """``(code, *ancestors)``: every unit a figure of ``code`` adds up into, itself first."""
        return (code, *self.ancestors(code, on))

    def children(self, code: str, on: date | Era) -> list[Unit]:
        """Direct children of ``code``, sorted by code (a fresh list the caller may modify)."""
        era = _resolve(on)
        self.unit(code, era)
        return list(self._children[era].get(code, ()))

    def descendants(self, code: str, on: date | Era) -> Iterator[Unit]:
        """All units below ``code`` (not itself), depth-first, children in code order."""
        era = _resolve(on)
        self.unit(code, era)
        return self._walk(code, era)

    def is_within(self, code: str, scope: str, on: date | Era) -> bool:
        """Whether ``code`` is ``scope`` or lies inside it; both must exist in the era."""
        era = _resolve(on)
        self.unit(scope, era)
        return scope in self.lineage(code, era)

    def provinces(self, on: date | Era) -> list[Unit]:
        """The provinces of the era, sorted by code."""
        return list(self._provinces[_resolve(on)])

    def units(self, on: date | Era) -> Iterator[Unit]:
        """Every unit of the era, in tree order: each province followed by its descendants."""
        era = _resolve(on)
        for province in self._provinces[era]:
            yield province
            yield from self._walk(province.code, era)

    # -- across the reform -------------------------------------------------------------------------

    def successors(self, legacy_code: str) -> tuple[str, ...]:
        """2025 unit codes a legacy unit maps into, per the package's official old → new mapping.

        - commune: one code when it went whole into a new commune; when it was split, every
          new commune that received part of it, the package's default target first (what its
          converter picks when nothing finer is known, e.g. no street), then the rest by code.
        - district: the sorted union of its communes' successors (2025 communes); the five
          island districts without communes map to their special zone (đặc khu).
        - province: the one 2025 province it merged into (always exactly one).
        Raises :class:`UnknownUnit` if ``legacy_code`` is not a legacy unit.
        """
        if legacy_code not in self._units["legacy"]:
            raise self._unknown(legacy_code, "legacy", "legacy")
        return self._successors.get(legacy_code, ())

    def predecessors(self, code_2025: str) -> tuple[str, ...]:
        """Legacy codes whose successors include a 2025 unit, sorted.

        For a 2025 commune: the legacy communes (or commune-less island districts) mapped wholly
        or partly into it; for a 2025 province: the legacy provinces merged into it.
        """
        if code_2025 not in self._units["2025"]:
            raise self._unknown(code_2025, "2025", "2025")
        return self._predecessors.get(code_2025, ())

    # -- internals --------------------------------------------------------------------------------

    def _walk(self, code: str, era: Era) -> Iterator[Unit]:
        for child in self._children[era].get(code, ()):
            yield child
            yield from self._walk(child.code, era)

    def _unknown(self, code: str, era: Era, on: date | Era) -> UnknownUnit:
        other: Era = "2025" if era == "legacy" else "legacy"
        hint = f" (the code exists in the {other} era)" if code in self._units[other] else ""
        return UnknownUnit(code, era, on if isinstance(on, date) else None, hint)

    def _roll_up_successors(
        self, explicit: Mapping[str, Iterable[str]]
    ) -> dict[str, tuple[str, ...]]:
        """Complete the mapping bottom-up so every legacy unit (not only communes) has one."""
        legacy, new = self._units["legacy"], self._units["2025"]
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
                below = {
                    t
                    for c in self._children["legacy"].get(u.code, ())
                    for t in result.get(c.code, ())
                }
                if level == "province":
                    below = {self._top(t) for t in below}
                if below:
                    result[u.code] = tuple(sorted(below))
        return result

    def _top(self, code_2025: str) -> str:
        table = self._units["2025"]
        unit = table[code_2025]
        while unit.parent is not None:
            unit = table[unit.parent]
        return unit.code


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
