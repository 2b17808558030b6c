"""`make bench-similar`: similar opinions through the reporting API with 100,000 opinions in a
province (the issue's budget: 100 ms at p99), and what a restart costs to build the index.

1. N opinions (bench.opinions' generator: the sample's and the labelled pairs' kinds of
   requests, worded as secretaries write them) in the 38 communes of Tỉnh Lai Châu and the
   province, raised this term, written into reporting's register (`voter_opinions`) as its
   consumer writes them.
2. The reporting app starts on them (its consumers off): how long until its index is built,
   read from MongoDB and normalised in the worker processes (what a restart costs).
3. Commune secretaries type new opinions: `GET /units/{commune}/opinions/similar?text=…`,
   in process over ASGI with each commune's secretary token (token check, scope, the units
   beside, the answer's model and JSON), whole texts and their first 3–6 words. Baseline in
   the same run: `SimilarOpinions.suggest` called directly (the index, the units, the term;
   no HTTP). Wall time, and the CPU time of this process (on a shared machine the wall time
   also counts other processes' turns).

Checks: every answer is 200 and lists the opinions the direct call finds, in its order.

    python -m bench.similar [--opinions 100000] [--queries 300]
"""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.table import Table

from bench import common
from bench.opinions import generate, templates
from contracts.timezone import today_in_vietnam
from deploy.local import Endpoints
from services.common.hierarchy import Hierarchy
from services.common.mongo import connect
from services.reporting.app import create_app
from services.reporting.opinions.similar import SimilarOpinions, term_start
from services.reporting.voter_opinions.store import OPINIONS, opinion_key

BATCH = 10_000  # documents per insert


@dataclass(frozen=True)
class Options:
    opinions: int = 100_000
    queries: int = 300


def documents(count: int, units: Sequence[str], seed: int = 23) -> list[dict[str, Any]]:
    """`count` opinions as the register holds them, spread over `units` and this term."""
    rng = random.Random(seed)
    today = today_in_vietnam()
    first = term_start(today)
    span = (today - first).days
    docs = []
    for n, o in enumerate(generate(rng, templates(), count, 0)):
        unit = rng.choice(units)
        docs.append(
            {
                "_id": opinion_key(unit, o.opinion_id),
                "unit": unit,
                "opinion_id": o.opinion_id,
                "meeting_id": f"tx-{n // 8}",
                "text": o.text,
                "field": o.field,
                "raised_on": (first + timedelta(days=rng.randrange(span + 1))).isoformat(),
                "stage": o.status,
            }
        )
    return docs


def timed(samples: list[tuple[float, float]]) -> Callable[[Awaitable[Any]], Awaitable[Any]]:
    """Await a call, noting its wall and CPU milliseconds in `samples`."""

    async def run(call: Awaitable[Any]) -> Any:
        started, used = time.perf_counter(), time.process_time()
        result = await call
        samples.append(
            ((time.perf_counter() - started) * 1000, (time.process_time() - used) * 1000)
        )
        return result

    return run


async def direct(similar: SimilarOpinions, unit: str, text: str) -> list[str]:
    return [f.ref.opinion_id for f in similar.suggest(unit, text, 5)]


async def through_api(client: httpx.AsyncClient, token: str, unit: str, text: str) -> Any:
    return await client.get(
        f"/units/{unit}/opinions/similar",
        params={"text": text},
        headers={"Authorization": f"Bearer {token}"},
    )


async def run(endpoints: Endpoints, keys_dir: Path, options: Options) -> common.Outcome:
    outcome = common.Outcome()
    settings = common.bench_settings(endpoints, keys_dir, "s")
    hierarchy = Hierarchy.load()
    communes = [u.code for u in hierarchy.children(common.PROVINCE, "2025")]
    common.console.rule("[bold]Similar opinions through the reporting API")
    try:
        docs = documents(options.opinions, [common.PROVINCE, *communes])
        client = connect(settings, "bench-similar")
        collection = client[settings.database_for("reporting")][OPINIONS]
        for at in range(0, len(docs), BATCH):
            await collection.insert_many(docs[at : at + BATCH], ordered=False)
        await client.close()
        common.console.print(f"{len(docs):,} opinions in {len(communes)} communes and the province")

        app = create_app(settings, consume=False)
        started, used = time.perf_counter(), time.process_time()
        async with app.router.lifespan_context(app):
            similar: SimilarOpinions = app.state.reporting.similar
            await similar.built.wait()
            ready = time.perf_counter() - started, time.process_time() - used
            new = generate(random.Random(7), templates(), options.queries, -options.queries)
            queries = [o.text for o in new]
            rng = random.Random(11)
            asked = [(rng.choice(communes), q) for q in queries]
            typing = [(u, " ".join(q.split()[: rng.randint(3, 6)])) for u, q in asked]
            tokens = {u: common.bench_token(u, "secretary") for u in communes}
            results: dict[str, list[tuple[float, float]]] = {}
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://reporting") as http:
                await through_api(http, tokens[communes[0]], communes[0], queries[0])  # warm-up
                for name, texts in (("whole", asked), ("typing", typing)):
                    api, plain = (
                        results.setdefault(f"api {name}", []),
                        results.setdefault(f"direct {name}", []),
                    )
                    for unit, text in texts:
                        answer = await timed(api)(through_api(http, tokens[unit], unit, text))
                        expected = await timed(plain)(direct(similar, unit, text))
                        if answer.status_code != 200:
                            outcome.failures.append(f"{answer.status_code} for {text!r}")
                        elif [o["opinion_id"] for o in answer.json()["opinions"]] != expected:
                            outcome.failures.append(f"the API and the index differ on {text!r}")
            status = similar.status()
        print_table(options, len(docs), ready, status, results)
    finally:
        await common.cleanup(settings)
    for failure in outcome.failures[:10]:
        common.console.print(f"[bold red]✗ {failure}")
    return outcome


def print_table(
    options: Options,
    count: int,
    ready: tuple[float, float],
    status: dict[str, Any],
    results: dict[str, list[tuple[float, float]]],
) -> None:
    table = Table(
        title=f"similar opinions at {count:,}, {os.cpu_count()} cores,"
        f" load average {os.getloadavg()[0]:.1f}",
        title_justify="left",
    )
    table.add_column("")
    table.add_column("API (HTTP, ASGI)", justify="right")
    table.add_column("baseline: the index alone", justify="right")
    for name, label in (("whole", "whole opinion"), ("typing", "first 3–6 words")):
        for what, at in (("wall", 0), ("CPU", 1)):
            cells = []
            for path in ("api", "direct"):
                values = [s[at] for s in results[f"{path} {name}"]]
                p50, p99 = common.percentile(values, 50), common.percentile(values, 99)
                cells.append(f"{p50:.1f} / {p99:.1f}")
            table.add_row(f"{label}, p50 / p99 ms ({what})", *cells)
    table.add_row("queries", str(options.queries), str(options.queries))
    common.console.print(table)
    common.console.print(
        f"Restart: the index of {status['opinions']:,} opinions built {ready[0]:.1f} s after the"
        f" app started ({status['build_seconds']:.1f} s reading and indexing; the app's process"
        f" used {ready[1]:.1f} s of CPU, the worker processes normalising beside it)."
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = common.arguments("bench.similar", __doc__)
    parser.add_argument("--opinions", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args(argv)
    if min(args.opinions, args.queries) < 1:
        parser.error("--opinions and --queries must be positive")
    return common.run_on_servers(run, Options(args.opinions, args.queries))


if __name__ == "__main__":
    sys.exit(main())
