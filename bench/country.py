"""Whole-country scale: both eras' hierarchies, every commune's figures, national summaries.

1. Hierarchy: `Hierarchy.load()` of both eras (63 + 696 + 10,035 legacy units, 34 + 3,321
   from 2025) in a fresh subprocess, and the registry load that `hdnd hierarchy load` does
   (`Registry.load` + `drain` through `Runtime(settings, "hierarchy")`: 14,149 units into
   MongoDB, as many `unit.registered` events to Kafka), run twice (the second writes nothing).
   Time and peak RSS of each subprocess.
2. Projection load: one voter contact (`meeting.held`) per legacy commune per month for
   2025-01..06 and one per 2025 commune per month for 2025-07..12 (counts are options),
   folded by the real `Projector.handle` on batches of in-memory `Record`s, unsigned: this
   measures the projector and MongoDB, not Kafka. Events/s, the RSS of this process (the
   reporting service, built by `create_app`), the documents and their size in MongoDB.
3. Queries: `GET /units/{unit}/summary` and `GET /country/summary` over ASGI with an operator
   token, for 2025-H1, 2025-H2, 2025 and 2025-9M; median and p95 of `--runs` requests, each as
   a ratio to one commune's summary (the baseline) for the same period, in the same run.
4. Check: for every period, the national voters_reached as it was and as today both equal
   the sum of the generated events' voters. Exit 1 if not.

    python -m bench.country [--legacy-contacts 1] [--contacts-2025 1] [--runs 20] [--budget 4]
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.table import Table

from bench.common import (
    arguments,
    bench_settings,
    cleanup,
    console,
    operator_client,
    percentile,
    progress,
    servers,
)
from bench.country_data import (
    Generated,
    Options,
    expected_events,
    voter_contacts,
)
from bench.country_hierarchy import hierarchy_table, measure_hierarchy
from deploy.local import Endpoints
from services.common.consumer import Record
from services.common.settings import Settings
from services.reporting.app import create_app
from services.reporting.read.projector.handler import Projector
from services.reporting.wiring import Reporting

PERIODS = ("2025-H1", "2025-H2", "2025", "2025-9M")
MIN_RUNS = 5
BASELINE = "00004"  # Phường Trúc Bạch until 2025-06-30, Phường Ba Đình from 2025-07-01


@dataclass(frozen=True)
class Query:
    label: str
    path: str
    view: str
    periods: tuple[str, ...] = PERIODS


QUERIES = (
    Query("commune 00004 (baseline)", f"/units/{BASELINE}/summary", "as_it_was"),
    Query(
        "district 001 Ba Đình", "/units/001/summary", "as_it_was", ("2025-H1", "2025", "2025-9M")
    ),
    Query("province 01 Hà Nội", "/units/01/summary", "as_it_was"),
    Query("province 01 Hà Nội", "/units/01/summary", "as_today"),
    Query("province 79 HCM (3 merged)", "/units/79/summary", "as_today"),
    Query("country", "/country/summary", "as_it_was"),
    Query("country", "/country/summary", "as_today"),
)


@dataclass
class Report:
    passed: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- 2. projection load


def rss_mib() -> tuple[float, float]:
    """(current, peak) resident set of this process, MiB."""
    status = Path("/proc/self/status").read_text().splitlines()
    fields = dict(line.split(":", 1) for line in status)
    current, peak = (int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))
    return current, peak


@dataclass
class Loaded:
    events: int
    fold_s: float
    wall_s: float
    batches: int
    unit_months: int
    unit_days: int
    data_mib: float
    index_mib: float
    rss_before: float
    rss_after: float
    peak: float
    refused: int


async def load_projection(reporting: Reporting, options: Options, generated: Generated) -> Loaded:
    """Fold every generated record with the service's own Projector, batch by batch; only
    `Projector.handle` is timed (building the records is not)."""
    settings = reporting.settings
    projector = Projector(reporting.runtime, reporting.store, reporting.hierarchy)
    total = expected_events(reporting.hierarchy, options)
    records = voter_contacts(
        reporting.hierarchy,
        options,
        settings.topic_partitions,
        settings.topics.meetings,
        generated,
    )
    rss_before, _ = rss_mib()
    fold_s, batches = 0.0, 0
    started = time.perf_counter()
    with progress() as bar:
        task = bar.add_task("Projector.handle (unsigned)", total=total)
        batch: list[Record] = []
        for record in records:
            batch.append(record)
            if len(batch) == options.batch:
                fold_s += await timed_handle(projector, batch)
                batches += 1
                bar.advance(task, len(batch))
                batch = []
        if batch:
            fold_s += await timed_handle(projector, batch)
            batches += 1
            bar.advance(task, len(batch))
    wall_s = time.perf_counter() - started
    rss_after, peak = rss_mib()
    store = reporting.store
    stats = await store.db.command("dbstats", scale=1024 * 1024)
    return Loaded(
        events=generated.events,
        fold_s=fold_s,
        wall_s=wall_s,
        batches=batches,
        unit_months=await store.unit_months.count_documents({}),
        unit_days=await store.unit_months.count_documents({"days": {"$exists": True}}),
        data_mib=float(stats["dataSize"]),
        index_mib=float(stats["indexSize"]),
        rss_before=rss_before,
        rss_after=rss_after,
        peak=peak,
        refused=projector.refused,
    )


async def timed_handle(projector: Projector, batch: Sequence[Record]) -> float:
    """Fold a batch and write it (with everything folded before it): the time it took."""
    started = time.perf_counter()
    await projector.handle(batch)
    await projector.drain()
    return time.perf_counter() - started


# --------------------------------------------------------------------------- 3. queries


@dataclass
class Timing:
    runs: int
    median_ms: float
    p95_ms: float
    answer: dict[str, Any]


async def time_query(
    client: httpx.AsyncClient, query: Query, period: str, options: Options
) -> Timing:
    """One warm-up request (its answer is kept for the check), then `options.runs` timed
    ones, or fewer (never under MIN_RUNS) once they have taken `options.budget_s`."""
    params = {"period": period, "view": query.view}
    first = await client.get(query.path, params=params)
    if first.status_code != 200:
        raise RuntimeError(f"{query.path} {params}: {first.status_code} {first.text[:300]}")
    laps: list[float] = []
    while len(laps) < options.runs:
        if len(laps) >= MIN_RUNS and sum(laps) / 1000 > options.budget_s:
            break
        started = time.perf_counter()
        response = await client.get(query.path, params=params)
        laps.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return Timing(len(laps), percentile(laps, 50), percentile(laps, 95), first.json())


async def measure_queries(
    app: Any, settings: Settings, options: Options
) -> dict[tuple[int, str], Timing]:
    timings: dict[tuple[int, str], Timing] = {}
    async with operator_client(app, settings, "bench-country") as client:
        with progress() as bar:
            task = bar.add_task("queries", total=sum(len(q.periods) for q in QUERIES))
            for period in PERIODS:
                for i, query in enumerate(QUERIES):
                    if period in query.periods:
                        timings[i, period] = await time_query(client, query, period, options)
                        bar.advance(task)
    return timings


def check(timings: dict[tuple[int, str], Timing], generated: Generated, report: Report) -> None:
    """The national voters_reached, both views, every period = the generated events' sum."""
    for i, query in enumerate(QUERIES):
        if query.path != "/country/summary":
            continue
        for period in query.periods:
            got = timings[i, period].answer["figures"].get("voters_reached")
            want = generated.over(period)
            line = f"national voters_reached {query.view:9} {period:8}"
            if got == want:
                report.passed.append(f"{line} = {want:,}, the sum of the generated events")
            else:
                report.failures.append(f"{line} = {got}, expected {want:,}")


# --------------------------------------------------------------------------- tables


def projection_table(loaded: Loaded) -> Table:
    table = Table(
        title="2. Projection load (Records in memory, no Kafka)",
        caption="what Projector.handle and MongoDB cost; the broker is not involved",
        caption_justify="left",
        title_justify="left",
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    rate = loaded.events / loaded.fold_s
    for label, value in (
        ("events folded (unsigned meeting.held)", f"{loaded.events:,}"),
        ("batches (Projector.handle calls)", f"{loaded.batches:,}"),
        ("seconds in Projector.handle", f"{loaded.fold_s:.1f}"),
        ("events/s (Projector.handle)", f"{rate:,.0f}"),
        ("wall seconds incl. building records", f"{loaded.wall_s:.1f}"),
        ("unit_months documents", f"{loaded.unit_months:,}"),
        ("unit_months with day figures", f"{loaded.unit_days:,}"),
        ("MongoDB data / indexes", f"{loaded.data_mib:.0f} / {loaded.index_mib:.0f} MiB"),
        (
            "reporting process RSS before → after",
            f"{loaded.rss_before:.0f} → {loaded.rss_after:.0f} MiB",
        ),
        ("reporting process peak RSS", f"{loaded.peak:.0f} MiB"),
    ):
        table.add_row(label, value)
    return table


def queries_table(timings: dict[tuple[int, str], Timing]) -> Table:
    table = Table(
        title="3. Query latency over ASGI (n timed requests after a warm-up)",
        title_justify="left",
        caption="× = median as a ratio to the commune's summary for the same period, same run",
        caption_justify="left",
    )
    for column in ("period", "query", "view", "n", "median ms", "p95 ms", "×"):
        table.add_column(
            column, justify="left" if column in ("period", "query", "view") else "right"
        )
    for period in PERIODS:
        base = timings[0, period].median_ms
        first = True
        for i, query in enumerate(QUERIES):
            t = timings.get((i, period))
            if t is None:
                continue
            table.add_row(
                period if first else "",
                query.label,
                query.view,
                str(t.runs),
                f"{t.median_ms:,.1f}",
                f"{t.p95_ms:,.1f}",
                "baseline" if i == 0 else f"{t.median_ms / base:,.1f}×",
            )
            first = False
        table.add_section()
    return table


# --------------------------------------------------------------------------- the benchmark


async def run_stack(
    settings: Settings, options: Options
) -> tuple[Loaded, dict[Any, Timing], Report]:
    report = Report()
    app = create_app(settings, consume=False)
    async with app.router.lifespan_context(app):
        reporting: Reporting = app.state.reporting
        generated = Generated()
        loaded = await load_projection(reporting, options, generated)
        want = expected_events(reporting.hierarchy, options)
        folded = f"folded {loaded.events:,} events, {loaded.refused} refused"
        if loaded.refused or loaded.events != want:
            report.failures.append(f"{folded}; expected {want:,}, none refused")
        else:
            report.passed.append(folded)
        timings = await measure_queries(app, settings, options)
        check(timings, generated, report)
    return loaded, timings, report


def run(endpoints: Endpoints, options: Options) -> int:
    unsigned = {"keys_dir": None, "require_signatures": False}  # no keys: nothing signs
    settings = bench_settings(
        endpoints,
        Path(),
        "c",
        consumer_batch=options.batch,
    ).model_copy(update=unsigned)
    started = time.perf_counter()
    if not console.is_terminal:  # a log file: room for the tables instead of 80 columns
        console.width = max(console.width, 110)
    console.rule("[bold]Whole-country scale")
    console.print(
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; voter contacts:"
        f" {options.legacy_contacts} per legacy commune per month 2025-01..06,"
        f" {options.contacts_2025} per 2025 commune per month 2025-07..12"
    )
    try:
        hierarchy_rows = measure_hierarchy(settings)
        console.print(hierarchy_table(hierarchy_rows))
        loaded, timings, report = asyncio.run(run_stack(settings, options))
    finally:
        if not endpoints.managed:  # a private stack goes whole, and sooner after a Ctrl-C
            asyncio.run(cleanup(settings))
    console.print(projection_table(loaded))
    console.print(queries_table(timings))
    console.print(
        f"[dim]{time.perf_counter() - started:.0f} s in all;"
        f" load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores[/dim]"
    )
    for passed in report.passed:
        console.print(f"[green]✓[/green] {passed}")
    for failure in report.failures:
        console.print(f"[bold red]✗ {failure}")
    console.print(
        "[bold green]all correctness checks passed"
        if not report.failures
        else "[bold red]a correctness check failed"
    )
    return 0 if not report.failures else 1


def parse(argv: Sequence[str] | None = None) -> Options:
    parser = arguments("bench.country", __doc__)
    parser.add_argument(
        "--legacy-contacts",
        type=int,
        default=Options.legacy_contacts,
        help="voter contacts per legacy commune per month (2025-01..06)",
    )
    parser.add_argument(
        "--contacts-2025",
        type=int,
        default=Options.contacts_2025,
        help="voter contacts per 2025 commune per month (2025-07..12)",
    )
    parser.add_argument("--runs", type=int, default=Options.runs, help="timed requests per query")
    parser.add_argument(
        "--budget",
        type=float,
        default=Options.budget_s,
        help=f"seconds of timed requests per query and period (at least {MIN_RUNS} requests)",
    )
    parser.add_argument("--batch", type=int, default=Options.batch, help="records per batch")
    args = parser.parse_args(argv)
    if min(args.legacy_contacts, args.contacts_2025, args.runs, args.batch, args.budget) <= 0:
        parser.error("every count must be positive")
    return Options(args.legacy_contacts, args.contacts_2025, args.runs, args.budget, args.batch)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse(argv)
    with servers() as endpoints:
        return run(endpoints, options)


if __name__ == "__main__":
    sys.exit(main())
