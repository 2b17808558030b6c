from __future__ import annotations

import pytest

from services.reporting.periods import InvalidPeriod, parse_period


@pytest.mark.parametrize(
    ("text", "first", "last", "label"),
    [
        ("2025", "2025-01", "2025-12", "Năm 2025"),
        ("2025-03", "2025-03", "2025-03", "Tháng 3/2025"),
        ("2025-Q3", "2025-07", "2025-09", "Quý III/2025"),
        ("2025-q1", "2025-01", "2025-03", "Quý I/2025"),
        ("2025-H1", "2025-01", "2025-06", "6 tháng đầu năm 2025"),
        ("2025-H2", "2025-07", "2025-12", "6 tháng cuối năm 2025"),
        ("2025-9M", "2025-01", "2025-09", "9 tháng đầu năm 2025"),
        ("2024-11..2025-02", "2024-11", "2025-02", "Từ tháng 11/2024 đến tháng 2/2025"),
    ],
)
def test_periods_as_councils_name_them(text: str, first: str, last: str, label: str) -> None:
    period = parse_period(text)
    assert (period.first, period.last, period.label) == (first, last, label)


def test_months_of_a_range_cross_the_year() -> None:
    assert parse_period("2024-11..2025-02").months() == ["2024-11", "2024-12", "2025-01", "2025-02"]


@pytest.mark.parametrize(
    "text", ["2025-13", "2025-Q5", "1800", "2025-05..2025-01", "last year", ""]
)
def test_impossible_periods_are_refused_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(InvalidPeriod):
        parse_period(text)
