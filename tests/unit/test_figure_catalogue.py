"""The figure catalogue: each figure declared once, served with its label and group, and named
by its declaration wherever it is used, so a misspelt figure or an uncounted meeting kind is an
error instead of a silent zero."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Literal

import pytest
from pydantic import BaseModel

from services.reporting.document.results import Writer
from services.reporting.read.figures import (
    CATALOGUE,
    LABELS,
    RATES,
    complete,
    coordination,
    meetings,
    notifications,
    oversight,
    rates_of,
)
from services.reporting.read.figures.catalogue import Catalogue, Figure, Group, Section
from services.reporting.read.figures.meetings import held_figures
from services.reporting.read.figures.served import served

SECTIONS = (meetings.FIGURES, oversight.FIGURES, coordination.FIGURES, notifications.FIGURES)


class Hearing(BaseModel):
    """A meeting kind a contract could add (phiên giải trình) that no fold counts yet."""

    kind: Literal["hearing"] = "hearing"
    held_on: date = date(2025, 3, 4)


def test_a_meeting_of_a_kind_no_fold_counts_is_refused_not_counted_as_nothing() -> None:
    """Type checking refuses `held_figures` without a case for every kind (`assert_never`);
    should a kind get past it, folding it fails (a dead letter naming the error)."""
    with pytest.raises(AssertionError):
        held_figures("12", Hearing())  # type: ignore[arg-type]


def test_the_report_refuses_a_figure_the_catalogue_does_not_declare() -> None:
    w = Writer(complete(Counter(sessions=3)), rates_of(Counter()))
    assert w.f(meetings.SESSIONS) == 3
    misspelt = Figure("sesions", "Kỳ họp", Group.SESSIONS, "kỳ họp")
    with pytest.raises(KeyError, match="sesions"):
        w.f(misspelt)
    with pytest.raises(KeyError):
        w.n(misspelt, "kỳ họp")


def test_labels_and_rates_are_views_of_the_catalogue() -> None:
    assert {key: f.label for key, f in CATALOGUE.figures.items()} == LABELS
    assert CATALOGUE.rates == RATES
    assert list(complete(Counter())) == list(CATALOGUE.figures)
    assert RATES["opinion_resolution_rate"].numerator == oversight.OPINIONS_BY_STAGE["resolved"].key


def test_a_figure_added_to_a_section_is_served_labelled_and_grouped() -> None:
    """Adding a figure is declaring it in its context module: the catalogue serves it with its
    label, in its group (where the dashboard shows it) and with its rates."""
    extra = Section()
    hearings = extra.count("hearings", "Phiên giải trình", Group.STANDING_COMMITTEE, "phiên")
    extra.rate(
        "hearing_share",
        "Tỷ lệ phiên giải trình (%)",
        hearings,
        meetings.STANDING_COMMITTEE_MEETINGS,
    )
    catalogue = Catalogue(*SECTIONS, extra)
    out = served(catalogue)
    info = {f.key: f for f in out.figures}
    assert info["hearings"].model_dump() == {
        "key": "hearings",
        "label": "Phiên giải trình",
        "group": "Thường trực HĐND, hội nghị, tọa đàm",
        "unit": "phiên",
        "kind": "count",
        "numerator": None,
        "denominator": None,
        "scale": None,
    }
    share = info["hearing_share"]
    assert (share.kind, share.group, share.unit) == (
        "rate",
        "Thường trực HĐND, hội nghị, tọa đàm",
        "%",
    )
    assert (share.numerator, share.denominator) == ("hearings", "standing_committee_meetings")
    groups = {g.title: g.figures for g in out.groups}
    assert groups["Thường trực HĐND, hội nghị, tọa đàm"][-1] == "hearings"
    assert catalogue.labels()["hearings"] == "Phiên giải trình"
    assert list(catalogue.figures)[-1] == "hearings"  # report order: after every other figure


def test_a_figure_declared_twice_or_a_rate_of_an_unknown_figure_is_refused() -> None:
    twice = Section()
    twice.count("sessions", "Kỳ họp", Group.SESSIONS, "kỳ họp")
    with pytest.raises(ValueError, match="declared twice"):
        Catalogue(*SECTIONS, twice)
    stray = Section()
    unknown = Figure("hearings", "Phiên giải trình", Group.STANDING_COMMITTEE, "phiên")
    stray.rate("hearing_share", "Tỷ lệ (%)", unknown, meetings.SESSIONS)
    with pytest.raises(ValueError, match="unknown"):
        Catalogue(*SECTIONS, stray)


def test_each_oversight_activity_keeps_its_figures_together_on_the_dashboard() -> None:
    """Report order lists planned and started after every finished activity; the dashboard's
    group lists each activity's figures together."""
    shown = [f.key for f in CATALOGUE.groups()[Group.OVERSIGHT]]
    surveys = [k for k in shown if k.startswith("surveys")]
    first = shown.index(surveys[0])
    assert shown[first : first + len(surveys)] == surveys
    assert "surveys_planned" in surveys and "surveys_started_field_land" in surveys
