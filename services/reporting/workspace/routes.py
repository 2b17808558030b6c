"""The secretaries' workspace (không gian làm việc của thư ký): record and follow up in a browser.

The page, its scripts and its service worker are served here, from files in the package, so
a council office without internet has everything; records go straight from the browser to
the service that owns them (behind the proxy, on this origin under /meetings and /oversight;
else on their own origins, allowed by CORS in `services.common.http`), and what cannot be
sent waits in the browser's outbox (IndexedDB).

Forms are drawn in the browser from each service's OpenAPI request schemas; this module adds
only what the schemas cannot give: where the services are, and units found by name.
"""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from functools import cache
from importlib.resources import files
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from services.common.auth import CallerDep
from services.common.hierarchy import REFORM_DATE, Era, Hierarchy, Unit
from services.common.security import page_policy

router = APIRouter(include_in_schema=False)

STATIC = files("services.reporting").joinpath("static/workspace")
ASSETS: dict[str, str] = {
    "index.html": "text/html; charset=utf-8",
    "workspace.css": "text/css; charset=utf-8",
    "labels.js": "text/javascript; charset=utf-8",
    "schemaform.js": "text/javascript; charset=utf-8",
    "outbox.js": "text/javascript; charset=utf-8",
    "session.js": "text/javascript; charset=utf-8",
    "qr.js": "text/javascript; charset=utf-8",
    "signin.js": "text/javascript; charset=utf-8",
    "accounts.js": "text/javascript; charset=utf-8",
    "activity.js": "text/javascript; charset=utf-8",
    "bell.js": "text/javascript; charset=utf-8",
    "suggestions.js": "text/javascript; charset=utf-8",
    "menu.js": "text/javascript; charset=utf-8",
    "groups.js": "text/javascript; charset=utf-8",
    "listrows.js": "text/javascript; charset=utf-8",
    "sso.js": "text/javascript; charset=utf-8",  # single sign-on's button (identity)
    "app.js": "text/javascript; charset=utf-8",
    "sw.js": "text/javascript; charset=utf-8",
}
SEARCH_LIMIT = 20
CODES_LENGTH = 6 * 500  # `codes`: up to 500 unit codes, comma-separated
ERAS: tuple[Era, ...] = ("2025", "legacy")


def _origin(url: str) -> str:
    """A service's origin for the CSP: its own, or this page's when the URL is a path (the
    proxy serves every service under one origin)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "'self'"


def _headers(request: Request) -> dict[str, str]:
    """Own scripts only; data from this origin and the two services the page records into."""
    settings = request.app.state.reporting.settings
    services = " ".join(_origin(u) for u in (settings.meetings_url, settings.oversight_url))
    policy = page_policy(
        script_src="'self'",
        style_src="'self'",
        img_src="'self' data:",
        connect_src=f"'self' {services}",
        worker_src="'self'",
        manifest_src="'self'",
    )
    return {"Content-Security-Policy": policy, "Cache-Control": "no-cache"}


@router.get("/workspace")
async def workspace_root() -> RedirectResponse:
    """The service worker's scope is `/workspace/`, so the page lives inside it."""
    return RedirectResponse("/workspace/", status_code=308)


@router.get("/workspace/config.json")
async def workspace_config(request: Request) -> JSONResponse:
    """Where the browser reaches each service ('' = this origin)."""
    settings = request.app.state.reporting.settings
    services = {
        "meetings": settings.meetings_url.rstrip("/"),
        "oversight": settings.oversight_url.rstrip("/"),
        "reporting": "",
    }
    return JSONResponse({"services": services}, headers={"Cache-Control": "no-cache"})


@router.get("/workspace/units")
async def search_units(
    caller: CallerDep,
    q: Annotated[str, Query(max_length=100)] = "",
    code: Annotated[str | None, Query(max_length=5)] = None,
    codes: Annotated[str | None, Query(max_length=CODES_LENGTH)] = None,
) -> list[dict[str, Any]]:
    """Units of both eras whose name contains every word of `q` (accents optional), within the
    token's unit or above it (proposals go up); `code` names one unit (to show a chosen one),
    `codes` (comma-separated) those a list's rows name, in both eras, at once."""
    hierarchy = caller.hierarchy
    scope = caller.principal.unit
    if codes is not None:
        return named(hierarchy, scope, codes.split(","))
    words = fold(q).split()
    found: list[dict[str, Any]] = []
    for era in ERAS:
        for unit in units_in_scope(hierarchy, scope, era):
            if code is not None and unit.code != code:
                continue
            if code is None and not all(w in fold(unit.name) for w in words):
                continue
            found.append(_unit_json(hierarchy, unit))
            if len(found) >= SEARCH_LIMIT:
                return found
    return found


def named(hierarchy: Hierarchy, scope: str | None, codes: list[str]) -> list[dict[str, Any]]:
    """The units of `codes` in each era where the code names one within `scope` or above it:
    a list names units by their names (an item's day tells the browser which era's)."""
    wanted = set(codes)
    return [
        _unit_json(hierarchy, unit)
        for era in ERAS
        for unit in units_in_scope(hierarchy, scope, era)
        if unit.code in wanted
    ]


def units_in_scope(hierarchy: Hierarchy, scope: str | None, era: Era) -> list[Unit]:
    if scope is None:
        return list(hierarchy.units(era))
    own = hierarchy.find(scope, era)
    if own is None:
        return []
    above = [hierarchy.unit(a, era) for a in hierarchy.ancestors(scope, era)]
    return [own, *hierarchy.descendants(scope, era), *above]


def _unit_json(hierarchy: Hierarchy, unit: Unit) -> dict[str, Any]:
    parents = [hierarchy.unit(a, unit.era).name for a in hierarchy.ancestors(unit.code, unit.era)]
    until = (REFORM_DATE - timedelta(days=1)).strftime("%d/%m/%Y")
    return {
        "code": unit.code,
        "name": unit.name,
        "level": unit.level,
        "era": unit.era,
        "within": ", ".join(parents),
        "period": f"đến {until}" if unit.era == "legacy" else "từ 01/07/2025",
    }


@cache
def fold(text: str) -> str:
    """Lower case without diacritics, so "tam duong" finds "Tam Đường"."""
    plain = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in plain if not unicodedata.combining(c)).lower()


@router.get("/workspace/{name}")
async def workspace_asset(request: Request, name: str) -> Response:
    """The page and its own files; nothing else under /workspace/ exists."""
    if name not in ASSETS:
        raise HTTPException(status_code=404)
    body = STATIC.joinpath(name).read_bytes()
    headers = _headers(request)
    if name == "sw.js":
        headers["Service-Worker-Allowed"] = "/workspace/"
    return Response(body, media_type=ASSETS[name], headers=headers)


@router.get("/workspace/")
async def workspace_page(request: Request) -> Response:
    return await workspace_asset(request, "index.html")
