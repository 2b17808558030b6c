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
        y, m = int(self.first[:4]), int(self.first[5:])
        out = []
        while f"{y:04d}-{m:02d}" <= self.last:
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out


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
TERM_YEARS = 5  # from the 2021–2026 term on
LONGEST_TERM = 7  # 2004–2011


def term_months(first_year: int) -> tuple[str, str]:
    """First and last month of the term elected in `first_year`; InvalidPeriod if no term
    starts that year (terms are 1994–1999 … 2004–2011, 2011–2016 … 2026–2031 …)."""
    if first_year in KNOWN_TERMS:
        return KNOWN_TERMS[first_year]
    if first_year > 2021 and (first_year - 2021) % TERM_YEARS == 0:
        return _ym(first_year, 4), _ym(first_year + TERM_YEARS, 3)
    raise InvalidPeriod(f"no council term starts in {first_year}; terms are {_terms()} …")


def term_key(first_year: int) -> str:
    """The name of the term elected in `first_year`: "2004-2011", "2021-2026"."""
    return f"{first_year}-{term_months(first_year)[1][:4]}"


def _terms() -> str:
    return ", ".join(term_key(y) for y in (*KNOWN_TERMS, 2026, 2031))


def term_of(month: str) -> str:
    """The term ("2021-2026") a month ("YYYY-MM") belongs to; InvalidPeriod before 1994-12."""
    for first_year in range(int(month[:4]), int(month[:4]) - LONGEST_TERM - 1, -1):
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


def _ym(y: int, m: int) -> str:
    return f"{y:04d}-{m:02d}"


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
        return Period(text, _ym(y, 1), _ym(y, 12), f"Năm {y}")
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        y, month = _year(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise InvalidPeriod(f"month {month} does not exist")
        return Period(text, _ym(y, month), _ym(y, month), f"Tháng {month}/{y}")
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", text, re.IGNORECASE):
        y, q = _year(m[1]), int(m[2])
        return Period(text.upper(), _ym(y, 3 * q - 2), _ym(y, 3 * q), f"Quý {ROMAN[q]}/{y}")
    if m := re.fullmatch(r"(\d{4})-H([12])", text, re.IGNORECASE):
        y, h = _year(m[1]), int(m[2])
        label = f"6 tháng đầu năm {y}" if h == 1 else f"6 tháng cuối năm {y}"
        return Period(text.upper(), _ym(y, 6 * h - 5), _ym(y, 6 * h), label)
    if m := re.fullmatch(r"(\d{4})-9M", text, re.IGNORECASE):
        y = _year(m[1])
        return Period(text.upper(), _ym(y, 1), _ym(y, 9), f"9 tháng đầu năm {y}")
    if m := re.fullmatch(r"(\d{4})-(\d{4})", text):
        start, end = _year(m[1]), _year(m[2])
        opens, closes = term_months(start)
        if str(end) != closes[:4]:
            raise InvalidPeriod(f"the term elected in {start} is {term_key(start)}")
        return Period(text, opens, closes, f"Nhiệm kỳ {start}–{end}")
    if m := re.fullmatch(r"(\d{4})-(\d{2})\.\.(\d{4})-(\d{2})", text):
        first, last = parse_period(f"{m[1]}-{m[2]}"), parse_period(f"{m[3]}-{m[4]}")
        if first.first > last.last:
            raise InvalidPeriod(f"range starts ({first.first}) after it ends ({last.last})")
        label = (
            f"Từ tháng {int(first.first[5:])}/{first.first[:4]}"
            f" đến tháng {int(last.last[5:])}/{last.last[:4]}"
        )
        return Period(text, first.first, last.last, label)
    raise InvalidPeriod(f"unrecognised period {text!r}; use {_FORMS}")
