"""Every figure reporting produces: the folds per event type and the catalogue of figures and
rates, in one place.

Importing this package registers the folds of every context module listed below.
"""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel

from contracts import Decoded, InvalidEvent
from services.reporting.read.figures import (
    coordination,
    identity,  # noqa: F401  (registers its folds: nothing; read for the activity log)
    meetings,
    notifications,
    opinion_groups,  # noqa: F401  (registers its folds: nothing; answers count per opinion)
    oversight,
    parked,  # noqa: F401  (registers its fold: nothing)
)
from services.reporting.read.figures.base import FOLDS, Contribution, Figures
from services.reporting.read.figures.catalogue import Catalogue, Figure, Rate

__all__ = [
    "CATALOGUE",
    "FOLDS",
    "LABELS",
    "RATES",
    "Contribution",
    "Figure",
    "Figures",
    "Rate",
    "complete",
    "contributions_of",
    "rates_of",
]

# Report order: meetings first, then oversight.
CATALOGUE = Catalogue(
    meetings.FIGURES, oversight.FIGURES, coordination.FIGURES, notifications.FIGURES
)
LABELS: dict[str, str] = CATALOGUE.labels()
RATES: dict[str, Rate] = CATALOGUE.rates


def contributions_of(decoded: Decoded[BaseModel]) -> list[Contribution]:
    """What one event adds; InvalidEvent if reporting has no fold for its type."""
    fold = FOLDS.get(decoded.envelope.type)
    if fold is None:
        raise InvalidEvent(f"reporting has no fold for {decoded.envelope.type!r}")
    return fold(decoded)


def complete(figures: Counter[str]) -> dict[str, int]:
    """All known figures in report order, zeros included, so every answer has one shape."""
    known = dict.fromkeys(LABELS, 0)  # built in C: a province's summary completes every commune's
    others: dict[str, int] = {}
    for key, value in figures.items():
        (known if key in known else others)[key] = int(value)
    return known | others


def rates_of(figures: Counter[str] | dict[str, int]) -> dict[str, float | None]:
    """Every rate from already summed counts; None where the denominator is zero."""
    out: dict[str, float | None] = {}
    for key, rate in RATES.items():
        den = figures.get(rate.denominator, 0)
        out[key] = round(figures.get(rate.numerator, 0) * rate.scale / den, 1) if den else None
    return out
