"""The faults injected while the writers post: kills, restarts, duplicates, poison."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient

from contracts import EventDraft, MeetingHeld, Source
from contracts.timezone import VIETNAM_TZ
from deploy.soak.common import (
    FAULTS,
    PROVINCE,
    Fault,
    sleep_or,
)
from deploy.soak.stack import SoakStack
from services.common.mongo import OPERATOR, credentials


class SoakFaults(SoakStack):
    """Random faults, one every few seconds, and a watch on processes that die on their own."""

    async def faults_loop(self, stop: asyncio.Event, progress: Callable[[str], None]) -> None:
        names, weights = list(FAULTS), list(FAULTS.values())
        await sleep_or(stop, 5)
        while not stop.is_set():
            name = self.rng.choices(names, weights)[0]
            progress(name)
            started = time.monotonic()
            run: Callable[[], Awaitable[str]] = getattr(self, f"_{name}")
            detail = await run()
            self.faults.append(
                Fault(started - self.started, name, detail, time.monotonic() - started)
            )
            await sleep_or(stop, self.rng.uniform(5, 12))

    async def _kill(self, name: str) -> str:
        service = self.services[name]
        service.expected_down = True
        service.kill()
        down = self.rng.uniform(0, 2)
        await asyncio.sleep(down)
        service.start()
        await service.healthy()
        service.expected_down = False
        return f"SIGKILL, restarted after {down:.1f} s (life {service.starts})"

    async def _kill_meetings(self) -> str:
        return await self._kill("meetings")

    async def _kill_reporting(self) -> str:
        return await self._kill("reporting")

    async def _restart_broker(self) -> str:
        return await self._restart(self.stack.stop_kafka, self.stack.start_kafka, 6)

    async def _restart_mongod(self) -> str:
        return await self._restart(self.stack.stop_mongo, self.stack.start_mongo, 3)

    async def _restart(
        self, stop: Callable[[], object], start: Callable[[], object], most: float
    ) -> str:
        """Stop a server, leave it down up to `most` seconds, start it again."""
        await self.server_step(stop)
        down = self.rng.uniform(0, most)
        await asyncio.sleep(down)
        await self.server_step(start)
        return f"stopped {down:.1f} s"

    async def _duplicate_publish(self) -> str:
        async with self._mongo() as client:
            outbox = client[self.settings.database_for("meetings")]["outbox"]
            sent = await outbox.count_documents({"sent": True})
            if sent == 0:
                return "nothing relayed yet"
            n = self.rng.randint(1, min(200, sent))
            recent = outbox.find({"sent": True}, {"_id": 1}).sort("created_at", -1).limit(n)
            ids = [d["_id"] async for d in recent]
            if self.rng.random() < 0.5:
                await outbox.update_many({"_id": {"$in": ids}}, {"$set": {"sent": False}})
                return f"{len(ids)} relayed rows marked unsent: the relay sends them again"
            rows = await outbox.find({"_id": {"$in": ids}}).to_list()
        copies = self.rng.randint(1, 2)
        await self._publish(
            [(bytes(r["value"]), r["key"], r["headers"]) for r in rows for _ in range(copies)]
        )
        return f"{len(rows)} outbox rows published {copies} more time(s) by hand"

    async def _poison(self) -> str:
        kinds = ["garbage", "unsigned", "unknown_version", "unknown_unit"]
        chosen = [self.rng.choice(kinds) for _ in range(self.rng.randint(1, 4))]
        values = [self._poison_value(kind, i) for i, kind in enumerate(chosen)]
        await self._publish([(v, PROVINCE, {}) for v in values])
        self.poison += values
        return ", ".join(chosen)

    def _poison_value(self, kind: str, i: int) -> bytes:
        if kind == "garbage":
            return f"not an event {secrets.token_hex(4)}".encode()
        unit = "99999" if kind == "unknown_unit" else PROVINCE
        draft = EventDraft(
            type=MeetingHeld.TYPE,
            version=99 if kind == "unknown_version" else MeetingHeld.VERSION,
            unit=PROVINCE,
            occurred_at=datetime(2025, 3, 3, 12, tzinfo=VIETNAM_TZ),
            payload=MeetingHeld.model_validate(
                {
                    "meeting": {
                        "kind": "standing_committee",
                        "meeting_type": "regular",
                        "title": "poison",
                        "held_on": "2025-03-03",
                        "meeting_id": f"poison-{secrets.token_hex(4)}",
                    }
                }
            ),
        )
        envelope = draft.seal(Source(service="poison", instance=f"p{i}"), 1)
        return envelope.model_copy(update={"unit": unit}).to_bytes()

    async def _publish(self, messages: list[tuple[bytes, str, dict[str, str]]]) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=self.stack.kafka_bootstrap, enable_idempotence=True
        )
        for _ in range(60):  # the broker may be restarting
            try:
                await producer.start()
                break
            except Exception:
                await asyncio.sleep(1)
        try:
            futures = [
                await producer.send(
                    self.settings.topics.meetings,
                    value,
                    key=key.encode(),
                    headers=[(k, v.encode()) for k, v in headers.items()],
                )
                for value, key, headers in messages
            ]
            await asyncio.gather(*futures)
        finally:
            await producer.stop()

    @contextlib.asynccontextmanager
    async def _mongo(self) -> Any:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            self.stack.mongodb_uri,
            serverSelectionTimeoutMS=60_000,
            **credentials(self.settings, OPERATOR),
        )
        try:
            yield client
        finally:
            await client.close()

    async def watch_processes(self, stop: asyncio.Event) -> None:
        """A service that dies without being killed is a violation; restart it and go on."""
        while not stop.is_set():
            for service in self.services.values():
                if not service.expected_down and not service.alive():
                    code = service.process.returncode if service.process else None
                    self.violations.append(f"{service.name} exited on its own (code {code})")
                    service.start()
                    with contextlib.suppress(RuntimeError):
                        await service.healthy()
            await sleep_or(stop, 1)
