"""Group commit on real servers: writes posted at the same time through the HTTP app share
transactions (services.common.group_commit), and each is answered as if it came alone: every
201 is on the topic exactly once, each unit's stream is numbered 1..n without a gap and
chained without a fork, a taken id is a 409 for its own request only, a retry a 200."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from contextlib import AsyncExitStack
from datetime import date

import pytest

from contracts import Envelope
from contracts.chain import GENESIS, hash_of
from services.common.hierarchy import Hierarchy
from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from tests.conftest import start_app
from tests.integration.test_rollup import voter_contact
from tests.topics import records_on

pytestmark = pytest.mark.integration

DAY = "2025-03-02"
DISTRICT = "106"  # Huyện Tam Đường, Tỉnh Lai Châu


async def test_concurrent_writes_share_transactions_and_each_is_answered_alone(
    stack: AsyncExitStack, settings: Settings
) -> None:
    communes = [u.code for u in Hierarchy.load().children(DISTRICT, date.fromisoformat(DAY))][:4]
    meetings = await start_app(stack, meetings_app(settings), "http://meetings")
    runtime = meetings.app.state.meetings.runtime
    bodies = [
        (communes[i % len(communes)], voter_contact(f"gc-{i}", DAY, 40 + i, 1)) for i in range(48)
    ]
    taken = (communes[1], voter_contact("gc-7", DAY, 99, 1))  # gc-7's id, other content
    retry = bodies[9]  # the same request twice: the second changes nothing
    posted = [*bodies, taken, retry]

    answers = await asyncio.gather(
        *(meetings.client.post(f"/units/{unit}/meetings", json=body) for unit, body in posted)
    )

    statuses = [a.status_code for a in answers]
    assert statuses[:7] + statuses[8:9] + statuses[10:48] == [201] * 46, statuses
    assert sorted([statuses[7], statuses[48]]) == [201, 409], statuses  # one of the two wins
    loser = answers[48] if statuses[48] == 409 else answers[7]
    assert loser.json()["detail"][0]["loc"][-1] == "meeting_id"
    assert sorted([statuses[9], statuses[49]]) == [200, 201], statuses
    assert runtime.commits.grouped > runtime.commits.groups > 0  # some shared a transaction

    accepted = {a.json()["event_id"] for a in answers if a.status_code == 201}
    records = await records_on(settings, settings.topics.meetings, len(accepted))
    events = [Envelope.model_validate_json(r.value) for r in records if r.value is not None]
    assert sorted(str(e.event_id) for e in events) == sorted(accepted)  # each once, no other
    assert_chained(events)


async def test_two_processes_writing_the_same_streams_leave_no_gap_and_no_fork(
    stack: AsyncExitStack, settings: Settings
) -> None:
    """Two instances of the app (two HTTP workers) write the same units' streams in groups:
    each remembers heads the other moves, so groups meet moved heads and are tried again
    from the heads as they are; nothing is numbered twice or chained onto the wrong hash."""
    communes = [u.code for u in Hierarchy.load().children(DISTRICT, date.fromisoformat(DAY))][:2]
    apps = [await start_app(stack, meetings_app(settings), "http://meetings") for _ in range(2)]
    posts = [
        apps[i % 2].client.post(
            f"/units/{communes[i % 3 % 2]}/meetings", json=voter_contact(f"two-{i}", DAY, 40, 1)
        )
        for i in range(3 * 24)
    ]
    for first in range(0, len(posts), 24):  # rounds, so each instance's heads go stale
        answers = await asyncio.gather(*posts[first : first + 24])
        assert [a.status_code for a in answers] == [201] * 24

    records = await records_on(settings, settings.topics.meetings, len(posts))
    # both relay the one outbox: a row may go out twice (consumers drop the copy), never
    # two different events under one number
    events = {
        e.event_id: e
        for e in (Envelope.model_validate_json(r.value) for r in records if r.value is not None)
    }
    assert len(events) == len(posts)
    assert_chained(list(events.values()))
    assert sum(a.app.state.meetings.runtime.commits.groups for a in apps) > 0


def assert_chained(events: list[Envelope]) -> None:
    """Each stream of `events` is numbered 1..n and each names the hash of the one before."""
    streams: dict[str, list[Envelope]] = defaultdict(list)
    for envelope in events:
        streams[envelope.stream].append(envelope)
    for stream in streams.values():
        stream.sort(key=lambda e: e.sequence)
        assert [e.sequence for e in stream] == list(range(1, len(stream) + 1))
        assert [e.prev for e in stream] == [GENESIS, *(hash_of(e) for e in stream[:-1])]
