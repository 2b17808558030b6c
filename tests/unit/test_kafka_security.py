"""One set of Kafka settings for every client the services build: compose's brokers take
SASL_SSL with a SCRAM principal per service; the local noida-db only PLAINTEXT."""

from __future__ import annotations

import datetime as dt
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.common.kafka import client_options, make_broker, make_consumer
from services.common.settings import Settings


def certificate_authority(path: Path) -> Path:
    """A self-signed CA in PEM, as deploy/certs/generate.sh makes one."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hdnd test CA")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


@pytest.fixture
def compose_like(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The settings of compose's meetings container, from its environment variables."""
    (tmp_path / "kafka-meetings").write_text("s3cret-from-file\n")
    monkeypatch.setenv("HDND_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("HDND_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("HDND_KAFKA_USERNAME", "meetings")
    monkeypatch.setenv("HDND_KAFKA_PASSWORD_FILE", str(tmp_path / "kafka-meetings"))
    monkeypatch.setenv("HDND_KAFKA_CA_FILE", str(certificate_authority(tmp_path / "ca.pem")))
    return Settings()


async def test_the_local_broker_is_reached_in_plaintext_without_credentials() -> None:
    assert client_options(Settings()) == {}
    assert make_consumer(Settings(), "hdnd-test")._client._security_protocol == "PLAINTEXT"


async def test_sasl_ssl_settings_reach_the_publisher_consumers_and_admin(
    compose_like: Settings,
) -> None:
    options = client_options(compose_like)  # what ensure_topics' admin and the dlq tools get
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "meetings"
    assert options["sasl_plain_password"] == "s3cret-from-file"
    context: ssl.SSLContext = options["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert [c["subject"] for c in context.get_ca_certs()] == [((("commonName", "hdnd test CA"),),)]

    client = make_consumer(compose_like, "hdnd-test")._client
    assert (client._security_protocol, client._sasl_mechanism) == ("SASL_SSL", "SCRAM-SHA-512")
    assert client._sasl_plain_username == "meetings"
    published = make_broker(compose_like, "hdnd-meetings")._connection_kwargs
    assert published["security_protocol"] == "SASL_SSL"
    assert published["sasl_plain_username"] == "meetings"
    assert published["acks"] == "all" and published["enable_idempotence"]


def test_sasl_without_a_principal_is_refused_before_connecting(tmp_path: Path) -> None:
    settings = Settings(kafka_security_protocol="SASL_SSL", kafka_username="meetings")
    with pytest.raises(RuntimeError, match="HDND_KAFKA_PASSWORD_FILE"):
        make_consumer(settings, "hdnd-test")
