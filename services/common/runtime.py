"""The connections of one service process, wired once and shared by its entrypoints.

Consumers see only the part of it they use (services.common.pipeline.Consuming)."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from pymongo.asynchronous.client_session import AsyncClientSession

from contracts import Source
from contracts.keys import KeyRing
from contracts.signing import Signer, Verifier
from services.common import heap
from services.common.audit_roots import DailyRoots
from services.common.deadletter import DeadLetter, publish_dead_letters
from services.common.group_commit import GroupCommit
from services.common.hierarchy import Hierarchy
from services.common.hierarchy_feed import HierarchyFeed
from services.common.kafka import ensure_topics, make_broker
from services.common.limits import event_limit
from services.common.logging import get_logger
from services.common.metrics import Metrics
from services.common.mongo import connect, ping
from services.common.outbox import Outbox
from services.common.outbox_metrics import OutboxWatch
from services.common.relay import OutboxRelay
from services.common.retention import OutboxPruner
from services.common.settings import Settings
from services.common.trust import lineage_of

T = TypeVar("T")
log = get_logger()


class Runtime:
    """MongoDB, the Kafka publisher and the outbox relay of one service."""

    def __init__(self, settings: Settings, service: str, mongo_user: str | None = None) -> None:
        self.settings = settings
        self.service = service
        heap.tune()  # a service allocates fast and keeps a large heap
        # A service signs in as its own MongoDB user (readWrite on its database only);
        # operator tools working on a service's database say who they are instead.
        self.mongo = connect(settings, f"hdnd-{service}", user=mongo_user or service)
        self.db = self.mongo[settings.database_for(service)]
        self.broker = make_broker(settings, client_id=f"hdnd-{service}")
        self.source = Source(service=service, instance=settings.instance)
        self.hierarchy = Hierarchy.load().copy()  # this service's own: changes apply to it
        self.feed: HierarchyFeed | None = None
        self.outbox = Outbox(
            self.db,
            self.source,
            signer=self._signer(),
            lineage=lineage_of(self.hierarchy),
            max_event_bytes=event_limit(settings),
        )
        self.commits = GroupCommit(self.mongo, self.outbox.later, self.outbox.flush)
        self.roots = DailyRoots(self.outbox, settings.topics.audit, settings.units)
        self.relay = OutboxRelay(
            self.outbox,
            self.broker,
            batch=settings.relay_batch,
            poll_interval=settings.relay_poll_ms / 1000,
            prepare=self.ensure_topics,
            mark_delay=settings.fault_delay_before_mark_ms / 1000,
        )
        self.pruner = OutboxPruner(self.outbox, timedelta(days=settings.outbox_retention_days))
        self.metrics = Metrics()  # this service's registry, at /metrics
        self.outbox_watch = OutboxWatch(self.outbox, self.relay)
        self.outbox_watch.install(self.metrics)

    def _signer(self) -> Signer | None:
        if self.settings.keys_dir is not None:
            return Signer.from_dir(self.settings.keys_dir)
        if self.settings.require_signatures:
            raise RuntimeError(
                "HDND_KEYS_DIR is not set: events could not be signed and consumers would refuse"
                " them. Create keys with `hdnd keys generate --unit CODE` (a registry's:"
                " `--registry`), or set"
                " HDND_REQUIRE_SIGNATURES=false for an unsigned development setup."
            )
        return None

    def verifier(self) -> Verifier | None:
        """What a consumer checks envelopes with; None when signatures are not required."""
        if not self.settings.require_signatures:
            return None
        assert self.settings.public_keys is not None  # _signer() refused to start otherwise
        return Verifier(KeyRing(self.settings.public_keys), lineage_of(self.hierarchy))

    async def ensure_topics(self) -> None:
        topics = self.settings.topics
        await ensure_topics(self.settings, topics.every)

    async def start(self, relay: bool = True, follow_hierarchy: bool = True) -> None:
        """Start the relay and, unless the service applies hierarchy changes itself (reporting),
        follow the hierarchy topic so this service's units stay those of every other."""
        await self.outbox.create_indexes()
        if follow_hierarchy and self.settings.follow_hierarchy:
            self.feed = HierarchyFeed(self, f"{self.service}-hierarchy", self.hierarchy, self.db)
            await self.feed.restore()
            self.feed.consumer.start()
        if relay and self.settings.relay:
            await self.pruner.create_index()
            self.relay.start()
            self.outbox_watch.relaying = True
            self.pruner.start()  # where the rows are published, they are pruned
            self.roots.start(self.relay.notify)  # where the relay runs: one sweep an instance
        log.info("service_started", instance=self.settings.instance, units=self.settings.units)

    async def stop(self) -> None:
        if self.feed is not None:
            await self.feed.consumer.stop()
        await self.roots.stop()
        await self.relay.stop()
        await self.pruner.stop()
        with contextlib.suppress(Exception):
            await self.broker.stop()
        await self.mongo.close()
        log.info("service_stopped")

    async def write(self, work: Callable[[AsyncClientSession], Awaitable[T]]) -> T:
        """Run a write and its outbox rows in one transaction (shared with the writes asked
        for at the same time: services.common.group_commit), then wake the relay."""
        result = await self.commits.write(work)
        self.relay.notify()
        return result

    async def dead_letter(self, letters: Sequence[DeadLetter]) -> None:
        """Publish refused records to the dead-letter topic and wait for the broker's ack,
        so a consumer can move its positions past them; nothing to do without any."""
        if letters:
            await self.broker.connect()
            await publish_dead_letters(
                self.broker, self.settings.topics.dead_letter, self.service, letters
            )
            self.metrics.count_dead_letters(letters)

    async def readiness(self) -> tuple[bool, dict[str, Any]]:
        """Ready = can accept writes (MongoDB answers). Kafka away only delays publishing:
        the outbox keeps the events, and this says how many are waiting."""
        mongo_ok = await ping(self.db)
        details: dict[str, Any] = {"mongodb": "ok" if mongo_ok else "unreachable"}
        status = self.relay.status
        details["kafka"] = "ok" if status.connected and status.last_error is None else "unreachable"
        if status.last_error:
            details["kafka_error"] = status.last_error
        if mongo_ok:
            details["outbox_pending"] = await self.outbox.pending_count()
            details["outbox_parked"] = await self.outbox.parked_count()  # hdnd outbox parked
        return mongo_ok, details
