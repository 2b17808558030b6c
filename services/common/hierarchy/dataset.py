"""Reading the ``vietnamadminunits`` data: units of both eras and the official old → new
mapping, with the stdlib ``sqlite3``/``json`` directly, because importing the package itself
takes about a second."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from services.common.hierarchy.units import Era, Level, Unit


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


def read_dataset() -> tuple[list[Unit], dict[str, list[str]]]:
    """The dataset's units of both eras and the legacy → 2025 successor codes."""
    data = _data_dir()
    units, old_keys, new_keys = _read_units(data / "dataset.db")
    return units, _read_successors(data / "converter_2025.json", old_keys, new_keys)
