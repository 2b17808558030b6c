"""Throughput of the reporting projection, against a per-event baseline in the same run.

1. Produce N signed `meeting.held` events (every unit of Tỉnh Lai Châu, months of 2025 H1,
   one stream per unit and emitting instance) straight to the meetings topic.
2. The real projector, wired as the reporting service wires it (`Reporting.build`): time from
   starting its consumer until it has handled all N events (one transaction per batch:
   figures + stream positions + offsets).
3. The baseline: the naive handler of shared/infra.md over the first `--sample` of the same
   events: for each event, one transaction doing an `update_one` upsert per document (the
   unit and each ancestor, per contribution), the stream position and the offset.
4. Checks: the real projection equals the pure fold of all N events, and the real projector
   folding exactly the baseline's sample writes the same figures as the baseline. Exit 1 if not.

    python -m bench.projector [--events 20000] [--sample 1000]
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from rich.table import Table

from bench.common import (
    Outcome,
    Row,
    arguments,
    bench_settings,
    cleanup,
    console,
    meeting_held,
    message,
    progress,
    publish,
    ratio,
    ratio_text,
    run_on_servers,
)
from bench.common import (
    differences as first_differences,
)
from bench.data import council_work, units
from contracts import Actor, Decoded, Source, decode_event
from contracts.signing import Signer
from deploy.local import Endpoints
from services.common.consumer import Record
from services.common.hierarchy import Hierarchy
from services.common.kafka import ensure_topics, make_consumer, partitions_of
from services.common.mongo import OPERATOR, Document, connect, in_transaction
from services.common.runtime import Runtime
from services.common.settings import Settings
from services.reporting.read.figures import contributions_of
from services.reporting.read.projector.fold import StreamPosition, fold, month_of
from services.reporting.read.projector.handler import Projector
from services.reporting.read.projector.store import ProjectionStore
from services.reporting.wiring import Reporting

# (unit, month) -> (level, parent, own, total), zero counters dropped: what a projection holds.
Figures = dict[tuple[str, str], tuple[str, str | None, dict[str, int], dict[str, int]]]


@dataclass(frozen=True)
class Options:
    events: int = 20_000
    sample: int = 1_000
    instances: int = 4  # emitting instances per unit: streams = units × instances
    signed: bool = True  # False: unsigned events, consumers not checking (signature cost)
    actors: bool = True  # False: events without an actor, as before actors (the log's cost)
    timeout: float = 600.0


# --------------------------------------------------------------------------- events


def make_events(hierarchy: Hierarchy, keys_dir: Path, options: Options) -> list[Decoded[BaseModel]]:
    """Envelopes (signed unless `options.signed` is False), each with the next sequence
    number of its stream."""
    signer = Signer.from_dir(keys_dir) if options.signed else None
    sources = [Source(service="meetings", instance=f"bench-{k}") for k in range(options.instances)]
    people = [  # a unit's secretaries: each event names one of them (its activity log entry)
        Actor(id=f"acc-{k}", name=f"Thư ký số {k}", kind="person") for k in range(3)
    ]
    sequences: Counter[str] = Counter()
    events: list[Decoded[BaseModel]] = []
    with progress() as bar:
        label = "building signed events" if signer else "building unsigned events"
        task = bar.add_task(label, total=options.events)
        for i, work in enumerate(council_work(hierarchy, options.events, seed=2025, tag="b")):
            source = sources[i % len(sources)]
            stream = source.stream(work.unit)
            sequences[stream] += 1
            actor = people[i % len(people)] if options.actors else None
            events.append(
                meeting_held(
                    source,
                    sequences[stream],
                    work.unit,
                    work.body,
                    work.held_on,
                    signer,
                    hierarchy,
                    actor,
                )
            )
            if i % 500 == 0:
                bar.update(task, completed=i)
        bar.update(task, completed=options.events)
    return events


async def produce(settings: Settings, events: Sequence[Decoded[BaseModel]]) -> float:
    """Write the events to the meetings topic (key = unit); returns events/s."""
    await ensure_topics(settings, [*settings.topics.facts, settings.topics.dead_letter])
    started = time.perf_counter()
    await publish(settings, (message(e) for e in events), len(events), "producing to Kafka")
    return len(events) / (time.perf_counter() - started)


# --------------------------------------------------------------------------- measured runs


async def run_projector(settings: Settings, total: int, limit_s: float) -> tuple[float, str]:
    """The reporting service's projector as wired; returns (seconds to handle all, db name)."""
    reporting = Reporting.build(settings)
    status = reporting.consumer.status
    try:
        await reporting.start(consume=False)
        started = time.perf_counter()
        reporting.consumer.start()
        with progress() as bar:
            task = bar.add_task("batched projector (real)", total=total)
            while status.drained < total:  # committed, not only folded
                if time.perf_counter() - started > limit_s:
                    raise TimeoutError(
                        f"projector handled {status.handled}/{total} in {limit_s:.0f} s "
                        f"(last error: {status.last_error})"
                    )
                await asyncio.sleep(0.02)
                bar.update(task, completed=status.handled)
            elapsed = time.perf_counter() - started
            bar.update(task, completed=status.handled)
        for _ in range(200):  # then it notices it has caught up (at most 10 s)
            if status.caught_up and status.lag == 0:
                break
            await asyncio.sleep(0.05)
        if status.handled != total or status.lag:
            raise RuntimeError(f"projector handled {status.handled}/{total}, lag {status.lag}")
        console.print(
            f"[dim]  {status.batches} batches, about {total / max(1, status.batches):,.0f} "
            "events per transaction[/dim]"
        )
        return elapsed, reporting.store.unit_months.database.name
    finally:
        await reporting.stop()


class NaiveHandler:
    """The per-event handler of shared/infra.md: one transaction per event, one `update_one`
    per document it touches, then the stream position and the consumed offset."""

    def __init__(self, runtime: Runtime, hierarchy: Hierarchy) -> None:
        self.runtime = runtime
        self.hierarchy = hierarchy
        self.verifier = runtime.verifier()
        self.unit_months = runtime.db["unit_months"]
        self.streams = runtime.db["stream_positions"]
        self.positions = runtime.db["consumer_positions"]

    async def handle(self, record: Record) -> None:
        event = decode_event(record.value or b"")
        if self.verifier is not None:
            self.verifier.check(event.envelope)
        envelope = event.envelope
        contributions = contributions_of(event)

        async def work(session: AsyncClientSession) -> None:
            doc = await self.streams.find_one({"_id": envelope.stream}, session=session)
            position = (
                StreamPosition(doc["applied_through"], set(doc.get("ahead", [])))
                if doc
                else StreamPosition()
            )
            if position.accept(envelope.sequence):
                for c in contributions:
                    unit, figures, day, month = c.unit, c.figures, c.day, month_of(c.day)
                    total = {f"total.{k}": v for k, v in figures.items() if v}
                    for i, code in enumerate(self.hierarchy.lineage(unit, day)):
                        info = self.hierarchy.unit(code, day)
                        own = {f"own.{k}": v for k, v in figures.items() if v} if i == 0 else {}
                        await self.unit_months.update_one(
                            {"_id": f"{code}:{month}"},
                            {
                                "$setOnInsert": {
                                    "unit": code,
                                    "month": month,
                                    "level": info.level,
                                    "parent": info.parent,
                                },
                                "$inc": {**own, **total},
                            },
                            upsert=True,
                            session=session,
                        )
                await self.streams.update_one(
                    {"_id": envelope.stream},
                    {
                        "$set": {
                            "applied_through": position.applied_through,
                            "ahead": sorted(position.ahead),
                        }
                    },
                    upsert=True,
                    session=session,
                )
            await self.positions.update_one(
                {"_id": f"{record.topic}:{record.partition}"},
                {
                    "$set": {"topic": record.topic, "partition": record.partition},
                    "$max": {"next_offset": record.offset + 1},
                },
                upsert=True,
                session=session,
            )

        await in_transaction(self.runtime.mongo, work)


async def run_baseline(
    settings: Settings, hierarchy: Hierarchy, sample: int
) -> tuple[float, list[Record], str]:
    """The naive handler over the first `sample` events it reads; returns (seconds, the
    records it handled, its database name)."""
    runtime = Runtime(settings, "naive", mongo_user=OPERATOR)  # a database no service owns
    await ProjectionStore(runtime.db).create_indexes()
    handler = NaiveHandler(runtime, hierarchy)
    consumer = make_consumer(settings, client_id="hdnd-bench-naive")
    await consumer.start()
    handled: list[Record] = []
    try:
        assigned = await partitions_of(consumer, [settings.topics.meetings])
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        with progress() as bar:
            task = bar.add_task("per-event baseline (naive)", total=sample)
            started = time.perf_counter()
            while len(handled) < sample:
                fetched = await consumer.getmany(
                    timeout_ms=100, max_records=min(500, sample - len(handled))
                )
                for tp in sorted(fetched):
                    for record in fetched[tp]:
                        if len(handled) >= sample:
                            break
                        await handler.handle(record)
                        handled.append(record)
                        bar.advance(task)
            elapsed = time.perf_counter() - started
        return elapsed, handled, runtime.db.name
    finally:
        await consumer.stop()
        await runtime.stop()


async def run_reference(settings: Settings, hierarchy: Hierarchy, records: list[Record]) -> str:
    """The real Projector folding exactly the baseline's records (no Kafka involved)."""
    runtime = Runtime(settings, "check", mongo_user=OPERATOR)
    try:
        store = ProjectionStore(runtime.db)
        await store.create_indexes()
        projector = Projector(runtime, store, hierarchy)
        step = settings.consumer_batch
        for start in range(0, len(records), step):
            await projector.handle(records[start : start + step])
            await projector.drain()
        return runtime.db.name
    finally:
        await runtime.stop()


# --------------------------------------------------------------------------- checks


async def read_figures(settings: Settings, database: str) -> Figures:
    client = connect(settings, app_name="hdnd-bench-check")
    try:
        db: AsyncDatabase[Document] = client[database]
        return {
            (d["unit"], d["month"]): (
                d["level"],
                d["parent"],
                {k: v for k, v in d.get("own", {}).items() if v},
                {k: v for k, v in d.get("total", {}).items() if v},
            )
            async for d in db["unit_months"].find()
        }
    finally:
        await client.close()


def folded(hierarchy: Hierarchy, events: Sequence[Decoded[BaseModel]]) -> Figures:
    """The pure fold of every event: what the projection must hold."""
    result = fold(hierarchy, events)
    return {
        key: (
            doc.level,
            doc.parent,
            {k: v for k, v in doc.own.items() if v},
            {k: v for k, v in doc.total.items() if v},
        )
        for key, doc in result.changes.items()
    }


def differences(expected: Figures, actual: Figures, limit: int = 3) -> list[str]:
    return first_differences(
        expected, actual, lambda u, m, e, a: f"{u}:{m}: expected {e}, got {a}", limit
    )


# --------------------------------------------------------------------------- the benchmark


async def run(endpoints: Endpoints, keys_dir: Path, options: Options) -> Outcome:
    outcome = Outcome()
    settings = bench_settings(endpoints, keys_dir, "p", require_signatures=options.signed)
    hierarchy = Hierarchy.load()
    sample = min(options.sample, options.events)
    console.rule("[bold]Reporting projection: batched fold vs per-event handler")
    console.print(
        f"{options.events:,} meeting.held events, {len(units(hierarchy))} units of Tỉnh Lai Châu"
        f" × {options.instances} instances = {len(units(hierarchy)) * options.instances} streams,"
        f" 2025-01..06, {'signed (Ed25519)' if options.signed else 'UNSIGNED'},"
        f" {'each naming its actor' if options.actors else 'WITHOUT actors'};"
        f" baseline sample {sample:,}"
    )
    try:
        events = make_events(hierarchy, keys_dir, options)
        produced = await produce(settings, events)
        real_s, real_db = await run_projector(settings, len(events), options.timeout)
        naive_s, sample_records, naive_db = await run_baseline(settings, hierarchy, sample)
        with console.status("checking figures…"):
            reference_db = await run_reference(settings, hierarchy, sample_records)
            full = differences(folded(hierarchy, events), await read_figures(settings, real_db))
            shared = differences(
                await read_figures(settings, reference_db),
                await read_figures(settings, naive_db),
            )
    finally:
        await cleanup(settings)

    real_rate = len(events) / real_s
    naive_rate = sample / naive_s
    times = ratio(real_rate, naive_rate)
    table = Table(title="Reporting projection", title_justify="left")
    for column in ("handler", "events", "seconds", "events/s"):
        table.add_column(column, justify="left" if column == "handler" else "right")
    rows = (
        ("batched fold (Reporting.build)", len(events), real_s, real_rate),
        ("per-event baseline (naive)", sample, naive_s, naive_rate),
    )
    for label, count, seconds, rate in rows:
        table.add_row(label, f"{count:,}", f"{seconds:.2f}", f"{rate:,.0f}")
    console.print(table)
    console.print(f"[dim]producing: {produced:,.0f} events/s[/dim]")
    console.print(f"[bold green]batched fold is {ratio_text(times)} the per-event baseline")
    if full:
        outcome.failures.append("projection ≠ pure fold of all events: " + "; ".join(full))
    else:
        console.print(f"[green]✓[/green] projection of all {len(events):,} events = pure fold")
    if shared:
        outcome.failures.append("batched ≠ per-event on the shared sample: " + "; ".join(shared))
    else:
        console.print(
            f"[green]✓[/green] batched and per-event figures identical on the "
            f"{sample:,}-event sample"
        )
    for failure in outcome.failures:
        console.print(f"[bold red]✗ {failure}")
    outcome.rows.append(
        Row(
            "projector",
            "batched fold",
            real_rate,
            "ev/s",
            "per-event",
            naive_rate,
            f"{len(events):,} signed events folded; per-event handler on {sample:,} of them"
            if options.signed
            else f"{len(events):,} unsigned events; per-event handler on {sample:,}",
        )
    )
    return outcome


def parse(argv: Sequence[str] | None = None) -> Options:
    parser = arguments("bench.projector", __doc__)
    parser.add_argument("--events", type=int, default=Options.events, help="events to fold")
    parser.add_argument("--sample", type=int, default=Options.sample, help="baseline's events")
    parser.add_argument("--instances", type=int, default=Options.instances, help="per unit")
    parser.add_argument(
        "--unsigned",
        action="store_true",
        help="unsigned events, signatures not required (shows what verifying them costs)",
    )
    parser.add_argument(
        "--no-actors",
        action="store_true",
        help="events without an actor (shows what the activity log's entries cost)",
    )
    args = parser.parse_args(argv)
    if args.events < 1 or args.sample < 1 or args.instances < 1:
        parser.error("--events, --sample and --instances must be positive")
    return Options(
        events=args.events,
        sample=args.sample,
        instances=args.instances,
        signed=not args.unsigned,
        actors=not args.no_actors,
    )


def main(argv: Sequence[str] | None = None) -> int:
    return run_on_servers(run, parse(argv))


if __name__ == "__main__":
    sys.exit(main())
