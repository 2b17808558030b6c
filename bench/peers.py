"""hdnd's projector against the raw limits and the peers a user would pick instead, in one run.

    make bench-peers BENCH_ARGS="--events 1000000"        # default 1 M; --events 20000 is quick
    python -m bench.peers --help

On the same servers (a private noida-db + mongod unless KAFKA_BOOTSTRAP_SERVERS and
MONGODB_URI are set) and the same generated events (`--events` signed `meeting.held` of every
kind a commune holds, round robin over every commune of both eras: 10,0xx legacy communes in
2025-01..06, 3,321 new ones in 2025-07..12), each part measures events/s:

1. raw consume: aiokafka `getmany` over every partition, counting only (the broker's limit);
2. bulk-write limit: the first `--bulk` events folded in memory per `consumer_batch`, then
   only the writes timed: one transaction per batch of unordered `$inc` upserts (MongoDB's);
3. naive: a FastStream per-message subscriber (consumer group, auto-commit) doing the roll-up
   with one `update_one` per document, for `--naive-seconds`;
4. Quix Streams (the `bench` extra): the same roll-up, batched per checkpoint, at-least-once;
5. hdnd: the reporting service's projector as wired, from offset 0 into an empty projection
   (signatures verified unless `--unsigned`): this is also the rebuild time of N events.

Every roll-up uses the same decoding and placement (`bench.rollup`), and each result is
checked: the country's figures (sum of the provinces) equal the generated events'. Then, with
hdnd's projector still running: freshness (events at `--rate`/s for `--seconds`: published →
counted in the province's month document, p50/p99), a deadline burst (every 2025 commune files
one report within `--burst-seconds`: how long after the last until the national figures are
right), and summary queries p50/p99 (commune, district, province, country). The load average
is printed with the results: on a shared machine, read the ratios.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from pydantic import BaseModel
from pymongo.asynchronous.collection import AsyncCollection
from rich.table import Table

from bench.common import (
    Message,
    Outcome,
    arguments,
    bench_settings,
    broker_file,
    cleanup,
    console,
    meeting_held,
    message,
    percentile,
    progress,
    publish,
    ratio,
    ratio_text,
    servers,
    signing_keys,
    trim,
)
from bench.cpu import CpuSplit
from bench.data import ERA_MONTHS, YEAR, meeting_body
from bench.limits import bulk_write_limit, naive, quix, raw_consume
from bench.rollup import province_totals
from contracts import Decoded, Source
from contracts.signing import Signer
from deploy.local import Endpoints
from deploy.mongo_users import grant_databases
from services.common.hierarchy import Era, Hierarchy, Unit
from services.common.kafka import ensure_topics
from services.common.mongo import Document, connect
from services.common.settings import Settings
from services.reporting.read.figures import contributions_of
from services.reporting.read.periods import parse_period
from services.reporting.read.views import country_as_it_was
from services.reporting.wiring import Reporting


@dataclass(frozen=True)
class Options:
    events: int = 1_000_000
    bulk: int = 200_000  # events folded in memory for the bulk-write limit
    naive_seconds: float = 20.0
    rate: int = 1_000  # freshness: events per second
    seconds: float = 10.0  # freshness: how long
    burst_seconds: float = 60.0
    queries: int = 100  # per kind of summary
    signed: bool = True
    batch: int = Settings.model_fields["consumer_batch"].default  # records per transaction
    quix_python: str = ".venv-quix/bin/python"  # a venv with the `bench` extra (Makefile)
    timeout: float = 3_600.0
    only_freshness: bool = False  # hdnd's fold of `events`, then freshness and idle CPU only
    trim: bool = True  # delete the records already read from the broker before freshness


@dataclass
class Results:
    rates: dict[str, float] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    latencies: dict[str, tuple[float, float]] = field(default_factory=dict)  # p50, p99 (ms)
    failures: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- events


@dataclass
class Generator:
    """Deterministic events over every commune of both eras, each the next of its stream."""

    hierarchy: Hierarchy
    signer: Signer | None
    instances: int = 4
    expected: Counter[str] = field(default_factory=Counter)
    sequences: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.rng = random.Random(2025)
        self.communes: list[tuple[Unit, Era]] = [
            (u, era)
            for era in ("legacy", "2025")
            for u in self.hierarchy.units(era)
            if u.level == "commune" and self.hierarchy.opens(u.code) <= date(YEAR, 1, 1)
        ]
        self.sources = [Source(service="meetings", instance=f"peer-{k}") for k in range(4)]

    def event(
        self, i: int, unit: Unit, era: Era, month: int, kind: str | None = None
    ) -> Decoded[BaseModel]:
        """The i-th event; `kind` forces the meeting kind (drawn again until it matches)."""
        body = meeting_body(self.rng, self.hierarchy, unit, month, f"p-{i}", era)
        while kind is not None and body["kind"] != kind:
            body = meeting_body(self.rng, self.hierarchy, unit, month, f"p-{i}", era)
        if body["kind"] == "session":  # numbered once within the term, per council
            body["number_in_term"] = 1 + (i // len(self.communes)) % 200
        source = self.sources[i % len(self.sources)]
        stream = source.stream(unit.code)
        self.sequences[stream] += 1
        day = date.fromisoformat(body["held_on"])
        decoded = meeting_held(
            source, self.sequences[stream], unit.code, body, day, self.signer, self.hierarchy
        )
        for c in contributions_of(decoded):
            self.expected.update({k: v for k, v in c.figures.items() if v})
        return decoded

    def stream_of(self, count: int) -> Iterator[Decoded[BaseModel]]:
        for i in range(count):
            unit, era = self.communes[i % len(self.communes)]
            months = ERA_MONTHS[era]
            yield self.event(i, unit, era, months[(i // len(self.communes)) % len(months)])


# --------------------------------------------------------------------------- the parts


async def hdnd(
    reporting: Reporting, total: int, limit: float, label: str
) -> tuple[float, float, str]:
    """The projector as the service wires it, from offset 0 into an empty version; (events/s
    from the moment its partitions are assigned and sought, as Quix is timed from its first
    message; seconds from start, the rebuild time; where the CPU went meanwhile)."""
    status = reporting.consumer.status
    split = CpuSplit()
    split.start()
    started = time.perf_counter()
    assigned: float | None = None
    reporting.consumer.start()
    with progress() as bar:
        task = bar.add_task(label, total=total)
        while status.drained < total:  # committed, not only folded
            if time.perf_counter() - started > limit:
                raise TimeoutError(f"hdnd handled {status.handled}/{total}: {status.last_error}")
            await asyncio.sleep(0.01)
            if assigned is None and status.running:
                assigned = time.perf_counter()
            bar.update(task, completed=status.handled)
    done = time.perf_counter()
    split.stop()
    return total / (done - (assigned or started)), done - started, split.text(total)


async def country_totals(collection: AsyncCollection[Document]) -> Counter[str]:
    docs = [d async for d in collection.find({"_id": {"$regex": r"^\d\d:"}}, {"total": 1})]
    return province_totals(docs)


async def wait_until(check: Callable[[], Awaitable[bool]], limit: float) -> float:
    """Seconds until `check()` holds (polled every 5 ms), or raise after `limit`."""
    started = time.perf_counter()
    while not await check():
        if time.perf_counter() - started > limit:
            raise TimeoutError(f"not reached within {limit:.0f} s")
        await asyncio.sleep(0.005)
    return time.perf_counter() - started


async def freshness(
    settings: Settings, generator: Generator, reporting: Reporting, options: Options
) -> tuple[float, float]:
    """Events at `rate`/s for one province's month; each one's latency is from its send until
    the province's month document counts at least that many (p50, p99 in ms)."""
    province = generator.hierarchy.provinces("2025")[0]
    units = [u for u in generator.hierarchy.descendants(province.code, "2025")]
    count = int(options.rate * options.seconds)
    kind, figure = "standing_committee", "standing_committee_meetings"  # 1 per event
    events = [
        message(generator.event(i, units[i % len(units)], "2025", 12, kind)) for i in range(count)
    ]
    doc_id = f"{province.code}:{YEAR}-12"
    collection = reporting.store.unit_months

    async def counted() -> int:
        doc = await collection.find_one({"_id": doc_id}, {f"total.{figure}": 1})
        return int(doc.get("total", {}).get(figure, 0)) if doc else 0

    before = await counted()
    seen: list[float] = []

    async def watch() -> None:
        while len(seen) < count:
            now, n = time.perf_counter(), await counted() - before
            seen.extend([now] * (n - len(seen)))
            await asyncio.sleep(0.005)

    watcher = asyncio.create_task(watch())
    sent = await publish(
        settings, iter(events), count, f"freshness ({options.rate}/s)", options.rate
    )
    await asyncio.wait_for(watcher, 120)
    latencies = [(s - t) * 1000 for s, t in zip(seen, sent, strict=True)]
    return percentile(latencies, 50), percentile(latencies, 99)


async def trimmed_freshness(
    settings: Settings,
    generator: Generator,
    reporting: Reporting,
    options: Options,
    results: Results,
) -> tuple[float, float]:
    """Freshness, on a broker that first deletes the records hdnd has read (`--no-trim`: that
    keeps them; the deadline burst and the queries after it run on that broker too), with a
    note saying which, and where the broker keeps its file."""
    if options.trim:  # hdnd's projector has read every record: it is caught up
        deleted = await trim(settings)
        kept = f"the {deleted:,} records hdnd had read deleted from the broker first"
    else:
        kept = "every record kept in the broker"
    results.notes["freshness"] = f"{kept}; {broker_file()}"
    return await freshness(settings, generator, reporting, options)


async def burst(
    settings: Settings, generator: Generator, reporting: Reporting, options: Options
) -> tuple[float, int]:
    """Every 2025 commune files one report within `burst_seconds`; seconds from the last
    publish until the country's figures (all provinces) are right."""
    communes = [u for u, era in generator.communes if era == "2025"]
    events = [message(generator.event(i, u, "2025", 11)) for i, u in enumerate(communes)]
    rate = len(events) / options.burst_seconds
    await publish(settings, iter(events), len(events), "deadline burst", rate)
    after = await wait_until(
        lambda: _right(reporting.store.unit_months, generator.expected), options.timeout
    )
    return after, len(events)


async def _right(collection: AsyncCollection[Document], expected: Counter[str]) -> bool:
    return await country_totals(collection) == expected


async def queries(reporting: Reporting, hierarchy: Hierarchy, runs: int) -> dict[str, list[float]]:
    """Summary latencies (ms) through the read side the API serves."""
    province = hierarchy.provinces("legacy")[0]
    district = hierarchy.children(province.code, "legacy")[0]
    commune = hierarchy.children(district.code, "legacy")[0]
    period = parse_period(f"{YEAR}")
    kinds: dict[str, Callable[[], Awaitable[object]]] = {
        f"commune {commune.code}": lambda: reporting.views.summary(commune.code, period),
        f"district {district.code}": lambda: reporting.views.summary(district.code, period),
        f"province {province.code}": lambda: reporting.views.summary(province.code, period),
        "country": lambda: country_as_it_was(reporting.store.unit_months, hierarchy, period),
    }
    out: dict[str, list[float]] = {}
    with progress() as bar:
        task = bar.add_task("summary queries", total=runs * len(kinds))
        for name, query in kinds.items():
            times = out[name] = []
            for _ in range(runs):
                started = time.perf_counter()
                await query()
                times.append((time.perf_counter() - started) * 1000)
                bar.advance(task)
    return out


# --------------------------------------------------------------------------- the run


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} (1 / 5 min) on {os.cpu_count()} cores"


async def run(endpoints: Endpoints, keys_dir: Path, options: Options) -> tuple[Results, Outcome]:
    results, outcome = Results(), Outcome()
    settings = bench_settings(
        endpoints,
        keys_dir,
        "peers",
        require_signatures=options.signed,
        idle_backoff_ms=50,
        consumer_batch=options.batch,
    )
    hierarchy = Hierarchy.load()
    signer = Signer.from_dir(keys_dir) if options.signed else None
    generator = Generator(hierarchy, signer)
    n = options.events
    console.print(
        f"{n:,} {'signed' if signer else 'unsigned'} meeting.held over "
        f"{len(generator.communes):,} communes of both eras; {load_average()}"
    )
    await ensure_topics(settings, [*settings.topics.facts, settings.topics.dead_letter])
    reporting = Reporting.build(settings)
    try:
        head: list[Decoded[BaseModel]] = []

        def messages() -> Iterator[Message]:
            for event in generator.stream_of(n):
                if len(head) < options.bulk:
                    head.append(event)
                yield message(event)

        await publish(settings, messages(), n, "building + producing events")
        expected = Counter(generator.expected)
        if options.only_freshness:
            head.clear()
            await _freshness_only(settings, generator, reporting, options, results)
            return results, outcome
        results.rates["raw consume"] = await raw_consume(settings, n)
        results.rates["bulk-write limit"] = await bulk_write_limit(settings, hierarchy, head)
        head.clear()
        rate, handled = await naive(settings, hierarchy, options.naive_seconds)
        results.rates["naive FastStream"] = rate
        results.notes["naive FastStream"] = f"{handled:,} events in {options.naive_seconds:.0f} s"
        if options.quix_python:
            rate, error = await quix(settings, n, options.quix_python, options.timeout)
            results.rates["Quix Streams"] = rate
            if error:
                results.failures.append(f"Quix Streams: {error}")
            else:
                client = connect(settings, "hdnd-bench-check")
                quix_db = client[f"{settings.database_prefix}_quix"]
                got = await country_totals(quix_db["unit_months"])
                await client.close()
                results.notes["Quix Streams"] = (
                    "figures right" if got == expected else "figures WRONG (at-least-once)"
                )
        if options.signed:  # what checking the signatures costs, on the same events
            prefix = f"{settings.database_prefix}_unchecked"
            grant_databases(endpoints, prefix)  # the services' users, on its databases too
            unchecked = Reporting.build(
                settings.model_copy(update={"database_prefix": prefix, "require_signatures": False})
            )
            try:
                await unchecked.start(consume=False)
                rate, _, cpu = await hdnd(
                    unchecked, n, options.timeout, "hdnd, signatures not checked"
                )
            finally:
                await unchecked.stop()
            results.rates["hdnd, signatures not checked"] = rate
            results.notes["hdnd, signatures not checked"] = f"CPU: {cpu}"
        await reporting.start(consume=False)
        rate, rebuild, cpu = await hdnd(reporting, n, options.timeout, "hdnd projector")
        results.rates["hdnd"] = rate
        results.notes["hdnd"] = f"rebuild of {n:,} events: {rebuild:.1f} s from start"
        results.notes["hdnd CPU"] = cpu
        if await country_totals(reporting.store.unit_months) != expected:
            results.failures.append("hdnd: the country's figures ≠ the generated events'")
        else:
            results.notes["hdnd"] += "; figures right"
        results.latencies["freshness"] = await trimmed_freshness(
            settings, generator, reporting, options, results
        )
        after, filed = await burst(settings, generator, reporting, options)
        results.notes["burst"] = (
            f"{filed:,} reports in {options.burst_seconds:.0f} s: figures right "
            f"{after * 1000:.0f} ms after the last"
        )
        for name, times in (await queries(reporting, hierarchy, options.queries)).items():
            results.latencies[f"query {name}"] = (percentile(times, 50), percentile(times, 99))
    finally:
        await reporting.stop()
        await cleanup(settings)
    outcome.failures.extend(results.failures)
    return results, outcome


async def _freshness_only(
    settings: Settings,
    generator: Generator,
    reporting: Reporting,
    options: Options,
    results: Results,
) -> None:
    """`--only-freshness`: the projector catches up on the events, then freshness, then what
    the caught-up service costs while nothing comes (its own process and workers)."""
    await reporting.start(consume=False)
    await hdnd(reporting, options.events, options.timeout, "hdnd projector")
    results.latencies["freshness"] = await trimmed_freshness(
        settings, generator, reporting, options, results
    )
    idle = CpuSplit()
    idle.start()
    await asyncio.sleep(IDLE_SECONDS)
    idle.stop()
    shares = idle.shares()
    own = shares.get("consumer process", 0.0) + shares.get("worker processes", 0.0)
    results.notes["idle CPU"] = f"{own * 100:.1f} % of a core over {IDLE_SECONDS:.0f} s"


IDLE_SECONDS = 10.0


def report(results: Results, options: Options, seconds: float) -> Table:
    table = Table(
        title=f"hdnd vs peers, {options.events:,} events, {datetime.now():%Y-%m-%d %H:%M}, "
        f"{load_average()}, {seconds:.0f} s in all",
        title_justify="left",
    )
    for column in ("part", "events/s", "hdnd ×", "note"):
        table.add_column(column, justify="left" if column in ("part", "note") else "right")
    ours = results.rates.get("hdnd", 0.0)
    for name, rate in results.rates.items():
        times = "" if name.startswith("hdnd") else ratio_text(ratio(ours, rate))
        table.add_row(name, f"{rate:,.0f}", times, results.notes.get(name, ""))
    for name, (p50, p99) in results.latencies.items():
        note = "; ".join(
            filter(None, [f"p50 {p50:,.1f} ms, p99 {p99:,.1f} ms", results.notes.get(name)])
        )
        table.add_row(name, "", "", note)
    if "burst" in results.notes:
        table.add_row("deadline burst", "", "", results.notes["burst"])
    if "idle CPU" in results.notes:
        table.add_row("hdnd idle, caught up", "", "", results.notes["idle CPU"])
    if "hdnd CPU" in results.notes:
        table.add_row("hdnd's CPU", "", "", results.notes["hdnd CPU"])
    return table


def parse(argv: Sequence[str] | None = None) -> Options:
    parser = arguments("bench.peers", __doc__)
    d = Options()
    parser.add_argument("--events", type=int, default=d.events)
    parser.add_argument("--bulk", type=int, default=d.bulk, help="events for the write limit")
    parser.add_argument("--naive-seconds", type=float, default=d.naive_seconds)
    parser.add_argument("--rate", type=int, default=d.rate, help="freshness: events/s")
    parser.add_argument("--seconds", type=float, default=d.seconds, help="freshness: duration")
    parser.add_argument("--burst-seconds", type=float, default=d.burst_seconds)
    parser.add_argument("--queries", type=int, default=d.queries, help="per kind of summary")
    parser.add_argument("--unsigned", action="store_true", help="no signatures to verify")
    parser.add_argument("--batch", type=int, default=d.batch, help="hdnd's consumer_batch")
    parser.add_argument(
        "--quix-python",
        default=d.quix_python,
        help="python of a venv with the bench extra ('' skips Quix Streams)",
    )
    parser.add_argument(
        "--only-freshness",
        action="store_true",
        help="only hdnd's fold of --events, freshness, and its CPU while idle (quick)",
    )
    parser.add_argument(
        "--no-trim",
        action="store_true",
        help="keep the records already read in the broker for freshness (see bench.common.trim)",
    )
    args = parser.parse_args(argv)
    if min(args.events, args.bulk, args.rate, args.queries) < 1:
        parser.error("counts must be positive")
    return Options(
        events=args.events,
        bulk=min(args.bulk, args.events),
        naive_seconds=args.naive_seconds,
        rate=args.rate,
        seconds=args.seconds,
        burst_seconds=args.burst_seconds,
        queries=args.queries,
        signed=not args.unsigned,
        batch=args.batch,
        quix_python=args.quix_python,
        only_freshness=args.only_freshness,
        trim=not args.no_trim,
    )


def main(argv: Sequence[str] | None = None) -> int:
    options = parse(argv)
    started = time.perf_counter()
    hierarchy = Hierarchy.load()
    provinces = {p.code for era in ("legacy", "2025") for p in hierarchy.provinces(era)}
    with servers() as endpoints, signing_keys(sorted(provinces)) as keys:
        results, outcome = asyncio.run(run(endpoints, keys, options))
    console.print(report(results, options, time.perf_counter() - started))
    for failure in outcome.failures:
        console.print(f"[bold red]✗ {failure}")
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
