"""Reporting periods, as councils name them: month, quarter, 6 months, 9 months, year, term
(nhiệm kỳ), range.

Pure: parses the period a query asks for into an inclusive range of months.

A term runs from the month of the councils' first sessions to the month before the next
councils' first sessions. The terms since the 1994 law (Luật Tổ chức HĐND và UBND 1994), so
that a council can load its archive:

    1994–1999  elections 20 Nov 1994, first sessions in December      1994-12..1999-11
    1999–2004  elections 14 Nov 1999 (NQ 88/1999/NQ-UBTVQH10)           1999-12..2004-04
    2004–2011  elections 25 Apr 2004, first sessions in May; seven years, extended so that
               the councils' terms run with the National Assembly's    2004-05..2011-05
    2011–2016  elections 22 May 2011, first sessions in June 2011      2011-06..2016-06
    2016–2021  elections 22 May 2016, first sessions from late June    2016-07..2021-05
    2021–2026  elections 23 May 2021, first sessions in June 2021      2021-06..2026-03

The 2026 elections were held on 15 March 2026 and the new councils met from late March,
within the 45 days the law allows, so April 2026 belongs to 2026–2031. Later terms are
assumed to follow the 2026 calendar (elections in March of the election year): April of the
first year to March of the last. Months before December 1994 belong to no term known here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from services.common.errors import DomainError

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
FIRST_YEAR, LAST_YEAR = 1990, 2100


class InvalidPeriod(ValueError):
    """The period text cannot name a real period; the message says what is accepted."""


@dataclass(frozen=True, slots=True)
class Period:
    key: str
    first: str  # "YYYY-MM", inclusive
    last: str  # "YYYY-MM", inclusive
    label: str  # Vietnamese, as printed on a report

    def months(self) -> list[str]:
        return months_between(self.first, self.last)


# -- months ("YYYY-MM" keys): the one place that reads a month key's year and month ----------


def year_month(month: str) -> tuple[int, int]:
    """The year and month of a "YYYY-MM" key: (2025, 3) for "2025-03"."""
    return int(month[:4]), int(month[5:])


def month_key(year: int, month: int) -> str:
    """The "YYYY-MM" key of a month."""
    return f"{year:04d}-{month:02d}"


def months_between(first: str, last: str) -> list[str]:
    """The months from `first` to `last`, both included (none if `last` comes first)."""
    out: list[str] = []
    month = first
    while month <= last:
        out.append(month)
        month = month_after(month)
    return out


def month_span(first: str, last: str) -> int:
    """How many months `months_between` lists, without listing them."""
    (y0, m0), (y1, m1) = year_month(first), year_month(last)
    return max(0, (y1 - y0) * 12 + m1 - m0 + 1)


def month_after(month: str) -> str:
    """The month that follows: "2026-01" after "2025-12"."""
    y, m = year_month(month)
    return month_key(y + 1, 1) if m == 12 else month_key(y, m + 1)


def month_start(month: str) -> date:
    """The first day of a "YYYY-MM" month."""
    return date(*year_month(month), 1)


def month_end(month: str) -> date:
    """The last day of a "YYYY-MM" month."""
    return month_start(month_after(month)) - timedelta(days=1)


_FORMS = (
    "YYYY (year), YYYY-MM (month), YYYY-Q1..Q4 (quarter), YYYY-H1 / YYYY-H2 (6 months), "
    "YYYY-9M (first 9 months), YYYY-YYYY (term, e.g. 2021-2026), or YYYY-MM..YYYY-MM (range)"
)

# First and last month of the terms whose dates are history (see the module docstring); the
# year a term is named after at its end is its last month's.
KNOWN_TERMS = {
    1994: ("1994-12", "1999-11"),
    1999: ("1999-12", "2004-04"),
    2004: ("2004-05", "2011-05"),
    2011: ("2011-06", "2016-06"),
    2016: ("2016-07", "2021-05"),
    2021: ("2021-06", "2026-03"),
}
_TERM = r"(\d{4})-(\d{4})"  # a term's key: the years of its first and last months
TERM_YEARS = 5  # from the 2021–2026 term on
LONGEST_TERM = 7  # 2004–2011


def term_months(first_year: int) -> tuple[str, str]:
    """First and last month of the term elected in `first_year`; InvalidPeriod if no term
    starts that year (terms are 1994–1999 … 2004–2011, 2011–2016 … 2026–2031 …)."""
    if first_year in KNOWN_TERMS:
        return KNOWN_TERMS[first_year]
    if first_year > 2021 and (first_year - 2021) % TERM_YEARS == 0:
        return month_key(first_year, 4), month_key(first_year + TERM_YEARS, 3)
    raise InvalidPeriod(f"no council term starts in {first_year}; terms are {_terms()} …")


def term_key(first_year: int) -> str:
    """The name of the term elected in `first_year`: "2004-2011", "2021-2026"."""
    return f"{first_year}-{year_month(term_months(first_year)[1])[0]}"


def _terms() -> str:
    return ", ".join(term_key(y) for y in (*KNOWN_TERMS, 2026, 2031))


def is_term(key: str) -> bool:
    """Whether a period key names a term ("2021-2026")."""
    return re.fullmatch(_TERM, key) is not None


def term_of(month: str) -> str:
    """The term ("2021-2026") a month ("YYYY-MM") belongs to; InvalidPeriod before 1994-12."""
    year = year_month(month)[0]
    for first_year in range(year, year - LONGEST_TERM - 1, -1):
        try:
            first, last = term_months(first_year)
        except InvalidPeriod:
            continue
        if first <= month <= last:
            return term_key(first_year)
    earliest = min(KNOWN_TERMS)
    raise InvalidPeriod(
        f"month {month} is before the first term this service knows ({term_key(earliest)},"
        f" from {KNOWN_TERMS[earliest][0]})"
    )


def _year(text: str) -> int:
    year = int(text)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidPeriod(f"year {year} is outside {FIRST_YEAR}-{LAST_YEAR}")
    return year


def parse_period(text: str) -> Period:
    """Parse `text`; raise InvalidPeriod naming the accepted forms."""
    text = text.strip()
    if m := re.fullmatch(r"(\d{4})", text):
        y = _year(m[1])
        return Period(text, month_key(y, 1), month_key(y, 12), f"Năm {y}")
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        y, month = _year(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise InvalidPeriod(f"month {month} does not exist")
        return Period(text, month_key(y, month), month_key(y, month), f"Tháng {month}/{y}")
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", text, re.IGNORECASE):
        y, q = _year(m[1]), int(m[2])
        return Period(
            text.upper(), month_key(y, 3 * q - 2), month_key(y, 3 * q), f"Quý {ROMAN[q]}/{y}"
        )
    if m := re.fullmatch(r"(\d{4})-H([12])", text, re.IGNORECASE):
        y, h = _year(m[1]), int(m[2])
        label = f"6 tháng đầu năm {y}" if h == 1 else f"6 tháng cuối năm {y}"
        return Period(text.upper(), month_key(y, 6 * h - 5), month_key(y, 6 * h), label)
    if m := re.fullmatch(r"(\d{4})-9M", text, re.IGNORECASE):
        y = _year(m[1])
        return Period(text.upper(), month_key(y, 1), month_key(y, 9), f"9 tháng đầu năm {y}")
    if m := re.fullmatch(_TERM, text):
        start, end = _year(m[1]), _year(m[2])
        opens, closes = term_months(start)
        if end != year_month(closes)[0]:
            raise InvalidPeriod(f"the term elected in {start} is {term_key(start)}")
        return Period(text, opens, closes, f"Nhiệm kỳ {start}–{end}")
    if m := re.fullmatch(r"(\d{4})-(\d{2})\.\.(\d{4})-(\d{2})", text):
        first, last = parse_period(f"{m[1]}-{m[2]}"), parse_period(f"{m[3]}-{m[4]}")
        if first.first > last.last:
            raise InvalidPeriod(f"range starts ({first.first}) after it ends ({last.last})")
        label = f"Từ tháng {_slashed(first.first)} đến tháng {_slashed(last.last)}"
        return Period(text, first.first, last.last, label)
    raise InvalidPeriod(f"unrecognised period {text!r}; use {_FORMS}")


def period_in(text: str, field: str) -> Period:
    """The period `text` asks for, or a DomainError on `field` naming the accepted forms."""
    try:
        return parse_period(text)
    except InvalidPeriod as exc:
        raise DomainError(field, str(exc)) from None


def _slashed(month: str) -> str:
    """ "3/2025" for "2025-03", as a label writes a month."""
    y, m = year_month(month)
    return f"{m}/{y}"
