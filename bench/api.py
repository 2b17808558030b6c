"""HTTP write throughput of the meetings service, against the same transaction without HTTP.

1. The meetings app as `create_app` builds it (bearer-token check, validation, domain rules,
   meeting + signed outbox row in one MongoDB transaction), served in-process over ASGI by
   `httpx.AsyncClient`; `POST /units/{unit}/meetings` with a secretary token of the province.
2. The baseline: the same domain decision and the same transaction (`MeetingStore.record`
   through `Runtime.write`), called directly on pre-validated meetings: what a write costs
   without the HTTP layer.
   Both run the same bodies, with the same concurrency, in alternating rounds, each against
   its own database, and report requests/s and p50/p95 latency.
3. The outbox relay is held back while the requests run; then a relay drains the backlog
   they left to Kafka and reports events/s. Checks: every request answered 201, every event
   reached the topic, the outbox is empty. Exit 1 if not.

    python -m bench.api [--requests 2000] [--concurrency 8]
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pydantic import TypeAdapter
from pymongo.asynchronous.client_session import AsyncClientSession
from rich.table import Table

from bench.common import (
    PROVINCE,
    Outcome,
    Row,
    arguments,
    bench_settings,
    bench_token,
    cleanup,
    console,
    percentile,
    progress,
    ratio,
    ratio_text,
    run_on_servers,
)
from bench.data import Work, council_work
from contracts import Envelope
from contracts.meetings import Meeting
from deploy.local import Endpoints
from services.common.hierarchy import Hierarchy
from services.common.kafka import make_broker, make_consumer, partitions_of
from services.common.relay import OutboxRelay
from services.common.settings import Settings
from services.meetings.app import create_app
from services.meetings.domain import RecordMeeting, record_meeting
from services.meetings.wiring import Meetings

MEETING = TypeAdapter(Meeting)
Call = Callable[[], Awaitable[None]]

# httpx's ASGI transport tries `import sniffio` on every request; where sniffio is not
# installed that failed import searches sys.path each time (~0.2 ms a request measured here),
# a cost of this in-process client that no real client pays. Make the failure instant.
if importlib.util.find_spec("sniffio") is None:
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Options:
    requests: int = 2_000
    concurrency: int = 8
    rounds: int = 4  # alternate HTTP and direct in rounds, so drifting load hits both alike
    warmup: int = 40
    timeout: float = 300.0


@dataclass
class Timing:
    """Latencies and busy time of one path over all rounds."""

    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def p(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000 if self.latencies else 0.0


async def drive(calls: Sequence[Call], concurrency: int, timing: Timing, tick: Call) -> None:
    """Run `calls` with at most `concurrency` in flight; add latencies and elapsed time."""
    queue = iter(calls)

    async def worker() -> None:
        for call in queue:
            started = time.perf_counter()
            try:
                await call()
            except Exception as exc:
                timing.failures.append(f"{type(exc).__name__}: {exc}")
            else:
                timing.latencies.append(time.perf_counter() - started)
            await tick()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    timing.seconds += time.perf_counter() - started


def http_calls(client: httpx.AsyncClient, work: Sequence[Work]) -> list[Call]:
    def call(item: Work) -> Call:
        async def post() -> None:
            r = await client.post(f"/units/{item.unit}/meetings", json=item.body)
            if r.status_code != 201:
                raise RuntimeError(f"{r.status_code} {r.text[:200]}")

        return post

    return [call(item) for item in work]


def direct_calls(service: Meetings, work: Sequence[Work]) -> list[Call]:
    """Pre-validated meetings; each call: the domain decision, then the one transaction."""

    def call(item: Work) -> Call:
        meeting = MEETING.validate_python(item.body)

        async def record() -> None:
            draft = record_meeting(
                RecordMeeting(unit=item.unit, meeting=meeting),
                service.hierarchy,
                service.settings.units,
                today=service.today(),
            )

            async def work(session: AsyncClientSession) -> Envelope:
                return await service.store.record(session, draft)

            await service.runtime.write(work)

        return record

    return [call(item) for item in work]


async def bench_relay(service: Meetings, settings: Settings) -> OutboxRelay:
    """A relay of `service`'s outbox of its own, connected, its topics made; not started."""
    broker = make_broker(settings, client_id="hdnd-bench-relay")
    relay = OutboxRelay(
        service.runtime.outbox,
        broker,
        batch=settings.relay_batch,
        poll_interval=settings.relay_poll_ms / 1000,
        prepare=service.runtime.ensure_topics,
    )
    await broker.connect()
    await service.runtime.ensure_topics()
    return relay


async def drain(service: Meetings, settings: Settings, limit_s: float) -> tuple[int, float]:
    """Relay the outbox backlog to Kafka with a fresh relay; returns (events, seconds)."""
    backlog = await service.runtime.outbox.pending_count()
    relay = await bench_relay(service, settings)
    try:
        with progress() as bar:
            task = bar.add_task("relay: outbox → Kafka", total=backlog)
            started = time.perf_counter()
            relay.start()
            while relay.status.published < backlog:
                if time.perf_counter() - started > limit_s:
                    raise TimeoutError(
                        f"relay published {relay.status.published}/{backlog} in {limit_s:.0f} s "
                        f"(last error: {relay.status.last_error})"
                    )
                await asyncio.sleep(0.02)
                bar.update(task, completed=relay.status.published)
            elapsed = time.perf_counter() - started
            bar.update(task, completed=relay.status.published)
    finally:
        await relay.stop()
    return backlog, elapsed


async def topic_size(settings: Settings) -> int:
    consumer = make_consumer(settings, client_id="hdnd-bench-count")
    await consumer.start()
    try:
        assigned = await partitions_of(consumer, [settings.topics.meetings])
        ends: dict[Any, int] = await consumer.end_offsets(assigned)
        return sum(ends.values())
    finally:
        await consumer.stop()


async def run(endpoints: Endpoints, keys_dir: Path, options: Options) -> Outcome:
    outcome = Outcome()
    settings = bench_settings(endpoints, keys_dir, "h")
    direct_settings = bench_settings(endpoints, keys_dir, "d")
    hierarchy = Hierarchy.load()
    token = bench_token(PROVINCE, "secretary")
    total = options.requests + options.warmup
    work = list(council_work(hierarchy, total, seed=7, tag="m"))
    console.rule("[bold]Meetings API: HTTP writes vs the same transaction called directly")
    console.print(
        f"{options.requests:,} POST /units/{{unit}}/meetings per path (after {options.warmup}"
        f" warm-up), concurrency {options.concurrency}, {options.rounds} alternating rounds;"
        " in-process ASGI, secretary token of Tỉnh Lai Châu"
    )
    app = create_app(settings)
    service: Meetings = app.state.meetings
    direct = Meetings.build(direct_settings)
    web, plain = Timing(), Timing()
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://meetings",
                headers={"authorization": f"Bearer {token}"},
                timeout=60,
            ) as client,
        ):
            # Hold the service's own relay back: the backlog is drained (and timed) afterwards.
            await service.runtime.relay.stop()
            await direct.store.create_indexes()
            await direct.runtime.start(relay=False)
            http_all = http_calls(client, work)
            direct_all = direct_calls(direct, work)
            warm = options.warmup
            await drive(http_all[:warm], options.concurrency, Timing(), _nothing)
            await drive(direct_all[:warm], options.concurrency, Timing(), _nothing)
            with progress() as bar:
                tasks = {
                    "http": bar.add_task("HTTP POST (in-process ASGI)", total=options.requests),
                    "direct": bar.add_task("direct store + outbox", total=options.requests),
                }
                step = -(-options.requests // options.rounds)
                for start in range(warm, total, step):
                    end = min(total, start + step)
                    for name, calls, timing in (
                        ("direct", direct_all, plain),
                        ("http", http_all, web),
                    ):
                        await drive(
                            calls[start:end],
                            options.concurrency,
                            timing,
                            _advance(bar, tasks[name]),
                        )
            relayed, relay_s = await drain(service, settings, options.timeout)
            on_topic = await topic_size(settings)
            left = await service.runtime.outbox.pending_count()
    finally:
        await direct.stop()
        await cleanup(settings)
        await cleanup(direct_settings)

    if web.failures or plain.failures:
        first = (web.failures or plain.failures)[0]
        outcome.failures.append(
            f"{len(web.failures)} HTTP and {len(plain.failures)} direct writes failed; "
            f"first: {first}"
        )
    if relayed != total or on_topic != total or left:
        outcome.failures.append(
            f"{total} writes, {relayed} relayed, {on_topic} on the topic, {left} left in outbox"
        )
    table = Table(title="Meetings API writes", title_justify="left")
    for column in ("path", "requests", "req/s", "p50 ms", "p95 ms"):
        table.add_column(column, justify="left" if column == "path" else "right")
    paths = (("HTTP POST (ASGI, auth, validation)", web), ("direct store + outbox", plain))
    for label, timing in paths:
        table.add_row(
            label,
            f"{len(timing.latencies):,}",
            f"{timing.rate:,.0f}",
            f"{timing.p(50):.1f}",
            f"{timing.p(95):.1f}",
        )
    console.print(table)
    times = ratio(web.rate, plain.rate)
    relay_rate = relayed / relay_s if relay_s else 0.0
    console.print(
        f"[bold green]HTTP writes run at {ratio_text(times)} the direct transaction's rate"
        f" (HTTP layer: {(1 / times - 1) * 100 if times else 0:+.0f}% time per write)"
    )
    console.print(
        f"[bold green]relay drained {relayed:,} outbox events to Kafka in {relay_s:.2f} s"
        f" = {relay_rate:,.0f} events/s"
    )
    if outcome.ok:
        console.print(
            f"[green]✓[/green] all {total:,} requests answered 201; {on_topic:,} events on the"
            " topic, outbox empty"
        )
    for failure in outcome.failures:
        console.print(f"[bold red]✗ {failure}")
    outcome.rows.append(
        Row(
            "api",
            "HTTP POST",
            web.rate,
            "req/s",
            "direct txn",
            plain.rate,
            f"{len(web.latencies):,} writes each, concurrency {options.concurrency};"
            f" p50/p95 {web.p(50):.1f}/{web.p(95):.1f} ms over HTTP,"
            f" {plain.p(50):.1f}/{plain.p(95):.1f} ms direct",
        )
    )
    outcome.rows.append(
        Row("relay", "outbox → Kafka", relay_rate, "ev/s", note=f"backlog of {relayed:,} drained")
    )
    return outcome


async def _nothing() -> None:
    return None


def _advance(bar: Any, task: Any) -> Call:
    async def tick() -> None:
        bar.advance(task)

    return tick


def parse(argv: Sequence[str] | None = None) -> Options:
    parser = arguments("bench.api", __doc__)
    parser.add_argument("--requests", type=int, default=Options.requests, help="per path")
    parser.add_argument("--concurrency", type=int, default=Options.concurrency)
    parser.add_argument("--rounds", type=int, default=Options.rounds)
    args = parser.parse_args(argv)
    if min(args.requests, args.concurrency, args.rounds) < 1:
        parser.error("--requests, --concurrency and --rounds must be positive")
    return Options(requests=args.requests, concurrency=args.concurrency, rounds=args.rounds)


def main(argv: Sequence[str] | None = None) -> int:
    return run_on_servers(run, parse(argv))


if __name__ == "__main__":
    sys.exit(main())
