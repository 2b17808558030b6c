"""deploy/Caddyfile as Caddy reads it, for each way it is run: the local stack plain and over
TLS (the environment `deploy.proxy` gives it) and compose with certificate files or ACME.
`caddy adapt` turns it into Caddy's JSON without serving anything."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from deploy.proxy import CADDYFILE, ProxySite, proxy_environment
from deploy.servers import caddy_binary
from services.common.settings import PUBLIC_PATHS, SERVICE_PORTS

HSTS = "max-age=31536000; includeSubDomains"
SERVED = {path for path in PUBLIC_PATHS.values() if path}  # told their prefix
COMPOSE = {"HDND_PROXY_SITE": "hdnd.example.gov.vn"}  # the rest: the Caddyfile's defaults
KEYCLOAK = {"/sso/*": "keycloak:8080"}  # single sign-on: Keycloak's pages, at its own path


def adapted(environment: dict[str, str]) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HDND_PROXY_")}
    done = subprocess.run(
        [str(caddy_binary()), "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env={**env, **environment},
        capture_output=True,
        check=True,
        timeout=30,
    )
    config: dict[str, Any] = json.loads(done.stdout)
    return config


def server(config: dict[str, Any]) -> dict[str, Any]:
    (only,) = config["apps"]["http"]["servers"].values()
    found: dict[str, Any] = only
    return found


def site_routes(config: dict[str, Any]) -> list[dict[str, Any]]:
    (site,) = server(config)["routes"]
    (subroute,) = site["handle"]
    routes: list[dict[str, Any]] = subroute["routes"]
    return routes


def upstreams(config: dict[str, Any]) -> dict[str, str]:
    """Path pattern ('' for the rest) → the address it is proxied to, the path kept and named
    in X-Forwarded-Prefix (a client's own removed where there is none)."""
    found: dict[str, str] = {}
    for route in site_routes(config):
        if route["handle"][0]["handler"] != "subroute":
            continue  # the HSTS header
        ((inner,),) = [r["routes"] for r in route["handle"]]
        (proxy,) = inner["handle"]
        if proxy["handler"] == "static_response":  # /metrics: not on the public origin
            assert proxy["status_code"] == 404
            continue
        assert proxy["handler"] == "reverse_proxy"
        assert "rewrite" not in proxy  # the service gets the path as the browser sent it
        (paths,) = [m["path"] for m in route.get("match", [])] or [[""]]
        prefix = paths[0].removesuffix("/*")
        named = {"set": {"X-Forwarded-Prefix": [prefix]}} if prefix in SERVED else None
        assert proxy["headers"]["request"] == (named or {"delete": ["X-Forwarded-Prefix"]})
        found[paths[0]] = proxy["upstreams"][0]["dial"]
    return found


def hsts_routes(config: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        route
        for route in site_routes(config)
        for h in route["handle"]
        if h["handler"] == "headers"
        and h["response"]["set"].get("Strict-Transport-Security") == [HSTS]
    ]


def test_the_local_site_is_plain_http_on_loopback_by_default(tmp_path: Path) -> None:
    site = ProxySite()
    environment = proxy_environment(site, tmp_path)
    assert site.origin == "http://127.0.0.1:8100" and site.ports == (8100,)
    assert environment["HDND_PROXY_SITE"] == site.origin
    assert environment["XDG_DATA_HOME"] == str(tmp_path / "data")
    config = adapted(environment)
    assert server(config)["listen"] == ["127.0.0.1:8100"]
    assert "tls" not in config["apps"] or not config["apps"]["tls"].get("automation")
    assert config["admin"] == {"disabled": True}


def test_tls_serves_https_on_loopback_with_a_certificate_of_caddys_own_ca(
    tmp_path: Path,
) -> None:
    site = ProxySite(tls=True)
    assert site.origin == "https://127.0.0.1:8443" and site.ports == (8100, 8443)
    config = adapted(proxy_environment(site, tmp_path))
    assert server(config)["listen"] == ["127.0.0.1:8443"]
    assert config["apps"]["http"]["http_port"] == 8100  # redirects to the site from there
    (policy,) = config["apps"]["tls"]["automation"]["policies"]
    assert policy == {"subjects": ["127.0.0.1"], "issuers": [{"module": "internal"}]}
    # The CA stays out of this machine's trust store unless someone puts it there.
    assert config["apps"]["pki"]["certificate_authorities"]["local"]["install_trust"] is False


@pytest.mark.parametrize("tls", [False, True])
def test_each_service_is_proxied_under_its_public_path(tmp_path: Path, tls: bool) -> None:
    config = adapted(proxy_environment(ProxySite(tls=tls), tmp_path))
    expected = {
        (f"{path}/*" if path else ""): f"127.0.0.1:{SERVICE_PORTS[name]}"
        for name, path in PUBLIC_PATHS.items()
    }
    assert upstreams(config) == expected | KEYCLOAK


@pytest.mark.parametrize("tls", [False, True])
def test_hsts_is_sent_over_https_only(tmp_path: Path, tls: bool) -> None:
    config = adapted(proxy_environment(ProxySite(tls=tls), tmp_path))
    (route,) = hsts_routes(config)
    assert route["match"] == [{"protocol": "https"}]


def test_compose_serves_its_domain_on_every_interface_with_certificate_files() -> None:
    config = adapted({**COMPOSE, "HDND_PROXY_TLS": "/certs/cert.pem /certs/key.pem"})
    assert server(config)["listen"] == [":443"]
    assert (
        upstreams(config)
        == {
            "/meetings/*": "meetings:8101",
            "/oversight/*": "oversight:8102",
            "": "reporting:8103",
        }
        | KEYCLOAK
    )
    (files,) = config["apps"]["tls"]["certificates"]["load_files"]
    assert files["certificate"] == "/certs/cert.pem" and files["key"] == "/certs/key.pem"
    assert hsts_routes(config)


def test_compose_with_an_email_gets_its_certificate_by_acme() -> None:
    config = adapted({**COMPOSE, "HDND_PROXY_TLS": "it@laichau.gov.vn"})
    (policy,) = config["apps"]["tls"]["automation"]["policies"]
    assert policy["subjects"] == ["hdnd.example.gov.vn"]
    assert {issuer["module"] for issuer in policy["issuers"]} == {"acme"}
    assert all(issuer["email"] == "it@laichau.gov.vn" for issuer in policy["issuers"])
