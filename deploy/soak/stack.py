"""The soak's private stack and services, and the writers that keep posting meetings."""

from __future__ import annotations

import asyncio
import os
import random
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from contracts.keys import generate_keys
from deploy.local import LocalStack
from deploy.mongo_users import grant_databases
from deploy.soak.common import (
    PROVINCE,
    Fault,
    Service,
    Writes,
    console,
    end_offsets,
    random_meeting,
    read_topic,
    restartable_port,
)
from services.common.hierarchy import Hierarchy
from services.common.kafka import ensure_topics
from services.common.settings import Settings
from services.reporting.identity.keys import standalone_issuer


class SoakStack:
    """A private stack with the meetings and reporting services, and the clients writing."""

    def __init__(self, minutes: float, seed: int, rate: float, keep: bool) -> None:
        self.minutes = minutes
        self.seed = seed
        self.rng = random.Random(seed)
        self.rate = rate
        self.keep = keep
        self.work = Path(tempfile.mkdtemp(prefix="hdnd-soak-"))
        self.stack = LocalStack(
            base_dir=self.work / "stack",
            kafka_port=restartable_port(),
            mongo_port=restartable_port(),
        )
        self.hierarchy = Hierarchy.load()
        self.units = [PROVINCE] + [
            u.code for u in self.hierarchy.descendants(PROVINCE, "legacy") if u.level != "province"
        ]
        self.issuer = standalone_issuer(self.work / "issuer")
        self.settings = Settings(
            kafka_bootstrap_servers=self.stack.kafka_bootstrap,
            mongodb_uri=self.stack.mongodb_uri,
            mongodb_secrets_dir=self.stack.mongo_secrets,
            database_prefix="soak",
            topic_partitions=3,
            instance="soak",
        )
        self.writes = Writes()
        self.faults: list[Fault] = []
        self.poison: list[bytes] = []
        self.violations: list[str] = []
        self.started = time.monotonic()
        self.services: dict[str, Service] = {}
        self._server_step: asyncio.Future[object] | None = None

    async def server_step(self, step: Callable[[], object]) -> None:
        """Start or stop a server in a thread and carry it to its end even when the soak is
        stopped meanwhile: the teardown waits for it (:meth:`servers_settled`), so it never
        stops a server that the thread then starts."""
        self._server_step = asyncio.ensure_future(asyncio.to_thread(step))
        await asyncio.shield(self._server_step)

    async def servers_settled(self) -> None:
        if self._server_step is not None:
            await asyncio.wait([self._server_step])

    def _env(self, keys: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HDND_")}
        return env | {
            "KAFKA_BOOTSTRAP_SERVERS": self.stack.kafka_bootstrap,
            "MONGODB_URI": self.stack.mongodb_uri,
            "HDND_MONGODB_SECRETS_DIR": str(self.stack.mongo_secrets),
            "HDND_DATABASE_PREFIX": "soak",
            "HDND_TOPIC_PARTITIONS": "3",
            "HDND_INSTANCE": "soak",
            "HDND_UNITS": PROVINCE,
            "HDND_KEYS_DIR": str(keys),
            "HDND_TOKEN_JWKS_FILE": str(self.work / "issuer" / "jwks.json"),
            "HDND_TOKEN_ISSUER": "hdnd-soak",
            "HDND_ISSUER_URL": "http://127.0.0.1:9",  # no issuer: nothing is revoked
            "HDND_IDLE_BACKOFF_MS": "100",
            "HDND_CONSUMER_BATCH": "200",
            "HDND_LOG_LEVEL": "info",
        }

    async def setup(self) -> None:
        console.print(f"[bold]hdnd soak[/] seed={self.seed} minutes={self.minutes} in {self.work}")
        await self.server_step(self.stack.start_kafka)
        await self.server_step(self.stack.start_mongo)
        await asyncio.to_thread(grant_databases, self.stack.endpoints, "soak")
        keys = self.work / "keys"
        generate_keys(keys, [PROVINCE])
        (self.work / "logs").mkdir()
        env = self._env(keys)
        for name in ("meetings", "reporting"):
            service = Service(name, env, self.work / "logs" / f"{name}.log")
            self.services[name] = service
            service.start()
        for service in self.services.values():
            await service.healthy()
        await ensure_topics(self.settings, [*self.settings.topics.facts, self._dlq])
        console.print(
            f"broker {self.stack.kafka_bootstrap}, mongod {self.stack.mongodb_uri}, "
            + ", ".join(f"{s.name} {s.url}" for s in self.services.values())
        )

    @property
    def _dlq(self) -> str:
        return self.settings.topics.dead_letter

    def token(self, role: str = "secretary") -> str:
        return self.issuer.issue(
            issuer="hdnd-soak",
            audience="hdnd",
            subject="soak",
            unit=PROVINCE,
            role=role,
            ttl=timedelta(hours=12),
        )

    # ------------------------------------------------------------------------- writers

    def _meeting(self, n: int) -> tuple[str, dict[str, Any]]:
        body = random_meeting(
            self.rng, f"soak-{self.seed}-{n}", "Hoạt động HĐND", "Tổ đại biểu số 3"
        )
        return self.rng.choice(self.units), body

    async def _post(self, client: httpx.AsyncClient, unit: str, body: dict[str, Any]) -> None:
        """Retry with the same meeting_id until the service says it has it."""
        self.writes.sent[body["meeting_id"]] = (unit, body)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                r = await client.post(f"/units/{unit}/meetings", json=body)
            except httpx.HTTPError:
                r = None
            if r is not None and r.status_code in (200, 201):
                self.writes.accepted.add(body["meeting_id"])
                return
            if r is not None and r.status_code < 500:
                self.writes.refused.append(f"{r.status_code} {r.text[:200]}")
                return
            self.writes.retries += 1
            await asyncio.sleep(0.3)

    async def writers(self, stop: asyncio.Event, workers: int = 4) -> None:
        counter = iter(range(10**9))
        headers = {"Authorization": f"Bearer {self.token()}"}
        meetings = self.services["meetings"]

        async def worker() -> None:
            async with httpx.AsyncClient(base_url=meetings.url, headers=headers, timeout=30) as c:
                while not stop.is_set():
                    unit, body = self._meeting(next(counter))
                    await self._post(c, unit, body)
                    await asyncio.sleep(workers / self.rate)

        await asyncio.gather(*(worker() for _ in range(workers)))

    async def _ends(self, topics: Any) -> dict[str, int]:
        return await end_offsets(self.stack.kafka_bootstrap, topics)

    async def _read(self, topic: str) -> list[bytes]:
        return [r.value or b"" for r in await read_topic(self.stack.kafka_bootstrap, topic)]
