"""The soak's settings, its service processes, and what it records of a run."""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord, TopicPartition
from rich.console import Console

from deploy.local import free_port
from services.common.kafka import partitions_of

PROVINCE = "12"  # Tỉnh Lai Châu: 8 districts, ~100 communes in the legacy era
HOST = "127.0.0.1"
FAULTS: dict[str, int] = {  # name → weight
    "kill_meetings": 3,
    "kill_reporting": 3,
    "restart_broker": 2,
    "restart_mongod": 2,
    "duplicate_publish": 2,
    "poison": 2,
}
console = Console()
Snapshot = dict[tuple[str, str], dict[str, dict[str, int]]]


def restartable_port(host: str = HOST) -> int:
    """A free port for a server that will be stopped and started again on it: below the
    kernel's ephemeral range, so the port cannot be handed out meanwhile to anyone asking
    for a free one (`bind(("", 0))`, as test suites on the same machine do), and our server
    finds it free again when it comes back."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(max(1024, low - 12000), low)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    return free_port(host)


@dataclass
class Service:
    """One service process on a loopback port; restarted by the soak, never by itself."""

    name: str
    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=restartable_port)
    process: subprocess.Popen[bytes] | None = None
    expected_down: bool = False
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        self.starts += 1
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", f"services.{self.name}"),
                    *("--host", HOST, "--port", str(self.port)),
                ],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    async def healthy(self, within: float = 90.0) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as client:
            while time.monotonic() < deadline:
                if not self.alive():
                    raise RuntimeError(f"{self.name} exited; see {self.log_path}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/health")).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer /health within {within:.0f} s")


@dataclass
class Fault:
    at: float
    name: str
    detail: str
    seconds: float


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class Writes:
    """What the clients sent and what the service told them."""

    sent: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)  # id → unit, body
    accepted: set[str] = field(default_factory=set)
    retries: int = 0
    refused: list[str] = field(default_factory=list)


async def sleep_or(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def random_meeting(
    rng: random.Random, meeting_id: str, title: str, delegate_group: str
) -> dict[str, Any]:
    """A random meeting of a kind every council level holds, in the first half of 2025: what
    the soak's writers post, and the fault tests too."""
    day = (date(2025, 1, 1) + timedelta(days=rng.randrange(178))).isoformat()
    common: dict[str, Any] = {"meeting_id": meeting_id, "title": title, "held_on": day}
    kind = rng.choice(("voter_contact", "voter_contact", "citizen_reception", "standing"))
    if kind == "voter_contact":
        return common | {
            "kind": "voter_contact",
            "timing": rng.choice(("before_session", "after_session")),
            "delegate_group": delegate_group,
            "voters_attending": rng.randrange(1, 300),
            "opinions_raised": rng.randrange(0, 20),
        }
    if kind == "citizen_reception":
        return common | {
            "kind": "citizen_reception",
            "reception_type": rng.choice(("periodic", "ad_hoc")),
            "citizens_received": rng.randrange(1, 50),
            "petitions_received": rng.randrange(0, 10),
        }
    return common | {"kind": "standing_committee", "meeting_type": "regular"}


async def end_offsets(bootstrap: str, topics: Iterable[str]) -> dict[str, int]:
    """Each partition's end offset now, as "topic:partition": where a reader has caught up."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        partitions = await partitions_of(consumer, topics)
        ends = await consumer.end_offsets(partitions)
        return {f"{tp.topic}:{tp.partition}": offset for tp, offset in ends.items()}
    finally:
        await consumer.stop()


async def read_topic(bootstrap: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of `topic` up to its end now, partition by partition in offset order."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = await partitions_of(consumer, [topic])
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]] = {
            tp: [] for tp in partitions
        }
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            fetched = await consumer.getmany(timeout_ms=200, max_records=5000)
            for tp, batch in fetched.items():
                records[tp].extend(r for r in batch if r.offset < ends[tp])
        return [r for tp in partitions for r in records[tp]]
    finally:
        await consumer.stop()
