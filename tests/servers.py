"""Where the tests find real servers: the environment, a Docker engine, or the local stack.

Order (shared/infra.md, "In tests"): KAFKA_BOOTSTRAP_SERVERS and MONGODB_URI when both are set
(a real cluster); testcontainers when a Docker engine answers; otherwise the project's own
local stack (noida-db and mongod from PyPI) on free ports with fresh temporary data dirs.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

from deploy.local import Endpoints, LocalStack, external_endpoints, free_port


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
    except Exception:
        return False
    return True


@contextlib.contextmanager
def _containers() -> Iterator[Endpoints]:
    """Apache Kafka and a one-node MongoDB replica set in containers."""
    from testcontainers.core.container import DockerContainer
    from testcontainers.kafka import KafkaContainer

    with (
        KafkaContainer("apache/kafka:3.9.0").with_kraft() as kafka,
        DockerContainer("mongo:7.0")
        .with_command("--replSet rs0 --bind_ip_all --setParameter enableTestCommands=1")
        .with_exposed_ports(27017) as mongo,
    ):
        for _ in range(60):
            code, _ = mongo.exec(
                "mongosh --quiet --eval "
                "\"try { rs.status().ok } catch (e) { rs.initiate({_id: 'rs0', members: "
                "[{_id: 0, host: 'localhost:27017'}]}).ok }\""
            )
            if code == 0:
                break
            time.sleep(1)
        host, port = mongo.get_container_host_ip(), mongo.get_exposed_port(27017)
        yield Endpoints(
            kafka_bootstrap=kafka.get_bootstrap_server(),
            mongodb_uri=f"mongodb://{host}:{port}/?directConnection=true",
            managed=True,
        )


@contextlib.contextmanager
def real_servers(scratch: Path) -> Iterator[Endpoints]:
    external = external_endpoints()
    if external is not None:
        yield external
    elif _docker_answers():
        with _containers() as endpoints:
            yield endpoints
    else:
        stack = LocalStack(
            base_dir=scratch, kafka_port=free_port(), mongo_port=free_port(), test_commands=True
        )
        try:
            yield stack.up()
        finally:
            stack.down()
