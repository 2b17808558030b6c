"""The effective-dated hierarchy against the real vietnamadminunits data and synthetic trees."""

from collections import Counter
from datetime import date, datetime

import pytest

from services.common.hierarchy import (
    REFORM_DATE,
    Era,
    Hierarchy,
    Unit,
    UnknownUnit,
    era_of,
)
from tests.builders import legacy_province, province_2025

LAST_LEGACY_DAY = date(2025, 6, 30)


@pytest.fixture(scope="module")
def h() -> Hierarchy:
    return Hierarchy.load()


# -- eras ---------------------------------------------------------------------------------------


def test_era_of_switches_on_reform_date() -> None:
    assert date(2025, 7, 1) == REFORM_DATE
    assert era_of(LAST_LEGACY_DAY) == "legacy"
    assert era_of(REFORM_DATE) == "2025"
    assert era_of(date(2019, 1, 1)) == "legacy"
    assert era_of(datetime(2025, 6, 30, 23, 59)) == "legacy"
    assert era_of(datetime(2025, 7, 1, 0, 0)) == "2025"


def test_load_is_cached(h: Hierarchy) -> None:
    assert Hierarchy.load() is h


# -- real data: counts and known units -------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        ("legacy", {"province": 63, "district": 696, "commune": 10_035}),
        (LAST_LEGACY_DAY, {"province": 63, "district": 696, "commune": 10_035}),
        ("2025", {"province": 34, "commune": 3_321}),
        (REFORM_DATE, {"province": 34, "commune": 3_321}),
    ],
)
def test_counts_per_era_and_level(h: Hierarchy, on: date | Era, expected: dict[str, int]) -> None:
    assert Counter(u.level for u in h.units(on)) == expected
    assert len(h.provinces(on)) == expected["province"]


def test_known_legacy_commune(h: Hierarchy) -> None:
    phuc_xa = h.unit("00001", "legacy")
    assert (phuc_xa.name, phuc_xa.short_name, phuc_xa.level) == (
        "Phường Phúc Xá",
        "Phúc Xá",
        "commune",
    )
    assert phuc_xa.era == "legacy"
    assert phuc_xa.lat is not None and 20 < phuc_xa.lat < 22
    assert phuc_xa.lon is not None and 105 < phuc_xa.lon < 107
    assert h.ancestors("00001", date(2024, 5, 1)) == ("001", "01")
    assert h.lineage("00001", "legacy") == ("00001", "001", "01")
    assert h.unit("001", "legacy").name == "Quận Ba Đình"
    assert h.unit("01", "legacy").name == "Thành phố Hà Nội"
    assert h.ancestors("01", "legacy") == ()
    assert phuc_xa.valid_to == LAST_LEGACY_DAY


def test_2025_commune_has_only_a_province_above(h: Hierarchy) -> None:
    ba_dinh = h.unit("00004", REFORM_DATE)
    assert (ba_dinh.name, ba_dinh.level, ba_dinh.parent) == ("Phường Ba Đình", "commune", "01")
    assert h.ancestors("00004", "2025") == ("01",)
    assert ba_dinh.valid_from == REFORM_DATE and ba_dinh.valid_to is None
    assert all(len(h.ancestors(u.code, "2025")) == 1 for u in h.units("2025") if u.parent)


def test_same_code_denotes_different_units_across_eras(h: Hierarchy) -> None:
    assert h.unit("00004", "legacy").name == "Phường Trúc Bạch"
    assert h.unit("00004", "2025").name == "Phường Ba Đình"
    assert h.unit("15", "legacy").name == "Tỉnh Yên Bái"
    assert h.unit("15", "2025").name == "Tỉnh Lào Cai"


def test_children_and_descendants(h: Hierarchy) -> None:
    districts = h.children("01", "legacy")
    assert [d.code for d in districts] == sorted(d.code for d in districts)
    assert {d.level for d in districts} == {"district"}
    assert "001" in {d.code for d in districts}
    assert h.children("00001", "legacy") == []
    below = list(h.descendants("01", "legacy"))
    assert len(below) == len(districts) + sum(len(h.children(d.code, "legacy")) for d in districts)
    assert {u.level for u in h.descendants("01", "2025")} == {"commune"}


def test_island_districts_without_communes(h: Hierarchy) -> None:
    bach_long_vi = h.unit("318", "legacy")
    assert bach_long_vi.name == "Huyện Bạch Long Vĩ"
    assert h.children("318", "legacy") == []
    assert h.successors("318") == ("11948",)
    assert h.unit("11948", "2025").name == "Đặc khu Bạch Long Vĩ"


# -- unknown codes ---------------------------------------------------------------------------------


def test_unknown_code_raises_with_code_and_date(h: Hierarchy) -> None:
    assert h.find("99999", "legacy") is None
    with pytest.raises(UnknownUnit, match=r"'99999'.*2024-01-01") as info:
        h.unit("99999", date(2024, 1, 1))
    assert (info.value.code, info.value.era) == ("99999", "legacy")
    with pytest.raises(UnknownUnit):
        h.ancestors("99999", "2025")


def test_code_of_the_wrong_era_is_unknown(h: Hierarchy) -> None:
    # Phúc Xá was merged away on 2025-07-01 and its code was not reused.
    assert h.find("00001", REFORM_DATE) is None
    with pytest.raises(UnknownUnit, match="legacy era"):
        h.unit("00001", REFORM_DATE)
    # Côn Đảo special zone got a code of its own that never existed before the reform.
    with pytest.raises(UnknownUnit, match="2025 era"):
        h.unit("26732", LAST_LEGACY_DAY)
    # Districts do not exist any more.
    with pytest.raises(UnknownUnit):
        h.unit("001", "2025")


def test_bad_era_is_rejected(h: Hierarchy) -> None:
    with pytest.raises(ValueError):
        h.provinces("1990")  # type: ignore[arg-type]


# -- scope -----------------------------------------------------------------------------------------


def test_is_within(h: Hierarchy) -> None:
    assert h.is_within("00001", "01", "legacy")
    assert h.is_within("00001", "001", "legacy")
    assert h.is_within("00001", "00001", "legacy")
    assert not h.is_within("001", "00001", "legacy")
    assert not h.is_within("00001", "79", "legacy")
    assert h.is_within("00004", "01", "2025")
    with pytest.raises(UnknownUnit):
        h.is_within("00001", "bogus", "legacy")


# -- invariants over the whole dataset ------------------------------------------------------------


def test_every_legacy_commune_rolls_up_to_a_legacy_province(h: Hierarchy) -> None:
    communes = [u for u in h.units("legacy") if u.level == "commune"]
    assert len(communes) == 10_035
    for c in communes:
        district, province = h.ancestors(c.code, "legacy")
        assert h.unit(district, "legacy").level == "district"
        assert h.unit(province, "legacy").level == "province"


def test_every_legacy_unit_has_a_successor_in_the_right_province(h: Hierarchy) -> None:
    for u in h.units("legacy"):
        targets = h.successors(u.code)
        assert targets, u
        new_province = h.successors(h.lineage(u.code, "legacy")[-1])
        assert len(new_province) == 1
        for t in targets:
            assert h.lineage(t, "2025")[-1] == new_province[0]


def test_reused_2025_commune_codes_come_from_a_predecessor(h: Hierarchy) -> None:
    fresh = []
    for u in h.units("2025"):
        if u.level != "commune":
            continue
        assert h.predecessors(u.code), u
        if u.code not in h.predecessors(u.code):
            fresh.append(u.code)
    assert sorted(fresh) == ["11948", "19742", "20333", "21548", "26732"]  # the đặc khu


# -- old → new mapping -----------------------------------------------------------------------------


def test_successors_of_known_units(h: Hierarchy) -> None:
    assert h.successors("00001") == ("00097",)  # Phúc Xá → Phường Hồng Hà
    assert h.unit("00097", "2025").name == "Phường Hồng Hà"
    assert h.successors("01") == ("01",)
    assert h.successors("10") == ("15",)  # Lào Cai + Yên Bái → Lào Cai (15)
    assert h.predecessors("15") == ("10", "15")
    district = h.successors("001")
    assert district == tuple(sorted(district))
    assert set(district) >= {"00004", "00097"}
    with pytest.raises(UnknownUnit):
        h.successors("26732")


def test_split_commune_lists_every_candidate(h: Hierarchy) -> None:
    targets = h.successors("00019")  # Phường Điện Biên was split between four new wards
    assert set(targets) == {"00004", "00070", "00190", "00226"}
    assert "00019" in h.predecessors(targets[0])


# -- synthetic hierarchies -------------------------------------------------------------------------


def _sample() -> Hierarchy:
    legacy = {  # 90002 before 90001: the tree sorts them
        "900": ("Huyện Một", {"90002": "Xã B", "90001": "Xã A"}),
        "901": ("Huyện Hai", {"90010": "Xã C"}),
    }
    return Hierarchy.from_units(
        [
            *legacy_province("90", "Tỉnh Thử", legacy),
            *province_2025("90", "Tỉnh Thử Mới", {"90001": "Xã A Mới", "90010": "Xã C Mới"}),
        ],
        successors={"90001": ["90001"], "90002": ["90001"], "90010": ["90010", "90001"]},
    )


def test_from_units_builds_a_small_tree() -> None:
    h = _sample()
    assert [u.code for u in h.children("900", "legacy")] == ["90001", "90002"]
    assert [u.code for u in h.units("legacy")] == ["90", "900", "90001", "90002", "901", "90010"]
    assert h.ancestors("90002", date(2020, 1, 1)) == ("900", "90")
    assert h.ancestors("90010", date(2026, 1, 1)) == ("90",)
    assert h.is_within("90010", "90", "2025")
    assert not h.is_within("90010", "900", "legacy")
    assert h.unit("90", "2025").name == "Tỉnh Thử Mới"
    assert h.find("900", "2025") is None


def test_from_units_rolls_up_successors() -> None:
    h = _sample()
    assert h.successors("90010") == ("90010", "90001")  # explicit order kept
    assert h.successors("900") == ("90001",)
    assert h.successors("901") == ("90001", "90010")
    assert h.successors("90") == ("90",)
    assert h.predecessors("90001") == ("90001", "90002", "90010")


@pytest.mark.parametrize(
    "units",
    [
        [Unit("1", "P", "province", None, "legacy"), Unit("1", "P", "province", None, "legacy")],
        [Unit("11", "X", "commune", "9", "legacy")],
        [Unit("1", "P", "province", None, "2025"), Unit("10", "D", "district", "1", "2025")],
        [Unit("1", "P", "province", None, "legacy"), Unit("11", "X", "commune", "1", "legacy")],
        [Unit("11", "X", "commune", None, "2025")],
    ],
    ids=["duplicate", "dangling-parent", "district-in-2025", "skipped-level", "orphan"],
)
def test_from_units_rejects_malformed_trees(units: list[Unit]) -> None:
    with pytest.raises(ValueError):
        Hierarchy.from_units(units)


def test_from_units_rejects_unknown_successor() -> None:
    units = [Unit("1", "P", "province", None, "legacy"), Unit("1", "P", "province", None, "2025")]
    with pytest.raises(ValueError):
        Hierarchy.from_units(units, successors={"1": ["2"]})


def test_legacy_units_answer_from_the_1994_law_or_their_provinces_establishment() -> None:
    """Thành phố Cần Thơ (92) and its wards exist from 1 January 2004 (NQ 22/2003/QH11); a unit
    of an older province from December 1994; a record dated before names no unit, and says why."""
    h = Hierarchy.load()
    assert h.find("92", date(2003, 12, 31)) is None and h.find("31120", date(2003, 12, 31)) is None
    assert h.find("92", date(2004, 1, 1)) is not None
    assert h.resolve("31120", date(2003, 6, 30)) is None
    assert "established (Nghị quyết 22/2003/QH11)" in h.absent("31120", date(2003, 6, 30))
    assert h.find("02", date(1994, 12, 1)) is not None and h.find("02", date(1994, 11, 30)) is None
    assert "1994 law" in h.absent("02", date(1990, 1, 1))
    assert h.absent("99999", date(2020, 1, 1)) == "unit 99999 did not exist on 2020-01-01"
    assert len(h.provinces(date(2000, 1, 1))) == 63 - 6 - 1  # before 2004's and Hà Nội's
    assert len(h.provinces(date(2010, 1, 1))) == 63
