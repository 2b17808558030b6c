"""What the registry publishes and stores for a unit: `unit.registered` payloads, the
versions of a unit over time, and the check that an event matches this service's dataset."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from contracts.hierarchy import UnitRegistered
from services.common.hierarchy.snapshots import Snapshot
from services.common.hierarchy.units import REFORM_DATE, Ended, Era, Unit


def dataset_difference(
    unit: Unit | None, registered: UnitRegistered, successors: tuple[str, ...]
) -> str | None:
    """Why `registered` does not match ``unit``, the dataset's unit of the same code and era
    (None when it matches); ``successors`` are the dataset's for that code."""
    if unit is None:
        return f"{registered.era} unit {registered.code} is not in this service's dataset"
    mine = (unit.level, unit.parent, unit.name)
    theirs = (registered.level, registered.parent, registered.name)
    if mine != theirs:
        return f"{registered.era} unit {registered.code} is {mine} here, {theirs} in the event"
    if registered.era == "legacy" and tuple(registered.successors) != successors:
        return f"legacy unit {registered.code} has other successors in this dataset"
    return None


def registered_payload(unit: Unit, successors: tuple[str, ...]) -> UnitRegistered:
    """The `unit.registered` payload of a dataset unit with its successors (legacy units):
    every other field is the unit's attribute of the same name."""
    own = {
        name: getattr(unit, name) for name in UnitRegistered.model_fields if name != "successors"
    }
    return UnitRegistered(**own, successors=list(successors) if unit.era == "legacy" else [])


def unit_history(
    snaps: Sequence[Snapshot], endings: Mapping[str, Ended], code: str, era: Era
) -> list[dict[str, Any]]:
    """Every version of a unit in an era's snapshots with its validity, oldest first (the
    registry's `units` documents); ``endings`` are the era's units a change ended."""
    out: list[dict[str, Any]] = []
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
        ended = endings.get(code)
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
