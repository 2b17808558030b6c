"""The one place where the reporting service's parts are put together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.common.consumer import BatchConsumer
from services.common.hierarchy import Hierarchy
from services.common.runtime import Runtime
from services.common.settings import Settings
from services.reporting.handlers import Projector
from services.reporting.store import ProjectionStore
from services.reporting.views import TodayViews, Views


@dataclass
class Reporting:
    settings: Settings
    runtime: Runtime
    hierarchy: Hierarchy
    store: ProjectionStore
    consumer: BatchConsumer
    views: Views
    today_views: TodayViews

    @classmethod
    def build(cls, settings: Settings) -> Reporting:
        runtime = Runtime(settings, "reporting")
        hierarchy = Hierarchy.load()
        store = ProjectionStore(runtime.db)
        projector = Projector(runtime, store, hierarchy)
        consumer = BatchConsumer(
            settings,
            "reporting-projector",
            settings.topics.facts,
            store.positions,
            projector.handle,
        )
        return cls(
            settings,
            runtime,
            hierarchy,
            store,
            consumer,
            Views(store.unit_months, hierarchy),
            TodayViews(store.unit_months, hierarchy),
        )

    async def start(self, consume: bool = True) -> None:
        await self.store.create_indexes()
        await self.runtime.start()
        if consume:
            self.consumer.start()

    async def stop(self) -> None:
        await self.consumer.stop()
        await self.runtime.stop()

    async def readiness(self) -> tuple[bool, dict[str, Any]]:
        ok, details = await self.runtime.readiness()
        status = self.consumer.status
        details["projector"] = {
            "running": status.running,
            "caught_up": status.caught_up,
            "lag": status.lag,
            "handled": status.handled,
            "error": status.last_error,
        }
        return ok and status.running, details
