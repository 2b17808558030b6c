"""How a report document is answered over HTTP, by the periodic report's routes and the voters'
opinions report alike: a Word document to download, or a web page whose policy allows its one
style sheet (by hash) and nothing else."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query, Response

from services.common.activity import Responses
from services.common.security import page_policy
from services.reporting.document import render_docx, render_html
from services.reporting.document.model import ReportContent

# The report as a page: its own style sheet (by hash), nothing else.
REPORT_PAGE_POLICY = page_policy(style_src=render_html.STYLE_SOURCE)

DOCX = render_docx.MEDIA_TYPE
NO_UNIT: Responses = {404: {"description": "No such unit during the period"}}
DOCUMENT_RESPONSES: Responses = {
    200: {
        "description": "The report as a Word document (format=docx) or a web page (format=html)",
        "content": {DOCX: {}, "text/html": {}},
    },
    **NO_UNIT,
}

FormatQuery = Annotated[Literal["docx", "html"], Query()]


def document_answer(content: ReportContent, format: str, filename: str) -> Response:
    """The report as a web page (format=html), else as a Word document named `filename`."""
    if format == "html":
        return Response(
            render_html.render_html(content),
            media_type=render_html.MEDIA_TYPE,
            headers={"Content-Security-Policy": REPORT_PAGE_POLICY},
        )
    return Response(
        render_docx.render_docx(content),
        media_type=DOCX,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
