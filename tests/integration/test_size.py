"""On real servers: no record, however large, stalls an instance (issue 19, item 4).

Tried as a council office or a client gone wrong would: a voter contact far larger than
councils write, a body over 1 MiB (declared or streamed), an event too large by size alone,
and a row the broker refuses for good, which is parked while everything after it flows.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import pytest
from typer.testing import CliRunner

from contracts import decode_event
from contracts.chain import Chains
from deploy.cli import app as cli
from services.common.kafka import make_broker
from services.common.relay import OutboxRelay
from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from services.oversight.app import create_app as oversight_app
from services.reporting.app import create_app as reporting_app
from tests.conftest import eventually, start_app
from tests.integration.test_bad_input import nothing_written
from tests.integration.test_rollup import summary, voter_contact
from tests.topics import records_on

pytestmark = pytest.mark.integration
PROVINCE = "12"
COMMUNE, OTHER_COMMUNE = "03390", "03391"  # Tam Đường and Lản Nhì Thàng, Tỉnh Lai Châu
MIB = 1024 * 1024


def opinions(count: int, text: str) -> list[dict[str, Any]]:
    return [
        {"opinion_id": f"yk-{i}", "text": text, "field": "land", "addressed_to": "UBND xã"}
        for i in range(count)
    ]


def contact(meeting_id: str, day: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return voter_contact(meeting_id, day, voters=80, opinions=len(items)) | {"opinions": items}


async def test_the_voter_contact_of_the_issue_is_refused_and_writes_nothing(
    stack: AsyncExitStack, settings: Settings
) -> None:
    """100 opinions of 5,000 Vietnamese characters (1.37 MB) were accepted with 201."""
    meetings = await start_app(stack, meetings_app(settings), "http://meetings")
    text = ("ệ" * 8 + " ") * 555 + "ệ" * 5  # 5,000 characters, 2.8 bytes each in UTF-8
    body = contact("vc-huge", "2025-03-01", opinions(100, text))
    assert 1.3 * MIB < len(json.dumps(body, ensure_ascii=False).encode()) < 1.4 * MIB
    r = await meetings.client.post(f"/units/{COMMUNE}/meetings", json=body)
    assert r.status_code == 413, r.text
    assert r.json()["detail"][0]["loc"] == ["body"]

    # the same texts in a body under 1 MiB: each text is over the 2,000 characters a text
    ascii_text = "Cu tri de nghi sua duong lien xa " * 151
    r = await meetings.client.post(
        f"/units/{COMMUNE}/meetings",
        json=contact("vc-long", "2025-03-01", opinions(100, ascii_text[:5000])),
    )
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "voter_contact", "opinions", 0, "text"]

    # and more opinions than a meeting takes (500)
    r = await meetings.client.post(
        f"/units/{COMMUNE}/meetings", json=contact("vc-many", "2025-03-01", opinions(501, "Đường"))
    )
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "voter_contact", "opinions"]
    await nothing_written(meetings)


async def _chunks(body: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


@pytest.mark.parametrize("create_app", [meetings_app, oversight_app, reporting_app])
async def test_a_body_over_1_mib_is_refused_before_it_is_parsed(
    stack: AsyncExitStack, settings: Settings, create_app: Any
) -> None:
    """Declared (Content-Length) or streamed (chunked): 413, whatever the route, even a body
    that is not JSON at all (it is never parsed)."""
    service = await start_app(stack, create_app(settings), "http://service")
    path = f"/units/{COMMUNE}/meetings"
    too_big = b"{" + b" " * MIB + b"}"
    declared = await service.client.post(
        path, content=too_big, headers={"content-type": "application/json"}
    )
    streamed = await service.client.post(
        path, content=_chunks(too_big), headers={"content-type": "application/json"}
    )
    assert "content-length" not in streamed.request.headers
    for r in (declared, streamed):
        assert r.status_code == 413, r.text
        assert r.json()["detail"] == [
            {"loc": ["body"], "msg": f"the request body is over {MIB} bytes", "type": "too_large"}
        ]
    small = await service.client.post(
        path, content=b"{}", headers={"content-type": "application/json"}
    )
    assert small.status_code != 413


async def test_half_a_character_is_refused_naming_its_field_wherever_it_is(
    stack: AsyncExitStack, settings: Settings
) -> None:
    """JSON may spell half of a surrogate pair; a password hasher, UTF-8 and MongoDB refuse
    the str Python makes of it. Found by the fuzzer as a 500 at sign-in: now a 422 naming the
    field, in a sign-in and deep in a voter contact alike; whole pairs pass."""
    reporting = await start_app(stack, reporting_app(settings), "http://reporting")
    meetings = await start_app(stack, meetings_app(settings), "http://meetings")
    json_headers = {"content-type": "application/json"}
    sign_in = b'{"username": "thuky", "password": "a\\ud800b"}'
    r = await reporting.client.post("/auth/sign-in", content=sign_in, headers=json_headers)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "password"]
    body = contact("vc-half", "2025-03-01", opinions(2, "đường liên thôn"))
    raw = json.dumps(body, ensure_ascii=False).replace("đường", "\\udc00", 1).encode()
    path = f"/units/{COMMUNE}/meetings"
    r = await meetings.client.post(path, content=raw, headers=json_headers)
    assert r.status_code == 422, r.text
    where = r.json()["detail"][0]["loc"]
    assert where[0] == "body" and where[-1] == "text", where
    whole = contact("vc-whole", "2025-03-01", opinions(1, "đường \U0001f600"))
    raw = json.dumps(whole).encode()  # 😀 as its pair of halves: \ud83d\ude00
    assert b"\\ud83d\\ude00" in raw
    r = await meetings.client.post(path, content=raw, headers=json_headers)
    assert r.status_code == 201, r.text  # whole characters pass, and are recorded
    r = await meetings.client.post(path, content=b'{"a": "\xff\xfe"}', headers=json_headers)
    assert r.status_code == 422, r.text  # no UTF-8 at all: FastAPI's own answer was a 400
    assert r.json()["detail"][0]["loc"] == ["body", 7]


async def test_an_event_too_large_by_size_alone_is_refused_naming_its_largest_list(
    stack: AsyncExitStack, settings: Settings
) -> None:
    """Every opinion within bounds, the body under 1 MiB, but the event over 512 KiB."""
    meetings = await start_app(stack, meetings_app(settings), "http://meetings")
    big = contact("vc-big", "2025-03-01", opinions(120, "ệ" * 2000))
    assert MIB // 2 < len(json.dumps(big, ensure_ascii=False).encode()) < MIB
    r = await meetings.client.post(f"/units/{COMMUNE}/meetings", json=big)
    assert r.status_code == 422, r.text
    (detail,) = r.json()["detail"]
    assert detail["loc"] == ["body", "opinions"] and detail["type"] == "event_too_large"
    assert "524288" in detail["msg"].replace(",", ""), detail
    await nothing_written(meetings)

    # a correction whose event (previous and corrected content) would be too large
    half = contact("vc-half", "2025-03-01", opinions(40, "ệ" * 2000))
    assert (await meetings.client.post(f"/units/{COMMUNE}/meetings", json=half)).status_code == 201
    more = contact("vc-half", "2025-03-01", opinions(60, "ệ" * 2000))
    r = await meetings.client.post(
        f"/units/{COMMUNE}/meetings/vc-half/correct", json={"meeting": more, "reason": "bổ sung"}
    )
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "meeting", "opinions"]
    assert await meetings.app.state.meetings.runtime.outbox.rows.count_documents({}) == 1


# -- the relay: a row the broker refuses for good -----------------------------------------------


@pytest.mark.parametrize(
    ("writes", "relays"),
    [
        # the producer's own limit (max_request_size) is lower than the one the writes had:
        # refused before it is sent
        ({}, {"kafka_max_request_bytes": 64 * 1024}),
        # the broker's (message.max.bytes, 1 MiB) is lower than the writes' and the producer's:
        # refused after it is sent, with later rows of its partition behind it in flight (they
        # fail out of sequence, and wait)
        ({"event_max_bytes": 4 * MIB, "request_max_bytes": 4 * MIB}, {}),
    ],
    ids=["by-the-producer", "by-the-broker"],
)
async def test_a_row_the_broker_refuses_for_good_is_parked_and_everything_after_it_flows(
    stack: AsyncExitStack, settings: Settings, writes: dict[str, int], relays: dict[str, int]
) -> None:
    settings = settings.model_copy(update={"kafka_max_request_bytes": 4 * MIB, **writes})
    size = 1.2 * MIB if writes else 100 * 1024
    text = "ệ" * 2000
    count = int(size // len(text.encode())) + 1
    # every row waits in the outbox, then goes in one batch: before, refused, after, elsewhere
    app = meetings_app(settings.model_copy(update={"relay": False}))
    meetings = await start_app(stack, app, "http://meetings")
    reporting = await start_app(stack, reporting_app(settings), "http://reporting")
    posts = [
        (COMMUNE, voter_contact("vc-before", "2025-03-01", voters=10, opinions=0)),
        (COMMUNE, contact("vc-refused", "2025-03-02", opinions(min(count, 500), text))),
        (COMMUNE, voter_contact("vc-after", "2025-03-03", voters=20, opinions=0)),
        (OTHER_COMMUNE, voter_contact("vc-elsewhere", "2025-03-04", voters=40, opinions=0)),
    ]
    for unit, body in posts:
        r = await meetings.client.post(f"/units/{unit}/meetings", json=body)
        assert r.status_code == 201, r.text
    runtime = meetings.app.state.meetings.runtime
    producer = make_broker(settings.model_copy(update=relays), client_id="hdnd-meetings")
    relay = OutboxRelay(runtime.outbox, producer, poll_interval=0.05, prepare=runtime.ensure_topics)
    relay.start()
    stack.push_async_callback(relay.stop)

    async def everything_else_counted() -> None:
        s = await summary(reporting, PROVINCE, "2025-03")
        assert s["figures"]["voter_contacts"] == 3 and s["figures"]["voters_reached"] == 70, s
        assert await runtime.outbox.pending_count() == 0

    await eventually(everything_else_counted, within=40)

    # the refused row is parked with its reason; a placeholder took its place in its stream
    stream = runtime.source.stream(COMMUNE)
    on_topic = await records_on(settings, settings.topics.meetings, expected=4)
    events = [decode_event(r.value).envelope for r in on_topic]
    of_stream = [(e.sequence, e.type) for e in events if e.stream == stream]
    assert of_stream == [(1, "meeting.held"), (2, "event.parked"), (3, "meeting.held")]
    chains = Chains()  # the stand-in keeps the hash chain: 3 names the parked one's hash
    assert [chains.take(e, "here") for e in events if e.stream == stream] == [None] * 3
    placeholder = next(e for e in events if e.type == "event.parked")
    assert placeholder.payload["event_type"] == "meeting.held"
    assert "MessageSizeTooLargeError" in placeholder.payload["reason"]
    assert placeholder.signature is not None

    # no gap: the projector applied the stream through 3, nothing waits ahead
    store = reporting.app.state.reporting.store
    position = (await store.load_streams([stream]))[stream]
    assert (position.applied_through, position.ahead) == (3, set())

    ready = (await meetings.client.get("/ready")).json()
    assert ready["outbox_parked"] == 1, ready

    env = settings.environment()
    listed = await asyncio.to_thread(CliRunner().invoke, cli, ["outbox", "parked"], env=env)
    assert listed.exit_code == 0, listed.output
    assert "meetings" in listed.output and "MessageSizeTooLargeError" in listed.output
    assert str(placeholder.payload["event_id"]) in listed.output.replace("\n", "")
    status = await asyncio.to_thread(CliRunner().invoke, cli, ["outbox", "status"], env=env)
    assert status.exit_code == 0, status.output
    assert "parked 1" in " ".join(status.output.split()), status.output
    verified = await asyncio.to_thread(CliRunner().invoke, cli, ["audit", "verify"], env=env)
    assert verified.exit_code == 0, verified.output  # the parked row is the one stood in for
