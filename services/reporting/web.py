"""The dashboard: one self-contained HTML page over this service's JSON API.

Council offices often have no internet, so the page carries its own CSS and JS and loads nothing
but `GET /figures` and `GET /rates` (labels), `GET /units/{unit}/summary` and, for "Cả nước",
`GET /country/summary` from this service, with the view asked (`as_it_was` or `as_today`).

What it shows, for any unit and period (month, quarter, 6 and 9 months, year, term, range): the
rates as the API computed them, headline figures, every figure in the domain's groups (a figure
no group claims still appears, under "Chỉ tiêu khác"), the children compared on one figure and,
as stacked bars, each child's items by state (opinions received / resolved / pending …).
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter()

DASHBOARD_HTML: str = (
    files("services.reporting").joinpath("static/dashboard.html").read_text(encoding="utf-8")
)

# Inline CSS/JS only, data only from this origin: a stray external reference fails loudly.
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


@router.api_route(
    "/", methods=["GET", "HEAD"], include_in_schema=False, response_class=HTMLResponse
)
async def dashboard() -> HTMLResponse:
    """Figures of a unit and its children for a period; `?unit=12&period=2025-H1` preselects."""
    return HTMLResponse(DASHBOARD_HTML, headers=SECURITY_HEADERS)
