"""Webhooks on real servers: a receiver that verifies every request gets each event once after
its first two tries fail; a receiver that is down gets its deliveries dead-lettered, and a
redrive delivers them once it is up; admins manage only their own unit's subscriptions; no
address of the server's own networks is accepted, nor any event a compromised instance forges.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from contracts import decode_event
from contracts.coordination import ProposalAnswered, ProposalKind, ProposalRaised
from services.common.settings import Settings
from services.reporting.app import create_app
from tests.conftest import Running, eventually, start_app, token
from tests.forged import Compromised
from tests.integration.test_signatures import holding_its_own_key
from tests.webhook_receiver import Receiver, free_port

pytestmark = pytest.mark.integration

PROVINCE, COMMUNE, OTHER_COMMUNE = "12", "03390", "03394"  # Lai Châu, Xã Bình Lư, Sin Suối Hồ
HANOI, HANOI_WARD = "01", "00004"  # Phường Ba Đình
RAISED_ON, ANSWERED_ON = "2025-08-04", "2025-08-06"
FAST = {
    "webhook_allowed_networks": ["127.0.0.0/8"],
    "webhook_max_tries": 3,
    "webhook_backoff_ms": 100,
    "webhook_backoff_max_ms": 200,
    "webhook_poll_ms": 50,
    "webhook_timeout_ms": 2000,
}


def admin(unit: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(unit, 'admin', user=f'admin-{unit}')}"}


async def reporting(stack: AsyncExitStack, settings: Settings) -> Running:
    return await start_app(stack, create_app(settings.model_copy(update=FAST)), "http://reporting")


async def subscribe(app: Running, unit: str, url: str, events: list[str]) -> tuple[str, str]:
    r = await app.client.post(
        f"/units/{unit}/webhooks", json={"url": url, "events": events}, headers=admin(unit)
    )
    assert r.status_code == 201, r.text
    return r.json()["webhook"]["id"], r.json()["secret"]


async def deliveries(app: Running, unit: str, webhook: str) -> list[dict[str, Any]]:
    r = await app.client.get(f"/units/{unit}/webhooks/{webhook}/deliveries", headers=admin(unit))
    assert r.status_code == 200, r.text
    return list(r.json())


async def raise_and_answer(app: Running, proposal_id: str) -> None:
    raised = {
        "proposal_id": proposal_id,
        "to_unit": PROVINCE,
        "kind": "recommendation",
        "title": "Kiến nghị sửa đường liên xã",
        "raised_on": RAISED_ON,
    }
    r = await app.client.post(f"/units/{COMMUNE}/proposals", json=raised)
    assert r.status_code == 201, r.text
    answer = {"answered_on": ANSWERED_ON, "answer": "Tỉnh đã bố trí vốn năm 2026."}
    r = await app.client.post(f"/units/{PROVINCE}/proposals/{proposal_id}/answer", json=answer)
    assert r.status_code == 201, r.text


async def test_a_verifying_receiver_gets_each_event_once_after_two_failures_a_dead_one_on_redrive(
    stack: AsyncExitStack, settings: Settings
) -> None:
    app = await reporting(stack, settings)
    flaky, late = Receiver(failures=2), Receiver(port=free_port())
    kinds = ["proposal.raised", "proposal.answered"]
    hook, flaky.secret = await subscribe(app, PROVINCE, flaky.url, kinds)
    dead, late.secret = await subscribe(app, PROVINCE, late.url, ["proposal.raised"])

    with flaky.serving():
        await raise_and_answer(app, "kn-duong-lien-xa")

        async def each_event_taken_once_on_its_third_try() -> None:
            shown = await deliveries(app, PROVINCE, hook)
            assert [d["state"] for d in shown] == ["delivered"] * 2, shown
            for d in shown:
                assert d["tries"] == 3 and [a["status"] for a in d["attempts"]] == [503, 503, 200]
                assert flaky.tries_of(d["id"]) == [503, 503, 200]

        await eventually(each_event_taken_once_on_its_third_try)

        async def dead_lettered() -> None:
            (only,) = await deliveries(app, PROVINCE, dead)
            assert only["state"] == "failed" and only["tries"] == 3, only
            assert all("ConnectError" in a["error"] for a in only["attempts"]), only

        await eventually(dead_lettered)

    assert sorted(r.event for r in flaky.taken.values()) == sorted(kinds)
    for request in flaky.taken.values():  # the body is the envelope as published, signed
        event = decode_event(request.body)
        assert event.envelope.type == request.event and event.envelope.signature is not None
    bodies = {decode_event(r.body).envelope.event_id for r in flaky.taken.values()}
    assert len(bodies) == 2

    # A replay of a taken request is refused once its timestamp is moved (the HMAC covers it)
    # and, as sent, only acknowledged again: the receiver dedupes by delivery id.
    taken = next(iter(flaky.taken.values()))
    moved = {**taken.headers, "X-Hdnd-Timestamp": str(int(taken.headers["X-Hdnd-Timestamp"]) + 1)}
    assert flaky.answer(moved, taken.body) == 401
    assert flaky.answer(taken.headers, taken.body) == 200 and len(flaky.taken) == 2

    with late.serving():
        r = await app.client.post(
            f"/units/{PROVINCE}/webhooks/{dead}/redrive", headers=admin(PROVINCE)
        )
        assert r.json() == {"requeued": 1}

        async def delivered_once_redriven() -> None:
            (only,) = await deliveries(app, PROVINCE, dead)
            assert only["state"] == "delivered" and late.tries_of(only["id"]) == [200], only
            assert len(only["attempts"]) == 4  # three before the redrive, one after

        await eventually(delivered_once_redriven)
        r = await app.client.post(
            f"/units/{PROVINCE}/webhooks/{dead}/test", headers=admin(PROVINCE)
        )
        ping = r.json()
        assert ping["delivered"] and ping["status"] == 200, ping
        assert late.taken[ping["delivery"]].event == "webhook.test"
    shown = (
        await app.client.get(f"/units/{PROVINCE}/webhooks/{dead}", headers=admin(PROVINCE))
    ).json()
    assert shown["deliveries"] == {"pending": 0, "delivered": 1, "failed": 0}
    assert "secret" not in shown
    assert len(flaky.requests) == 3 * 2 + 2  # nothing sent again once delivered
    store = app.app.state.reporting.webhooks.store  # past the retention age, delivered go
    assert await store.prune(datetime.now(UTC) + timedelta(days=1)) == 3


async def test_admins_manage_only_their_units_webhooks_and_no_private_address_is_accepted(
    stack: AsyncExitStack, settings: Settings
) -> None:
    app = await start_app(stack, create_app(settings), "http://reporting")  # nothing allowed
    events = ["meeting.held"]

    async def refused(url: str) -> str:
        r = await app.client.post(
            f"/units/{PROVINCE}/webhooks",
            json={"url": url, "events": events},
            headers=admin(PROVINCE),
        )
        assert r.status_code == 422, (url, r.text)
        (detail,) = r.json()["detail"]
        assert detail["loc"] == ["body", "url"], detail
        return str(detail["msg"])

    for url in [
        "http://127.0.0.1:8103/units/12/summary",
        "https://localhost/hook",
        "https://10.0.0.5/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://0.0.0.0/hook",
        "https://100.64.0.1/hook",
    ]:
        assert "not a public address" in await refused(url)
    assert "https://" in await refused("http://93.184.216.34/hook")  # public, but plain HTTP
    assert "user or password" in await refused("https://me:pw@93.184.216.34/hook")
    assert "https://" in await refused("file:///etc/passwd")

    r = await app.client.post(
        f"/units/{PROVINCE}/webhooks",
        json={"url": "https://93.184.216.34/hook", "events": ["meeting.held", "meeting.eaten"]},
        headers=admin(PROVINCE),
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "events", "1"]
    r = await app.client.post(
        f"/units/{COMMUNE}/webhooks",
        json={"url": "https://93.184.216.34/hook", "events": events},
        headers=admin(PROVINCE),
    )
    assert r.status_code == 201, r.text
    communes = r.json()["webhook"]["id"]
    r = await app.client.post(
        f"/units/{PROVINCE}/webhooks",
        json={"url": "https://93.184.216.34/tinh", "events": events},
        headers=admin(PROVINCE),
    )
    provinces = r.json()["webhook"]["id"]

    # The province's admin sees both; the commune's only its own, and the province's webhook
    # answers it as one that does not exist; nobody else's admin, nor a secretary, gets in.
    listed = (await app.client.get(f"/units/{PROVINCE}/webhooks", headers=admin(PROVINCE))).json()
    assert {w["id"] for w in listed} == {communes, provinces}
    assert all("secret" not in w for w in listed)
    mine = (await app.client.get(f"/units/{COMMUNE}/webhooks", headers=admin(COMMUNE))).json()
    assert [w["id"] for w in mine] == [communes]
    for path in [f"/units/{PROVINCE}/webhooks", f"/units/{PROVINCE}/webhooks/{provinces}"]:
        r = await app.client.get(path, headers=admin(COMMUNE))
        assert r.status_code == 404, (path, r.text)
    r = await app.client.get(f"/units/{COMMUNE}/webhooks/{provinces}", headers=admin(COMMUNE))
    assert r.status_code == 404
    r = await app.client.post(
        f"/units/{PROVINCE}/webhooks/{provinces}/redrive", headers=admin(HANOI)
    )
    assert r.status_code == 404
    r = await app.client.patch(
        f"/units/{COMMUNE}/webhooks/{communes}",
        json={"active": False},
        headers=admin(OTHER_COMMUNE),
    )
    assert r.status_code == 404
    r = await app.client.get(f"/units/{PROVINCE}/webhooks")  # a secretary of the province
    assert r.status_code == 403 and r.json()["detail"][0]["type"] == "not_admin"
    r = await app.client.patch(
        f"/units/{COMMUNE}/webhooks/{communes}", json={"active": False}, headers=admin(COMMUNE)
    )
    assert r.status_code == 200 and r.json()["active"] is False


async def test_what_a_compromised_instance_forges_is_delivered_to_nobody(
    stack: AsyncExitStack, settings: Settings, tmp_path: Path
) -> None:
    """Tried and refused, published straight to the topic: a proposal of a Lai Châu commune
    signed with Hà Nội's real key; an answer to Xã Bình Lư's proposal signed with the key of
    its neighbour commune (which may sign for itself, not answer above it). Hà Nội's own
    proposal is genuine but none of Lai Châu's business."""
    settings = holding_its_own_key(settings, tmp_path, OTHER_COMMUNE)
    app = await reporting(stack, settings)
    province, commune = Receiver(), Receiver()
    _, province.secret = await subscribe(app, PROVINCE, province.url, ["proposal.raised"])
    _, commune.secret = await subscribe(app, COMMUNE, commune.url, ["proposal.answered"])
    assert settings.keys_dir is not None
    hanoi, neighbour = (
        Compromised(settings.keys_dir, HANOI),
        Compromised(settings.keys_dir, OTHER_COMMUNE),
    )
    day = date.fromisoformat(RAISED_ON)

    def raised(proposal_id: str) -> ProposalRaised:
        return ProposalRaised(
            proposal_id=proposal_id, to_unit=PROVINCE, kind=ProposalKind.RECOMMENDATION,
            title="Giả mạo", raised_on=day,
        )  # fmt: skip

    forged_answer = ProposalAnswered(
        proposal_id="kn-that", raised_by=COMMUNE, raised_on=day, answered_on=day, answer="Giả"
    )
    hanoi_own = ProposalRaised(
        proposal_id="kn-hn", to_unit=HANOI, kind=ProposalKind.RECOMMENDATION, title="Hà Nội",
        raised_on=day,
    )  # fmt: skip
    poison = [
        hanoi.record(raised("kn-forged"), COMMUNE, day),
        neighbour.record(forged_answer, OTHER_COMMUNE, day),
        hanoi.record(hanoi_own, HANOI_WARD, day),
    ]
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for key, value in poison:
            event = decode_event(value).envelope
            headers = [(k, v.encode()) for k, v in event.headers().items()]
            await producer.send_and_wait(
                settings.topics.reporting, value, key=key.encode(), headers=headers
            )
    finally:
        await producer.stop()

    with province.serving(), commune.serving():
        await raise_and_answer(app, "kn-that")  # the genuine pair, after the forged ones

        async def only_the_genuine_ones() -> None:
            assert [r.event for r in province.taken.values()] == ["proposal.raised"]
            assert [r.event for r in commune.taken.values()] == ["proposal.answered"]

        await eventually(only_the_genuine_ones)
        consumer = app.app.state.reporting.webhooks.consumer
        assert consumer.status.handled >= 5  # the three forged records were read, and passed
    taken = decode_event(next(iter(province.taken.values())).body).payload
    assert isinstance(taken, ProposalRaised) and taken.title == "Kiến nghị sửa đường liên xã"
    assert len(province.requests) == 1 and len(commune.requests) == 1
