"""Step 1 of the whole-country benchmark: `Hierarchy.load()` and the registry load, each in a
fresh subprocess, with time and peak memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from rich.table import Table

from bench.common import (
    console,
)
from services.common.settings import Settings

# Run with `python -c` so the figures are those of a process that imports only what the
# measured step needs. `rss()` reads VmRSS/VmHWM (current/peak resident set) in MiB.
_RSS = """
def rss():
    fields = dict(line.split(":", 1) for line in open("/proc/self/status"))
    return {k: int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM")}
"""

HIERARCHY_CHILD = _RSS + textwrap.dedent(
    """
    import json, time
    from services.common.hierarchy import Hierarchy
    before = rss()
    started = time.perf_counter()
    hierarchy = Hierarchy.load()
    seconds = time.perf_counter() - started
    units = {era: sum(1 for _ in hierarchy.units(era)) for era in ("legacy", "2025")}
    after = rss()
    print(json.dumps({"seconds": seconds, "units": units, "before_mib": before["VmRSS"],
                      "rss_mib": after["VmRSS"], "peak_mib": after["VmHWM"]}))
    """
)

REGISTRY_CHILD = _RSS + textwrap.dedent(
    """
    import asyncio, json, time
    started = time.perf_counter()
    from deploy.registry import Registry
    from services.common.hierarchy import Hierarchy
    from services.common.logging import configure_logging
    from services.common.runtime import Runtime
    from services.common.settings import Settings
    configure_logging("bench", "warning")

    async def main():
        hierarchy = Hierarchy.load()
        runtime = Runtime(Settings(), "hierarchy")
        registry = Registry(runtime)
        try:
            await registry.create_indexes()
            await runtime.outbox.create_indexes()
            loaded = await registry.load(hierarchy, lambda n: None)
            written = time.perf_counter()
            published = await registry.drain(lambda n: None)
            return loaded, written, published
        finally:
            await runtime.stop()

    loaded, written, published = asyncio.run(main())
    done = time.perf_counter()
    print(json.dumps({"seconds": done - started, "write_s": written - started,
                      "drain_s": done - written, "units": loaded.units, "new": loaded.new,
                      "published": published, "peak_mib": rss()["VmHWM"]}))
    """
)


def _secrets_env(settings: Settings) -> dict[str, str]:
    directory = settings.mongodb_secrets_dir
    return {} if directory is None else {"HDND_MONGODB_SECRETS_DIR": str(directory)}


def child_env(settings: Settings) -> dict[str, str]:
    """The environment `hdnd hierarchy load` would run with, for this run's servers/prefixes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HDND_")}
    env.update(
        {
            "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
            "MONGODB_URI": settings.mongodb_uri,
            **_secrets_env(settings),
            "HDND_DATABASE_PREFIX": settings.database_prefix,
            "HDND_TOPIC_PREFIX": settings.topic_prefix,
            "HDND_TOPIC_PARTITIONS": str(settings.topic_partitions),
            "HDND_INSTANCE": settings.instance,
            "HDND_RELAY_POLL_MS": str(settings.relay_poll_ms),
            "HDND_REQUIRE_SIGNATURES": "false",
            "HDND_LOG_LEVEL": "warning",
        }
    )
    return env


def in_subprocess(code: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run `code` in a fresh interpreter; its last stdout line is a JSON object."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parent.parent,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"subprocess failed ({done.returncode}): {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure_hierarchy(settings: Settings) -> list[tuple[str, str, str, str]]:
    """(step, what, seconds, memory) rows for the table."""
    rows = []
    with console.status("Hierarchy.load() in a fresh process…"):
        h = in_subprocess(HIERARCHY_CHILD)
    units = h["units"]
    rows.append(
        (
            "Hierarchy.load()",
            f"{units['legacy']:,} legacy + {units['2025']:,} 2025 units",
            f"{h['seconds']:.2f}",
            f"+{h['rss_mib'] - h['before_mib']:.0f} MiB (peak {h['peak_mib']:.0f} MiB)",
        )
    )
    for run in ("first", "again"):
        with console.status(f"registry load + drain ({run}) in a fresh process…"):
            r = in_subprocess(REGISTRY_CHILD, child_env(settings))
        rows.append(
            (
                f"hierarchy load ({run})",
                f"{r['units']:,} units, {r['new']:,} new, {r['published']:,} published"
                f" (write {r['write_s']:.1f} s, drain {r['drain_s']:.1f} s)",
                f"{r['seconds']:.1f}",
                f"peak {r['peak_mib']:.0f} MiB",
            )
        )
    return rows


def hierarchy_table(rows: list[tuple[str, str, str, str]]) -> Table:
    table = Table(title="1. Hierarchy (each in a fresh subprocess)", title_justify="left")
    for column in ("step", "what", "seconds", "memory"):
        table.add_column(column, justify="right" if column == "seconds" else "left")
    for row in rows:
        table.add_row(*row)
    return table
