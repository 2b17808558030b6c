"""What a periodic report (báo cáo định kỳ) consists of, whichever way it is laid out: the same
`ReportContent` becomes a Word document and a web page, so what the browser shows is what Word
opens. Each paragraph records the figures it quotes (`Quote`), so a test can hold every printed
number against the summary API. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from services.common.hierarchy import Level
from services.reporting.document.numbers import vn_date

Style = Literal["heading", "subheading", "body", "placeholder"]


@dataclass(frozen=True, slots=True)
class Quote:
    """A figure (or rate) printed in a sentence: its key in the summary, value and text."""

    key: str
    value: float
    text: str


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str
    style: Style = "body"
    quotes: tuple[Quote, ...] = ()


@dataclass(frozen=True, slots=True)
class Table:
    """The units below with their key figures; `rows[i]` is (code, cells) in column order."""

    columns: tuple[str, ...]
    keys: tuple[str, ...]
    rows: tuple[tuple[str, str, tuple[int, ...]], ...]  # (code, name, figures)
    total: tuple[str, tuple[int, ...]]  # (label, figures of the unit itself)


Block = Paragraph | Table


@dataclass(frozen=True, slots=True)
class Council:
    """The unit whose standing committee reports, named as documents name it."""

    code: str
    name: str  # "Thị xã Mường Lay"
    short_name: str  # "Mường Lay"
    level: Level
    above: str | None = None  # name of the unit the report goes to, e.g. "Tỉnh Điện Biên"

    @property
    def kind(self) -> str:
        """The unit's type in lower case: "thị xã", "huyện", "tỉnh", "xã" …"""
        kind = self.name[: len(self.name) - len(self.short_name)].strip()
        return (kind or self.name).lower()


@dataclass(frozen=True, slots=True)
class Texts:
    """Sections II and III as the secretary typed them (None: never saved)."""

    shortcomings: str | None = None
    directions: str | None = None


@dataclass(frozen=True, slots=True)
class Verification:
    """The daily roots of the hash chains a report was built on (services.reporting.audit):
    those of the day before its date, covering its unit and the units below it. `code` is
    the verification code over them; the document prints its first 16 digits."""

    day: date
    code: str
    roots: int

    @property
    def text(self) -> str:
        day = self.day.strftime("%d/%m/%Y")
        if not self.roots:
            return f"Mã kiểm chứng dữ liệu: chưa có (chưa nhận gốc nhật ký nào của ngày {day})."
        short = " ".join(self.code[i : i + 4] for i in range(0, 16, 4)).upper()
        return f"Mã kiểm chứng dữ liệu: {short} ({self.roots} gốc nhật ký ngày {day})."


@dataclass(frozen=True, slots=True)
class ReportContent:
    issuer: tuple[str, ...]  # the issuing body, in capitals, one line each
    number: str  # "05/BC-HĐND"
    place: str
    dated: date
    subject: str  # trích yếu
    blocks: tuple[Block, ...]
    recipients: tuple[str, ...]
    signature: tuple[str, str] = ("TM. THƯỜNG TRỰC HĐND", "CHỦ TỊCH")
    title: str = "BÁO CÁO"
    verification: Verification | None = None

    @property
    def place_and_date(self) -> str:
        return f"{self.place}, {vn_date(self.dated)}"

    def quotes(self) -> list[Quote]:
        return [q for b in self.blocks if isinstance(b, Paragraph) for q in b.quotes]
