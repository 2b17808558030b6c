"""Hierarchy events (bounded context `hierarchy`, topic `hdnd.hierarchy`).

The country's administrative units (đơn vị hành chính) and their changes over time, published
by the hierarchy registry (`hdnd hierarchy load` / `hdnd hierarchy change`) so that every
service sees the same units:

- `unit.registered`: one unit version as the official dataset gives it (tỉnh, huyện, xã), with
  its parent, validity and, for a legacy unit, its 2025 successors.
- `hierarchy.changed`: a decision changing units from an effective date: merge (sáp nhập),
  divide (chia tách), dissolve (giải thể), re-parent (điều chỉnh địa giới, chuyển đơn vị cấp
  trên) or rename (đổi tên).

Changes are numbered by the registry (`change_no`). Consumers apply them in (effective date,
change_no) order whatever order they arrive in, so every service derives the same tree.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Final, Literal, assert_never

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.envelope import MAX_SEQUENCE, UnitCode

TOPIC: Final = "hierarchy"  # the `Topics` property its events travel on

Name = Annotated[str, Field(min_length=1, max_length=200)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class UnitRegistered(_Frozen):
    """Đơn vị hành chính: one unit version of the official dataset (vietnamadminunits)."""

    TYPE: ClassVar[str] = "unit.registered"
    VERSION: ClassVar[int] = 1

    code: UnitCode = Field(description="Official code, unique within its era.")
    era: Literal["legacy", "2025"] = Field(
        description="legacy: until 2025-06-30 (three levels); 2025: from 2025-07-01 (two)."
    )
    level: Literal["province", "district", "commune"]
    parent: UnitCode | None = Field(description="Parent code in the same era; none for a province.")
    name: Name = Field(description="Full Vietnamese name with its type, e.g. 'Xã Tam Đường'.")
    short_name: str = Field(default="", max_length=200)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    valid_from: date | None = Field(description="First day in force; none: before the data.")
    valid_to: date | None = Field(description="Last day in force; none: still in force.")
    successors: list[UnitCode] = Field(
        default_factory=list,
        max_length=100,  # the dataset's most is 14
        description="For a legacy unit: the 2025 units it went into, the default target first.",
    )


class NewUnit(_Frozen):
    """A unit a change establishes (thành lập)."""

    code: UnitCode
    name: Name
    short_name: str = Field(default="", max_length=200)
    parent: UnitCode | None = Field(
        default=None, description="Parent in force on the effective date; none: the source's."
    )
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class Rename(_Frozen):
    """Đổi tên: the unit keeps its code, parent and figures."""

    kind: Literal["rename"] = "rename"
    unit: UnitCode
    name: Name
    short_name: str = Field(default="", max_length=200)


class Reparent(_Frozen):
    """Chuyển đơn vị cấp trên: the unit (and everything below it) moves under another parent."""

    kind: Literal["reparent"] = "reparent"
    unit: UnitCode
    parent: UnitCode


class Merge(_Frozen):
    """Sáp nhập: `units` end and go into `into`, an existing unit or one established here.

    Their children, if any, move under `into`. Records for a merged unit dated after the
    change count in `into`."""

    kind: Literal["merge"] = "merge"
    units: list[UnitCode] = Field(min_length=1, max_length=100)
    into: UnitCode
    established: NewUnit | None = Field(
        default=None, description="Details of `into` when the merger establishes it."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Merge:
        if self.into in self.units:
            raise ValueError("a unit cannot merge into itself")
        if len(set(self.units)) != len(self.units):
            raise ValueError("units lists a unit twice")
        if self.established is not None and self.established.code != self.into:
            raise ValueError("established.code must equal into")
        return self


class Divide(_Frozen):
    """Chia tách: `unit` ends and is divided among `into` (existing or established units).

    The first of `into` is the default successor: records for the divided unit dated after
    the change, and its history "as today", count there. `children_to` says where each of
    its children goes."""

    kind: Literal["divide"] = "divide"
    unit: UnitCode
    into: list[UnitCode] = Field(min_length=2, max_length=20)
    established: list[NewUnit] = Field(default_factory=list, max_length=20)
    children_to: dict[UnitCode, UnitCode] = Field(default_factory=dict, max_length=1000)

    @model_validator(mode="after")
    def _consistent(self) -> Divide:
        if self.unit in self.into or len(set(self.into)) != len(self.into):
            raise ValueError("into must list distinct units other than the divided one")
        stray = [u.code for u in self.established if u.code not in self.into]
        if stray:
            raise ValueError(f"established units {stray} are not listed in into")
        bad = sorted(set(self.children_to.values()) - set(self.into))
        if bad:
            raise ValueError(f"children_to targets {bad} are not listed in into")
        return self


class Dissolve(_Frozen):
    """Giải thể: the unit ends without a successor of its level; it must have no children
    left. Records for it dated after the change count in its parent."""

    kind: Literal["dissolve"] = "dissolve"
    unit: UnitCode


Change = Annotated[Rename | Reparent | Merge | Divide | Dissolve, Field(discriminator="kind")]


class HierarchyChanged(_Frozen):
    """Thay đổi đơn vị hành chính: one decision in force from `effective`."""

    TYPE: ClassVar[str] = "hierarchy.changed"
    VERSION: ClassVar[int] = 1

    change_no: int = Field(
        ge=1, le=MAX_SEQUENCE, description="Registry's number; orders changes of one day."
    )
    effective: date = Field(description="First day the change is in force.")
    decision: str = Field(
        default="",
        max_length=300,
        description="Legal basis, e.g. 'Nghị quyết số 1656/NQ-UBTVQH15'.",
    )
    change: Change

    def units_named(self) -> list[str]:
        """Every existing unit code the change names (for the envelope's key and checks)."""
        c = self.change
        match c:
            case Merge():
                return [*c.units, c.into]
            case Divide():
                return [c.unit, *c.into, *c.children_to]
            case Reparent():
                return [c.unit, c.parent]
            case Rename() | Dissolve():
                return [c.unit]
            case _:
                assert_never(c)
