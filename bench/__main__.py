"""`make bench` / `python -m bench`: the benchmarks with small defaults, then one summary.

Every figure is a ratio against a baseline measured in the same run, on the same servers
(a private noida-db + mongod on free loopback ports unless KAFKA_BOOTSTRAP_SERVERS and
MONGODB_URI are set). Exits 1 if a correctness check failed.

    python -m bench [--events 10000] [--sample 500] [--requests 1000] [--concurrency 8]
    python -m bench.projector --help      # one benchmark, full-size defaults
    python -m bench.api --help
    python -m bench.report --help         # a province's 9-month report document
    python -m bench.country --help        # whole-country scale (~3 min; not run by make bench)
    python -m bench.peers --help          # vs Quix Streams and the raw limits (make bench-peers)
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from rich.table import Table

from bench import api, projector, report
from bench.common import Outcome, arguments, console, ratio, ratio_text, servers, signing_keys
from deploy.local import Endpoints


def parse(argv: Sequence[str] | None = None) -> tuple[projector.Options, api.Options]:
    parser = arguments("bench", __doc__)
    parser.add_argument("--events", type=int, default=10_000, help="events the projector folds")
    parser.add_argument("--sample", type=int, default=500, help="events the baseline handles")
    parser.add_argument("--requests", type=int, default=1_000, help="HTTP writes (and direct)")
    parser.add_argument("--concurrency", type=int, default=8, help="writes in flight")
    args = parser.parse_args(argv)
    if min(args.events, args.sample, args.requests, args.concurrency) < 1:
        parser.error("every count must be positive")
    return (
        projector.Options(events=args.events, sample=args.sample),
        api.Options(requests=args.requests, concurrency=args.concurrency),
    )


async def run_all(
    endpoints: Endpoints, keys_dir: Path, options: tuple[projector.Options, api.Options]
) -> Outcome:
    outcome = Outcome()
    for part in (
        await projector.run(endpoints, keys_dir, options[0]),
        await api.run(endpoints, keys_dir, options[1]),
        await report.run(endpoints, keys_dir, report.Options()),
    ):
        outcome.rows.extend(part.rows)
        outcome.failures.extend(part.failures)
    return outcome


def summary(outcome: Outcome, seconds: float) -> Table:
    table = Table(
        title=f"hdnd benchmarks ({os.cpu_count()} cores, {seconds:.0f} s in all)",
        title_justify="left",
        caption="\n".join(f"{row.bench}: {row.note}" for row in outcome.rows if row.note),
        caption_justify="left",
    )
    for column in ("bench", "measured", "rate", "baseline", "rate", "ratio"):
        table.add_column(column, justify="right" if column in ("rate", "ratio") else "left")
    for row in outcome.rows:
        base = row.baseline_rate
        table.add_row(
            row.bench,
            row.measured,
            f"{row.rate:,.0f} {row.unit}",
            row.baseline,
            "" if base is None else f"{base:,.0f} {row.unit}",
            "" if base is None else ratio_text(ratio(row.rate, base)),
        )
    return table


def main(argv: Sequence[str] | None = None) -> int:
    options = parse(argv)
    started = time.perf_counter()
    with servers() as endpoints, signing_keys() as keys_dir:
        outcome = asyncio.run(run_all(endpoints, keys_dir, options))
    console.rule("[bold]Summary")
    console.print(summary(outcome, time.perf_counter() - started))
    for failure in outcome.failures:
        console.print(f"[bold red]✗ {failure}")
    console.print(
        "[bold green]all correctness checks passed"
        if outcome.ok
        else "[bold red]a correctness check failed"
    )
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
