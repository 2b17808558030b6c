"""Reporting periods, as councils name them: month, quarter, 6 months, 9 months, year, range.

Pure: parses the period a query asks for into an inclusive range of months.
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
    "YYYY-9M (first 9 months), or YYYY-MM..YYYY-MM (range)"
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
