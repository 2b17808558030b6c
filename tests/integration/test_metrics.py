"""On real servers: each service's /metrics says what an operator watches (issue 21, item 4),
under labels that name no unit, person or text.

Requests by route template and status; the outbox backlog, its oldest row's age and the parked
rows; consumer lag per partition while behind and once caught up; events projected and dead
letters by type, flush durations. Records a sender forged (a type header carrying a name, a
unit another province's key may not sign for) are counted under bounded labels only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import AsyncExitStack
from datetime import date

import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from contracts import Envelope
from services.common.consumer import BatchConsumer, PositionStore, Record
from services.common.kafka import ensure_topics, make_broker
from services.common.metrics import Metrics
from services.common.mongo import connect
from services.common.relay import OutboxRelay
from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from services.reporting.app import create_app as reporting_app
from tests.conftest import Running, eventually, start_app, start_services
from tests.integration.test_poison_records import contact
from tests.integration.test_rollup import voter_contact
from tests.integration.test_size import MIB, opinions
from tests.integration.test_size import contact as large_contact
from tests.unit.test_monitoring_config import alert_exprs, dashboard_exprs, metric_names

pytestmark = pytest.mark.integration

COMMUNE = "03390"  # Xã Tam Đường, Tỉnh Lai Châu (12)
HANOI_COMMUNE = "00004"  # Phường Trúc Bạch, Hà Nội: province 12's key may not sign for it
Labels = dict[str, str]


def samples(text: str) -> list[tuple[str, Labels, float]]:
    return [
        (s.name, dict(s.labels), s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]


def value(text: str, name: str, **labels: str) -> float | None:
    """The sample `name` whose labels include `labels` (None: there is none)."""
    found = [v for n, ls, v in samples(text) if n == name and labels.items() <= ls.items()]
    assert len(found) <= 1, (name, labels, found)
    return found[0] if found else None


async def scrape(service: Running) -> str:
    r = await service.client.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=")
    return r.text


def label_values(text: str) -> set[str]:
    return {v for _, labels, _ in samples(text) for v in labels.values()}


async def test_requests_are_counted_under_their_route_template_and_status(
    stack: AsyncExitStack, settings: Settings
) -> None:
    meetings = await start_app(stack, meetings_app(settings), "http://meetings")
    client = meetings.client
    ok = await client.post(
        f"/units/{COMMUNE}/meetings", json=voter_contact("vc-1", "2025-03-01", 9, 0)
    )
    assert ok.status_code == 201, ok.text
    refused = await client.post(f"/units/{COMMUNE}/meetings", json={"kind": "voter_contact"})
    assert refused.status_code == 422
    too_big = await client.post(f"/units/{COMMUNE}/meetings", content=b"x" * (MIB + 1))
    assert too_big.status_code == 413  # refused before routing: still under its template
    assert (await client.get("/units/12345/nothing-here")).status_code == 404
    for method in ("BREW", "X-UNIT-12345"):  # any token a client sends as a method
        assert (await client.request(method, "/health")).status_code == 405

    text = await scrape(meetings)
    name = "hdnd_http_request_duration_seconds_count"
    route = "/units/{unit}/meetings"
    for status in ("201", "422", "413"):
        assert value(text, name, method="POST", route=route, status=status) == 1, status
    assert value(text, name, method="GET", route="unmatched", status="404") == 1
    assert value(text, name, method="other", route="/health", status="405") == 2
    # no concrete path, unit code or other value from a request became a label
    assert not {COMMUNE, "12345", f"/units/{COMMUNE}/meetings", "BREW"} & label_values(text)


async def test_the_outbox_backlog_its_oldest_age_and_parked_rows_follow_the_relay(
    stack: AsyncExitStack, settings: Settings
) -> None:
    settings = settings.model_copy(update={"kafka_max_request_bytes": 4 * MIB})
    app = meetings_app(settings.model_copy(update={"relay": False}))  # the rows wait
    meetings = await start_app(stack, app, "http://meetings")
    posts = [
        voter_contact("vc-1", "2025-03-01", 10, 0),
        large_contact("vc-large", "2025-03-02", opinions(60, "ệ" * 2000)),  # ~360 KB
        voter_contact("vc-2", "2025-03-03", 20, 0),
    ]
    for body in posts:
        r = await meetings.client.post(f"/units/{COMMUNE}/meetings", json=body)
        assert r.status_code == 201, r.text

    text = await scrape(meetings)
    assert value(text, "hdnd_outbox_pending_rows") == 3
    assert (value(text, "hdnd_outbox_oldest_pending_age_seconds") or 0) > 0
    assert value(text, "hdnd_outbox_parked_rows") == 0
    assert value(text, "hdnd_outbox_relay_connected") is None  # this process relays nothing

    # a relay whose producer takes at most 64 KiB: the large row is parked, the rest published
    runtime = meetings.app.state.meetings.runtime
    producer = make_broker(
        settings.model_copy(update={"kafka_max_request_bytes": 64 * 1024}), "hdnd-meetings"
    )
    relay = OutboxRelay(runtime.outbox, producer, poll_interval=0.05, prepare=runtime.ensure_topics)
    relay.start()
    stack.push_async_callback(relay.stop)

    async def drained() -> None:
        text = await scrape(meetings)
        assert value(text, "hdnd_outbox_pending_rows") == 0
        assert value(text, "hdnd_outbox_oldest_pending_age_seconds") == 0
        assert value(text, "hdnd_outbox_parked_rows") == 1

    await eventually(drained, within=30)


async def publish(
    settings: Settings, records: Sequence[tuple[bytes, list[tuple[str, bytes]]]]
) -> None:
    """Put raw records with the given headers on the meetings topic, as any producer could."""
    await ensure_topics(settings, [*settings.topics.facts, settings.topics.dead_letter])
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for raw, headers in records:
            await producer.send_and_wait(settings.topics.meetings, raw, key=b"12", headers=headers)
    finally:
        await producer.stop()


def as_record(envelope: Envelope) -> tuple[bytes, list[tuple[str, bytes]]]:
    return envelope.to_bytes(), [(k, v.encode()) for k, v in envelope.headers().items()]


async def test_projected_events_dead_letters_and_flushes_are_counted_by_type_and_no_forged_label(
    stack: AsyncExitStack, settings: Settings
) -> None:
    meetings = await start_app(stack, meetings_app(settings), "http://meetings")
    reporting = await start_app(stack, reporting_app(settings), "http://reporting")
    for n, day in enumerate(("2025-03-01", "2025-03-02", "2025-03-03")):
        body = voter_contact(f"vc-{n}", day, 10, 0)
        r = await meetings.client.post(f"/units/{COMMUNE}/meetings", json=body)
        assert r.status_code == 201, r.text
    # Forged, by what a compromised instance of province 12 holds: a voter contact of a Hà Nội
    # commune signed with 12's key (refused: not 12's to sign), the same under a type header
    # naming a citizen, and bytes that are no event, claiming a unit code as their type.
    forged = contact(settings, HANOI_COMMUNE, date(2025, 3, 4), 1, voters=50)
    renamed = contact(settings, HANOI_COMMUNE, date(2025, 3, 5), 2, voters=50)
    await publish(
        settings,
        [
            as_record(forged),
            (renamed.to_bytes(), [("event-type", "Nguyễn Văn A".encode())]),
            (b"{not an event", [("event-type", b"03390")]),
        ],
    )

    async def counted() -> str:
        text = await scrape(reporting)
        assert value(text, "hdnd_events_projected_total", type="meeting.held") == 3
        assert value(text, "hdnd_dead_letters_total", type="meeting.held", kind="refused") == 1
        assert value(text, "hdnd_dead_letters_total", type="unknown", kind="refused") == 2
        assert (value(text, "hdnd_projection_flush_duration_seconds_count") or 0) >= 1
        lags = [
            (labels, v)
            for n, labels, v in samples(text)
            if n == "hdnd_consumer_lag_records" and labels["consumer"] == "reporting-projector"
        ]
        assert lags and all(v == 0 for _, v in lags), lags  # caught up, per partition
        assert {labels["topic"] for labels, _ in lags} >= {settings.topics.meetings}
        return text

    text = await eventually(counted, within=30)
    assert value(text, "hdnd_consumer_running", consumer="reporting-projector") == 1
    assert not {"Nguyễn Văn A", "03390", HANOI_COMMUNE} & label_values(text)
    assert "Nguyễn" not in text


async def test_consumer_lag_per_partition_is_above_zero_while_behind_and_zero_once_caught_up(
    settings: Settings,
) -> None:
    settings = settings.model_copy(update={"consumer_batch": 5})
    topic = settings.topics.meetings
    await publish(settings, [(b"%d" % n, []) for n in range(30)])  # one key: one partition
    mongo = connect(settings, "hdnd-test")
    metrics = Metrics()
    first, release = asyncio.Event(), asyncio.Event()

    async def handle(records: Sequence[Record]) -> None:
        if first.is_set():
            await release.wait()  # the second batch waits: the consumer stays behind
        first.set()

    positions = PositionStore(mongo[settings.database_for("lag")]["positions"])
    consumer = BatchConsumer(settings, "lag-test", [topic], positions, handle, metrics=metrics)
    consumer.start()
    try:

        async def behind() -> None:
            text = (await metrics.exposition()).decode()
            lags = {
                int(labels["partition"]): v
                for n, labels, v in samples(text)
                if n == "hdnd_consumer_lag_records" and labels["topic"] == topic
            }
            assert sum(lags.values()) > 0, lags
            assert len([v for v in lags.values() if v > 0]) == 1  # the partition written to

        await eventually(behind)
        release.set()

        async def caught_up() -> None:
            text = (await metrics.exposition()).decode()
            assert value(text, "hdnd_consumer_records_total", consumer="lag-test") == 30
            lags = [v for n, ls, v in samples(text) if n == "hdnd_consumer_lag_records"]
            assert len(lags) == 3 and set(lags) == {0}, lags

        await eventually(caught_up)
    finally:
        release.set()
        await consumer.stop()
        await mongo.close()


async def test_the_dashboard_and_the_alerts_ask_only_for_metrics_the_services_export(
    stack: AsyncExitStack, settings: Settings
) -> None:
    meetings, oversight, reporting = await start_services(stack, settings)
    body = voter_contact("vc-1", "2025-03-01", 10, 0)
    assert (await meetings.client.post(f"/units/{COMMUNE}/meetings", json=body)).status_code == 201

    async def exported() -> set[str]:
        names: set[str] = set()
        for service in (meetings, oversight, reporting):
            names |= {name for name, _, _ in samples(await scrape(service))}
        assert "hdnd_outbox_relay_connected" in names  # every part has reported
        assert value(await scrape(reporting), "hdnd_events_projected_total", type="meeting.held")
        return names

    names = await eventually(exported)
    asked = metric_names(dashboard_exprs()) | metric_names(alert_exprs())
    assert len(asked) >= 12, asked
    assert asked <= names, asked - names
