"""What an operator watches, in the Prometheus format: one registry per service, at /metrics.

Each service's Runtime holds one `Metrics`: its registry (never the process-wide default, so
the services a test runs in one process keep apart) and the instruments the parts of the
service feed. Counters are incremented per batch, by counts, never per event; gauges that
need a query (the outbox backlog) are read when Prometheus scrapes, by `refresh`.

Labels name only what any operator may see, from bounded sets: routes by their template
(`/units/{unit}/meetings`, never the path), HTTP methods and statuses, event types the
contracts know, topics, partitions, consumer names, fixed reasons. Never a unit code, a person
or a text: an event type read from a refused record's header is one of the contracts' or
"unknown". The names are listed in the README ("What to watch: metrics and alerts").
"""

from __future__ import annotations

import asyncio
from collections import Counter as Tally
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal, Protocol, get_args

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

from contracts.registry import REGISTRY
from services.common.logging import get_logger

if TYPE_CHECKING:
    from services.common.deadletter import DeadLetter

log = get_logger()
disable_created_metrics()  # type: ignore[no-untyped-call]  # no `_created` series: half as many

HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
FLUSH_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
REFRESH_TIMEOUT = 2.0  # a scrape waits at most this for a query; Prometheus's own is 10 s

# Why a sign-in failed: the `reason` label of hdnd_sign_in_failures_total. A fixed set, so no
# attempted account name can ever become a label.
SignInFailure = Literal[
    "unknown_account", "wrong_password", "wrong_code", "locked_out", "disabled", "other"
]

Refresh = Callable[[], Awaitable[None]]
KINDS = ("refused", "fault")  # of a dead letter


class ConsumerView(Protocol):
    """What the lag collector reads of a consumer's status (services.common.consumer)."""

    running: bool
    handled: int
    restarts: int
    partition_lag: dict[tuple[str, int], int]


def known_type(claimed: str | None) -> str:
    """An event type fit for a label: one the contracts know, else "unknown" (a refused
    record's header says anything its sender wanted)."""
    return claimed if claimed is not None and claimed in REGISTRY.current else "unknown"


def record_type(letter: DeadLetter) -> str:
    """The event type a dead letter's record claims in its `event-type` header, as a label."""
    claimed = next((v for k, v in letter.record.headers if k == "event-type"), None)
    return known_type(claimed.decode(errors="replace") if claimed is not None else None)


class Metrics:
    """The registry of one service and the instruments its parts feed."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        ProcessCollector(registry=registry)  # CPU seconds, resident memory, open files
        self.requests = Histogram(
            "hdnd_http_request_duration_seconds",
            "HTTP requests by method, route template and status, and how long they took.",
            ["method", "route", "status"],
            buckets=HTTP_BUCKETS,
            registry=registry,
        )
        self.projected = Counter(
            "hdnd_events_projected",
            "Events folded into the projection, by type (duplicates not counted; a batch read"
            " again after a failed flush counts again).",
            ["type"],
            registry=registry,
        )
        self.dead_letters = Counter(
            "hdnd_dead_letters",
            "Records sent to the dead-letter topic, by the event type their header claims and"
            " kind: refused (a rule) or fault (an exception no rule foresaw).",
            ["type", "kind"],
            registry=registry,
        )
        self.flushes = Histogram(
            "hdnd_projection_flush_duration_seconds",
            "How long a write-behind flush of the projection took (one transaction).",
            buckets=FLUSH_BUCKETS,
            registry=registry,
        )
        self.sign_in_failures = Counter(
            "hdnd_sign_in_failures",
            "Sign-ins refused, by reason (services.common.metrics.SignInFailure).",
            ["reason"],
            registry=registry,
        )
        # Every label set that can occur starts at 0, so the first dead letter of a type is an
        # increase() an alert sees, not a new series at 1.
        for kind in (*REGISTRY.current, "unknown"):
            for why in KINDS:
                self.dead_letters.labels(kind, why)
        for reason in get_args(SignInFailure):
            self.sign_in_failures.labels(reason)
        self.consumers: dict[str, ConsumerView] = {}
        registry.register(_Consumers(self.consumers))
        self._refreshers: list[Refresh] = []

    # -- feeding -------------------------------------------------------------------------------

    def expect_projected(self) -> None:
        """This service projects: every event type's counter starts at 0."""
        for kind in REGISTRY.current:
            self.projected.labels(kind)

    def count_projected(self, types: Iterable[str]) -> None:
        """One increment per type for a batch's projected events."""
        for kind, count in Tally(types).items():
            self.projected.labels(kind).inc(count)

    def count_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        tally = Tally((record_type(x), "fault" if x.fault else "refused") for x in letters)
        for (kind, why), count in tally.items():
            self.dead_letters.labels(kind, why).inc(count)

    def sign_in_failed(self, reason: SignInFailure) -> None:
        self.sign_in_failures.labels(reason).inc()

    def watch_consumer(self, name: str, status: ConsumerView) -> None:
        """Report this consumer's lag; a consumer started again under the name replaces it."""
        self.consumers[name] = status

    def collect(self, collect: Callable[[], Iterable[Metric]], refresh: Refresh | None) -> None:
        """Families made by `collect` at each scrape, after `refresh` (if any) has run."""
        self.registry.register(_Collected(collect))
        if refresh is not None:
            self._refreshers.append(refresh)

    # -- scraping ------------------------------------------------------------------------------

    async def refresh(self) -> None:
        """Run the queries the gauges need, each bounded; one that fails leaves its families
        out of this scrape (a gap Prometheus shows) rather than old values."""
        await asyncio.gather(*(self._bounded(refresh) for refresh in self._refreshers))

    async def _bounded(self, refresh: Refresh) -> None:
        try:
            await asyncio.wait_for(refresh(), REFRESH_TIMEOUT)
        except Exception as exc:  # MongoDB away: the scrape still answers, without them
            log.warning("metrics_refresh_failed", error=f"{type(exc).__name__}: {exc}")

    async def exposition(self) -> bytes:
        """The text Prometheus scrapes."""
        await self.refresh()
        return generate_latest(self.registry)


class _Collected(Collector):
    def __init__(self, collect: Callable[[], Iterable[Metric]]) -> None:
        self._collect = collect

    def collect(self) -> Iterable[Metric]:
        return self._collect()

    def describe(self) -> Iterable[Metric]:
        return []  # families vary with what was readable at the scrape


class _Consumers(Collector):
    """Lag per topic partition and liveness of each watched consumer, read from its status
    (noted by the consumer after every batch and every idle check: no broker call here)."""

    def __init__(self, consumers: Mapping[str, ConsumerView]) -> None:
        self.consumers = consumers

    def collect(self) -> Iterable[Metric]:
        lag = GaugeMetricFamily(
            "hdnd_consumer_lag_records",
            "Records on a partition not yet read by the consumer (end offset - position).",
            labels=["consumer", "topic", "partition"],
        )
        running = GaugeMetricFamily(
            "hdnd_consumer_running",
            "1 while the consumer runs, 0 while it starts over.",
            labels=["consumer"],
        )
        handled = CounterMetricFamily(
            "hdnd_consumer_records", "Records the consumer handled.", labels=["consumer"]
        )
        restarts = CounterMetricFamily(
            "hdnd_consumer_restarts",
            "Times the consumer started over from its stored positions (a server failed).",
            labels=["consumer"],
        )
        for name, status in sorted(self.consumers.items()):
            for (topic, partition), behind in sorted(status.partition_lag.items()):
                lag.add_metric([name, topic, str(partition)], behind)
            running.add_metric([name], 1 if status.running else 0)
            handled.add_metric([name], status.handled)
            restarts.add_metric([name], status.restarts)
        return [lag, running, handled, restarts]

    def describe(self) -> Iterable[Metric]:
        return []
