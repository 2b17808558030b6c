"""The notifier put together: its consumer (open items, sessions, answers), the sweep on a
timer and the e-mail sender. One notifier an instance sweeps (HDND_NOTIFY); the consumer runs
wherever reporting consumes."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from services.common.background import Loop
from services.common.clock import Clock
from services.common.consumer import BatchConsumer
from services.common.hierarchy import Hierarchy
from services.common.logging import get_logger
from services.common.runtime import Runtime
from services.reporting.coordination.store import CoordinationStore
from services.reporting.deadlines.service import Deadlines
from services.reporting.identity.store import IdentityStore
from services.reporting.notifications.items import ItemsConsumer
from services.reporting.notifications.mail import MailSender
from services.reporting.notifications.store import NotificationStore
from services.reporting.notifications.sweep import Sweep

log = get_logger()


@dataclass
class Notifications:
    runtime: Runtime
    store: NotificationStore
    consumer: BatchConsumer
    sweep: Sweep
    sender: MailSender
    loop: Loop = field(default_factory=lambda: Loop("notifier"))
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    def build(
        cls,
        runtime: Runtime,
        hierarchy: Hierarchy,
        coordination: CoordinationStore,
        deadlines: Deadlines,
        clock: Clock,
    ) -> Notifications:
        settings = runtime.settings
        store = NotificationStore(runtime.db, runtime.outbox, settings.topics.reporting)
        handler = ItemsConsumer(runtime, store)
        topics = [settings.topics.meetings, settings.topics.oversight, settings.topics.reporting]
        consumer = BatchConsumer(
            settings,
            "reporting-notifier",
            topics,
            store.positions,
            handler.handle,
            metrics=runtime.metrics,
        )
        identity = IdentityStore(runtime.mongo[settings.database_for("identity")])
        sweep = Sweep(settings, store, coordination, deadlines, identity, hierarchy, clock)
        return cls(runtime, store, consumer, sweep, MailSender(settings, store))

    async def start(self, consume: bool = True, notify: bool = True) -> None:
        await self.store.create_indexes()
        if consume:
            self.consumer.start()
        if notify:
            self.loop.start(self._run())
            self.sender.start()

    async def _run(self) -> None:
        every = self.runtime.settings.notify_interval_ms / 1000
        while not self.loop.stopping.is_set():
            try:
                started = asyncio.get_running_loop().time()
                written = await self.sweep.run()
                took = asyncio.get_running_loop().time() - started
                log.debug("notify_swept", written=written, latency_ms=round(took * 1000, 1))
                if written:
                    self.runtime.relay.notify()
                    self.sender.wake.set()
            except Exception as exc:  # MongoDB away: the next round decides what this did not
                log.warning("notify_sweep_failed", error=str(exc))
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), every)

    def poke(self) -> None:
        """Sweep now (the rules changed, or a test moved the clock)."""
        self.wake.set()

    async def stop(self) -> None:
        self.wake.set()
        await self.loop.stop(grace=5)
        await self.sender.stop()
        await self.consumer.stop()
