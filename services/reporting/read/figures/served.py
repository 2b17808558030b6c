"""The figure catalogue as GET /figures serves it: what the dashboard reads its labels, groups
and rates from."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from services.reporting.read.figures.catalogue import Catalogue


class FigureInfo(BaseModel):
    """One figure: a count, or a rate computed from two counts after the roll-up."""

    key: str = Field(description="its key in `figures` (a count) or `rates` (a rate) of a summary")
    label: str = Field(description="Vietnamese label, as printed on a report")
    group: str = Field(description="title of its group on the dashboard")
    unit: str = Field(
        description="what one of it counts (kỳ họp, lượt cử tri, ngày …); % for a percentage"
    )
    kind: Literal["count", "rate"]
    numerator: str | None = Field(default=None, description="a rate: the count above the line")
    denominator: str | None = Field(
        default=None, description="a rate: the count below the line (no rate if zero)"
    )
    scale: int | None = Field(default=None, description="a rate: 100 a percentage, 1 a mean")


class FigureGroup(BaseModel):
    """A group of figures on the dashboard."""

    title: str = Field(description="Vietnamese title")
    figures: list[str] = Field(
        description="keys of its counts, in the order the dashboard lists them"
    )


class FigureCatalogue(BaseModel):
    """Every figure reporting counts and every rate, each declared once."""

    figures: list[FigureInfo] = Field(description="every count in report order, then every rate")
    groups: list[FigureGroup] = Field(description="the dashboard's groups, in display order")


def served(catalogue: Catalogue) -> FigureCatalogue:
    counts = [
        FigureInfo(key=f.key, label=f.label, group=f.group.value, unit=f.unit, kind="count")
        for f in catalogue.figures.values()
    ]
    rates = [
        FigureInfo(
            key=r.key,
            label=r.label,
            group=r.group.value,
            unit=r.unit,
            kind="rate",
            numerator=r.numerator,
            denominator=r.denominator,
            scale=r.scale,
        )
        for r in catalogue.rates.values()
    ]
    groups = [
        FigureGroup(title=group.value, figures=[f.key for f in figures])
        for group, figures in catalogue.groups().items()
    ]
    return FigureCatalogue(figures=[*counts, *rates], groups=groups)
