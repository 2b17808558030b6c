"""Each service's API documentation: Swagger UI at `/docs` and ReDoc at `/redoc`.

FastAPI's own pages load their scripts from a CDN and start Swagger UI with an inline script.
A council office may have no internet, and a page that runs what another host serves is only
as trustworthy as that host: here the assets come from the `fastapi-offline` package and are
served by the service itself (`/docs/assets/…`), Swagger UI is started by a file of ours, and
both pages send a Content-Security-Policy that allows nothing but this origin.
`HDND_API_DOCS=false` switches the pages off (in production); `/openapi.json` stays, since the
secretaries' workspace draws its forms from it.
"""

from __future__ import annotations

import re
import secrets
from functools import cache
from html import escape
from importlib.resources import files

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse, Response

from services.common.security import page_policy

ASSETS = {
    "swagger-ui-bundle.js": (files("fastapi_offline") / "static", "text/javascript"),
    "swagger-ui.css": (files("fastapi_offline") / "static", "text/css"),
    "redoc.standalone.js": (files("fastapi_offline") / "static", "text/javascript"),
    "favicon.png": (files("fastapi_offline") / "static", "image/png"),
    "swagger-init.js": (files("services.common") / "static", "text/javascript"),
}

# Swagger UI draws its icons as data: images and calls the API it documents (Try it out).
SWAGGER_POLICY = page_policy(
    script_src="'self'",
    style_src="'self'",
    img_src="'self' data:",
    connect_src="'self'",
)


def redoc_policy(nonce: str) -> str:
    """ReDoc writes its styles into style elements it creates: they carry the nonce of this
    response, which the policy allows, and nothing else inline."""
    return page_policy(
        script_src="'self'",
        style_src=f"'self' 'nonce-{nonce}'",
        img_src="'self' data:",
        connect_src="'self'",
        worker_src="blob:",
    )


def _page(title: str, head: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        '</title><meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="icon" type="image/png" href="docs/assets/favicon.png">{head}</head>'
        f"<body>{body}</body></html>"
    )


def install_docs(app: FastAPI, enabled: bool) -> None:
    """Serve `/docs`, `/redoc` and their assets on `app` (built with docs_url=None and
    redoc_url=None), unless `enabled` is false: then they are not found."""
    if not enabled:
        return
    headers = {"Content-Security-Policy": SWAGGER_POLICY, "Cache-Control": "no-cache"}
    swagger = _page(
        f"{app.title} – Swagger UI",
        '<link rel="stylesheet" href="docs/assets/swagger-ui.css">',
        '<div id="swagger-ui"></div><script src="docs/assets/swagger-ui-bundle.js"></script>'
        '<script src="docs/assets/swagger-init.js"></script>',
    )
    redoc = _page(
        f"{app.title} – ReDoc",
        "",
        '<redoc spec-url="openapi.json"></redoc>'
        '<script src="docs/assets/redoc.standalone.js" nonce="{nonce}"></script>',
    )

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(swagger, headers=headers)

    @app.get("/redoc", include_in_schema=False)
    async def redoc_page() -> HTMLResponse:
        nonce = secrets.token_urlsafe(18)
        policy = {"Content-Security-Policy": redoc_policy(nonce)}
        return HTMLResponse(redoc.replace("{nonce}", nonce), headers=headers | policy)

    @app.get("/docs/assets/{name}", include_in_schema=False)
    async def asset(name: str) -> Response:
        if name not in ASSETS:
            raise HTTPException(status_code=404)
        return Response(
            _read(name),
            media_type=ASSETS[name][1],
            headers={"Cache-Control": "public, max-age=86400"},
        )


@cache
def _read(name: str) -> bytes:
    folder, _ = ASSETS[name]
    content = folder.joinpath(name).read_bytes()
    return _redoc_served(content) if name == "redoc.standalone.js" else content


# Two changes to ReDoc's bundle, each checked to apply once:
# - it sets the nonce of the style elements it creates from its webpack runtime's `nc`, which
#   it leaves undefined until ReDoc renders, so the styles injected before would be refused:
#   it takes the nonce of the script element that loads it instead, from the start;
# - its "API docs by Redocly" link shows a logo from a CDN: a blank image of its own instead.
_CHANGES = (
    (
        re.compile(rb"\b(\w+)\.nc=void 0"),
        rb"\1.nc=document.currentScript?document.currentScript.nonce:void 0",
    ),
    (
        re.compile(rb"https://cdn\.redoc\.ly/redoc/logo-mini\.svg"),
        b"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E",
    ),
)


def _redoc_served(bundle: bytes) -> bytes:
    for pattern, replacement in _CHANGES:
        bundle, found = pattern.subn(replacement, bundle)
        if found != 1:
            raise RuntimeError(f"redoc.standalone.js has {found} places {pattern!r}, not one")
    return bundle
