"""The legacy → 2025 mapping across the reform, completed for districts and provinces."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from services.common.hierarchy.snapshots import Snapshot
from services.common.hierarchy.units import Unit


def roll_up_successors(
    legacy: Snapshot, new: Mapping[str, Unit], explicit: Mapping[str, Iterable[str]]
) -> dict[str, tuple[str, ...]]:
    """Complete the mapping bottom-up so every legacy unit (not only communes) has one."""
    legacy_kids = legacy.children
    result: dict[str, tuple[str, ...]] = {}
    for old, targets in explicit.items():
        if old not in legacy.units:
            raise ValueError(f"successor mapping names unknown legacy code {old!r}")
        targets = tuple(dict.fromkeys(targets))
        for t in targets:
            if t not in new:
                raise ValueError(f"{old!r} maps to unknown 2025 code {t!r}")
        result[old] = targets
    for level in ("district", "province"):
        for u in legacy.units.values():
            if u.level != level or u.code in result:
                continue
            below = {t for c in legacy_kids.get(u.code, ()) for t in result.get(c.code, ())}
            if level == "province":
                below = {_top(new, t) for t in below}
            if below:
                result[u.code] = tuple(sorted(below))
    return result


def invert_successors(
    legacy: Snapshot, successors: Mapping[str, tuple[str, ...]]
) -> dict[str, tuple[str, ...]]:
    """2025 code → the legacy codes mapped into it, sorted (districts through their communes)."""
    inverse: dict[str, set[str]] = {}
    for old, news in successors.items():
        if legacy.units[old].level == "district" and legacy.children.get(old):
            continue  # a district's mapping is its communes' mappings; avoid double entries
        for new in news:
            inverse.setdefault(new, set()).add(old)
    return {k: tuple(sorted(v)) for k, v in inverse.items()}


def _top(table: Mapping[str, Unit], code_2025: str) -> str:
    unit = table[code_2025]
    while unit.parent is not None:
        unit = table[unit.parent]
    return unit.code
