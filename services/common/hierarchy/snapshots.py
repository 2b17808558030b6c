"""Snapshots: the units of one era in force from a day, indexed for the lookups; and the first
day each legacy unit answers (and why nothing of it can be dated earlier)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from services.common.hierarchy.units import ESTABLISHED, LEGACY_FROM, LEVELS_BY_ERA, Unit


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The units of one era in force from ``since`` until the next snapshot."""

    since: date
    units: Mapping[str, Unit]
    children: Mapping[str, tuple[Unit, ...]]
    provinces: tuple[Unit, ...]
    # Lineages already walked (a snapshot never changes): judging a record asks for its
    # unit's lineage several times, and the walk was a tenth of the projector's CPU.
    chains: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, since: date, units: Mapping[str, Unit]) -> Snapshot:
        kids: dict[str, list[Unit]] = {}
        for u in units.values():
            check_shape(u, units)
            if u.parent is not None:
                kids.setdefault(u.parent, []).append(u)
        return cls(
            since,
            units,
            {p: tuple(sorted(v, key=lambda u: u.code)) for p, v in kids.items()},
            tuple(sorted((u for u in units.values() if u.parent is None), key=lambda u: u.code)),
        )


def openings(legacy: Snapshot) -> dict[str, date]:
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


def before_opening(units: Mapping[str, Unit], code: str, opens: date) -> str:
    """Why the legacy unit ``code`` names nothing before ``opens``, its first day (`openings`)."""
    unit = province = units[code]
    while province.parent is not None:
        province = units[province.parent]
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


def lineage_in(snap: Snapshot, code: str) -> tuple[str, ...] | None:
    known = snap.chains.get(code)
    if known is not None:
        return known
    table = snap.units
    unit = table.get(code)
    if unit is None:
        return None
    chain = [code]
    while unit.parent is not None:
        chain.append(unit.parent)
        unit = table[unit.parent]
    snap.chains[code] = found = tuple(chain)
    return found


def check_shape(u: Unit, table: Mapping[str, Unit]) -> None:
    """Reject trees that would break roll-ups: dangling parents or skipped/unknown levels."""
    if u.level not in LEVELS_BY_ERA[u.era]:
        raise ValueError(f"{u.era} unit {u.code!r} has level {u.level!r}, not used in that era")
    if u.parent is None:
        if u.level != "province":
            raise ValueError(f"{u.era} {u.level} {u.code!r} has no parent")
        return
    parent = table.get(u.parent)
    if parent is None:
        raise ValueError(f"{u.era} unit {u.code!r} has unknown parent {u.parent!r}")
    levels = LEVELS_BY_ERA[u.era]
    if u.level == "province" or levels.index(parent.level) != levels.index(u.level) - 1:
        raise ValueError(f"{u.era} {u.level} {u.code!r} cannot sit under {parent.level}")
