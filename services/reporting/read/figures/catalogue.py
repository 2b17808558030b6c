"""The figure catalogue: every figure declared once, with its key, Vietnamese label, group on the
dashboard and unit, and every rate with the two figures it divides.

Each context module of this package declares its figures on a `Section`, in report order, next
to the folds that count them; the package joins the sections into one `Catalogue`, which the
labels (LABELS, RATES), the API (GET /figures, read by the dashboard) and the report document
all read. Code names a figure by its constant (`meetings.SESSIONS`), never by its key, so a
misspelt name fails type checking.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

Part = TypeVar("Part")
Declared = TypeVar("Declared", "Figure", "Rate")


class Group(Enum):
    """The dashboard's groups of figures, in the order the province reads a report; the value is
    the group's title."""

    SESSIONS = "Kỳ họp HĐND"
    STANDING_COMMITTEE = "Thường trực HĐND, hội nghị, tọa đàm"
    VOTERS = "Tiếp xúc cử tri và ý kiến, kiến nghị của cử tri"
    DELEGATES_AND_VOTERS = "Đại biểu báo cáo, cử tri nhận xét đại biểu"
    CITIZENS = "Tiếp công dân và đơn thư"
    OVERSIGHT = "Giám sát, khảo sát, thẩm tra"
    RECOMMENDATIONS = "Kiến nghị sau giám sát, khảo sát, thẩm tra"
    TRAINING = "Tập huấn, bồi dưỡng"
    REPORTS = "Báo cáo định kỳ"
    NOTIFICATIONS = "Nhắc hạn, báo cáo cấp trên việc quá hạn"
    WORK_PROGRAMME = "Chương trình công tác"
    PROPOSALS = "Kiến nghị, đề xuất giữa các cấp"
    COUNCIL = "Đại biểu và cán bộ giúp việc HĐND"
    SCHEDULE = "Lịch họp, hoạt động đã lên lịch, bị hủy"


@dataclass(frozen=True, slots=True)
class Figure:
    """A count, summed per unit and day and added into every unit above.

    `unit` is what one of it counts ("kỳ họp", "lượt cử tri", "ngày"). `place` orders the
    figures of a group on the dashboard ahead of report order: each oversight activity keeps
    its figures together there, planned and started included."""

    key: str
    label: str
    group: Group
    unit: str
    place: int = 0


@dataclass(frozen=True, slots=True)
class Rate:
    """A ratio computed from summed counts after the roll-up, never an average of ratios.

    `scale` 100 gives a percentage; 1 gives a mean (e.g. days per resolved opinion), in the
    unit of its numerator. It sits in its numerator's group."""

    key: str
    label: str
    numerator: str
    denominator: str
    group: Group
    unit: str
    scale: int = 100


def counts(*pairs: tuple[Figure, int]) -> Counter[str]:
    """What a fold counts, by figure: zeros are kept, as the folds have always counted them."""
    return Counter({figure.key: n for figure, n in pairs})


class Section:
    """The figures and rates of one context module, in report order as they are declared."""

    def __init__(self) -> None:
        self.figures: list[Figure] = []
        self.rates: list[Rate] = []

    def count(self, key: str, label: str, group: Group, unit: str, place: int = 0) -> Figure:
        figure = Figure(key, label, group, unit, place)
        self.figures.append(figure)
        return figure

    def counter(self, group: Group) -> Callable[[str, str, str], Figure]:
        """Declares figures of `group`: `counter(group)(key, label, unit)`."""
        return lambda key, label, unit: self.count(key, label, group, unit)

    def parts(
        self, whole: Figure, labels: Mapping[Part, str], prefix: str | None = None
    ) -> dict[Part, Figure]:
        """A figure for each part of `whole`, in its group and unit, in the order of `labels`;
        keyed `{prefix}{part}`, by default `{whole.key}_{part}` ("sessions_regular")."""
        start = f"{whole.key}_" if prefix is None else prefix
        return {
            part: self.count(f"{start}{part}", label, whole.group, whole.unit, whole.place)
            for part, label in labels.items()
        }

    def rate(
        self, key: str, label: str, numerator: Figure, denominator: Figure, scale: int = 100
    ) -> Rate:
        unit = "%" if scale == 100 else numerator.unit
        rate = Rate(key, label, numerator.key, denominator.key, numerator.group, unit, scale)
        self.rates.append(rate)
        return rate


class Catalogue:
    """Every figure and rate of `sections`, in report order (the order of the sections)."""

    def __init__(self, *sections: Section) -> None:
        self.figures = _by_key(f for section in sections for f in section.figures)
        self.rates = _by_key(r for section in sections for r in section.rates)
        for rate in self.rates.values():
            if rate.key in self.figures or {rate.numerator, rate.denominator} - set(self.figures):
                raise ValueError(f"rate {rate.key!r} is a figure's key or divides an unknown one")

    def declared(self, item: Declared) -> Declared:
        """`item` itself; KeyError if it is not a figure or rate this catalogue declares."""
        known: Mapping[str, Figure | Rate] = (
            self.figures if isinstance(item, Figure) else self.rates
        )
        if known.get(item.key) != item:
            raise KeyError(f"{item.key!r} is not a declared figure")
        return item

    def labels(self) -> dict[str, str]:
        return {key: figure.label for key, figure in self.figures.items()}

    def groups(self) -> dict[Group, list[Figure]]:
        """Each group's figures as the dashboard lists them (by place, then report order), the
        groups in display order."""
        shown: dict[Group, list[Figure]] = {group: [] for group in Group}
        for figure in self.figures.values():
            shown[figure.group].append(figure)
        return {group: sorted(figures, key=lambda f: f.place) for group, figures in shown.items()}


def _by_key(declared: Iterable[Declared]) -> dict[str, Declared]:
    out: dict[str, Declared] = {}
    for item in declared:
        if item.key in out:
            raise ValueError(f"figure {item.key!r} declared twice")
        out[item.key] = item
    return out
