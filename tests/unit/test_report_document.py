"""Report documents without servers: Vietnamese number formatting, the sentences built from a
summary (zeros said plainly, every printed figure the summary's), and the Word layout of
Nghị định 30/2020/NĐ-CP read back with python-docx; with LibreOffice installed, page 1 is
rendered to a PNG under build/test-artefacts/."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from hypothesis import given
from hypothesis import strategies as st

from services.reporting.document.content import compose, next_period, period_phrase
from services.reporting.document.model import Council, Paragraph, Table, Texts, Verification
from services.reporting.document.numbers import vn_date, vn_decimal, vn_int, vn_percent
from services.reporting.document.render_docx import render_docx
from services.reporting.document.render_html import render_html
from services.reporting.read.figures import complete, rates_of
from services.reporting.read.periods import parse_period

ARTEFACTS = Path(__file__).resolve().parents[2] / "build" / "test-artefacts"

# -- numbers ---------------------------------------------------------------------------------


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_integers_group_thousands_with_dots(n: int) -> None:
    text = vn_int(n)
    assert int(text.replace(".", "")) == n
    groups = text.lstrip("-").split(".")
    assert 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=1, allow_nan=False))
def test_decimals_use_a_comma_and_drop_a_zero_fraction(x: Any) -> None:
    text = vn_decimal(float(x))
    whole, _, fraction = text.partition(",")
    assert float(whole.replace(".", "") + "." + (fraction or "0")) == pytest.approx(float(x))
    assert fraction != "0" and "." not in fraction


def test_the_examples_of_the_issue() -> None:
    assert (vn_int(1512), vn_percent(20.3), vn_percent(100.0)) == ("1.512", "20,3%", "100%")
    assert vn_decimal(1234.5) == "1.234,5"
    assert vn_date(date(2025, 2, 5)) == "ngày 05 tháng 02 năm 2025"  # NĐ 30: leading zeros
    assert vn_date(date(2025, 10, 15)) == "ngày 15 tháng 10 năm 2025"


def test_the_next_period_is_what_section_three_plans_for() -> None:
    phrases = {
        key: period_phrase(next_period(parse_period(key)))
        for key in ("2025-H1", "2025-9M", "2025", "2021-2026")
    }
    assert phrases == {
        "2025-H1": "6 tháng cuối năm 2025",
        "2025-9M": "quý IV năm 2025",
        "2025": "năm 2026",
        "2021-2026": "nhiệm kỳ 2026–2031",
    }


# -- content ---------------------------------------------------------------------------------

DISTRICT = Council("095", "Thị xã Mường Lay", "Mường Lay", "district", "Tỉnh Điện Biên")
FIGURES = Counter(
    sessions=4,
    sessions_regular=2,
    sessions_extraordinary=2,
    resolutions_adopted=29,
    session_seats=82,
    session_seats_present=72,
    voter_contacts=34,
    voter_contacts_before_session=34,
    voters_reached=1512,
    voter_opinions_raised=148,
    voter_opinions_field_land=148,
    opinions_forwarded=148,
    opinions_resolved=30,
    voter_opinions_pending=118,
    opinion_days_to_resolve=1875,
    council_seats=82,
    delegates_trained=61,
)


def summary_of(figures: Counter[str], period: str = "2025-9M", **extra: Any) -> dict[str, Any]:
    done = complete(figures)
    child = {"code": "03151", "name": "Phường Na Lay", "figures": done, "rates": rates_of(done)}
    return {
        "unit": {"code": "095", "name": DISTRICT.name, "level": "district", "era": "legacy"},
        "period": {"key": period},
        "figures": done,
        "rates": rates_of(done),
        "own": complete(Counter(sessions=1)),
        "children": [child],
        **extra,
    }


def paragraphs(content: Any) -> list[str]:
    return [b.text for b in content.blocks if isinstance(b, Paragraph)]


def test_every_printed_figure_is_the_summarys_and_in_its_sentence() -> None:
    summary = summary_of(FIGURES)
    content = compose(summary, DISTRICT, 5, date(2025, 10, 6), Texts())
    quoted = [(b, q) for b in content.blocks if isinstance(b, Paragraph) for q in b.quotes]
    assert len(quoted) > 20
    for block, quote in quoted:
        if quote.key.startswith("own."):
            expected: float = summary["own"][quote.key[4:]]
        elif quote.key in summary["rates"]:
            expected = summary["rates"][quote.key]
        else:
            expected = summary["figures"][quote.key]
        assert quote.value == expected, quote
        assert quote.text in block.text, (quote, block.text)
    text = "\n".join(paragraphs(content))
    assert "34 cuộc tiếp xúc cử tri (34 cuộc trước kỳ họp) với 1.512 lượt cử tri" in text
    assert "148 ý kiến, kiến nghị" in text and "(đạt 20,3%)" in text
    assert "118 ý kiến, kiến nghị đang được giải quyết" in text
    assert "bình quân 62,5 ngày" in text  # 1875 / 30
    assert "61/82 đại biểu" in text and "đạt 74,4%" in text
    assert content.number == "05/BC-HĐND"
    assert content.issuer == ("HỘI ĐỒNG NHÂN DÂN", "THỊ XÃ MƯỜNG LAY", "THƯỜNG TRỰC")
    assert content.place_and_date == "Mường Lay, ngày 06 tháng 10 năm 2025"
    assert content.recipients[0] == "- Thường trực HĐND tỉnh Điện Biên;"


def test_zero_and_unknown_figures_are_said_plainly_never_invented() -> None:
    content = compose(summary_of(Counter()), DISTRICT, 1, date(2025, 10, 6), Texts())
    text = "\n".join(paragraphs(content))
    for said in (
        "không tổ chức kỳ họp nào",
        "không tổ chức phiên họp nào",
        "Không tiến hành cuộc giám sát chuyên đề nào",
        "Không có kiến nghị nào được ban hành",
        "không tổ chức cuộc tiếp xúc cử tri nào",
        "Không có ý kiến, kiến nghị nào của cử tri được tiếp nhận",
        "Không tiếp nhận đơn thư nào",
        "chưa tính được tỷ lệ đại biểu đã được tập huấn",
        "không có báo cáo định kỳ nào đến hạn",
    ):
        assert said in text, said
    assert not [q for b in content.blocks if isinstance(b, Paragraph) for q in b.quotes if q.value]
    assert "%" not in text  # no rate without a denominator


def test_section_three_is_prefilled_from_the_next_periods_tasks_unless_typed() -> None:
    tasks = [{"title": "Tổ chức kỳ họp cuối năm"}, {"title": "Hủy", "status": "cancelled"}]
    content = compose(summary_of(FIGURES), DISTRICT, 5, date(2025, 10, 6), Texts(), tasks)
    text = paragraphs(content)
    at = text.index("III. PHƯƠNG HƯỚNG, NHIỆM VỤ")
    assert text[at + 1].startswith("Tiếp tục thực hiện chương trình công tác quý IV năm 2025")
    assert text[at + 2] == "1. Tổ chức kỳ họp cuối năm" and "Hủy" not in text
    typed = Texts("Một số Tổ đại biểu chưa tiếp xúc cử tri.\nNguyên nhân: …", "Giám sát đất đai.")
    content = compose(summary_of(FIGURES), DISTRICT, 5, date(2025, 10, 6), typed, tasks)
    text = paragraphs(content)
    ii = text.index("II. TỒN TẠI, HẠN CHẾ")
    assert text[ii + 1 : ii + 3] == ["Một số Tổ đại biểu chưa tiếp xúc cử tri.", "Nguyên nhân: …"]
    assert text[text.index("III. PHƯƠNG HƯỚNG, NHIỆM VỤ") + 1] == "Giám sát đất đai."


# -- the Word document -----------------------------------------------------------------------


# the roots of the hash chains of 5 October 2025 the report is built on (three services)
BUILT_ON = Verification(date(2025, 10, 5), "3f9a1c2e7b4d5a60" + "0" * 48, 3)


def report_content() -> Any:
    tasks = [{"title": "Tổ chức kỳ họp thường lệ cuối năm 2025"}]
    summary = summary_of(FIGURES)
    return compose(summary, DISTRICT, 5, date(2025, 10, 6), Texts(), tasks, verification=BUILT_ON)


@pytest.fixture(scope="module")
def document_bytes() -> bytes:
    return render_docx(report_content())


def test_the_layout_is_that_of_decree_30(document_bytes: bytes) -> None:
    doc = docx.Document(io.BytesIO(document_bytes))
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert 20 <= round(section.top_margin.mm) <= 25 and 20 <= round(section.bottom_margin.mm) <= 25
    assert 30 <= round(section.left_margin.mm) <= 35 and 15 <= round(section.right_margin.mm) <= 20
    normal = doc.styles["Normal"].font
    assert normal.name == "Times New Roman" and 13 <= normal.size.pt <= 14
    runs = [r for p in doc.paragraphs for r in p.runs]
    assert all(r.font.name in (None, "Times New Roman") for r in runs)
    # Header block: issuing body on the left, Quốc hiệu and Tiêu ngữ on the right.
    left, right = doc.tables[0].rows[0].cells
    issuer = [p for p in left.paragraphs if p.text]
    assert [p.text for p in issuer] == [
        "HỘI ĐỒNG NHÂN DÂN",
        "THỊ XÃ MƯỜNG LAY",
        "THƯỜNG TRỰC",
        "Số: 05/BC-HĐND",
    ]
    for p in issuer[:3]:
        assert p.runs[0].bold and 12 <= p.runs[0].font.size.pt <= 13
    nation, motto, *_, place = [p for p in right.paragraphs if p.text]
    assert nation.text == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" and nation.runs[0].bold
    assert 12 <= nation.runs[0].font.size.pt <= 13
    assert motto.text == "Độc lập - Tự do - Hạnh phúc"
    assert motto.runs[0].bold and motto.runs[0].underline and 13 <= motto.runs[0].font.size.pt <= 14
    assert place.text == "Mường Lay, ngày 06 tháng 10 năm 2025" and place.runs[0].italic
    # Title and trích yếu in bold; body justified with a first-line indent.
    texts = [p.text for p in doc.paragraphs]
    title = doc.paragraphs[texts.index("BÁO CÁO")]
    subject = doc.paragraphs[texts.index("BÁO CÁO") + 1]
    assert title.runs[0].bold and subject.runs[0].bold
    assert subject.text.startswith("Kết quả hoạt động 9 tháng đầu năm 2025")
    body = next(p for p in doc.paragraphs if p.text.startswith("Các Tổ đại biểu đã tổ chức"))
    assert body.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    assert body.paragraph_format.first_line_indent.cm == pytest.approx(1.27, abs=0.01)
    for heading in ("I. KẾT QUẢ HOẠT ĐỘNG", "II. TỒN TẠI, HẠN CHẾ", "III. PHƯƠNG HƯỚNG, NHIỆM VỤ"):
        assert doc.paragraphs[texts.index(heading)].runs[0].bold
    # Page numbers: centred at the top, not on the first page.
    assert section.different_first_page_header_footer
    number = section.header.paragraphs[0]
    assert number.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert "PAGE" in number._p.xml and not "".join(
        p.text for p in section.first_page_header.paragraphs
    )
    # The units below, then Nơi nhận and the signature block with the name left blank.
    units = doc.tables[1]
    assert [c.text for c in units.rows[1].cells][:6] == [
        "1",
        "Phường Na Lay",
        "4",
        "29",
        "34",
        "1.512",
    ]
    to, sign = doc.tables[-1].rows[0].cells
    assert to.paragraphs[0].text == "Nơi nhận:" and to.paragraphs[0].runs[0].bold
    assert [p.text for p in sign.paragraphs if p.text] == ["TM. THƯỜNG TRỰC HĐND", "CHỦ TỊCH"]
    # …kept whole on one page: never "- Lưu: VT." alone on the last one.
    assert doc.tables[-1].rows[0]._tr.trPr.find(qn("w:cantSplit")) is not None
    # Below everything, small: the code of the roots the figures were built on.
    code = doc.paragraphs[-1]
    assert (
        code.text == "Mã kiểm chứng dữ liệu: 3F9A 1C2E 7B4D 5A60 (3 gốc nhật ký ngày 05/10/2025)."
    )
    assert code.runs[0].italic and code.runs[0].font.size.pt == 10
    assert code.alignment == WD_ALIGN_PARAGRAPH.LEFT


def test_a_report_built_before_any_root_says_so() -> None:
    none = Verification(date(2025, 10, 5), "e3b0c442" * 8, 0)
    assert none.text == (
        "Mã kiểm chứng dữ liệu: chưa có (chưa nhận gốc nhật ký nào của ngày 05/10/2025)."
    )


def test_the_same_report_gives_the_same_bytes_and_the_web_page_the_same_text(
    document_bytes: bytes,
) -> None:
    content = report_content()
    assert render_docx(content) == document_bytes  # what is filed hashes the same again
    page = render_html(content)
    plain = re.sub(r"<[^>]+>", "\n", page)
    for text in [*paragraphs(content), BUILT_ON.text]:
        assert text in plain, text
    table = next(b for b in content.blocks if isinstance(b, Table))
    assert "Phường Na Lay" in page and len(table.rows) == 1


def test_page_one_renders_with_libreoffice(document_bytes: bytes, tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip(
            "LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui"
        )
    source = tmp_path / "report.docx"
    source.write_bytes(document_bytes)
    profile = f"-env:UserInstallation=file://{tmp_path / 'profile'}"
    subprocess.run(
        [
            soffice,
            profile,
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    pdf = (tmp_path / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    boxes = re.findall(rb"MediaBox\s*\[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert boxes and {(round(float(w)), round(float(h))) for w, h in boxes} == {(595, 842)}  # A4
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / "report-9-thang.pdf").write_bytes(pdf)
    if shutil.which("pdftoppm"):
        out = ARTEFACTS / "report-9-thang-page"
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "60",
                "-f",
                "1",
                "-l",
                "1",
                str(tmp_path / "report.pdf"),
                str(out),
            ],
            check=True,
            timeout=120,
        )
        assert list(ARTEFACTS.glob("report-9-thang-page*.png"))
