"""`make metrics-demo` (`python -m deploy.metrics_demo`): the operations dashboard drawn from a
real Prometheus watching the local stack under load.

A private stack (noida-db and mongod on free loopback ports, in a temporary directory) runs
the three services as separate processes, and Debian's Prometheus scrapes them every 2 s with
the repository's own scrape config and alert rules (deploy/prometheus/). Meanwhile:

- council offices record meetings and read summaries, and now and then send a body the API
  refuses (422) or ask for what does not exist (404);
- Kafka is stopped for 40 s: writes go on into the outboxes (the backlog and its oldest row's
  age grow), the relays reconnect when it returns and the consumers catch up (lag);
- records no one may publish land on the meetings topic: bytes that are no event and an
  unsigned `meeting.held` (dead letters, by the type they claim).

Then deploy/dashboard_render.py draws deploy/grafana/dashboards/hdnd.json from that
Prometheus into docs/screenshots/metrics-dashboard.png, and the alerts firing are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml
from aiokafka import AIOKafkaProducer
from rich.console import Console

from contracts import EventDraft, MeetingHeld, Source
from contracts.keys import generate_keys
from deploy.dashboard_render import Window, render
from deploy.local import LocalStack
from deploy.run import running_services
from deploy.servers import free_port
from deploy.soak import random_meeting, restartable_port
from services.common.settings import SERVICE_PORTS, Settings
from services.reporting.identity.keys import IssuerKeys, standalone_issuer

PROVINCE = "12"  # Tỉnh Lai Châu
SCRAPE = 2.0  # seconds between scrapes: a few minutes of demo make a readable graph
CONFIG = Path(__file__).parent / "prometheus"
OUT = Path(__file__).parents[1] / "docs" / "screenshots" / "metrics-dashboard.png"
console = Console()


def prometheus_config(ports: dict[str, int], prometheus_port: int) -> dict[str, Any]:
    """deploy/prometheus/prometheus.yml with the local services' addresses for the compose
    ones, a 2 s scrape interval and its alert rules by absolute path."""
    config: dict[str, Any] = yaml.safe_load((CONFIG / "prometheus.yml").read_text())
    config["global"] |= {"scrape_interval": f"{SCRAPE:.0f}s", "evaluation_interval": "2s"}
    config["global"]["scrape_timeout"] = f"{SCRAPE:.0f}s"
    config["rule_files"] = [str((CONFIG / name).resolve()) for name in config["rule_files"]]
    for job in config["scrape_configs"]:
        for static in job["static_configs"]:
            service = static.get("labels", {}).get("service")
            port = ports[service] if service else prometheus_port
            static["targets"] = [f"127.0.0.1:{port}"]
    return config


@contextmanager
def prometheus(work: Path, ports: dict[str, int]) -> Iterator[str]:
    binary = shutil.which("prometheus")
    if binary is None:
        raise SystemExit("prometheus is missing: `make prometheus` installs Debian's package")
    port = free_port()
    config = work / "prometheus.yml"
    config.write_text(yaml.safe_dump(prometheus_config(ports, port)))
    args = [
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={work / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    with (work / "prometheus.log").open("ab") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _answers(f"{url}/-/ready"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Prometheus did not start; see {work / 'prometheus.log'}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


class Load:
    """Council offices at work, and the faults the dashboard should show."""

    def __init__(
        self, stack: LocalStack, urls: dict[str, str], issuer: IssuerKeys, seed: int
    ) -> None:
        self.stack = stack
        self.urls = urls
        self.rng = random.Random(seed)
        token = issuer.issue(
            issuer="hdnd-demo",
            audience="hdnd",
            subject="demo",
            unit=PROVINCE,
            role="secretary",
            ttl=timedelta(hours=12),
        )
        self.headers = {"Authorization": f"Bearer {token}"}
        self.units = [PROVINCE, "105", "106", "03390", "03391"]
        self.topics = Settings(topic_prefix="").topics
        self.outage = 0.0  # seconds Kafka was stopped

    async def offices(self, stop: asyncio.Event, rate: float) -> None:
        async with (
            httpx.AsyncClient(base_url=self.urls["meetings"], headers=self.headers) as meetings,
            httpx.AsyncClient(base_url=self.urls["reporting"], headers=self.headers) as reporting,
        ):
            n = 0
            while not stop.is_set():
                n += 1
                unit = self.rng.choice(self.units)
                body = random_meeting(self.rng, f"demo-{n}", "Hoạt động HĐND", "Tổ đại biểu số 1")
                if n % 25 == 0:
                    body = {"kind": body["kind"]}  # refused: 422 naming the missing fields
                await _quietly(meetings.post(f"/units/{unit}/meetings", json=body))
                if n % 5 == 0:
                    path = f"/units/{PROVINCE}/summary"
                    await _quietly(reporting.get(path, params={"period": "2025-H1"}))
                if n % 40 == 0:
                    await _quietly(meetings.get(f"/units/{unit}/meetings/khong-co-{n}"))  # 404
                await asyncio.sleep(1 / rate)

    async def faults(self, total: float) -> None:
        """Kafka away from 25 % of the run for 40 s (less in a short run); forged records
        from 65 %, once it is back."""
        started = time.monotonic()
        await asyncio.sleep(total * 0.25)
        await self.kafka_outage(min(40.0, total * 0.25))
        await asyncio.sleep(max(0.0, started + total * 0.65 - time.monotonic()))
        await self.forged_records()

    async def kafka_outage(self, seconds: float) -> None:
        self.outage = seconds
        console.print(f"[yellow]Kafka stopped for {seconds:.0f} s[/]")
        await asyncio.to_thread(self.stack.stop_kafka)
        await asyncio.sleep(seconds)
        await asyncio.to_thread(self.stack.start_kafka)
        console.print("[green]Kafka back[/]")

    async def forged_records(self) -> None:
        """Records nobody may publish, straight onto the meetings topic."""
        producer = AIOKafkaProducer(bootstrap_servers=self.stack.kafka_bootstrap)
        await producer.start()
        try:
            for i in range(12):
                claimed = [("event-type", b"meeting.held")] if i % 3 else []
                value = self._unsigned(i) if i % 3 else secrets.token_bytes(40)
                await producer.send_and_wait(
                    self.topics.meetings, value, key=PROVINCE.encode(), headers=claimed
                )
                await asyncio.sleep(2)
        finally:
            await producer.stop()
        console.print("[yellow]12 forged records published[/]")

    def _unsigned(self, i: int) -> bytes:
        """A `meeting.held` as a service would seal it, but signed by nobody."""
        meeting = random_meeting(self.rng, f"forged-{i}", "Giả mạo", "Tổ đại biểu số 9")
        draft = EventDraft(
            type=MeetingHeld.TYPE,
            version=MeetingHeld.VERSION,
            unit=PROVINCE,
            occurred_at=datetime.fromisoformat(meeting["held_on"] + "T12:00:00+07:00"),
            payload=MeetingHeld.model_validate({"meeting": meeting}),
        )
        return draft.seal(Source(service="meetings", instance="forger"), i).to_bytes()


async def _quietly(request: Any) -> None:
    with contextlib.suppress(httpx.HTTPError):  # a service busy: the offices go on
        await request


async def run_load(load: Load, minutes: float) -> None:
    stop = asyncio.Event()
    total = minutes * 60
    tasks = [
        asyncio.create_task(load.offices(stop, rate=12)),
        asyncio.create_task(load.faults(total)),
    ]
    await asyncio.sleep(total)
    stop.set()
    await asyncio.gather(*tasks)


def firing(url: str) -> list[str]:
    alerts = httpx.get(f"{url}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
    return sorted(
        f"{a['labels']['alertname']} ({a['state']}): {a['annotations'].get('summary', '')}"
        for a in alerts
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.metrics_demo", description=__doc__)
    parser.add_argument("--minutes", type=float, default=4.0, help="how long the load runs")
    parser.add_argument("--out", type=Path, default=OUT, help="the PNG drawn")
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--keep", action="store_true", help="keep the work directory (tsdb, logs)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="hdnd-metrics-demo-"))
    stack = LocalStack(
        base_dir=work / "stack", kafka_port=restartable_port(), mongo_port=restartable_port()
    )
    keys = work / "keys"
    generate_keys(keys, [PROVINCE])
    issuer = standalone_issuer(work / "issuer")
    ports = {name: free_port() for name in SERVICE_PORTS}
    env = {
        "HDND_KEYS_DIR": str(keys),
        "HDND_TOKEN_JWKS_FILE": str(work / "issuer" / "jwks.json"),
        "HDND_TOKEN_ISSUER": "hdnd-demo",
        "HDND_ISSUER_URL": "http://127.0.0.1:9",  # no issuer: nothing is revoked
        "HDND_DATABASE_PREFIX": "demo",
        "HDND_TOPIC_PARTITIONS": "3",
        "HDND_IDLE_BACKOFF_MS": "100",
        "HDND_LOG_LEVEL": "info",
    }
    console.print(f"[bold]hdnd metrics demo[/] for {args.minutes:g} min in {work}")
    try:
        endpoints = stack.up()
        with (
            running_services(endpoints, [PROVINCE], work / "logs", ports, env) as services,
            prometheus(work, ports) as url,
        ):
            console.print(
                f"Prometheus {url}; " + ", ".join(f"{s.name} {s.url}" for s in services.values())
            )
            started = time.time()
            load = Load(stack, {n: s.url for n, s in services.items()}, issuer, args.seed)
            asyncio.run(run_load(load, args.minutes))
            time.sleep(3 * SCRAPE)  # the last scrapes and rule evaluations
            window = Window(started, time.time(), step=SCRAPE, scrape=SCRAPE)
            caption = (
                "Drawn by deploy/dashboard_render.py from deploy/grafana/dashboards/hdnd.json:"
                " each panel's PromQL run against a real Prometheus 2.42 (Debian) scraping the"
                f" local stack every {SCRAPE:.0f} s under `make metrics-demo` (writes, reads,"
                f" Kafka stopped {load.outage:.0f} s, forged records). Grafana itself does not"
                " run here."
            )
            render(url, window, args.out, caption)
            console.print(f"[green]drew {args.out}[/]")
            for line in firing(url):
                console.print(f"  alert {line}")
    finally:
        stack.down()
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
