"""Numbers as Vietnamese administrative documents print them: "1.512", "20,3%", "62,5 ngày".

Pure. Thousands are grouped with a dot and decimals follow a comma (TCVN, and Nghị định
30/2020/NĐ-CP for dates: days below 10 and the months 1 and 2 take a leading zero).
"""

from __future__ import annotations

from datetime import date


def vn_int(n: int) -> str:
    """1512 → "1.512"; -1512 → "-1.512"."""
    return f"{n:,}".replace(",", ".")


def vn_decimal(x: float, digits: int = 1) -> str:
    """A decimal rounded to `digits` places, without trailing zeros: 20.3 → "20,3",
    1234.5 → "1.234,5", 100.0 → "100"."""
    rounded = round(x, digits)
    whole, _, fraction = f"{abs(rounded):.{digits}f}".partition(".")
    fraction = fraction.rstrip("0")
    text = vn_int(int(whole)) + ("," + fraction if fraction else "")
    return "-" + text if rounded < 0 else text


def vn_percent(x: float) -> str:
    """A percentage as the API computed it (one decimal): 20.3 → "20,3%"."""
    return vn_decimal(x) + "%"


def vn_date(day: date) -> str:
    """'ngày 05 tháng 02 năm 2025': leading zero for days below 10 and for months 1 and 2."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def report_number(number: int) -> str:
    """The document number as printed: 5 → "05" (below 10 with a leading zero)."""
    return f"{number:02d}"
