"""The one place where the oversight service's parts are put together."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi import FastAPI
from pymongo.asynchronous.client_session import AsyncClientSession

from contracts.timezone import today_in_vietnam
from services.common.background import cancel
from services.common.consumer import BatchConsumer
from services.common.hierarchy import Hierarchy
from services.common.logging import get_logger
from services.common.recording import system_actor
from services.common.runtime import Runtime
from services.common.settings import Settings
from services.oversight.followups import overdue_events
from services.oversight.group_answers import GroupAnswers
from services.oversight.intake_consumer import Intake
from services.oversight.items import ItemStore
from services.oversight.store import SupervisionStore
from services.oversight.tracking import overdue_as_of

log = get_logger()
SWEEP_EVERY = 300.0  # seconds between overdue sweeps: a cheap indexed query, and figures
# show an overdue recommendation within minutes of its deadline passing
SWEEP_BATCH = 500  # recommendations marked overdue per transaction
SWEEPER = system_actor("hdnd oversight: overdue sweep")  # who marks a recommendation overdue


@dataclass
class Oversight:
    settings: Settings
    runtime: Runtime
    hierarchy: Hierarchy
    store: SupervisionStore
    items: ItemStore
    intake: BatchConsumer
    group_answers: BatchConsumer
    today: Callable[[], date] = field(default=today_in_vietnam)
    sweep_every: float = SWEEP_EVERY
    _sweeper: asyncio.Task[None] | None = None
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    def build(cls, settings: Settings) -> Oversight:
        runtime = Runtime(settings, "oversight")
        topic = settings.topics.oversight
        store = SupervisionStore(runtime.db, runtime.outbox, topic)
        items = ItemStore(runtime.db, runtime.outbox, topic)
        hierarchy = runtime.hierarchy
        intake = BatchConsumer(
            settings,
            "oversight-intake",
            [settings.topics.meetings],
            items.positions,
            Intake(runtime, items, hierarchy, runtime.relay.notify).handle,
            metrics=runtime.metrics,
        )
        made = cls(settings, runtime, hierarchy, store, items, intake, intake)
        answers = GroupAnswers(
            runtime, items, hierarchy, lambda: made.today(), runtime.relay.notify
        )
        made.group_answers = BatchConsumer(
            settings,
            "oversight-group-answers",
            [settings.topics.reporting],
            answers.positions,
            answers.handle,
            metrics=runtime.metrics,
        )
        return made

    async def start(self, consume: bool = True) -> None:
        await self.store.create_indexes()
        await self.items.create_indexes()
        await self.runtime.start()
        if consume:
            self.intake.start()
            self.group_answers.start()
        self._stopping.clear()
        self._sweeper = asyncio.create_task(self._sweep_periodically(), name="overdue-sweep")

    async def stop(self) -> None:
        self._stopping.set()
        await cancel(self._sweeper)
        await self.intake.stop()
        await self.group_answers.stop()
        await self.runtime.stop()

    async def sweep_overdue(self, as_of: date | None = None) -> int:
        """Record `recommendation.overdue` for every recommendation whose deadline passed
        before `as_of` (default: today in Vietnam) without implementation; returns how many."""
        day = as_of or self.today()
        marked = 0
        while True:

            async def work(session: AsyncClientSession) -> int:
                due = await self.items.open_recommendations_due_before(day, SWEEP_BATCH, session)
                drafts = overdue_events(overdue_as_of(due, day), noticed_on=day)
                await self.items.mark_overdue(session, drafts, SWEEPER)
                return len(drafts)

            count = await self.runtime.write(work)
            marked += count
            if count < SWEEP_BATCH:
                break
        if marked:
            log.info("recommendations_overdue", count=marked, as_of=day.isoformat())
        return marked

    async def _sweep_periodically(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.sweep_overdue()
            except Exception as exc:  # MongoDB away: try again at the next round
                log.warning("overdue_sweep_failed", error=f"{type(exc).__name__}: {exc}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.sweep_every)

    async def readiness(self) -> tuple[bool, dict[str, Any]]:
        ok, details = await self.runtime.readiness()
        details["intake"] = self.intake.status.readiness()
        details["group_answers"] = self.group_answers.status.readiness()
        return ok, details


def oversight_of(app: FastAPI) -> Oversight:
    """The oversight service the app serves (set by `create_app`), for each of its routers."""
    oversight: Oversight = app.state.oversight
    return oversight
