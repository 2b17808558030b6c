"""The one place where the reporting service's parts are put together."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import partial
from typing import Any

from pymongo.errors import PyMongoError

from services.common.background import cancel
from services.common.clock import Clock, clock_of, today_of
from services.common.consumer import BatchConsumer
from services.common.hierarchy import Hierarchy
from services.common.logging import get_logger
from services.common.runtime import Runtime
from services.common.settings import Settings
from services.common.trust import lineage_of
from services.reporting.audit.consumer import AuditRootConsumer
from services.reporting.audit.store import AuditRootStore
from services.reporting.coordination.service import Coordination
from services.reporting.deadlines.service import Deadlines
from services.reporting.deadlines.sessions import SessionStore
from services.reporting.deadlines.store import RulesStore
from services.reporting.document.store import ReportDocumentStore
from services.reporting.identity.service import Identity
from services.reporting.notifications.service import Notifications
from services.reporting.opinions.similar import Register, SimilarOpinions
from services.reporting.read.projector.handler import Projector
from services.reporting.read.projector.store import ProjectionStore
from services.reporting.read.views import TodayViews, Views
from services.reporting.voter_opinions.service import VoterOpinions
from services.reporting.webhooks.service import Webhooks
from services.reporting.webhooks.store import WebhookStore

log = get_logger()


def projector_topics(settings: Settings) -> list[str]:
    """Everything a projection folds: the facts, the hierarchy changes they roll up by, and the
    accounts and sign-ins (`hdnd.identity`) for the activity log."""
    topics = settings.topics
    return [*topics.facts, topics.hierarchy, topics.identity]


def projector_consumer(
    runtime: Runtime, store: ProjectionStore, hierarchy: Hierarchy, **options: bool
) -> BatchConsumer:
    projector = Projector(runtime, store, hierarchy, **options)
    name = "reporting-projector"
    topics = projector_topics(runtime.settings)
    return BatchConsumer(
        runtime.settings, name, topics, store.positions, projector, metrics=runtime.metrics
    )


def audit_consumer(runtime: Runtime, store: AuditRootStore, hierarchy: Hierarchy) -> BatchConsumer:
    """The consumer of the daily roots of every instance of the area (hdnd.audit)."""
    handler = AuditRootConsumer(runtime, store, lineage_of(hierarchy))
    settings = runtime.settings
    topics = [settings.topics.audit]
    return BatchConsumer(settings, "reporting-audit", topics, store.positions, handler.handle)


@dataclass
class Reporting:
    settings: Settings
    runtime: Runtime
    hierarchy: Hierarchy
    store: ProjectionStore
    consumer: BatchConsumer
    views: Views
    today_views: TodayViews
    coordination: Coordination
    documents: ReportDocumentStore
    audit_roots: AuditRootStore
    audit_consumer: BatchConsumer
    voter_opinions: VoterOpinions
    similar: SimilarOpinions  # built from the register of voter_opinions
    webhooks: Webhooks  # deliveries to other systems (services/reporting/webhooks)
    clock: Clock
    deadlines: Deadlines
    notifications: Notifications
    identity: Identity | None = None  # the token issuer, where HDND_ISSUER_KEYS_DIR is set
    _watch: asyncio.Task[None] | None = None

    @classmethod
    def build(cls, settings: Settings) -> Reporting:
        runtime = Runtime(settings, "reporting")
        hierarchy = runtime.hierarchy
        store = ProjectionStore(runtime.db)
        consumer = projector_consumer(runtime, store, hierarchy)
        clock = clock_of(settings.clock_file)
        rules = RulesStore(runtime.db, runtime.outbox, settings.topics.reporting)
        deadlines = Deadlines(rules, SessionStore(runtime.db))
        today = partial(today_of, clock)  # the injected clock's day (tests travel in time)
        documents = ReportDocumentStore(runtime.mongo, runtime.db)
        coordination = Coordination.build(runtime, hierarchy, today, deadlines, documents)
        notifications = Notifications.build(
            runtime, hierarchy, coordination.store, deadlines, clock
        )
        roots = AuditRootStore(runtime.db)
        voter_opinions = VoterOpinions.build(runtime, hierarchy, today)
        return cls(
            settings,
            runtime,
            hierarchy,
            store,
            consumer,
            Views(store.unit_months, hierarchy, [coordination.extra]),
            TodayViews(store.unit_months, hierarchy, [coordination.extra]),
            coordination,
            documents,
            roots,
            audit_consumer(runtime, roots, hierarchy),
            voter_opinions,
            SimilarOpinions(Register(voter_opinions.store.opinions), hierarchy),
            Webhooks.build(runtime, settings, WebhookStore(runtime.db)),
            clock,
            deadlines,
            notifications,
            Identity.build(settings, hierarchy) if settings.issuer_keys_dir else None,
        )

    @property
    def issuer(self) -> Identity | None:
        """The token issuer in this process: services.common.auth checks tokens with it."""
        return self.identity

    async def start(self, consume: bool = True) -> None:
        await self.use(await self.store.active_version())
        await self.runtime.start(follow_hierarchy=False)  # the projector applies changes
        if self.identity is not None:
            await self.identity.start(relay=self.settings.relay)
        await self.coordination.start(consume)
        await self.deadlines.create_indexes()
        await self.notifications.start(consume, notify=self.settings.notify)
        await self.audit_roots.create_indexes()
        await self.voter_opinions.start(consume)
        self.similar.start()
        await self.webhooks.start(consume)
        if consume:
            self.audit_consumer.start()
            self.consumer.start()
            self._watch = asyncio.create_task(self._follow_switches(), name="projection-switch")

    async def use(self, version: int) -> None:
        """Serve and fold projection `version`, with the hierarchy changes it was built with.
        The parts already built for that version (at start, usually) are kept. What can fail
        (MongoDB) happens before anything is swapped."""
        store = self.store if version == self.store.version else self.store.at(version)
        await store.create_indexes()
        fresh = Hierarchy.load().copy()
        fresh.apply(await store.load_changes())
        if store is not self.store:
            self.store = store
            self.consumer = projector_consumer(self.runtime, store, self.hierarchy)
            self.views.unit_months = store.unit_months
            self.today_views.unit_months = store.unit_months
        self.hierarchy.adopt(fresh)

    async def _follow_switches(self, every: float = 1.0) -> None:
        """Move to the version a rebuild switched the query API to, from its positions on."""
        while True:
            await asyncio.sleep(every)
            try:
                version = await self.store.active_version()
                if version == self.store.version:
                    continue
                await self.consumer.stop()
                previous = self.store.version
                await self.use(version)
                self.consumer.start()
                log.info("projection_switched", version=version, previous=previous)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep serving the current version; try again
                log.warning("projection_switch_failed", error=str(exc))
                if not self.consumer.status.running:  # the version in use goes on folding
                    self.consumer = projector_consumer(self.runtime, self.store, self.hierarchy)
                    self.consumer.start()

    async def stop(self) -> None:
        await cancel(self._watch)
        await self.notifications.stop()
        await self.coordination.stop()
        await self.voter_opinions.stop()
        await self.audit_consumer.stop()
        await self.similar.stop()
        await self.webhooks.stop()
        await self.consumer.stop()
        if self.identity is not None:
            await self.identity.stop()
        await self.runtime.stop()

    async def readiness(self) -> tuple[bool, dict[str, Any]]:
        ok, details = await self.runtime.readiness()
        status = self.consumer.status
        details["projector"] = projector = status.readiness(handled=True)
        projector["version"] = self.store.version
        if details["mongodb"] == "ok":
            try:
                active = await self.store.active_version()
            except PyMongoError as exc:  # MongoDB went away since the ping
                log.warning("readiness_version_unknown", error=str(exc))
            else:
                if active != self.store.version:  # a rebuild switched; not followed yet:
                    projector["switching_to"] = active  # what it answers will change
                    projector["caught_up"] = False
        details["coordination"] = self.coordination.consumer.status.readiness(
            caught_up=False, handled=True
        )
        details["voter_opinions"] = self.voter_opinions.consumer.status.readiness(
            caught_up=False, handled=True
        )
        details["opinion_index"] = self.similar.status()
        if self.webhooks.consumer is not None:
            details["webhooks"] = self.webhooks.consumer.status.readiness(caught_up=False)
        if self.identity is not None:  # its own outbox: what waits to be published
            details["identity"] = (await self.identity.core.runtime.readiness())[1]
        return ok and status.running, details
