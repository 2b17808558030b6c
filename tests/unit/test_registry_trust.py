"""Which units a registry may name (services.common.trust.check_registry_scope): a national
registry any, a province's only its own, before and after the change."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import BaseModel

from contracts import Decoded, InvalidEvent, Source
from contracts.envelope import Signature
from contracts.hierarchy import Divide, HierarchyChanged, Merge, NewUnit, Reparent
from services.common.hierarchy import Hierarchy
from services.common.recording import recorded
from services.common.trust import check_registry_scope

LAI_CHAU, DIEN_BIEN = "12", "11"
MUONG_TE, PA_U, TAM_DUONG = "03445", "03442", "03390"  # communes of Lai Châu
DAY = date(2026, 1, 1)


def signed_by(payload: BaseModel, province: str | None, unit: str = LAI_CHAU) -> Decoded[BaseModel]:
    envelope = recorded(payload, unit, DAY).seal(Source(service="hierarchy", instance="t"), 1)
    signature = Signature(kind="registry", unit=province, kid="0" * 16, value="x")
    return Decoded(envelope.model_copy(update={"signature": signature}), payload)


def change(body: Merge | Divide | Reparent, no: int = 1) -> HierarchyChanged:
    return HierarchyChanged(change_no=no, effective=DAY, change=body)


def test_a_province_registry_changes_its_own_units() -> None:
    tree = Hierarchy.load().copy()
    merge = change(Merge(units=[MUONG_TE], into=PA_U))
    check_registry_scope(tree, signed_by(merge, LAI_CHAU))
    new = change(Divide(unit=TAM_DUONG, into=["03998", PA_U], established=[new_unit("03998")]))
    check_registry_scope(tree, signed_by(new, LAI_CHAU))


def new_unit(code: str) -> NewUnit:
    return NewUnit(code=code, name="Xã Mới")


@pytest.mark.parametrize(
    ("body", "province", "named"),
    [
        (Merge(units=[MUONG_TE], into=PA_U), DIEN_BIEN, f"{MUONG_TE} (12)"),
        (Reparent(unit=MUONG_TE, parent=DIEN_BIEN), LAI_CHAU, f"{MUONG_TE} (11, 12); 11 (11)"),
        # A unit it would establish stands nowhere if the change does not fit: refused too.
        (
            Merge(units=[MUONG_TE], into="03999", established=NewUnit(code="03999", name="X")),
            DIEN_BIEN,
            "03999 (12)",
        ),
    ],
)
def test_a_province_registry_may_not_name_units_of_another_province(
    body: Merge | Reparent, province: str, named: str
) -> None:
    outside = f"registry of province {province} may not name units outside it"
    with pytest.raises(InvalidEvent, match=outside) as refused:
        check_registry_scope(Hierarchy.load().copy(), signed_by(change(body), province))
    assert named in str(refused.value)


def test_a_change_published_again_once_applied_is_not_refused() -> None:
    tree = Hierarchy.load().copy()
    merge = change(Merge(units=[MUONG_TE], into=PA_U))
    check_registry_scope(tree, signed_by(merge, LAI_CHAU))
    tree.apply([merge])  # Mường Tè stands nowhere any more, but this change is known
    check_registry_scope(tree, signed_by(merge, LAI_CHAU))


def test_a_change_naming_a_unit_that_stands_nowhere_is_refused() -> None:
    body = Merge(units=["99999"], into=PA_U)
    with pytest.raises(InvalidEvent, match="99999 \\(in no unit tree\\)"):
        check_registry_scope(Hierarchy.load().copy(), signed_by(change(body), LAI_CHAU))


def test_the_national_registry_names_any_unit_and_the_tree_is_left_alone() -> None:
    tree = Hierarchy.load().copy()
    check_registry_scope(tree, signed_by(change(Reparent(unit=MUONG_TE, parent=DIEN_BIEN)), None))
    assert tree.lineage(MUONG_TE, DAY)[-1] == LAI_CHAU  # judged on a copy


def test_a_province_registry_registers_only_its_own_units() -> None:
    h = Hierarchy.load()
    check_registry_scope(h, signed_by(h.registered(h.unit(MUONG_TE, "2025")), LAI_CHAU))
    check_registry_scope(h, signed_by(h.registered(h.unit(LAI_CHAU, "legacy")), LAI_CHAU))
    elsewhere = h.registered(h.children(DIEN_BIEN, "2025")[0])
    with pytest.raises(InvalidEvent, match="registry of province 12 may not name"):
        check_registry_scope(h, signed_by(elsewhere, LAI_CHAU, unit=DIEN_BIEN))
