from __future__ import annotations

import pytest

from services.reporting.read.periods import InvalidPeriod, parse_period, term_of


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
        ("2021-2026", "2021-06", "2026-03", "Nhiệm kỳ 2021–2026"),
        ("2016-2021", "2016-07", "2021-05", "Nhiệm kỳ 2016–2021"),
        ("2026-2031", "2026-04", "2031-03", "Nhiệm kỳ 2026–2031"),
        ("2011-2016", "2011-06", "2016-06", "Nhiệm kỳ 2011–2016"),
        ("2004-2011", "2004-05", "2011-05", "Nhiệm kỳ 2004–2011"),
        ("1999-2004", "1999-12", "2004-04", "Nhiệm kỳ 1999–2004"),
        ("1994-1999", "1994-12", "1999-11", "Nhiệm kỳ 1994–1999"),
    ],
)
def test_periods_as_councils_name_them(text: str, first: str, last: str, label: str) -> None:
    period = parse_period(text)
    assert (period.first, period.last, period.label) == (first, last, label)


def test_months_of_a_range_cross_the_year() -> None:
    assert parse_period("2024-11..2025-02").months() == ["2024-11", "2024-12", "2025-01", "2025-02"]


@pytest.mark.parametrize(
    "text",
    [
        "2025-13",
        "2025-Q5",
        "1800",
        "2025-05..2025-01",
        "last year",
        "",
        "2021-2027",
        "2022-2027",
        "2004-2009",
        "2011-2015",
        "1989-1994",
    ],
)
def test_impossible_periods_are_refused_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(InvalidPeriod):
        parse_period(text)


def test_a_term_runs_from_the_first_sessions_to_the_next_councils_first_sessions() -> None:
    term = parse_period("2021-2026")
    assert len(term.months()) == 58  # June 2021 through March 2026
    assert term_of("2021-05") == "2016-2021"
    assert term_of("2021-06") == "2021-2026"
    assert term_of("2026-03") == "2021-2026"
    assert term_of("2026-04") == "2026-2031"  # the 15 March 2026 elections' councils
    assert term_of("2031-03") == "2026-2031"
    with pytest.raises(InvalidPeriod, match="1994-1999"):
        term_of("1994-11")


def test_the_terms_since_the_1994_law_follow_each_other_month_by_month() -> None:
    """Every month from December 1994 belongs to exactly one term; 2004–2011 lasted seven
    years (the Cần Thơ archive's 2011–2016 term holds 2015)."""
    assert term_of("1994-12") == "1994-1999"
    assert term_of("2004-04") == "1999-2004"
    assert term_of("2010-01") == term_of("2011-05") == "2004-2011"
    assert term_of("2015-12") == term_of("2016-06") == "2011-2016"
    assert term_of("2016-07") == "2016-2021"
    assert len(parse_period("2004-2011").months()) == 85
    with pytest.raises(InvalidPeriod, match="the term elected in 2004 is 2004-2011"):
        parse_period("2004-2009")
