"""The oversight domain: which finished supervisions may be recorded, and the event. Pure: no I/O.

A council office records a giám sát chuyên đề, khảo sát or thẩm tra once it is finished. The
rules are the ones a secretary would check by hand: it has finished (not in the future), the
unit existed on the day it finished, it is one this office serves, and every unit whose
agencies were supervised is that unit or lies below it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from contracts import EventDraft
from contracts.oversight import SupervisionFinished
from services.common.hierarchy import Hierarchy
from services.common.recording import recordable_unit, recorded


@dataclass(frozen=True, slots=True)
class RecordSupervision:
    """Command: a body of the council of `unit` finished `supervision`."""

    unit: str
    supervision: SupervisionFinished


def record_supervision(
    command: RecordSupervision, hierarchy: Hierarchy, served: Sequence[str], today: date
) -> EventDraft:
    """Decide whether the supervision can be recorded; return `supervision.finished` if so."""
    supervision = command.supervision
    day = supervision.finished_on
    unit = recordable_unit(
        hierarchy,
        command.unit,
        day,
        served=served,
        today=today,
        day_field="supervision.finished_on",
        named_units=(
            (f"supervision.supervised_units.{i}", c)
            for i, c in enumerate(supervision.supervised_units)
        ),
    )
    return recorded(supervision, unit.code, day)
