"""What the workspace's server side decides without servers: which reports a home page lists
as due, and units found by name in both eras within the token's scope."""

from __future__ import annotations

from datetime import date

from services.common.hierarchy import Hierarchy
from services.reporting.coordination.domain import obligations_around
from services.reporting.workspace.routes import fold, named, units_in_scope


def test_a_commune_home_page_lists_recent_and_coming_reports_latest_deadline_first() -> None:
    listed = [(p.key, due) for p, due in obligations_around("commune", date(2026, 12, 4))]
    assert listed[0] == ("2026", date(2027, 1, 5))  # the year's report, due next month
    assert ("2026-9M", date(2026, 10, 5)) in listed
    assert ("2021-2026", date(2026, 4, 5)) in listed  # the term just ended
    assert all(key != "2026-2031" for key, _ in listed)  # due in 2031: not yet a concern
    assert [due for _, due in listed] == sorted((due for _, due in listed), reverse=True)


def test_names_are_found_without_accents_within_the_scope_and_above_it() -> None:
    hierarchy = Hierarchy.load()
    assert fold("Xã Bình Lư") == "xa binh lu"
    in_2025 = {u.code for u in units_in_scope(hierarchy, "12", "2025")}
    assert {"12", "03390"} <= in_2025 and "01" not in in_2025
    commune = {u.code for u in units_in_scope(hierarchy, "03390", "2025")}
    assert commune == {"03390", "12"}  # itself, and the province its proposals go to
    legacy = {u.code for u in units_in_scope(hierarchy, "12", "legacy")}
    assert {"106", "03390"} <= legacy  # Huyện Tam Đường and its communes, before the reform


def test_a_list_learns_the_names_of_the_units_it_names_in_both_eras_at_once() -> None:
    hierarchy = Hierarchy.load()
    found = {
        (u["era"], u["code"]): u["name"] for u in named(hierarchy, "12", ["03390", "12", "01"])
    }
    assert found[("2025", "03390")] == "Xã Bình Lư"
    assert found[("legacy", "03390")] == "Thị trấn Tam Đường"  # the code's council before 2025
    assert found[("2025", "12")] == "Tỉnh Lai Châu"
    assert ("2025", "01") not in found  # outside the token's unit and not above it
    from_commune = named(hierarchy, "03394", ["12", "03394", "03390"])
    assert {u["code"] for u in from_commune if u["era"] == "2025"} == {"12", "03394"}
