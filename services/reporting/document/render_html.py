"""The same report content as one self-contained web page (its style sheet inside, nothing
loaded), laid out like the Word document so that what the browser shows is what Word opens.

The page has no script and no style attribute; its one style sheet is allowed by its hash
(`STYLE_SOURCE`) in the Content-Security-Policy of the pages that show it."""

from __future__ import annotations

import base64
import hashlib
from html import escape

from services.reporting.document.model import Paragraph, ReportContent, Table
from services.reporting.document.numbers import vn_int

MEDIA_TYPE = "text/html; charset=utf-8"

_CSS = """
body { background: #e9e9e9; margin: 0; padding: 16px; }
.page { background: #fff; width: 210mm; min-height: 297mm; margin: 0 auto; box-sizing: border-box;
  padding: 20mm 15mm 20mm 30mm; font: 14pt/1.35 "Times New Roman", "Liberation Serif", serif;
  color: #000; }
.head { display: grid; grid-template-columns: 68mm 1fr; text-align: center; font-size: 13pt; }
.head p { margin: 0; }
.caps { font-weight: bold; text-transform: none; }
.nation { font-size: 12pt; }
.number { white-space: pre; }
.motto { font-weight: bold; text-decoration: underline; }
.rule { width: 22mm; border-top: 1px solid #000; margin: 2px auto 6px; }
.place { font-style: italic; margin-top: 1.6em !important; font-size: 14pt; }
h1 { font-size: 14pt; text-align: center; margin: 18px 0 0; }
.subject { font-weight: bold; text-align: center; margin: 0; }
.subject + .rule { width: 55mm; margin-bottom: 12px; }
p.body, p.heading, p.subheading, p.placeholder { text-align: justify; text-indent: 1.27cm;
  margin: 0 0 6pt; }
p.heading, p.subheading { font-weight: bold; margin-top: 6pt; }
p.placeholder { font-style: italic; }
table.units { border-collapse: collapse; width: 100%; font-size: 11pt; margin: 6pt 0 12pt; }
table.units th, table.units td { border: 1px solid #000; padding: 2px 4px; text-align: center; }
table.units td.name { text-align: left; }
table.units tr.total td { font-weight: bold; }
.foot { display: grid; grid-template-columns: 68mm 1fr; margin-top: 12pt; }
.foot .to { font-size: 11pt; }
.foot .to b { font-size: 12pt; font-style: italic; }
.foot .to p, .foot .sign p { margin: 0; }
.sign { text-align: center; font-weight: bold; }
.code { font-size: 10pt; font-style: italic; margin: 18pt 0 0; }
@media print { body { background: none; padding: 0; } .page { width: auto; min-height: 0;
  padding: 0; } @page { size: A4; margin: 20mm 15mm 20mm 30mm; } }
"""
# The CSP source that allows exactly the style sheet above (CSP Level 2 hash of its text).
STYLE_SOURCE = f"'sha256-{base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode()}'"


def render_html(content: ReportContent) -> str:
    issuer = "".join(f'<p class="caps">{escape(line)}</p>' for line in content.issuer)
    parts = [
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">',
        f"<title>{escape(content.title)} {escape(content.subject)}</title>",
        f'<style>{_CSS}</style></head><body><article class="page">',
        '<header class="head"><div>',
        issuer,
        '<div class="rule"></div>',
        f'<p class="number">Số: {escape(content.number)}</p></div><div>',
        '<p class="caps nation">CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</p>',
        '<p class="motto">Độc lập - Tự do - Hạnh phúc</p>',
        f'<p class="place">{escape(content.place_and_date)}</p></div></header>',
        f"<h1>{escape(content.title)}</h1>",
        f'<p class="subject">{escape(content.subject)}</p><div class="rule"></div>',
    ]
    for block in content.blocks:
        parts.append(_table(block) if isinstance(block, Table) else _paragraph(block))
    recipients = "".join(f"<p>{escape(r)}</p>" for r in content.recipients)
    signature = "".join(f"<p>{escape(s)}</p>" for s in content.signature)
    code = ""
    if content.verification is not None:
        code = f'<p class="code">{escape(content.verification.text)}</p>'
    parts.append(
        f'<footer class="foot"><div class="to"><b>Nơi nhận:</b>{recipients}</div>'
        f'<div class="sign">{signature}</div></footer>{code}</article></body></html>'
    )
    return "".join(parts)


def _paragraph(block: Paragraph) -> str:
    return f'<p class="{block.style}">{escape(block.text)}</p>'


def _table(block: Table) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in block.columns)
    rows = []
    for i, (_, name, figures) in enumerate(block.rows, 1):
        cells = "".join(f"<td>{vn_int(n)}</td>" for n in figures)
        rows.append(f'<tr><td>{i}</td><td class="name">{escape(name)}</td>{cells}</tr>')
    label, figures = block.total
    total = "".join(f"<td>{vn_int(n)}</td>" for n in figures)
    rows.append(f'<tr class="total"><td></td><td class="name">{escape(label)}</td>{total}</tr>')
    return (
        f'<table class="units"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )
