"""What `hdnd hierarchy load` registers: everything, or a deployment's own subtrees."""

from __future__ import annotations

from deploy.registry import units_of
from services.common.hierarchy import Hierarchy


def test_the_whole_country_or_a_province_in_both_eras() -> None:
    h = Hierarchy.load()
    assert sum(1 for _ in units_of(h)) == 14_149
    lai_chau = list(units_of(h, ["12"]))
    legacy = [u for u in lai_chau if u.era == "legacy"]
    new = [u for u in lai_chau if u.era == "2025"]
    assert legacy[0].code == "12" and new[0].code == "12"
    assert len(legacy) == 1 + len(list(h.descendants("12", "legacy")))
    assert len(new) == 1 + len(h.children("12", "2025"))
    assert all(h.is_within(u.code, "12", u.era) for u in lai_chau)
    # A district exists only in the legacy era: its subtree there, nothing after the reform.
    district = h.children("12", "legacy")[0].code
    assert {u.era for u in units_of(h, [district])} == {"legacy"}
