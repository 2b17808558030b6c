"""Webhooks' parts, put together once, and what admins do with them (the API and `hdnd
webhooks` share it: `caller` None is the server's operator, who manages every subscription).

An admin manages the subscriptions of their unit and every unit below it, as with accounts
(Caller.administers); any other subscription answers 404, like one that does not exist.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from contracts import Actor
from contracts.signing import Lineage
from services.common.auth import Caller
from services.common.consumer import BatchConsumer
from services.common.errors import DomainError, NotFound
from services.common.hierarchy import Era, Hierarchy
from services.common.mongo import Document
from services.common.runtime import Runtime
from services.common.settings import Settings
from services.common.trust import lineage_of
from services.reporting.identity.domain import check_admin, unit_of
from services.reporting.webhooks import rules
from services.reporting.webhooks.consumer import WebhookConsumer
from services.reporting.webhooks.sender import Poster, WebhookSender
from services.reporting.webhooks.store import State, WebhookStore

MISSING = "no such webhook among those you manage"


def shown(doc: Document) -> Document:
    """A subscription as it is listed: never its secret."""
    return {"id": doc["_id"], **{k: v for k, v in doc.items() if k not in ("_id", "secret")}}


@dataclass
class Webhooks:
    settings: Settings
    hierarchy: Hierarchy
    lineage: Lineage
    store: WebhookStore
    poster: Poster
    sender: WebhookSender
    consumer: BatchConsumer | None  # None where nothing is consumed (`hdnd webhooks`)

    @classmethod
    def build(cls, runtime: Runtime | None, settings: Settings, store: WebhookStore) -> Webhooks:
        """`runtime`: the reporting process's, whose consumer and sender run; None for a
        tool that only manages subscriptions."""
        hierarchy = runtime.hierarchy if runtime is not None else Hierarchy.load()
        lineage = lineage_of(hierarchy)
        poster = Poster(settings)
        sender = WebhookSender(settings, store, poster)
        consumer = None
        if runtime is not None:
            handler = WebhookConsumer(runtime, store, hierarchy, lineage, sender.wake)
            topics = [getattr(settings.topics, topic) for topic in rules.DELIVERED_TOPICS]
            consumer = BatchConsumer(
                settings, "reporting-webhooks", topics, store.positions, handler.handle,
                metrics=runtime.metrics,
            )  # fmt: skip
        return cls(settings, hierarchy, lineage, store, poster, sender, consumer)

    async def start(self, consume: bool) -> None:
        await self.store.create_indexes()
        if consume and self.consumer is not None:
            self.consumer.start()
            self.sender.start()

    async def stop(self) -> None:
        if self.consumer is not None:
            await self.consumer.stop()
            await self.sender.stop()
        await self.poster.close()

    # -- who manages which ----------------------------------------------------------------------

    def _unit(
        self, caller: Caller | None, unit: str, era: Era | None, field: str
    ) -> tuple[str, Era]:
        """The unit (of `era`, default its latest) a caller names, if they manage it."""
        check_admin(caller, "webhooks")
        unit, era = unit_of(self.hierarchy, self.settings.units, unit, era, field)
        if caller is not None and not caller.administers(unit, era):
            raise NotFound(field, f"no unit {unit} among those you manage")
        return unit, era

    async def managed(self, caller: Caller | None, unit: str | None, webhook_id: str) -> Document:
        """The subscription `webhook_id` of `unit` (or below it), if the caller manages it."""
        scope = self._unit(caller, unit, None, "unit") if unit is not None else None
        doc = await self.store.subscription(webhook_id)
        if (
            doc is None
            or (scope is not None and not self._within(doc, *scope))
            or (caller is not None and not caller.administers(doc["unit"], doc["era"]))
        ):
            raise NotFound("webhook_id", MISSING)
        return doc

    def _within(self, doc: Document, unit: str, era: Era) -> bool:
        """Whether a subscription is of `unit` or below it (its unit may since have been
        ended by a change: then it is nobody's below)."""
        h = self.hierarchy
        return (
            doc["era"] == era
            and h.find(doc["unit"], era) is not None
            and h.is_within(doc["unit"], unit, era)
        )

    # -- what admins do -------------------------------------------------------------------------

    async def create(
        self,
        caller: Caller | None,
        actor: Actor | None,
        unit: str,
        url: str,
        events: list[str],
        description: str | None = None,
        era: Era | None = None,
    ) -> tuple[Document, str]:
        """A new active subscription; its secret, which is shown this once."""
        unit, era = self._unit(caller, unit, era, "unit")
        known = rules.deliverable_types()
        for i, kind in enumerate(events):
            if kind not in known:
                raise DomainError(
                    f"events.{i}",
                    f"{kind!r} is no event type a webhook can receive; one of: "
                    + ", ".join(sorted(known)),
                )
        refused = await self.poster.where_not(url)
        if refused is not None:
            raise DomainError("url", refused, kind="url_refused")
        secret = "whsec_" + secrets.token_urlsafe(32)
        doc = {
            "_id": "wh-" + uuid.uuid4().hex[:16],
            "unit": unit,
            "era": era,
            "url": url,
            "events": sorted(set(events)),
            "description": description,
            "active": True,
            "created_at": datetime.now(UTC),
            "created_by": None if actor is None else actor.model_dump(),
            "secret": secret,
        }
        await self.store.subscriptions.insert_one(doc)
        return shown(doc), secret

    async def listed(self, caller: Caller | None, unit: str | None) -> list[Document]:
        """The subscriptions of `unit` and below (every one: the operator without a unit)."""
        docs = await self.store.all_subscriptions()
        if unit is not None:
            unit, era = self._unit(caller, unit, None, "unit")
            docs = [d for d in docs if self._within(d, unit, era)]
        found = []
        for doc in docs:
            if caller is None or caller.administers(doc["unit"], doc["era"]):
                found.append({**shown(doc), "deliveries": await self.store.counts(doc["_id"])})
        return found

    async def show(self, caller: Caller | None, unit: str | None, webhook_id: str) -> Document:
        doc = await self.managed(caller, unit, webhook_id)
        return {**shown(doc), "deliveries": await self.store.counts(webhook_id)}

    async def set_active(
        self, caller: Caller | None, unit: str | None, webhook_id: str, active: bool
    ) -> Document:
        await self.managed(caller, unit, webhook_id)
        doc = await self.store.set_active(webhook_id, active)
        if doc is None:
            raise NotFound("webhook_id", MISSING)
        return shown(doc)

    async def deliveries(
        self,
        caller: Caller | None,
        unit: str | None,
        webhook_id: str,
        state: State | None,
        limit: int = 100,
    ) -> list[Document]:
        await self.managed(caller, unit, webhook_id)
        return await self.store.listed(webhook_id, state, limit)

    async def redrive(
        self, caller: Caller | None, unit: str | None, webhook_id: str, delivery: str | None
    ) -> int:
        """Make its failed deliveries (or the one named) due again, sent by the sender."""
        await self.managed(caller, unit, webhook_id)
        requeued = await self.store.redrive(webhook_id, delivery, datetime.now(UTC))
        if requeued:
            self.sender.wake()
        return requeued

    async def test(self, caller: Caller | None, unit: str | None, webhook_id: str) -> Document:
        """Send a signed ping (`webhook.test`) now, once, and say what the receiver answered."""
        doc = await self.managed(caller, unit, webhook_id)
        delivery = f"test-{uuid.uuid4()}"
        body = rules.test_body(doc["_id"], doc["unit"], delivery, int(time.time()))
        attempt = await self.poster.post(doc, body, rules.TEST_EVENT, delivery)
        return {
            "delivery": delivery,
            "delivered": attempt.delivered,
            "status": attempt.status,
            "error": attempt.error,
        }
