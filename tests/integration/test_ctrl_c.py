"""Ctrl-C means stop, at any moment, tried as a new user would: `hdnd run` in its own process
group on free ports with a fresh directory, Ctrl-C sent to the group as a terminal sends it.

- Pressed while the first run loads the sample, it stops within 5 s, leaves no server or
  service running, and keeps what was loaded: the next run answers "đã có" (already there) for
  those records, and the two runs together recorded the whole sample, nothing refused.
- Pressed while `hdnd projections rebuild` replays the topics beside the live version, the
  rebuild stops within 5 s, the live version answers the same figures, the half-built version
  is gone, and the next rebuild runs to the end and answers the same figures.
- Pressed while `hdnd hierarchy load` writes the country's units, it stops within 5 s and
  the next load writes only the rest.

The sample here is the records of the province and of one district (`--sample-unit`, 338 of
2,234 posts): a shorter load than `make run`'s, through the same code."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import MongoClient

from deploy.accounts import ISSUER_DIR, identity_session
from deploy.local import ENV_KAFKA, ENV_MONGO, free_port
from deploy.projections import end_offsets, status
from deploy.sample import SAMPLE_PROVINCE, sample_chains, within
from deploy.servers import ENV_MONGO_SECRETS
from services.common.hierarchy import Hierarchy
from services.common.mongo import OPERATOR, credentials
from services.common.settings import Settings
from services.reporting.identity.core import SERVER
from services.reporting.wiring import projector_topics
from tests.conftest import eventually

pytestmark = pytest.mark.integration

HDND = Path(sys.executable).with_name("hdnd")
HIERARCHY = Hierarchy.load()
UNITS = {SAMPLE_PROVINCE, "106"}  # the province's records and Huyện Tam Đường's
POSTS = sum(len(c.posts) for c in within(sample_chains(HIERARCHY, SAMPLE_PROVINCE), UNITS))
STOPS_WITHIN = 5.0
LOADED = re.compile(r"Dữ liệu mẫu: (\d+) bản ghi mới, (\d+) đã có, (\d+) bị từ chối")
SUMMARY = f"/units/{SAMPLE_PROVINCE}/summary?period=2025"


class Command:
    """One `hdnd …` in a process group of its own, its output in a file."""

    def __init__(self, args: list[str], env: dict[str, str], output: Path) -> None:
        self.output = output
        with output.open("wb") as out:
            self.process = subprocess.Popen(
                [str(HDND), *args],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def wait_for(self, line: str, within: float = 180.0) -> None:
        deadline = time.monotonic() + within
        while line not in self.text:
            assert self.process.poll() is None, f"exited {self.process.returncode}:\n{self.text}"
            assert time.monotonic() < deadline, f"no {line!r} within {within} s:\n{self.text}"
            time.sleep(0.1)

    def ctrl_c(self) -> float:
        """Ctrl-C as a terminal sends it (to the whole foreground group); seconds to exit."""
        pressed = time.monotonic()
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return time.monotonic() - pressed


def left_running(mark: str) -> dict[int, str]:
    """Live processes whose command line or environment names `mark` (the stack's directory,
    which every server, service, worker and the proxy are started with), by pid."""
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            seen = (proc / "cmdline").read_bytes() + (proc / "environ").read_bytes()
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z" and mark.encode() in seen:
            found[int(proc.name)] = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    return found


@dataclass
class LocalRun:
    """`hdnd run`'s arguments on free ports, its directory and an environment without the
    suite's servers (so it starts its own)."""

    base: Path
    ports: list[int]
    env: dict[str, str]
    token: str = ""

    @property
    def args(self) -> list[str]:
        kafka, mongo, proxy, tls, *services = self.ports
        return [
            *("run", "--dir", str(self.base), "--kafka-port", str(kafka)),
            *("--mongo-port", str(mongo), "--proxy-port", str(proxy), "--tls-port", str(tls)),
            *("--service-ports", ",".join(map(str, services))),
            *(arg for unit in sorted(UNITS) for arg in ("--sample-unit", unit)),
        ]

    @property
    def settings(self) -> Settings:
        """The reporting service's settings, as `hdnd run` gives them (for a rebuild)."""
        return Settings(
            kafka_bootstrap_servers=f"127.0.0.1:{self.ports[0]}",
            mongodb_uri=f"mongodb://127.0.0.1:{self.ports[1]}/?replicaSet=rs0",
            units=[SAMPLE_PROVINCE],
            public_keys_dir=self.base / "keys" / "public",
            mongodb_secrets_dir=self.base / "secrets" / "mongodb",
            issuer_keys_dir=self.base / ISSUER_DIR,
            database_prefix="hdnd",
            topic_prefix="",
        )

    def start(self, name: str) -> Command:
        return Command(self.args, self.env, self.base.parent / f"{name}.out")

    async def viewer_token(self) -> str:
        """A service account's token from the run's issuer, made once (making it is an event,
        which the projections then fold)."""
        if not self.token:
            keys = self.base / "keys" / f"province-{SAMPLE_PROVINCE}"
            issuer = self.settings.model_copy(update={"keys_dir": keys, "instance": "local"})
            async with identity_session(issuer) as identity:
                made = await identity.accounts.create_service(
                    None, SERVER, "ctrl-c-test", SAMPLE_PROVINCE, "viewer", days=1
                )
            self.token = str(made["token"])
        return self.token

    async def summary(self) -> Any:
        """The province's 2025 summary through the proxy, as the dashboard asks for it."""
        token = await self.viewer_token()
        async with httpx.AsyncClient(timeout=30) as client:
            r = await client.get(
                f"http://127.0.0.1:{self.ports[2]}{SUMMARY}",
                headers={"Authorization": f"Bearer {token}"},
            )
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture
def local_run(tmp_path: Path) -> Iterator[LocalRun]:
    """A fresh `hdnd run` setting; whatever a failed test left running is killed by pid."""
    keep = (ENV_KAFKA, ENV_MONGO)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HDND_") and k not in keep}
    # no reminders: their notification.sent events would move the figures and offsets this
    # test compares while the run is otherwise idle (the clock is today's, the sample late)
    env["HDND_NOTIFY"] = "false"
    run = LocalRun(tmp_path / "local", [free_port() for _ in range(7)], env)
    yield run
    for pid in left_running(str(run.base)):
        os.kill(pid, signal.SIGKILL)


def recorded_so_far(run: LocalRun) -> int:
    """Outbox rows the meetings service wrote: records the load has made."""
    uri = f"mongodb://127.0.0.1:{run.ports[1]}/?directConnection=true"
    client: MongoClient[dict[str, Any]]
    login = credentials(run.settings, OPERATOR)
    with MongoClient(uri, serverSelectionTimeoutMS=5000, **login) as client:
        return int(client["hdnd_meetings"]["outbox"].count_documents({}))


async def test_ctrl_c_stops_a_first_load_and_a_rebuild_at_once_keeping_what_they_should(
    local_run: LocalRun,
) -> None:
    first = local_run.start("first")
    first.wait_for("Nạp dữ liệu mẫu")

    async def under_way() -> None:
        assert first.process.poll() is None, first.text
        assert recorded_so_far(local_run) > 0

    await eventually(under_way, within=60)

    took = first.ctrl_c()

    assert took < STOPS_WITHIN, first.text
    assert first.process.returncode == 130, first.text
    assert "Ctrl-C: stopping" in first.text and "Traceback" not in first.text
    assert "Dữ liệu mẫu:" not in first.text and "hdnd is running" not in first.text
    assert left_running(str(local_run.base)) == {}

    second = local_run.start("second")
    try:
        second.wait_for("hdnd is running")
        loaded = LOADED.search(second.text)
        assert loaded is not None, second.text
        recorded, unchanged, refused = map(int, loaded.groups())
        assert unchanged > 0 and refused == 0, second.text  # what the first run loaded stayed
        assert recorded + unchanged == POSTS

        await rebuild_stopped_then_done(local_run)
    finally:
        took = second.ctrl_c()
    assert took < STOPS_WITHIN, second.text
    assert second.process.returncode == 130
    assert left_running(str(local_run.base)) == {}


async def rebuild_stopped_then_done(run: LocalRun) -> None:
    """`hdnd projections rebuild` beside the running services: Ctrl-C while it replays, then
    once more to the end."""
    identity = [run.settings.topics.identity]
    accounts_before = sum((await end_offsets(run.settings, identity)).values())
    await run.viewer_token()  # before the offsets: its making is an event too

    async def caught_up() -> dict[str, Any]:  # the live version has folded the whole sample
        # the token's event is relayed by the running reporting: on the topic first
        assert sum((await end_offsets(run.settings, identity)).values()) > accounts_before
        ends = await end_offsets(run.settings, projector_topics(run.settings))
        versions: dict[str, Any] = await status(run.settings)
        assert [v["offsets"] for v in versions["versions"]] == [sum(ends.values())]
        return versions

    versions = await eventually(caught_up, within=60)
    before = await run.summary()
    env = {
        **run.env,
        ENV_KAFKA: run.settings.kafka_bootstrap_servers,
        ENV_MONGO: run.settings.mongodb_uri,
        "HDND_UNITS": SAMPLE_PROVINCE,
        "HDND_KEYS_DIR": str(run.base / "keys" / f"province-{SAMPLE_PROVINCE}"),
        "HDND_PUBLIC_KEYS_DIR": str(run.settings.public_keys_dir),
        ENV_MONGO_SECRETS: str(run.settings.mongodb_secrets_dir),
    }
    rebuild = Command(["projections", "rebuild"], env, run.base.parent / "rebuild.out")

    async def replaying() -> None:  # into a new version, beside the live one
        assert rebuild.process.poll() is None, rebuild.text
        state = await status(run.settings)
        assert any(v["version"] > state["active"] and v["offsets"] for v in state["versions"])

    await eventually(replaying, within=60)

    took = rebuild.ctrl_c()

    assert took < STOPS_WITHIN, rebuild.text
    assert rebuild.process.returncode == 130, rebuild.text
    assert "stopped (Ctrl-C)" in rebuild.text
    assert '"level": "error"' not in rebuild.text and "Traceback" not in rebuild.text
    assert await status(run.settings) == versions  # the half-built version is gone
    assert await run.summary() == before

    again = Command(["projections", "rebuild"], env, run.base.parent / "again.out")
    assert again.process.wait(timeout=120) == 0, again.text
    assert (await status(run.settings))["active"] > versions["active"]
    assert await run.summary() == before


async def test_ctrl_c_stops_a_hierarchy_load_and_the_next_goes_on(settings: Settings) -> None:
    assert settings.keys_dir is not None  # the session's keys: the national registry's too
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HDND_")},
        ENV_KAFKA: settings.kafka_bootstrap_servers,
        ENV_MONGO: settings.mongodb_uri,
        "HDND_DATABASE_PREFIX": settings.database_prefix,
        "HDND_TOPIC_PREFIX": settings.topic_prefix,
        "HDND_TOPIC_PARTITIONS": str(settings.topic_partitions),
        "HDND_KEYS_DIR": str(settings.keys_dir),
        ENV_MONGO_SECRETS: str(settings.mongodb_secrets_dir),
    }
    units = settings.database_for("hierarchy")
    load = Command(["hierarchy", "load"], env, settings.keys_dir.parent / f"{units}.out")

    async def under_way() -> None:
        assert load.process.poll() is None, load.text
        with MongoClient(settings.mongodb_uri, **credentials(settings, OPERATOR)) as client:
            assert client[units]["units"].count_documents({}) > 0

    await eventually(under_way, within=60)
    took = load.ctrl_c()

    assert took < STOPS_WITHIN, load.text
    assert load.process.returncode == 130, load.text
    assert "stopped (Ctrl-C): the units loaded so far stay" in load.text
    again = Command(["hierarchy", "load"], env, settings.keys_dir.parent / f"{units}-again.out")
    assert again.process.wait(timeout=120) == 0, again.text
    done = re.search(r"hierarchy: (\d+) units \((\d+) new, (\d+) already loaded\)", again.text)
    assert done is not None, again.text
    total, new, kept = map(int, done.groups())
    assert kept > 0 and new > 0 and new + kept == total
    with MongoClient(settings.mongodb_uri, **credentials(settings, OPERATOR)) as client:
        assert client[units]["units"].count_documents({}) == total
