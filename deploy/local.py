"""Local stack manager: a Kafka-protocol broker (noida-db) and a one-node MongoDB replica set.

Development and CI machines have no Docker, so the project starts real servers from PyPI
wheels itself (see the ``servers`` extra). Everything lives under one base directory (data,
logs, pid files) so several stacks (e.g. the test suite's, on free ports) can coexist.
When ``KAFKA_BOOTSTRAP_SERVERS`` and ``MONGODB_URI`` are both set, nothing is started and
those servers are used instead.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymongo import MongoClient
from pymongo.errors import OperationFailure, PyMongoError

from deploy.interrupts import shielded, stop_if

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

from deploy.mongo_users import (
    AUTHENTICATION_FAILED,
    UNAUTHORIZED,
    admin_client,
    create_admin,
    create_secrets,
    ensure_users,
)
from deploy.servers import (
    ALREADY_INITIALIZED,
    DEFAULT_BASE_DIR,
    DEFAULT_KAFKA_PORT,
    DEFAULT_MONGO_PORT,
    ENV_KAFKA,
    ENV_MONGO,
    HOST,
    KAFKA,
    MONGODB,
    POLL,
    REPLICA_SET,
    Endpoints,
    ServerStatus,
    StackError,
    UnderBase,
    check_port_free,
    command_option,
    external_endpoints,
    free_port,
    kafka_metadata,
    log,
    log_tail,
    mongod_binary,
    noida_binary,
    pid_alive,
    port_open,
    read_pid,
    run_coroutine,
    spawn,
    stop_pid,
)

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
        mongo_cache_gb: float = 0.25,
        kafka_dir: Path | None = None,
    ) -> None:
        # Absolute, because mongod --fork daemonises and relative paths must not depend on cwd.
        self.base_dir = (base_dir if base_dir is not None else DEFAULT_BASE_DIR).resolve()
        self.kafka_port = kafka_port
        self.mongo_port = mongo_port
        # Test stacks only: mongod's fail points (configureFailPoint) force transient errors.
        self.test_commands = test_commands
        # WiredTiger's cache: small for tests and `make run`; compose's is 1 GB (benchmarks').
        self.mongo_cache_gb = mongo_cache_gb
        # noida-db's data elsewhere than base_dir/kafka (benchmarks: in memory, see bench.common).
        self._kafka_dir = kafka_dir.resolve() if kafka_dir is not None else None

    # paths ------------------------------------------------------------------

    @property
    def kafka_dir(self) -> Path:
        """noida-db's data directory: ``kafka/`` unless the stack was given another."""
        return self._kafka_dir if self._kafka_dir is not None else self.base_dir / "kafka"

    mongo_dir = UnderBase("mongo", "mongod's dbpath.")
    kafka_pid_file = UnderBase(
        "kafka.pid", "Written by us: noida-db runs in the foreground and keeps no pid file."
    )
    mongo_pid_file = UnderBase(
        "mongo.pid", "Written by mongod itself (--pidfilepath) after it forks."
    )
    kafka_log = UnderBase("kafka.log", "noida-db's stdout and stderr.")
    mongo_log = UnderBase("mongo.log", "mongod's --logpath.")
    mongo_secrets = UnderBase(
        "secrets/mongodb", "The MongoDB users' passwords, a file each (0600; deploy.mongo_users)."
    )
    mongo_keyfile = UnderBase("secrets/mongodb.keyfile", "The replica set's keyFile (0600).")

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
        return Endpoints(
            self.kafka_bootstrap,
            self.mongodb_uri,
            managed=True,
            mongodb_secrets_dir=self.mongo_secrets,
        )

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
        """Stop both servers gracefully (SIGTERM) and remove their pid files; both at once
        (neither needs the other to stop), so a Ctrl-C is over sooner."""
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            stops = [pool.submit(self.stop_kafka, timeout), pool.submit(self.stop_mongo, timeout)]
        for stop in stops:
            stop.result()

    def status(self) -> dict[str, ServerStatus]:
        """State of each server keyed ``kafka`` / ``mongodb``, reporting the port it really uses."""
        return {KAFKA: self._noida.status(), MONGODB: self._mongod.status()}

    @property
    def _noida(self) -> Server:
        return Server(KAFKA, "noida-db", "--kafka-port", self.kafka_port, self.kafka_pid_file)

    @property
    def _mongod(self) -> Server:
        return Server(MONGODB, "mongod", "--port", self.mongo_port, self.mongo_pid_file)

    # Kafka (noida-db) ---------------------------------------------------------

    def start_kafka(self, timeout: float = 60) -> str:
        """Start noida-db unless ours already runs; return the bootstrap address once it serves."""
        deadline = time.monotonic() + timeout
        pid = self._noida.ours()
        if pid is None:
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
        pid = self._noida.pid()
        if pid is not None:
            with contextlib.suppress(OSError, subprocess.SubprocessError, StackError):
                subprocess.run(
                    [str(noida_binary()), "stop", KAFKA, "--data-dir", str(self.kafka_dir)],
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=timeout,
                    check=False,
                    cwd=self.base_dir,
                    start_new_session=True,  # a second Ctrl-C must not cut the stop short
                )
            stop_pid("noida-db", pid, timeout)
        self.kafka_pid_file.unlink(missing_ok=True)
        return pid is not None

    def _spawn_kafka(self) -> int:
        binary = noida_binary()
        self.kafka_dir.mkdir(parents=True, exist_ok=True)
        cmd = [
            str(binary), "start", "--only", "kafka", "--data-dir", str(self.kafka_dir),
            "--host", HOST, "--kafka-port", str(self.kafka_port),
        ]  # fmt: skip
        return spawn(cmd, self.kafka_log, self.kafka_pid_file, cwd=self.base_dir)

    def _wait_kafka(self, pid: int, deadline: float) -> None:
        """Wait until the port answers and aiokafka gets metadata from it."""
        last_error = "port never answered"
        while True:
            if not pid_alive(pid):
                self.kafka_pid_file.unlink(missing_ok=True)
                raise StackError(
                    f"noida-db exited during startup; {self.kafka_log}:\n{log_tail(self.kafka_log)}"
                )
            remaining = deadline - time.monotonic()
            if port_open(self.kafka_port):
                try:
                    budget_ms = int(1000 * min(5.0, max(1.0, remaining)))
                    probe = functools.partial(kafka_metadata, self.kafka_bootstrap, budget_ms)
                    run_coroutine(probe)
                    return
                except Exception as exc:  # any client error just means "not ready yet"
                    last_error = f"{type(exc).__name__}: {exc}"
            failure = f"noida-db (pid {pid}) did not serve Kafka on {self.kafka_bootstrap} in time"
            poll_or_give_up(deadline, f"{failure} ({last_error})", self.kafka_log)

    # MongoDB (mongod) ---------------------------------------------------------

    def start_mongo(self, timeout: float = 60) -> str:
        """Start mongod unless ours already runs, make it a writable rs0 primary, return its URI."""
        deadline = time.monotonic() + timeout
        pid = self._mongod.ours()
        if pid is not None:
            if command_option(pid, "--keyFile") is None:
                log.warning("mongod (pid %d) runs without authentication; restart it", pid)
        else:
            try:
                with shielded() as held:  # until mongod is under its pid file, for the cleanup
                    self._spawn_mongo(timeout)
            except OSError as exc:
                raise StackError(f"cannot start mongod in {self.base_dir}: {exc}") from exc
            stop_if(held)
        self._init_replica_set(deadline)
        return self.mongodb_uri

    def stop_mongo(self, timeout: float = 30) -> bool:
        """SIGTERM mongod (clean shutdown); True if one was running."""
        pid = self._mongod.pid()
        if pid is not None:
            stop_pid("mongod", pid, timeout)
        self.mongo_pid_file.unlink(missing_ok=True)
        return pid is not None

    def _spawn_mongo(self, timeout: float) -> None:
        binary = mongod_binary()
        self.mongo_dir.mkdir(parents=True, exist_ok=True)
        create_secrets(self.mongo_secrets, self.mongo_keyfile)
        # Authentication on, as in production: each service reaches its own database only.
        cmd = [
            str(binary), "--dbpath", str(self.mongo_dir), "--port", str(self.mongo_port),
            "--bind_ip", HOST, "--replSet", REPLICA_SET,
            "--auth", "--keyFile", str(self.mongo_keyfile),
            "--wiredTigerCacheSizeGB", str(self.mongo_cache_gb), "--oplogSize", "128",
            "--setParameter", "diagnosticDataCollectionEnabled=false",
            "--logpath", str(self.mongo_log), "--logappend",
            "--fork", "--pidfilepath", str(self.mongo_pid_file),
        ]  # fmt: skip
        if self.test_commands:
            cmd += ["--setParameter", "enableTestCommands=1"]
            # Users are created per test prefix: the cheapest key stretching MongoDB allows.
            cmd += ["--setParameter", "scramSHA256IterationCount=5000"]
        # With --fork the parent returns once the daemon accepts connections (or failed).
        try:
            result = subprocess.run(
                cmd,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=max(1.0, timeout),
                check=False,
                cwd=self.base_dir,
                start_new_session=True,  # the terminal's Ctrl-C is ours to handle, not mongod's
            )
        except subprocess.TimeoutExpired as exc:
            raise StackError(f"mongod did not start in time; see {self.mongo_log}") from exc
        if result.returncode != 0:
            output = (result.stdout + result.stderr).decode(errors="replace").strip()
            raise StackError(
                f"mongod failed to start (exit {result.returncode}): {output}\n"
                f"{self.mongo_log}:\n{log_tail(self.mongo_log)}"
            )

    def _init_replica_set(self, deadline: float) -> None:
        """Initiate rs0 once (code 23 = done before), wait for a writable primary, then make
        the users: the admin through the localhost exception on a first start, the others
        signed in as the admin."""
        member = f"{HOST}:{self.mongo_port}"
        direct = f"mongodb://{member}/?directConnection=true"
        options: dict[str, Any] = {"serverSelectionTimeoutMS": 2000, "connectTimeoutMS": 2000}
        anonymous: MongoClient[dict[str, Any]] = MongoClient(direct, **options)
        client = anonymous
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
                        break
                    last_error = f"not primary yet (secondary={hello.get('secondary')})"
                except OperationFailure as exc:
                    if exc.code != UNAUTHORIZED or client is not anonymous:
                        raise
                    client = admin_client(direct, self.mongo_secrets, **options)  # users exist
                except PyMongoError as exc:
                    last_error = f"{type(exc).__name__}: {exc}"
                failure = f"mongod on {member} did not become a writable primary in time"
                poll_or_give_up(deadline, f"{failure} ({last_error})", self.mongo_log)
            create_admin(anonymous, self.mongo_secrets)
            if client is anonymous:
                client = admin_client(direct, self.mongo_secrets, **options)
            ensure_users(client, self.mongo_secrets)
        except OperationFailure as exc:
            if exc.code != AUTHENTICATION_FAILED:
                raise
            raise StackError(
                f"mongod on {member} refused the stack's admin ({exc}): its users were made"
                f" with other passwords than those in {self.mongo_secrets}; restore that"
                f" directory, or start afresh (`make clean`)"
            ) from exc
        finally:
            if client is not anonymous:
                client.close()
            anonymous.close()

    @staticmethod
    def _initiate(client: MongoClient[dict[str, Any]], member: str) -> None:
        """replSetInitiate; if the data dir was initiated under another port, re-point it."""
        config: dict[str, Any] = {"_id": REPLICA_SET, "members": [{"_id": 0, "host": member}]}
        try:
            client.admin.command("replSetInitiate", config)
            return
        except OperationFailure as exc:
            if exc.code != ALREADY_INITIALIZED:
                raise
        current: dict[str, Any] = client.admin.command("replSetGetConfig")["config"]
        hosts = [m["host"] for m in current["members"]]
        if hosts != [member]:
            log.warning("replica set config names %s; forcing it to %s", hosts, member)
            current["members"] = [{**current["members"][0], "host": member}]
            current["version"] = int(current["version"]) + 1
            client.admin.command("replSetReconfig", current, force=True)


@dataclass(frozen=True)
class Server:
    """One of the stack's two servers as pid file, port and process see it: what tells that
    it runs, that it is ours, and on which port."""

    name: str  # ``kafka`` / ``mongodb``: the key of LocalStack.status
    process: str  # the binary a pid file's process must be (a reused pid is not ours)
    port_flag: str  # the command-line option that carries its port
    port: int  # the port this stack wants it on
    pid_file: Path

    def pid(self) -> int | None:
        """Pid of our running server, if any."""
        return read_pid(self.pid_file, self.process)

    def running_port(self, pid: int | None) -> int:
        """The port the running server was started with, else the wanted one."""
        value = command_option(pid, self.port_flag) if pid is not None else None
        return int(value) if value is not None and value.isdigit() else self.port

    def status(self) -> ServerStatus:
        """Its pid and whether its port answers."""
        pid = self.pid()
        port = self.running_port(pid)
        return ServerStatus(self.name, pid, port, port_open(port))

    def ours(self) -> int | None:
        """Pid of ours running on the wanted port, or None once the port is known free: never
        hand out an endpoint the running server does not listen on."""
        pid = self.pid()
        if pid is None:
            check_port_free(self.name, self.port)
            return None
        actual = self.running_port(pid)
        if actual != self.port:
            raise StackError(
                f"{self.name} from {self.pid_file.parent} already runs on port {actual} "
                f"(pid {pid}), not {self.port}; stop it first or ask for port {actual}"
            )
        return pid


def poll_or_give_up(deadline: float, failure: str, log_file: Path) -> None:
    """Wait one poll before a server's next try, or fail pointing at its log once the
    deadline has passed."""
    if time.monotonic() >= deadline:
        raise StackError(f"{failure}; see {log_file}")
    time.sleep(POLL)
