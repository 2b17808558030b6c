"""`hdnd run`: the whole system on one machine — servers, the three services, sample data."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from deploy.local import ENV_KAFKA, ENV_MONGO, Endpoints
from deploy.servers import ENV_MONGO_SECRETS
from services.common.settings import SERVICE_PORTS


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


def secrets_env(endpoints: Endpoints) -> dict[str, str]:
    """Where the services find their MongoDB passwords (each reads only its own user's)."""
    directory = endpoints.mongodb_secrets_dir
    return {} if directory is None else {ENV_MONGO_SECRETS: str(directory)}


@contextmanager
def running_services(
    endpoints: Endpoints,
    units: list[str],
    log_dir: Path,
    ports: dict[str, int] | None = None,
    extra_env: dict[str, str] | None = None,
    service_env: dict[str, dict[str, str]] | None = None,
    grace: float = 30.0,
) -> Iterator[dict[str, ServiceProcess]]:
    """Start each service as its own process (as in production), `service_env` adding to
    one service's environment what only it gets (reporting: the token issuer's keys);
    SIGTERM them on exit so each drains its in-flight work, for `grace` seconds at most: then
    SIGKILL, to it and its worker processes (what it had in hand is read again at its next
    start, as after a crash)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        ENV_KAFKA: endpoints.kafka_bootstrap,
        ENV_MONGO: endpoints.mongodb_uri,
        "HDND_UNITS": ",".join(units),
        "HDND_INSTANCE": "local",
        **secrets_env(endpoints),
        **(extra_env or {}),
    }
    started: dict[str, ServiceProcess] = {}
    try:
        for name, port in (ports or SERVICE_PORTS).items():
            log = (log_dir / f"{name}.log").open("ab")
            process = subprocess.Popen(
                [sys.executable, "-m", f"services.{name}", "--port", str(port)],
                env={**env, **(service_env or {}).get(name, {})},
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


MAIL_SINK_PORT = 8125


@contextmanager
def local_mail_sink(base_dir: Path, port: int = MAIL_SINK_PORT) -> Iterator[dict[str, str]]:
    """The local SMTP sink (aiosmtpd) `make run` delivers e-mail to, in `base_dir`/mail, and
    the environment that points reporting at it (`hdnd mail list`, Hộp thư thử nghiệm). On
    `port`, or any free one when another run holds it (a test's beside a developer's)."""
    from services.reporting.notifications.sink import Mailbox, MailSink

    directory = base_dir / "mail"
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            port = 0
    sink = MailSink(Mailbox(directory), port=port)
    port = sink.start()
    try:
        yield {
            "HDND_SMTP_HOST": "127.0.0.1",
            "HDND_SMTP_PORT": str(port),
            "HDND_MAIL_SINK_DIR": str(directory.resolve()),
        }
    finally:
        sink.stop()
