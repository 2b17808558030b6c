"""The workspace through the one origin: Caddy (deploy/Caddyfile, as `make run TLS=1` runs it)
over HTTPS in front of the three services, configured as in production (the settings'
defaults: services under their paths, no CORS). A secretary records a voter contact and sees
it listed, every request going to that one origin; the services' documents name their paths;
plain HTTP redirects; no page of another origin may call a service."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import ssl
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from playwright.async_api import Browser, Page, Request, expect

from deploy.local import Endpoints, free_port
from deploy.proxy import LocalProxy, ProxySite
from deploy.servers import HOST
from services.common.settings import PUBLIC_PATHS, SERVICE_PORTS
from tests.conftest import bearer, eventually, isolated_settings, token
from tests.e2e.conftest import APPS, Workspace, chromium, issuing, serving
from tests.e2e.test_workspace import COMMUNE, day_before, dmy, fill_voter_contact

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

HSTS = "max-age=31536000; includeSubDomains"


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> LocalProxy:
    """Caddy over HTTPS on free ports (not started yet) in front of the services' ports."""
    site = ProxySite(
        tls=True,
        http_port=free_port(),
        https_port=free_port(),
        upstreams={name: free_port() for name in APPS},
    )
    return LocalProxy(tmp_path_factory.mktemp("stack"), site)


@pytest.fixture(scope="module")
async def workspace(
    servers: Endpoints, unit_keys: Path, proxy: LocalProxy
) -> AsyncIterator[Workspace]:
    async with AsyncExitStack() as stack:
        upstreams = dict(proxy.site.upstreams)
        reporting = f"http://{HOST}:{upstreams['reporting']}"
        settings = isolated_settings(servers, unit_keys).model_copy(update=issuing(reporting))
        running = await serving(stack, settings, upstreams)
        await asyncio.to_thread(proxy.start)
        stack.push_async_callback(asyncio.to_thread, proxy.stop)
        running.origin = proxy.site.origin
        yield running


@pytest.fixture(scope="module")
async def browser(workspace: Workspace, proxy: LocalProxy) -> AsyncIterator[Browser]:
    """Chromium that trusts the proxy's certificate as a user's would once Caddy's root is
    imported: its key pinned, so the page is a secure context, its service worker registers
    and HSTS counts (no certificate error ignored)."""
    pem = await asyncio.to_thread(ssl.get_server_certificate, (HOST, proxy.site.https_port))
    key = x509.load_pem_x509_certificate(pem.encode()).public_key()
    spki = key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    pin = base64.b64encode(hashlib.sha256(spki).digest()).decode()
    async with chromium(f"--ignore-certificate-errors-spki-list={pin}") as launched:
        yield launched


def client(workspace: Workspace, proxy: LocalProxy) -> httpx.AsyncClient:
    """A client of the one origin that trusts Caddy's local CA, and nothing else."""
    trust = ssl.create_default_context(cafile=str(proxy.root_certificate))
    return httpx.AsyncClient(base_url=workspace.url, verify=trust)


async def test_the_workspace_over_https_records_a_voter_contact_and_lists_it_on_one_origin(
    workspace: Workspace, page: Page
) -> None:
    requests: list[Request] = []
    page.context.on("request", lambda request: requests.append(request))
    async with page.expect_response(f"{workspace.url}/workspace/") as answer:
        await workspace.sign_in(page, unit=COMMUNE)
    opened = await answer.value
    assert opened.headers["strict-transport-security"] == HSTS
    assert await page.evaluate("window.isSecureContext")
    await expect(page.locator("#unit-name")).to_have_text("Xã Bình Lư")

    title = "Tiếp xúc cử tri qua một địa chỉ"
    await page.get_by_role("link", name="Tiếp xúc cử tri", exact=True).click()
    opinion = ("Đề nghị nạo vét kênh thủy lợi Nà Khum", "land", "UBND xã")
    await fill_voter_contact(page, title, dmy(day_before(1)), [opinion])
    await page.click('form.record-form button[type="submit"]')
    await expect(page.locator(".message.ok")).to_contain_text("Đã ghi nhận")

    # Listed by meetings (the home page's newest records) and by oversight (its opinion).
    await page.get_by_role("link", name="Việc cần làm").click()
    await expect(page.locator("#recent")).to_contain_text(title)
    await page.get_by_role("link", name="Ý kiến, kiến nghị của cử tri").click()
    rows = page.locator("#list-y-kien tbody tr[data-id]")

    async def opinion_listed() -> None:
        await page.evaluate("location.reload()")
        await expect(rows.filter(has_text=opinion[0])).to_have_count(1, timeout=2_000)

    await eventually(opinion_listed, within=30, interval=0.5)

    called = {(r.method, r.url.split("?")[0]) for r in requests}
    assert ("POST", f"{workspace.url}/meetings/units/{COMMUNE}/meetings") in called
    assert any(url.startswith(f"{workspace.url}/oversight/units/") for _, url in called)
    elsewhere = sorted(url for _, url in called if not url.startswith(workspace.url + "/"))
    assert not elsewhere, f"requests to another origin: {elsewhere}"
    assert not [url for method, url in called if method == "OPTIONS"], "a CORS preflight"


async def test_each_service_answers_under_its_path_and_its_documents_name_it(
    workspace: Workspace, proxy: LocalProxy
) -> None:
    """The workspace draws its forms from these documents: their `$ref`s resolve inside them
    and their `servers` say where the paths are on this origin."""
    async with client(workspace, proxy) as web:
        for name, path in PUBLIC_PATHS.items():
            r = await web.get(f"{path}/openapi.json")
            assert r.status_code == 200, r.text
            assert r.headers["strict-transport-security"] == HSTS
            document = r.json()
            assert document["info"]["title"] == f"hdnd {name}"
            assert document.get("servers", []) == ([{"url": path}] if path else [])
            refs = set(re.findall(r'"#/components/schemas/([^"]+)"', r.text))
            assert refs and refs <= document["components"]["schemas"].keys()
            assert (await web.get(f"{path}/docs")).status_code == 200
            assert (await web.get(f"{path}/health")).json() == {"status": "ok"}
        # meetings' own /meetings/{id}, under its path: the service's answer, not a miss.
        r = await web.get("/meetings/meetings/no-such-id", headers=bearer(COMMUNE))
        assert r.status_code == 404 and r.json()["detail"][0]["loc"] == ["path", "meeting_id"]
        # A service's own port still answers without its path (curl, the sample loader).
        direct = await workspace.apps["meetings"].client.get("/openapi.json")
        assert "servers" not in direct.json()


async def test_the_workspace_is_told_one_origin_and_may_connect_to_no_other(
    workspace: Workspace, proxy: LocalProxy
) -> None:
    async with client(workspace, proxy) as web:
        config = (await web.get("/workspace/config.json")).json()
        page = await web.get("/workspace/")
    assert config == {"services": PUBLIC_PATHS}
    directives = page.headers["content-security-policy"].split(";")
    (connect,) = [d.split()[1:] for d in directives if d.split()[0] == "connect-src"]
    assert set(connect) == {"'self'"}


async def test_plain_http_on_the_proxy_only_redirects_to_https(
    workspace: Workspace, proxy: LocalProxy
) -> None:
    async with httpx.AsyncClient() as plain:
        r = await plain.get(f"http://{HOST}:{proxy.site.http_port}/workspace/?x=1")
    assert r.status_code == 308
    assert r.headers["location"] == f"{workspace.url}/workspace/?x=1"


async def test_a_page_of_another_origin_may_not_call_a_service(
    workspace: Workspace, proxy: LocalProxy
) -> None:
    """Tried and refused: a preflight from any other origin, reporting's own port included
    (which the services allowed before the proxy), gets no CORS grant, so the browser sends
    nothing; through the proxy or straight to the service."""
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    path = f"/units/{COMMUNE}/meetings"
    async with client(workspace, proxy) as web:
        for origin in ("https://evil.example", f"http://127.0.0.1:{SERVICE_PORTS['reporting']}"):
            headers = {**preflight, "Origin": origin}
            for r in (
                await web.options(f"/meetings{path}", headers=headers),
                await workspace.apps["meetings"].client.options(path, headers=headers),
            ):
                assert "access-control-allow-origin" not in r.headers, (origin, r.headers)
        r = await web.post(
            f"/meetings{path}",
            json={},
            headers={"Origin": "https://evil.example", "Authorization": f"Bearer {token()}"},
        )
        assert "access-control-allow-origin" not in r.headers
