"""Who is calling, as a service behind the proxy sees it: Caddy (deploy/Caddyfile) passes the
client's address, scheme and host on; what a client claims in those headers itself is
believed neither through the proxy nor straight at a service's port. The service here is an
app that only says what it saw, served by uvicorn with the services' own defaults."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from deploy.proxy import LocalProxy, ProxySite
from deploy.servers import free_port
from tests.listening import Listener

pytestmark = pytest.mark.integration

CLIENT = "127.0.0.2"  # another loopback address: the client is not the proxy
FORGED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "x"}

echo = FastAPI()


@echo.get("/{path:path}")
async def seen(request: Request) -> dict[str, Any]:
    client = request.client
    return {
        "client": client.host if client else None,
        "scheme": request.url.scheme,
        "host": request.headers.get("host"),
        "forwarded_for": request.headers.get("x-forwarded-for"),
    }


@pytest.fixture(scope="module")
async def behind(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalProxy]:
    """The echo app as every service at once, behind Caddy over HTTPS."""
    upstream = Listener(echo, free_port())
    await upstream.start()
    ports = {name: upstream.port for name in ("meetings", "oversight", "reporting")}
    site = ProxySite(tls=True, http_port=free_port(), https_port=free_port(), upstreams=ports)
    proxy = LocalProxy(tmp_path_factory.mktemp("stack"), site)
    await asyncio.to_thread(proxy.start)
    try:
        yield proxy
    finally:
        await asyncio.to_thread(proxy.stop)
        await upstream.stop()


def from_client(root_certificate: Path | None = None) -> httpx.AsyncClient:
    verify = ssl.create_default_context(cafile=str(root_certificate)) if root_certificate else True
    transport = httpx.AsyncHTTPTransport(local_address=CLIENT, verify=verify)
    return httpx.AsyncClient(transport=transport, headers=FORGED)


async def test_a_service_behind_the_proxy_sees_the_clients_address_not_a_forged_one(
    behind: LocalProxy,
) -> None:
    async with from_client(behind.root_certificate) as web:
        for path in ("/meetings/units", "/oversight/units", "/units"):
            r = await web.get(behind.site.origin + path)
            assert r.json() == {
                "client": CLIENT,
                "scheme": "https",
                "host": behind.site.origin.removeprefix("https://"),
                "forwarded_for": CLIENT,
            }


async def test_forwarded_headers_sent_straight_to_a_service_are_not_believed(
    behind: LocalProxy,
) -> None:
    """Only the proxy's address is trusted (FORWARDED_ALLOW_IPS; 127.0.0.1 by default)."""
    port = behind.site.upstreams["reporting"]
    async with from_client() as direct:
        r = await direct.get(f"http://127.0.0.1:{port}/units")
    assert r.json()["client"] == CLIENT and r.json()["scheme"] == "http"


async def test_metrics_are_not_served_on_the_public_origin(behind: LocalProxy) -> None:
    """Prometheus scrapes /metrics inside the network; the proxy answers 404 for it (the echo
    app behind would answer every path)."""
    async with from_client(behind.root_certificate) as web:
        for path in ("/metrics", "/meetings/metrics", "/oversight/metrics"):
            assert (await web.get(behind.site.origin + path)).status_code == 404
        assert (await web.get(behind.site.origin + "/units")).status_code == 200
