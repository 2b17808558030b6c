"""The dashboard: one HTML page over this service's JSON API, its script and styles in files.

Council offices often have no internet, so the page loads nothing but its own files
(`static/dashboard.html`, and `static/dashboard/`: ES modules, one per part of the page, and
the CSS) and `GET /figures` and `GET /rates` (labels), `GET /units/{unit}/summary` and, for
"Cả nước", `GET /country/summary` from this service, with the view asked (`as_it_was` or
`as_today`). No inline script or style, so its Content-Security-Policy allows only files of
this origin.

What it shows, for any unit and period (month, quarter, 6 and 9 months, year, term, range): the
rates as the API computed them, headline figures, every figure in the domain's groups (a figure
no group claims still appears, under "Chỉ tiêu khác"), the children compared on one figure and,
as stacked bars, each child's items by state (opinions received / resolved / pending …).
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, Response

from services.common.security import page_policy
from services.reporting.document.render_html import STYLE_SOURCE

router = APIRouter()

STATIC = files("services.reporting").joinpath("static")
DASHBOARD_HTML: str = STATIC.joinpath("dashboard.html").read_text(encoding="utf-8")
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
ASSETS: dict[str, bytes] = {
    f.name: f.read_bytes()
    for f in STATIC.joinpath("dashboard").iterdir()
    if f.name[f.name.rfind(".") :] in MEDIA_TYPES
}

# Its own files only, data only from this origin: a stray external reference fails loudly.
# The report page it opens ("Xem báo cáo", a blob: URL) runs under this policy too, so the
# report's own style sheet is allowed by its hash.
HEADERS: dict[str, str] = {
    "Content-Security-Policy": page_policy(
        script_src="'self'",
        style_src=f"'self' {STYLE_SOURCE}",
        connect_src="'self'",
        img_src="'self' data:",
        form_action="'self'",
    ),
    "Cache-Control": "no-cache",
}


@router.api_route(
    "/", methods=["GET", "HEAD"], include_in_schema=False, response_class=HTMLResponse
)
async def dashboard() -> HTMLResponse:
    """Figures of a unit and its children for a period; `?unit=12&period=2025-H1` preselects."""
    return HTMLResponse(DASHBOARD_HTML, headers=HEADERS)


@router.get("/dashboard/{name}", include_in_schema=False)
async def dashboard_asset(name: str) -> Response:
    """The page's modules and style sheet; nothing else under /dashboard/ exists."""
    if name not in ASSETS:
        raise HTTPException(status_code=404)
    media_type = MEDIA_TYPES[name[name.rfind(".") :]]
    return Response(ASSETS[name], media_type=media_type, headers=HEADERS)
