"""Hierarchy changes over time: the effective-dated tree itself (pure).

How projections follow these changes, on MongoDB, is the property test in
tests/integration/test_projection_follows_changes.py, which uses the pool of changes here.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import pytest
from pydantic import BaseModel

from contracts import Decoded, Source
from contracts.hierarchy import Dissolve, Divide, HierarchyChanged, Merge, NewUnit, Rename, Reparent
from contracts.meetings import MeetingHeld
from services.common.hierarchy import Hierarchy
from services.common.hierarchy.changes import apply_change
from tests.builders import held_voter_contact, legacy_province, province_2025

LEGACY = legacy_province(
    "01",
    "Tỉnh Một",
    {
        "001": ("Huyện Một", {"00001": "Xã Một", "00002": "Xã Hai"}),
        "002": ("Huyện Hai", {"00003": "Xã Ba", "00004": "Xã Bốn"}),
    },
)
NEW = [
    *province_2025("01", "Tỉnh Một", {"00001": "Xã Một", "00002": "Xã Hai", "00003": "Xã Ba"}),
    *province_2025("02", "Tỉnh Hai", {"00004": "Xã Bốn", "00005": "Xã Năm", "00006": "Xã Sáu"}),
]
BASE = Hierarchy.from_units([*LEGACY, *NEW])


def change(no: int, effective: date, body: Any) -> HierarchyChanged:
    return HierarchyChanged(change_no=no, effective=effective, change=body)


POOL = [
    change(1, date(2024, 4, 1), Reparent(unit="00002", parent="002")),
    change(
        2,
        date(2024, 7, 1),
        Merge(
            units=["00003", "00004"],
            into="00009",
            established=NewUnit(code="00009", name="Xã Chín", parent="002"),
        ),
    ),
    change(3, date(2024, 2, 1), Rename(unit="001", name="Huyện Mới")),
    change(4, date(2025, 1, 1), Merge(units=["001"], into="002")),
    change(5, date(2025, 10, 1), Reparent(unit="00001", parent="02")),
    change(
        6,
        date(2026, 1, 1),
        Divide(
            unit="00002",
            into=["00010", "00011"],
            established=[
                NewUnit(code="00010", name="Xã Mười"),
                NewUnit(code="00011", name="Xã Mười Một"),
            ],
        ),
    ),
    change(7, date(2025, 9, 1), Dissolve(unit="00003")),
    change(8, date(2026, 3, 1), Merge(units=["00004", "00005"], into="00006")),
    change(9, date(2025, 8, 15), Reparent(unit="00006", parent="01")),
]

SOURCE = Source(service="meetings", instance="prop")


def contact(unit: str, day: date, seq: int, voters: int) -> Decoded[MeetingHeld]:
    return held_voter_contact(unit, day, seq, voters, opinions=0, source=SOURCE)


# --- the Hierarchy itself --------------------------------------------------------------------


def test_merge_ends_units_and_their_records_count_in_the_target() -> None:
    h = BASE.copy()
    h.apply([POOL[7]])
    assert h.find("00004", date(2026, 2, 28)) is not None
    assert h.find("00004", date(2026, 3, 1)) is None
    assert h.resolve("00004", date(2026, 3, 2)) == "00006"
    assert h.resolve("00004", date(2026, 2, 2)) == "00004"
    assert h.find("00004", "2025") is not None  # it existed during the era
    assert [c.code for c in h.children("02", date(2026, 3, 1))] == ["00006"]


def test_reparent_moves_the_whole_subtree_from_its_date() -> None:
    h = BASE.copy()
    h.apply([POOL[0]])
    assert h.lineage("00002", date(2024, 3, 31)) == ("00002", "001", "01")
    assert h.lineage("00002", date(2024, 4, 1)) == ("00002", "002", "01")
    assert h.unit("00002", date(2024, 4, 1)).valid_from == date(2024, 4, 1)


def test_divide_places_children_and_names_a_default_successor() -> None:
    h = BASE.copy()
    h.apply([POOL[5]])
    assert h.resolve("00002", date(2026, 5, 1)) == "00010"
    assert h.unit("00011", date(2026, 1, 1)).parent == "01"
    assert h.find("00011", date(2025, 12, 31)) is None


def test_dissolve_needs_an_empty_unit_and_sends_records_to_the_parent() -> None:
    h = BASE.copy()
    h.apply([POOL[6], change(20, date(2024, 1, 1), Dissolve(unit="002"))])
    assert h.resolve("00003", date(2025, 9, 1)) == "01"
    assert "still has units below it" in h.rejected()[20]
    assert h.find("002", date(2024, 6, 1)) is not None


def test_changes_apply_in_effective_order_whatever_order_they_arrive_in() -> None:
    one, two = BASE.copy(), BASE.copy()
    one.apply(POOL)
    two.apply(reversed(POOL))
    for day in [date(2024, 5, 1), date(2025, 2, 1), date(2025, 11, 1), date(2026, 4, 1)]:
        assert [(u.code, u.parent, u.name) for u in one.units(day)] == [
            (u.code, u.parent, u.name) for u in two.units(day)
        ]
    assert one.rejected() == two.rejected()


def test_a_change_number_cannot_be_reused_for_another_change() -> None:
    h = BASE.copy()
    h.apply([POOL[0]])
    assert h.apply([POOL[0]]) == []
    with pytest.raises(ValueError, match="already a different change"):
        h.apply([change(1, date(2024, 5, 1), Rename(unit="001", name="Khác"))])


def test_a_change_that_cannot_be_taken_leaves_the_tree_as_it_was() -> None:
    h = BASE.copy()
    h.apply([POOL[0]])
    other = change(POOL[0].change_no, POOL[0].effective, Rename(unit="00002", name="Xã Khác"))
    with pytest.raises(ValueError, match="already a different change"):
        h.apply([POOL[2], other])
    assert h.changes() == [POOL[0]] and h.find("001", date(2024, 3, 1)).name == "Huyện Một"  # type: ignore[union-attr]


def test_a_refusal_for_a_unit_a_change_ended_or_established_says_which_change() -> None:
    h = BASE.copy()
    h.apply(POOL)
    assert h.absent("00003", date(2024, 8, 1)) == (
        "unit 00003 was merged into 00009 on 2024-07-01 (change 2)"
    )
    assert h.absent("00002", date(2026, 2, 1)) == (
        "unit 00002 was divided into 00010, 00011 on 2026-01-01 (change 6)"
    )
    assert h.absent("00003", date(2025, 9, 2)) == (
        "unit 00003 was dissolved into its parent 01 on 2025-09-01 (change 7)"
    )
    assert h.absent("00009", date(2024, 6, 30)) == (
        "unit 00009 did not exist on 2024-06-30: change 2 established it on 2024-07-01"
    )
    assert h.absent("99999", date(2024, 6, 30)) == "unit 99999 did not exist on 2024-06-30"
    # A change naming a unit an earlier change ended is set aside saying so.
    h.apply([change(10, date(2024, 9, 1), Rename(unit="00004", name="Xã Muộn"))])
    assert h.rejected()[10] == (
        "unit 00004 is not in force on 2024-09-01:"
        " it was merged into 00009 on 2024-07-01 (change 2)"
    )


def test_history_crossing_provinces_is_noticed() -> None:
    within, across = BASE.copy(), BASE.copy()
    within.apply([POOL[7]])  # a merger inside province 02
    across.apply([POOL[4]])  # a commune of 01 moves to 02
    assert not BASE.history_crosses_provinces()
    assert not within.history_crosses_provinces()
    assert across.history_crosses_provinces()


def test_a_change_on_the_reform_day_survives_later_changes() -> None:
    h = BASE.copy()
    h.apply([change(30, date(2025, 7, 1), Merge(units=["00002"], into="00001"))])
    assert h.resolve("00002", date(2025, 8, 1)) == "00001"
    h.apply([change(31, date(2026, 1, 1), Rename(unit="00001", name="Xã Một Mới"))])
    assert h.rejected() == {}
    assert h.resolve("00002", date(2025, 8, 1)) == "00001"
    assert h.unit("00001", date(2026, 2, 1)).name == "Xã Một Mới"
    again = BASE.copy()
    again.apply(h.changes())
    assert again.resolve("00002", date(2025, 8, 1)) == "00001" and again.rejected() == {}


def test_copies_are_independent_and_the_shared_dataset_is_never_changed() -> None:
    h = BASE.copy()
    h.apply([POOL[0]])
    assert BASE.lineage("00002", date(2024, 5, 1)) == ("00002", "001", "01")


def test_the_real_country_takes_a_change() -> None:
    h = Hierarchy.load().copy()
    communes = [u.code for u in h.children(h.provinces("2025")[0].code, "2025")][:2]
    h.apply(
        [change(1, date(2026, 1, 1), Merge(units=[communes[1]], into=communes[0]))],
    )
    assert h.resolve(communes[1], date(2026, 2, 1)) == communes[0]
    assert Hierarchy.load().find(communes[1], date(2026, 2, 1)) is not None


class Annex(BaseModel):
    """A kind of change a registry could add (sáp nhập một phần), naming a `unit` like a
    rename, that no rule applies yet."""

    kind: Literal["annex"] = "annex"
    unit: str


def test_a_kind_of_change_no_rule_knows_is_refused_not_applied_as_nothing() -> None:
    """Type checking refuses a `match` over the changes without a case for every kind
    (`assert_never`); should a kind get past it, applying or checking it fails loudly."""
    unknown = HierarchyChanged.model_construct(
        change_no=40, effective=date(2026, 1, 1), change=Annex(unit="00002")
    )
    table = {u.code: u for u in NEW}
    with pytest.raises(AssertionError):
        apply_change(unknown, table, {}, set(table), "2025")
    with pytest.raises(AssertionError):
        unknown.units_named()


def test_days_share_a_state_only_while_every_lookup_answers_alike() -> None:
    """Summaries compute per-day members once per `state_on` (issue 25): a change, the day a
    legacy province's units open (Hà Nội, 1 August 2008) and the reform each start a new one."""
    h = BASE.copy()
    h.apply([change(1, date(2024, 4, 1), Reparent(unit="00002", parent="002"))])
    assert h.state_on(date(2024, 1, 1)) == h.state_on(date(2024, 3, 31))
    assert h.state_on(date(2024, 3, 31)) != h.state_on(date(2024, 4, 1))
    assert h.state_on(date(2024, 4, 1)) == h.state_on(date(2025, 6, 30))
    assert h.state_on(date(2025, 6, 30)) != h.state_on(date(2025, 7, 1))
    real = Hierarchy.load()
    assert real.state_on(date(2008, 7, 1)) != real.state_on(date(2008, 8, 1))
    assert real.find("00004", date(2008, 7, 1)) is None  # a Hà Nội ward: not yet
    assert real.find("00004", date(2008, 8, 1)) is not None
