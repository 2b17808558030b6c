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
exist. The data is read by :mod:`.dataset`.

Modules: :mod:`.units` (eras, units, dates), :mod:`.snapshots` (the units in force from a day,
and the first day each answers), :mod:`.changes` (the rules of a change, and an era's changes
applied in order), :mod:`.reform` (the legacy → 2025 mapping),
:mod:`.payloads` (what the registry publishes), :mod:`.dataset` (the sqlite loader) and
:mod:`.tree` (:class:`Hierarchy`, which puts them together).
"""

from services.common.hierarchy.tree import Hierarchy
from services.common.hierarchy.units import (
    ESTABLISHED,
    LEGACY_FROM,
    REFORM_DATE,
    Ended,
    Era,
    Level,
    Unit,
    UnknownUnit,
    era_of,
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
