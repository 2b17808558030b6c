"""Coordination's parts, put together once and handed to the reporting service's wiring."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial

from services.common.consumer import BatchConsumer
from services.common.hierarchy import Hierarchy
from services.common.runtime import Runtime
from services.common.trust import lineage_of
from services.reporting.coordination import owners
from services.reporting.coordination.consumer import CoordinationConsumer
from services.reporting.coordination.domain import Context
from services.reporting.coordination.extra import CoordinationExtra
from services.reporting.coordination.store import CoordinationStore
from services.reporting.deadlines.service import Deadlines


@dataclass
class Coordination:
    runtime: Runtime
    hierarchy: Hierarchy
    store: CoordinationStore
    consumer: BatchConsumer
    extra: CoordinationExtra
    today: Callable[[], date]
    deadlines: Deadlines

    @classmethod
    def build(
        cls,
        runtime: Runtime,
        hierarchy: Hierarchy,
        today: Callable[[], date],
        deadlines: Deadlines,
    ) -> Coordination:
        settings = runtime.settings
        store = CoordinationStore(runtime.db, runtime.outbox, settings.topics.reporting)
        consumer = _consumer(runtime, store, hierarchy)
        extra = CoordinationExtra(store, hierarchy, today, deadlines)
        return cls(runtime, hierarchy, store, consumer, extra, today, deadlines)

    async def context(self, *units: str) -> Context:
        """What a decision needs, with the deadline rules in force (and, where they count from
        sessions, the sessions of `units`)."""
        today = self.today()
        rules, sessions = await self.deadlines.in_force(units, today)
        return Context(self.hierarchy, self.runtime.settings.units, today, rules, sessions)

    async def start(self, consume: bool = True) -> None:
        await self.store.create_indexes()
        lineage = lineage_of(self.hierarchy)
        await self.store.scope_proposal_ids(partial(owners.answerers, lineage))
        if consume:
            self.consumer.start()

    async def stop(self) -> None:
        await self.consumer.stop()

    async def replay(self) -> None:
        """Read the reporting topic again from the beginning. Every write of the consumer is
        an idempotent upsert, so a replay changes nothing that was already right."""
        await self.consumer.stop()
        await self.store.positions.collection.delete_many({})
        self.consumer = _consumer(self.runtime, self.store, self.hierarchy)
        self.consumer.start()


def _consumer(runtime: Runtime, store: CoordinationStore, hierarchy: Hierarchy) -> BatchConsumer:
    handler = CoordinationConsumer(runtime, store, hierarchy)
    topics = [runtime.settings.topics.reporting]
    return BatchConsumer(
        runtime.settings,
        "reporting-coordination",
        topics,
        store.positions,
        handler.handle,
        metrics=runtime.metrics,
    )
