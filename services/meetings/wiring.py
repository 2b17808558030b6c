"""The one place where the meetings service's parts are put together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from contracts.timezone import today_in_vietnam
from services.common.hierarchy import Hierarchy
from services.common.runtime import Runtime
from services.common.settings import Settings
from services.meetings.store import MeetingStore


@dataclass
class Meetings:
    settings: Settings
    runtime: Runtime
    hierarchy: Hierarchy
    store: MeetingStore
    today: Callable[[], date] = field(default=today_in_vietnam)

    @classmethod
    def build(cls, settings: Settings) -> Meetings:
        runtime = Runtime(settings, "meetings")
        store = MeetingStore(runtime.db, runtime.outbox, settings.topics.meetings)
        return cls(settings, runtime, runtime.hierarchy, store)

    async def start(self) -> None:
        await self.store.create_indexes()
        await self.runtime.start()

    async def stop(self) -> None:
        await self.runtime.stop()
