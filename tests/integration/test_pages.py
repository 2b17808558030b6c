"""Every page and answer of every service carries strict security headers; the API docs are
served from the services themselves, and can be switched off; `/ready` tells an anonymous
caller only whether the service is ready.

A page's Content-Security-Policy never allows inline script or style (`'unsafe-inline'`):
what it runs and how it looks are files of the service (or, for the report page, a style
sheet allowed by its hash), so text that slipped into a page can never run."""

from __future__ import annotations

import base64
import hashlib
import re
from contextlib import AsyncExitStack

import httpx
import pytest

from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from services.oversight.app import create_app as oversight_app
from services.reporting.app import create_app as reporting_app
from tests.conftest import Running, bearer, start_app

pytestmark = pytest.mark.integration

HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}
ASSET = re.compile(r"""<(?:script|link|img)\b[^>]*?\s(?:src|href)="([^"]+)\"""")


def policy_of(response: httpx.Response) -> dict[str, str]:
    """The response's CSP, directive → sources; the headers every response carries."""
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (response.url, name)
    csp = response.headers["content-security-policy"]
    directives = dict(d.strip().partition(" ")[::2] for d in csp.split(";"))
    assert directives["default-src"] == "'none'", csp
    assert directives["frame-ancestors"] == "'none'", csp
    assert "unsafe" not in csp and "*" not in csp, csp
    assert directives.get("script-src", "'self'") == "'self'", csp
    for source in directives.get("style-src", "'self'").split():
        assert source == "'self'" or source.startswith(("'sha256-", "'nonce-")), csp
    return directives


def inline_styles(html: str) -> list[str]:
    return re.findall(r"<style[^>]*>(.*?)</style>", html, re.DOTALL)


def assert_strict_page(response: httpx.Response) -> None:
    """An HTML page that runs and styles only what its policy allows: its own files, and an
    inline style sheet only by its hash or the nonce of this response."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    directives, html = policy_of(response), response.text
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html), "an inline script"
    assert not re.search(r"\sstyle=|\son[a-z]+=", html, re.IGNORECASE), "an inline attribute"
    for url in ASSET.findall(html):
        assert not re.match(r"(?:[a-z]+:)?//", url) or url.startswith("data:"), url
    for sheet in inline_styles(html):
        digest = base64.b64encode(hashlib.sha256(sheet.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in directives.get("style-src", ""), "a style not allowed"


async def test_every_page_and_answer_sends_a_strict_policy_and_the_security_headers(
    apps: dict[str, Running],
) -> None:
    reporting = apps["reporting"].client
    report = {"period": "2024-9M", "format": "html"}
    pages = [
        (reporting, "/"),
        (reporting, "/workspace/"),
        (reporting, f"/units/106/report?{httpx.QueryParams(report)}"),
        (reporting, "/units/12/opinions-report?period=2026-Q3&format=html"),
        (reporting, "/cong-khai/"),
        (reporting, "/cong-khai/12"),
        *[(running.client, path) for running in apps.values() for path in ("/docs", "/redoc")],
    ]
    for client, path in pages:
        page = await client.get(path)
        assert_strict_page(page)
        for url in ASSET.findall(page.text):  # the files a page loads answer alike
            if not url.startswith("data:"):
                asset = await client.get(url if url.startswith("/") else f"/{url}")
                assert asset.status_code == 200 and policy_of(asset), url
        if "/report?" in path or "/opinions-report?" in path:
            assert len(inline_styles(page.text)) == 1  # the report keeps its one style sheet
    # A JSON answer, a refusal and a missing page carry them too.
    for running in apps.values():
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=running.app), base_url="http://x"
        ) as anonymous:
            for response in (
                await anonymous.get("/health"),
                await anonymous.get("/units/12/meetings"),
                await anonymous.get("/no-such-page"),
            ):
                assert policy_of(response).keys() >= {"default-src", "frame-ancestors"}


async def test_the_api_docs_are_served_by_each_service_with_nothing_from_elsewhere(
    apps: dict[str, Running],
) -> None:
    for running in apps.values():
        for path in ("/docs", "/redoc"):
            page = await running.client.get(path)
            assert_strict_page(page)
            assert "cdn" not in page.text and "//" not in "".join(ASSET.findall(page.text))
            loaded = [url for url in ASSET.findall(page.text) if not url.startswith("data:")]
            assert any(url.endswith(".js") for url in loaded), loaded
            for url in loaded:
                asset = await running.client.get(f"/{url}")
                assert asset.status_code == 200, url
                assert b"cdn.redoc.ly" not in asset.content and b"cdn.jsdelivr" not in asset.content
        # Each page's nonce is its own: ReDoc's styles carry it.
        first, second = [await running.client.get("/redoc") for _ in range(2)]
        assert policy_of(first)["style-src"] != policy_of(second)["style-src"]


async def test_the_api_docs_can_be_switched_off(stack: AsyncExitStack, settings: Settings) -> None:
    off = settings.model_copy(update={"api_docs": False})
    for build in (meetings_app, oversight_app, reporting_app):
        running = await start_app(stack, build(off), "http://service")
        for path in ("/docs", "/redoc", "/docs/assets/swagger-ui-bundle.js"):
            assert (await running.client.get(path)).status_code == 404, path
        assert (await running.client.get("/openapi.json")).status_code == 200  # forms use it


async def test_ready_tells_an_anonymous_caller_only_whether_it_is_ready(
    apps: dict[str, Running],
) -> None:
    for running in apps.values():
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=running.app), base_url="http://x"
        ) as client:
            anonymous = await client.get("/ready")
            secretary = await client.get("/ready", headers=bearer("12"))
            operator = await client.get("/ready", headers=bearer(None, "operator"))
            forged = await client.get("/ready", headers={"Authorization": "Bearer not.a.jwt"})
        ready = anonymous.json()["ready"]  # reporting here runs no projector: not ready
        assert anonymous.status_code == (200 if ready else 503)
        assert anonymous.json() == secretary.json() == {"ready": ready}
        details = operator.json()
        assert details["ready"] is ready and {"mongodb", "kafka"} <= set(details), details
        assert forged.status_code == 401
