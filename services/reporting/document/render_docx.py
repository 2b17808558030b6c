"""A report's content as a Word document in the layout of Nghị định 30/2020/NĐ-CP, Phụ lục I.

A4 portrait; margins top 20, bottom 20, left 30, right 15 mm; Times New Roman 14 (13 in the
header block, 11 in the table); the issuing body (bold capitals) and its number on the left,
the Quốc hiệu and the underlined Tiêu ngữ on the right, place and date in italics; "BÁO CÁO"
and the trích yếu centred in bold; body justified with a 1.27 cm first-line indent and 6 pt
between paragraphs; page numbers centred at the top from page 2; "Nơi nhận:" and the
signature block (name left blank to sign). Built with python-docx; the few elements it has
no API for (a page-number field, a paragraph border) are made with its `OxmlElement`.
"""

from __future__ import annotations

import copy
import io
import zipfile
from datetime import UTC, date, datetime, time

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Mm, Pt
from docx.styles.style import ParagraphStyle
from docx.table import Table as DocxTable
from docx.table import _Cell, _Row
from docx.text.paragraph import Paragraph as DocxParagraph

from services.reporting.document.model import Paragraph, ReportContent, Table
from services.reporting.document.numbers import vn_int

FONT = "Times New Roman"
BODY_PT, HEADER_PT, TABLE_PT, RECIPIENTS_PT = 14, 13, 11, 12
PAGE = {"width": Mm(210), "height": Mm(297)}
MARGINS = {"top": Mm(20), "bottom": Mm(20), "left": Mm(30), "right": Mm(15)}
TEXT_WIDTH = Mm(210 - 30 - 15)
LEFT_BLOCK = Mm(68)  # issuing body / Nơi nhận; the rest is the Quốc hiệu / signature
MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def render_docx(content: ReportContent) -> bytes:
    doc = Document()
    _page_setup(doc)
    _header_block(doc, content)
    title = _centred(doc, content.title, bold=True, space_before=12)
    title.paragraph_format.space_after = Pt(0)
    _centred(doc, content.subject, bold=True)
    _rule(doc.add_paragraph(), Mm(55))
    for block in content.blocks:
        if isinstance(block, Table):
            _table(doc, block)
        else:
            _paragraph(doc, block)
    _closing(doc, content)
    props = doc.core_properties
    props.title = f"{content.title} {content.subject}"
    props.language = "vi-VN"
    props.author = props.last_modified_by = "hdnd"
    props.created = props.modified = datetime.combine(content.dated, time(), UTC)
    props.revision = 1
    out = io.BytesIO()
    doc.save(out)
    return _stable(out.getvalue(), content.dated)


def _stable(docx: bytes, dated: date) -> bytes:
    """The same content always gives the same bytes (so a re-generated report hashes the
    same): the package's entries are dated with the report, not with the moment of writing."""
    source = zipfile.ZipFile(io.BytesIO(docx))
    stamp = (min(max(dated.year, 1980), 2107), dated.month, dated.day, 0, 0, 0)  # zip's range
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            entry = zipfile.ZipInfo(item.filename, stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(item.filename))
    return out.getvalue()


def _page_setup(doc: DocxDocument) -> None:
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE["width"], PAGE["height"]
    section.top_margin, section.bottom_margin = MARGINS["top"], MARGINS["bottom"]
    section.left_margin, section.right_margin = MARGINS["left"], MARGINS["right"]
    section.header_distance = Mm(10)
    # Page numbers centred at the top, from the second page on.
    section.different_first_page_header_footer = True
    number = section.header.paragraphs[0]
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_field(number)


def _page_field(paragraph: DocxParagraph) -> None:
    """A PAGE field: Word and LibreOffice print the page's number in its place."""
    run = paragraph.add_run()
    run.font.size = Pt(BODY_PT)
    for kind, text in (("begin", None), ("instr", " PAGE "), ("separate", None), ("end", None)):
        if text is not None:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        else:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        run._r.append(element)


def _rule(paragraph: DocxParagraph, length: Mm | Cm | int, within: int = 0) -> None:
    """A short centred horizontal line (the line under the issuing body, the Tiêu ngữ and the
    trích yếu), drawn as the bottom border of an empty paragraph narrowed by indents."""
    side = max(0, ((within or TEXT_WIDTH) - int(length)) // 2)
    fmt = paragraph.paragraph_format
    fmt.left_indent = fmt.right_indent = side
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing = Pt(2)
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for attr, value in (
        ("w:val", "single"),
        ("w:sz", "6"),
        ("w:space", "1"),
        ("w:color", "000000"),
    ):
        bottom.set(qn(attr), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)


def _line(
    container: DocxDocument | _Cell,
    text: str,
    *,
    size: int = BODY_PT,
    bold: bool = False,
    italic: bool = False,
    underline: bool = False,
    align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.CENTER,
) -> DocxParagraph:
    paragraph = container.add_paragraph()
    paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing = 1.0
    run = paragraph.add_run(text)
    run.font.size, run.bold, run.italic, run.underline = Pt(size), bold, italic, underline
    return paragraph


def _widths(table: DocxTable, widths: list[int]) -> None:
    """Column widths of a fixed layout: in the grid (LibreOffice reads these) and in the first
    row's cells (Word lays a fixed table out by its first row)."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Emu(width)
    for cell, width in zip(table.rows[0].cells, widths, strict=True):
        cell.width = Emu(width)


def _two_blocks(doc: DocxDocument) -> tuple[_Cell, _Cell]:
    """A borderless two-column row: the left block and the right block, both empty."""
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(table, [int(LEFT_BLOCK), int(TEXT_WIDTH) - int(LEFT_BLOCK)])
    cells = table.cell(0, 0), table.cell(0, 1)
    for cell in cells:
        cell._tc.remove(cell.paragraphs[0]._p)  # start empty: lines are added
    return cells


def _header_block(doc: DocxDocument, content: ReportContent) -> None:
    """Issuing body and number on the left; Quốc hiệu, Tiêu ngữ, place and date on the right."""
    left, right = _two_blocks(doc)
    for text in content.issuer:
        _line(left, text, size=HEADER_PT, bold=True)
    _rule(left.add_paragraph(), Mm(22), int(LEFT_BLOCK))
    _line(left, "").paragraph_format.space_after = Pt(2)
    _line(left, f"Số: {content.number}", size=HEADER_PT)
    _line(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12, bold=True)
    _line(right, "Độc lập - Tự do - Hạnh phúc", size=HEADER_PT, bold=True, underline=True)
    _line(right, "")
    _line(right, "")
    _line(right, content.place_and_date, size=BODY_PT, italic=True)


def _centred(doc: DocxDocument, text: str, *, bold: bool, space_before: int = 0) -> DocxParagraph:
    paragraph = _line(doc, text, bold=bold)
    paragraph.paragraph_format.space_before = Pt(space_before)
    return paragraph


def _paragraph(doc: DocxDocument, block: Paragraph) -> None:
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    fmt = paragraph.paragraph_format
    fmt.first_line_indent = Cm(1.27)
    fmt.space_before = Pt(6 if block.style in ("heading", "subheading") else 0)
    fmt.space_after = Pt(6)
    fmt.line_spacing = 1.15
    if block.style in ("heading", "subheading"):
        fmt.keep_with_next = True
    run = paragraph.add_run(block.text)
    run.bold = block.style in ("heading", "subheading")
    run.italic = block.style == "placeholder"


def _table(doc: DocxDocument, block: Table) -> None:
    """The units below: a heading row, one row per unit, the unit's total. A province lists a
    hundred units or more, and python-docx builds a cell in many small steps, so one unit row
    is formatted once and copied for the others, which then only get their texts."""
    table = doc.add_table(rows=3, cols=len(block.columns))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    first, names = int(Mm(9)), int(Mm(36))
    number = (int(TEXT_WIDTH) - first - names) // (len(block.columns) - 2)
    _widths(table, [first, names, *[number] * (len(block.columns) - 2)])
    centred, left = _table_styles(doc)
    heading, unit, total = table.rows
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row.cells):
            paragraph = cell.paragraphs[0]
            # The style's id straight on the paragraph: `paragraph.style =` searches every
            # style for the default one on each call.
            paragraph._p.style = (left if c == 1 and r > 0 else centred).style_id
            paragraph.add_run().bold = r != 1 or None
    _texts(heading, list(block.columns))
    _texts(total, ["", block.total[0], *(vn_int(n) for n in block.total[1])])
    template = unit._tr
    for i, (_, name, figures) in enumerate(block.rows, 1):
        tr = copy.deepcopy(template)
        total._tr.addprevious(tr)
        _texts(_Row(tr, table), [str(i), name, *(vn_int(n) for n in figures)])
    template.getparent().remove(template)
    _repeat_header(heading)
    doc.add_paragraph().paragraph_format.space_after = Pt(0)


def _texts(row: _Row, values: list[str]) -> None:
    for cell, value in zip(row.cells, values, strict=True):
        cell.paragraphs[0].runs[0].text = value


def _table_styles(doc: DocxDocument) -> tuple[ParagraphStyle, ParagraphStyle]:
    """Paragraph styles of the table's cells: centred figures, and unit names on the left."""
    made = []
    for name, align in (
        ("Bảng số liệu", WD_ALIGN_PARAGRAPH.CENTER),
        ("Bảng tên đơn vị", WD_ALIGN_PARAGRAPH.LEFT),
    ):
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        assert isinstance(style, ParagraphStyle)
        style.base_style = doc.styles["Normal"]
        style.font.size = Pt(TABLE_PT)
        style.paragraph_format.alignment = align
        style.paragraph_format.space_after = Pt(0)
        style.paragraph_format.line_spacing = 1.0
        made.append(style)
    return made[0], made[1]


def _repeat_header(row: object) -> None:
    """The table's first row repeats at the top of every page it runs onto."""
    tr = row._tr  # type: ignore[attr-defined]
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr.get_or_add_trPr().append(header)


def _closing(doc: DocxDocument, content: ReportContent) -> None:
    """ "Nơi nhận:" on the left, the signature block on the right (name left blank)."""
    left, right = _two_blocks(doc)
    # The block moves whole to the next page rather than leave "- Lưu: VT." alone there.
    left._tc.getparent().get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    _line(
        left, "Nơi nhận:", size=RECIPIENTS_PT, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT
    )
    for recipient in content.recipients:
        _line(left, recipient, size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    for text in content.signature:
        _line(right, text, size=BODY_PT, bold=True)
    for _ in range(4):  # room to sign and seal; the name is written by hand
        _line(right, "")
    if content.verification is not None:  # the roots it was built on, below everything
        code = _line(doc, content.verification.text, size=10, italic=True)
        code.alignment = WD_ALIGN_PARAGRAPH.LEFT
        code.paragraph_format.space_before = Pt(18)
