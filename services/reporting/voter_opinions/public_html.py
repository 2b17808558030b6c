"""The public page for voters (trang công khai), as HTML. Pure: plain values in, text out.

Server-rendered, no script; one style sheet of this service (`/cong-khai/trang.css`); Vietnamese
with `lang="vi"`, headings in order, a skip link, labelled fields, visible focus, and colours
with AA contrast. Everything taken from records is escaped.

What it shows of an opinion is what the council and the agency wrote for the public: its
field, the day of the voter contact, the agency, each step with its day, the agency's answer
and result, and the title of the request it was grouped into. Never what the voter said (the
opinion's text may name people) nor who recorded it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from html import escape
from typing import Any

from contracts.oversight import OversightField
from services.reporting.read.figures.base import FIELDS

TITLE = "Kết quả giải quyết ý kiến, kiến nghị của cử tri"
STEPS = (
    ("received", "Tiếp nhận tại buổi tiếp xúc cử tri"),
    ("forwarded", "Chuyển cơ quan có thẩm quyền"),
    ("answered", "Cơ quan có thẩm quyền trả lời"),
    ("resolved", "Đã giải quyết xong"),
)
STATUS = {
    "received": "Đã tiếp nhận",
    "forwarded": "Đang chờ cơ quan trả lời",
    "answered": "Đã được trả lời",
    "resolved": "Đã giải quyết",
    "withdrawn": "Không còn theo dõi",
}


def _dmy(day: str | None) -> str:
    return "" if not day else date.fromisoformat(day).strftime("%d/%m/%Y")


def _field(key: str) -> str:
    try:
        return FIELDS[OversightField(key)]
    except ValueError:
        return key


def page(title: str, body: str, unit_link: tuple[str, str] | None = None, code: str = "") -> str:
    """A whole page: the header with the lookup form (holding `code`), `body`, the footer."""
    crumbs = ""
    if unit_link is not None:
        href, name = unit_link
        crumbs = f'<p class="crumbs"><a href="{escape(href)}">← {escape(name)}</a></p>'
    return f"""<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} – {TITLE}</title>
<link rel="stylesheet" href="/cong-khai/trang.css">
</head>
<body>
<a class="skip" href="#noi-dung">Bỏ qua, đến nội dung chính</a>
<header>
<p class="site"><a href="/cong-khai/">{TITLE}</a></p>
{lookup_form(code)}
</header>
<main id="noi-dung" tabindex="-1">
{crumbs}
<h1>{escape(title)}</h1>
{body}
</main>
<footer>
<p>Trang công khai của Hội đồng nhân dân. Không hiển thị nội dung ý kiến hay thông tin cá
nhân của cử tri; cử tri tra cứu ý kiến của mình bằng mã in trên phiếu nhận tại buổi tiếp xúc.</p>
</footer>
</body>
</html>
"""


def lookup_form(value: str = "") -> str:
    return f"""<form class="lookup" method="get" action="/cong-khai/tra-cuu" role="search">
<label for="ma">Mã phiếu (8 ký tự in trên phiếu)</label>
<div class="row">
<input id="ma" name="ma" value="{escape(value)}" required maxlength="20"
 autocomplete="off" autocapitalize="characters" spellcheck="false"
 aria-describedby="ma-goi-y" placeholder="VD: 7KQ2-M9XD">
<button type="submit">Tra cứu</button>
</div>
<p id="ma-goi-y" class="hint">Không phân biệt chữ hoa, chữ thường; có thể bỏ dấu gạch ngang.</p>
</form>"""


def opinion_card(o: Mapping[str, Any], group: Mapping[str, Any] | None, level: int = 2) -> str:
    """One opinion: its field, where it stands, the steps with their days, the answer."""
    stage = o["stage"]
    days = o.get("days") or {}
    tag = f"h{level}"
    heading = f"Ý kiến về {_field(o['field'])}"
    parts = [
        f'<article class="opinion s-{escape(stage)}">',
        f"<{tag}>{escape(heading)}</{tag}>",
        f'<p class="status"><span class="badge">{escape(STATUS.get(stage, stage))}</span></p>',
        "<dl>",
        f"<dt>Đơn vị</dt><dd>{escape(o['unit_name'])}</dd>",
        f"<dt>Ngày tiếp xúc cử tri</dt><dd>{_dmy(o['raised_on'])}</dd>",
    ]
    agency = o.get("agency") or o.get("addressed_to")
    if agency:
        parts.append(f"<dt>Cơ quan giải quyết</dt><dd>{escape(agency)}</dd>")
    if group is not None:
        together = len(group["units"])
        also = f" (cử tri {together} đơn vị cùng kiến nghị)" if together > 1 else ""
        parts.append(f"<dt>Nội dung kiến nghị chung</dt><dd>{escape(group['title'])}{also}</dd>")
    parts.append("</dl>")
    parts.append('<ol class="steps">')
    for key, label in STEPS:
        if key in days:
            parts.append(f"<li><span>{label}</span> <time datetime=\"{escape(days[key])}\">"
                         f"{_dmy(days[key])}</time></li>")  # fmt: skip
    parts.append("</ol>")
    if o.get("answer"):
        parts.append(f'<p class="answer"><strong>Trả lời:</strong> {escape(o["answer"])}</p>')
    if o.get("result"):
        parts.append(f'<p class="answer"><strong>Kết quả:</strong> {escape(o["result"])}</p>')
    parts.append("</article>")
    return "\n".join(parts)


def unit_page(
    name: str,
    opinions: Sequence[tuple[Mapping[str, Any], Mapping[str, Any] | None]],
    children: Iterable[tuple[str, str]],
    shown_at_most: int,
) -> str:
    """A unit's page: the units below it (links), then its own opinions, most recent first."""
    body = []
    below = list(children)
    if below:
        links = "\n".join(
            f'<li><a href="/cong-khai/{escape(code)}">{escape(n)}</a></li>' for code, n in below
        )
        body.append(f'<h2>Các đơn vị trực thuộc</h2>\n<ul class="units">\n{links}\n</ul>')
    counts: dict[str, int] = {}
    for o, _ in opinions:
        counts[o["stage"]] = counts.get(o["stage"], 0) + 1
    summary = ", ".join(f"{n} {STATUS[s].lower()}" for s, n in counts.items() if s in STATUS)
    body.append(f"<h2>Ý kiến, kiến nghị của cử tri {escape(name)}</h2>")
    if not opinions:
        body.append("<p>Chưa có ý kiến, kiến nghị nào được công khai.</p>")
    else:
        more = (
            f" (hiển thị {shown_at_most} ý kiến gần nhất)" if len(opinions) >= shown_at_most else ""
        )
        body.append(f'<p class="count">{len(opinions)} ý kiến{more}: {summary}.</p>')
        body.extend(opinion_card(o, g, level=3) for o, g in opinions)
    return "\n".join(body)


def home(units: Iterable[tuple[str, str]]) -> str:
    links = "\n".join(
        f'<li><a href="/cong-khai/{escape(c)}">{escape(n)}</a></li>' for c, n in units
    )
    return (
        "<p>Cử tri tra cứu kết quả giải quyết ý kiến, kiến nghị đã nêu tại các buổi tiếp xúc"
        " cử tri: nhập mã in trên phiếu ở ô phía trên, hoặc chọn đơn vị.</p>"
        f'<h2>Đơn vị</h2>\n<ul class="units">\n{links}\n</ul>'
    )


def message(text: str) -> str:
    return f'<p class="message" role="status">{escape(text)}</p>'
