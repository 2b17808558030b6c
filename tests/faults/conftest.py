"""Fault tests: real servers, real processes, real crashes; the figures must come out exact.

Tests that stop or restart a server get their own private stack (noida-db + mongod on free
ports, in a temporary directory), never the session's shared servers. Tests that only kill
service processes or duplicate messages use the shared servers, isolated by prefixes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from deploy.local import LocalStack
from deploy.mongo_users import grant_databases
from deploy.soak import restartable_port
from services.common.settings import Settings
from tests.faults.support import ServiceProcess


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "faults: kills processes, restarts servers or duplicates messages"
    )


@pytest.fixture(scope="session")
def private_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A broker and a mongod of the fault tests alone, which they may stop and restart (on
    ports no one else is handed while they are down)."""
    stack = LocalStack(
        base_dir=tmp_path_factory.mktemp("faults-stack"),
        kafka_port=restartable_port(),
        mongo_port=restartable_port(),
    )
    stack.start_kafka()
    stack.start_mongo()
    try:
        yield stack
    finally:
        stack.down()


@pytest.fixture
async def private_settings(settings: Settings, private_stack: LocalStack) -> Settings:
    """The test's settings, pointed at the private stack (both servers up at the start)."""
    await asyncio.to_thread(private_stack.start_kafka)
    await asyncio.to_thread(private_stack.start_mongo)
    endpoints = private_stack.endpoints
    await asyncio.to_thread(grant_databases, endpoints, settings.database_prefix)
    return settings.model_copy(
        update={
            "kafka_bootstrap_servers": endpoints.kafka_bootstrap,
            "mongodb_uri": endpoints.mongodb_uri,
            "mongodb_secrets_dir": endpoints.mongodb_secrets_dir,
        }
    )


@pytest.fixture
async def processes() -> AsyncIterator[list[ServiceProcess]]:
    """Service processes a test starts; whatever still runs at the end is killed."""
    started: list[ServiceProcess] = []
    try:
        yield started
    finally:
        for process in started:
            process.kill()
