"""What the local broker supports: noida-db has no TLS and no SCRAM (it offers PLAIN only, and
takes any password with it), so the local stack's settings say PLAINTEXT; principals, TLS and
ACLs are Apache Kafka's in docker-compose.yml, reached by the same settings (HDND_KAFKA_*)."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError

from deploy.local import Endpoints
from services.common.kafka import client_options
from services.common.settings import Settings

pytestmark = pytest.mark.integration


async def test_the_local_broker_refuses_a_scram_login(servers: Endpoints, tmp_path: Path) -> None:
    if not servers.managed:
        pytest.skip("the environment's brokers may well speak SCRAM")
    (tmp_path / "password").write_text("anything")
    settings = Settings(
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_username="meetings",
        kafka_password_file=tmp_path / "password",
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=servers.kafka_bootstrap,
        request_timeout_ms=3000,
        **client_options(settings),
    )
    try:
        # aiokafka logs the broker's answer: "UnsupportedSaslMechanismError: Kafka broker
        # does not support SCRAM-SHA-512 sasl mechanism. Enabled mechanisms are: ['PLAIN']"
        with pytest.raises(KafkaConnectionError):
            await producer.start()
    finally:
        await producer.stop()
