"""Time to write a province's 9-month report (báo cáo 9 tháng) against the summary it is
written from, measured in the same run on the same projection.

1. One voter contact per commune of the province per month of 2025 (the legacy communes until
   June, the 2025 communes from July), unsigned `meeting.held`, folded by the reporting
   service's own Projector (no Kafka): the province's 2025-9M summary then lists its legacy
   districts and its 2025 communes, as a real 9-month report of 2025 does.
2. Over ASGI with an operator token, medians of: the summary (`GET /units/{p}/summary`, the
   baseline), the report as a Word document (`GET /units/{p}/report`, docx) and as a web page
   (format=html). The report's cost is the summary plus writing the document.
3. Check: the document read back with python-docx quotes the province's voters reached as the
   sum of the generated events, formatted the Vietnamese way. Exit 1 if not.

    python -m bench.report [--province 01] [--runs 10] [--budget 8]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import docx
import httpx

from bench.common import (
    Outcome,
    Row,
    bench_settings,
    cleanup,
    console,
    operator_client,
    percentile,
    ratio,
    servers,
)
from bench.country import timed_handle
from bench.country_data import Generated, voter_contacts
from bench.country_data import Options as CountryOptions
from deploy.local import Endpoints
from services.common.consumer import Record
from services.common.settings import Settings
from services.reporting.app import create_app
from services.reporting.document.numbers import vn_int
from services.reporting.read.projector.handler import Projector
from services.reporting.wiring import Reporting

PERIOD = "2025-9M"


@dataclass(frozen=True)
class Options:
    province: str = "12"  # Tỉnh Lai Châu: 8 districts + 106 communes, then 38 communes
    runs: int = 10
    budget_s: float = 6.0  # per query: stop early once the timed requests took this long
    batch: int = 2_000


async def fold(reporting: Reporting, options: Options) -> Generated:
    generated = Generated()
    projector = Projector(reporting.runtime, reporting.store, reporting.hierarchy)
    records = voter_contacts(
        reporting.hierarchy,
        CountryOptions(),
        reporting.settings.topic_partitions,
        reporting.settings.topics.meetings,
        generated,
        options.province,
    )
    batch: list[Record] = []
    for record in records:
        batch.append(record)
        if len(batch) == options.batch:
            await timed_handle(projector, batch)
            batch = []
    if batch:
        await timed_handle(projector, batch)
    return generated


async def median_ms(
    client: httpx.AsyncClient, path: str, params: dict[str, str], options: Options
) -> tuple[float, bytes]:
    """A warm-up request (its answer is returned), then up to `options.runs` timed ones."""
    first = await client.get(path, params=params)
    first.raise_for_status()
    laps: list[float] = []
    while len(laps) < options.runs and (len(laps) < 3 or sum(laps) / 1000 < options.budget_s):
        started = time.perf_counter()
        (await client.get(path, params=params)).raise_for_status()
        laps.append((time.perf_counter() - started) * 1000)
    return percentile(laps, 50), first.content


async def measure(settings: Settings, options: Options, outcome: Outcome) -> None:
    app = create_app(settings, consume=False)
    async with app.router.lifespan_context(app):
        reporting: Reporting = app.state.reporting
        started = time.perf_counter()
        generated = await fold(reporting, options)
        console.print(
            f"[dim]folded {generated.events:,} voter contacts of province {options.province}"
            f" in {time.perf_counter() - started:.1f} s[/dim]"
        )
        async with operator_client(app, settings, "bench-report") as client:
            unit = f"/units/{options.province}"
            params = {"period": PERIOD}
            summary_ms, answer = await median_ms(client, f"{unit}/summary", params, options)
            docx_ms, document = await median_ms(client, f"{unit}/report", params, options)
            html_ms, _ = await median_ms(
                client, f"{unit}/report", params | {"format": "html"}, options
            )
    rows = len(docx.Document(io.BytesIO(document)).tables[1].rows) - 2
    voters = vn_int(generated.over(PERIOD))
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(document)).paragraphs)
    if f"với {voters} lượt cử tri tham dự" not in text:
        outcome.failures.append(f"the report does not quote {voters} voters reached")
    name = f"province {options.province}"
    size = f"{len(document) / 1024:.0f} KiB; summary {len(answer) / 1024:.0f} KiB"
    note = f"{rows} units below in the table, {size}"
    outcome.rows.extend(
        [
            Row(
                "report",
                f"{name} {PERIOD} .docx, {docx_ms:.0f} ms",
                1000 / docx_ms,
                "/s",
                f"summary {summary_ms:.0f} ms",
                1000 / summary_ms,
                note,
            ),
            Row(
                "report",
                f"{name} {PERIOD} html, {html_ms:.0f} ms",
                1000 / html_ms,
                "/s",
                f"summary {summary_ms:.0f} ms",
                1000 / summary_ms,
            ),
        ]
    )
    console.print(
        f"{name} {PERIOD}: summary {summary_ms:.0f} ms, report .docx {docx_ms:.0f} ms"
        f" ({docx_ms / summary_ms:.1f}× the summary), html {html_ms:.0f} ms"
        f" ({html_ms / summary_ms:.1f}×); {note}"
    )


async def run(endpoints: Endpoints, keys_dir: Path | None, options: Options) -> Outcome:
    """The benchmark on `endpoints`; unsigned events, so no keys are needed."""
    del keys_dir
    outcome = Outcome()
    settings = bench_settings(endpoints, Path(), "r").model_copy(
        update={"keys_dir": None, "require_signatures": False}
    )
    console.rule(f"[bold]Report document: a province's 9-month report ({options.province})")
    try:
        await measure(settings, options, outcome)
    finally:
        await cleanup(settings)
    return outcome


def parse(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.report",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--province", default=Options.province, help="province code (both eras)")
    parser.add_argument("--runs", type=int, default=Options.runs, help="timed requests per query")
    parser.add_argument("--budget", type=float, default=Options.budget_s, help="seconds per query")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.budget <= 0:
        parser.error("--runs and --budget must be positive")
    return Options(args.province, args.runs, args.budget)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse(argv)
    with servers() as endpoints:
        outcome = asyncio.run(run(endpoints, None, options))
    for row in outcome.rows:
        assert row.baseline_rate is not None
        console.print(
            f"{row.measured}: {ratio(row.rate, row.baseline_rate):.2f}× the summary's rate"
        )
    for failure in outcome.failures:
        console.print(f"[bold red]✗ {failure}")
    console.print("[bold green]check passed" if outcome.ok else "[bold red]a check failed")
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
