"""`hdnd run`: the whole system on one machine — servers, the three services, sample data."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from deploy.local import ENV_KAFKA, ENV_MONGO, Endpoints
from services.common.settings import SERVICE_PORTS

SECRET_FILE = "jwt-secret"  # the local stack's bearer-token secret, in its data dir (.local/)


def token_secret(base_dir: Path) -> tuple[str, dict[str, str]]:
    """The secret bearer tokens are signed with, and the environment giving it to services.

    HDND_JWT_SECRET / HDND_JWT_SECRET_FILE when set; otherwise the local stack's own file
    `<base_dir>/jwt-secret`, made (random, owner-only) on first use: never in the repository.
    """
    from services.common.auth import ensure_secret_file, load_secret
    from services.common.settings import Settings

    settings = Settings()
    if settings.jwt_secret is not None or settings.jwt_secret_file is not None:
        return load_secret(settings), {}
    path = ensure_secret_file(base_dir / SECRET_FILE).resolve()
    secret = load_secret(settings.model_copy(update={"jwt_secret_file": path}))
    return secret, {"HDND_JWT_SECRET_FILE": str(path)}


@dataclass
class ServiceProcess:
    name: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _wait_healthy(service: ServiceProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"{service.name} exited with code {service.process.returncode}")
        try:
            if httpx.get(service.url + "/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{service.name} did not answer /health within {timeout:.0f} s")


@contextmanager
def running_services(
    endpoints: Endpoints,
    units: list[str],
    log_dir: Path,
    ports: dict[str, int] | None = None,
    extra_env: dict[str, str] | None = None,
    grace: float = 30.0,
) -> Iterator[dict[str, ServiceProcess]]:
    """Start each service as its own process (as in production); SIGTERM them on exit so
    each drains its in-flight work, for `grace` seconds at most: then SIGKILL, to it and its
    worker processes (what it had in hand is read again at its next start, as after a crash)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        ENV_KAFKA: endpoints.kafka_bootstrap,
        ENV_MONGO: endpoints.mongodb_uri,
        "HDND_UNITS": ",".join(units),
        "HDND_INSTANCE": "local",
        **(extra_env or {}),
    }
    started: dict[str, ServiceProcess] = {}
    try:
        for name, port in (ports or SERVICE_PORTS).items():
            log = (log_dir / f"{name}.log").open("ab")
            process = subprocess.Popen(
                [sys.executable, "-m", f"services.{name}", "--port", str(port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches `hdnd run`, which stops them in order
            )
            started[name] = ServiceProcess(name, port, process)
        for service in started.values():
            _wait_healthy(service, timeout=60)
        yield started
    finally:
        for service in started.values():
            if service.process.poll() is None:
                service.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for service in started.values():
            try:
                service.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):  # its session: it and its workers
                    os.killpg(service.process.pid, signal.SIGKILL)
                service.process.wait()
