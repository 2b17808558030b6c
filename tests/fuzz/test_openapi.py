"""Schemathesis against each service's own OpenAPI document, on real servers.

Each service runs as in production (`python -m services.<name>` under uvicorn, on a free
loopback port) against the session's Kafka and MongoDB, with a valid token of the province
secretary. Whatever schemathesis generates, valid or not, must get no 5xx, only refusals the
schema declares, in the declared shape, and 401 without the token.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis import checks as core_checks
from schemathesis.specs.openapi import checks as openapi_checks

from deploy.local import ENV_KAFKA, ENV_MONGO, Endpoints, free_port
from deploy.mongo_users import grant_databases
from deploy.servers import ENV_MONGO_SECRETS
from tests.conftest import ISSUER_DIR, JWKS_FILE, TOKEN_AUDIENCE, TOKEN_ISSUER, bearer

pytestmark = pytest.mark.integration

SERVICES = ("meetings", "oversight", "reporting")
MAX_EXAMPLES = 25  # per operation: the whole file runs in well under a minute
CHECKS = [
    core_checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.negative_data_rejection,
    openapi_checks.ignored_auth,
]


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready in 60 s: {log.read_text(errors='replace')[-2000:]}")


@pytest.fixture(scope="module")
def running(
    servers: Endpoints, unit_keys: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """The three services as separate processes, isolated by database and topic prefix."""
    logs = tmp_path_factory.mktemp("fuzz-logs")
    prefix = f"fz{os.getpid()}"
    grant_databases(servers, prefix)
    env = {
        **os.environ,
        ENV_KAFKA: servers.kafka_bootstrap,
        ENV_MONGO: servers.mongodb_uri,
        "HDND_UNITS": "12",
        "HDND_INSTANCE": "fuzz",
        "HDND_DATABASE_PREFIX": prefix,
        "HDND_TOPIC_PREFIX": f"{prefix}.",
        "HDND_TOPIC_PARTITIONS": "1",
        "HDND_KEYS_DIR": str(unit_keys),
        "HDND_TOKEN_JWKS_FILE": str(JWKS_FILE),
        "HDND_ISSUER_KEYS_DIR": str(ISSUER_DIR),  # reporting signs people in too
        "HDND_TOKEN_ISSUER": TOKEN_ISSUER,
        "HDND_TOKEN_AUDIENCE": TOKEN_AUDIENCE,
        "HDND_ISSUER_URL": "http://127.0.0.1:9",
        "HDND_LOG_LEVEL": "warning",
    }
    if servers.mongodb_secrets_dir is not None:
        env[ENV_MONGO_SECRETS] = str(servers.mongodb_secrets_dir)
    started: dict[str, tuple[str, subprocess.Popen[bytes], Path]] = {}
    try:
        for name in SERVICES:
            port, log = free_port(), logs / f"{name}.log"
            process = subprocess.Popen(
                [sys.executable, "-m", f"services.{name}", "--port", str(port)],
                env=env,
                stdout=log.open("wb"),
                stderr=subprocess.STDOUT,
            )
            started[name] = (f"http://127.0.0.1:{port}", process, log)
        for url, process, log in started.values():
            _wait_ready(url, process, log)
        yield {name: url for name, (url, _, _) in started.items()}
    finally:
        for _, process, _ in started.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for _, process, _ in started.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases every run: a failure here is reproducible
    suppress_health_check=list(HealthCheck),
    database=None,
)


def _fuzz(
    operation: Any, mode: GenerationMode, auth: dict[str, str], path: dict[str, str] | None
) -> None:
    @HYPOTHESIS
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path))
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=auth, checks=CHECKS, timeout=10)

    run()


@pytest.mark.parametrize(
    ("mode", "real_unit"),
    [
        (GenerationMode.POSITIVE, False),
        # Random units rarely exist: with a real one, valid bodies reach the domain and MongoDB.
        (GenerationMode.POSITIVE, True),
        (GenerationMode.NEGATIVE, False),
    ],
    ids=["valid", "valid-real-unit", "invalid"],
)
@pytest.mark.parametrize("service", SERVICES)
def test_no_request_makes_a_service_fail(
    running: dict[str, str], service: str, mode: GenerationMode, real_unit: bool
) -> None:
    """Every operation of the service, MAX_EXAMPLES cases each; all failures reported."""
    url = running[service]
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    schema.config.base_url = url
    auth = bearer("12", "secretary")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if real_unit and "{unit}" not in operation.path:
            continue
        operations += 1
        try:
            _fuzz(operation, mode, auth, {"unit": "12"} if real_unit else None)
        except Unsatisfiable:
            continue  # nothing invalid to send (e.g. /health in negative mode)
        except Exception as exc:  # every operation's failure, not only the first
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert operations >= 1
    assert not failures, "\n\n".join(failures)
