"""The outbox as an operator watches it: how many events wait, how long the oldest has waited,
what was parked, what the relay published.

Read when Prometheus scrapes, with queries that stay cheap however big the outbox grows: the
pending rows through the partial index that holds only them (`pending`, on created_at), the
oldest one as that index's first key, the parked ones from the collection's metadata count.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from services.common.metrics import Metrics
from services.common.outbox import Outbox
from services.common.relay import OutboxRelay

PENDING = {"sent": False}


@dataclass(frozen=True)
class Backlog:
    pending: int
    oldest_age_s: float  # 0 when nothing waits
    parked: int


class OutboxWatch:
    """Feeds `metrics` the backlog of `outbox` and, once this process relays (`relaying`),
    the relay's counts."""

    def __init__(self, outbox: Outbox, relay: OutboxRelay, relaying: bool = False) -> None:
        self.outbox = outbox
        self.relay = relay
        self.relaying = relaying
        self.backlog: Backlog | None = None

    def install(self, metrics: Metrics) -> None:
        metrics.collect(self.families, self.refresh)

    async def refresh(self) -> None:
        self.backlog = None  # left out of the scrape unless read now
        rows = self.outbox.rows
        pending = await rows.count_documents(PENDING, hint="pending")
        oldest = await rows.find_one(PENDING, {"created_at": 1}, sort=[("created_at", 1)])
        parked = await self.outbox.parked.estimated_document_count()
        age = 0.0
        if oldest is not None:
            created = oldest["created_at"].replace(tzinfo=UTC)  # UTC, whether read aware or not
            age = max(0.0, (datetime.now(UTC) - created).total_seconds())
        self.backlog = Backlog(pending, age, parked)

    def families(self) -> Iterable[Metric]:
        if self.backlog is not None:
            yield GaugeMetricFamily(
                "hdnd_outbox_pending_rows",
                "Events written to the outbox and not yet published to Kafka.",
                value=self.backlog.pending,
            )
            yield GaugeMetricFamily(
                "hdnd_outbox_oldest_pending_age_seconds",
                "How long the oldest unpublished outbox row has waited (0: none waits).",
                value=self.backlog.oldest_age_s,
            )
            yield GaugeMetricFamily(
                "hdnd_outbox_parked_rows",
                "Outbox rows the broker refused for good, kept aside (hdnd outbox parked).",
                value=self.backlog.parked,
            )
        if self.relaying:
            status = self.relay.status
            yield GaugeMetricFamily(
                "hdnd_outbox_relay_connected",
                "1 while the relay's producer is connected and the broker takes events.",
                value=1 if status.connected and status.last_error is None else 0,
            )
            yield CounterMetricFamily(
                "hdnd_outbox_published",
                "Outbox rows published and marked sent.",
                value=status.published,
            )
