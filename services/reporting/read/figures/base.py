"""The shape of a fold: an event becomes contributions, each figures for one unit on one day.

Each bounded context has a module in this package that registers, with `@folds(Model)`, the
function turning its events into contributions, and declares its figures and the rates
computed from them (catalogue.py). The projector adds every contribution into the unit and all
its ancestors (as the hierarchy stood on the contribution's day); a contribution may be
negative (a correction takes back what the corrected record added).

The names of fields and committees are here once, for the labels of every context and for the
sentences of the report document.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel

from contracts import Decoded
from contracts.oversight import Committee, OversightField
from contracts.versioning import event_type

Figures = Counter[str]

# The field (lĩnh vực) of a supervision, survey, verification or voter's opinion, as labels and
# report sentences name it, and the council's committees (Ban): one text each for every label.
FIELDS: dict[OversightField, str] = {
    OversightField.INVESTMENT_CONSTRUCTION: "đầu tư, xây dựng",
    OversightField.LAND: "đất đai",
    OversightField.CITIZEN_RECEPTION: "tiếp công dân",
    OversightField.PETITIONS: "giải quyết đơn thư",
    OversightField.BUDGET: "tài chính, ngân sách",
    OversightField.SOCIAL_POLICY: "chính sách xã hội",
    OversightField.EDUCATION_HEALTH: "giáo dục, y tế",
    OversightField.OTHER: "lĩnh vực khác",
}
COMMITTEES: dict[Committee, str] = {
    Committee.LEGAL: "Ban Pháp chế",
    Committee.ECONOMY_BUDGET: "Ban Kinh tế – Ngân sách",
    Committee.ECONOMY_SOCIETY: "Ban Kinh tế – Xã hội",
    Committee.CULTURE_SOCIETY: "Ban Văn hóa – Xã hội",
    Committee.ETHNIC: "Ban Dân tộc",
    Committee.URBAN: "Ban Đô thị",
}


def about_field(field: OversightField) -> str:
    """ "về đất đai": the field after what is in it ("Ý kiến, kiến nghị của cử tri về …")."""
    return f"về {FIELDS[field]}"


@dataclass(frozen=True, slots=True)
class Contribution:
    """`figures` added to `unit` (and every unit above it) on `day`."""

    unit: str
    day: date
    figures: Figures


FoldFn = Callable[[Decoded[Any]], list[Contribution]]
FOLDS: dict[str, FoldFn] = {}

M = TypeVar("M", bound=BaseModel)


def folds(model: type[M]) -> Callable[[Callable[[Decoded[M]], list[Contribution]]], FoldFn]:
    """Register the fold of one event type (the current version of `model`)."""

    def register(fn: Callable[[Decoded[M]], list[Contribution]]) -> FoldFn:
        kind = event_type(model)
        if kind in FOLDS:
            raise ValueError(f"two folds for {kind!r}")
        FOLDS[kind] = fn
        return fn

    return register
