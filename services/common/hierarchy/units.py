"""Eras, units and the dates that bound them: the vocabulary of the effective-dated hierarchy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, get_args

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

ERAS: tuple[Era, ...] = get_args(Era)
LEVELS_BY_ERA: dict[Era, tuple[Level, ...]] = {
    "legacy": ("province", "district", "commune"),
    "2025": ("province", "commune"),
}


def era_of(day: date) -> Era:
    """Return the era whose units were in force on ``day`` (a datetime counts by its date)."""
    if isinstance(day, datetime):  # datetime < date comparisons raise TypeError
        day = day.date()
    return "legacy" if day < REFORM_DATE else "2025"


def resolve_era(on: date | Era) -> Era:
    """The era of a day, or the era itself once checked to be one."""
    if isinstance(on, date):
        return era_of(on)
    if on in ERAS:
        return on
    raise ValueError(f"expected a date or one of {ERAS}, got {on!r}")


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
    """A unit a change ended: from ``on`` its records count in ``successor`` (same era).
    ``how`` says it for a refusal: "merged into 03442", "divided into 03998, 03997",
    "dissolved into its parent 106"."""

    on: date
    successor: str
    change_no: int
    how: str

    @property
    def what(self) -> str:
        """What ended the unit, when and by which change (after "unit 03445 was …")."""
        return f"{self.how} on {self.on} (change {self.change_no})"


ERA_START: dict[Era, date] = {"legacy": date.min, "2025": REFORM_DATE}
"""First day of each era's dataset snapshot (the legacy era has no known start)."""
