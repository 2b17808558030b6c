"""A transient transaction error (MongoDB's `TransientTransactionError`, e.g. a write conflict
or a primary stepping down at commit) makes PyMongo run the whole transaction again. What a
consumer does outside MongoDB must not be done again with it: each refused record is
dead-lettered exactly once, whichever consumer refused it and however often the commit fails.

The errors are forced with mongod's `failCommand` fail point (the test stack starts mongod with
`enableTestCommands`), aimed at one service's connections by their `appName`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from pymongo import AsyncMongoClient
from pymongo.errors import OperationFailure

from services.common.consumer import ConsumerStatus
from services.common.kafka import ensure_topics
from services.common.mongo import connect
from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from services.oversight.app import create_app as oversight_app
from services.reporting.app import create_app as reporting_app
from tests.conftest import eventually, start_app
from tests.integration.test_dlq import letters_now
from tests.integration.test_schema_evolution import publish_raw

pytestmark = pytest.mark.faults

FAILED_COMMITS = 2  # each batch's transaction commits on its third attempt


@asynccontextmanager
async def failing_commits(settings: Settings, app_name: str, times: int) -> AsyncIterator[None]:
    """The next `times` commits of `app_name`'s transactions fail as transient errors; on
    leaving, check that they all did (the consumer really ran its transaction again)."""
    client: AsyncMongoClient[dict[str, Any]] = connect(settings, "test-fail-points")
    point = {
        "configureFailPoint": "failCommand",
        "mode": {"times": times},
        "data": {
            "failCommands": ["commitTransaction"],
            "errorCode": 112,  # WriteConflict
            "errorLabels": ["TransientTransactionError"],
            "appName": app_name,
        },
    }
    try:
        try:
            before = (await client.admin.command(point))["count"]  # entered so far, ever
        except OperationFailure as exc:
            pytest.skip(f"mongod without enableTestCommands: {exc}")
        yield
        off = await client.admin.command({"configureFailPoint": "failCommand", "mode": "off"})
        assert off["count"] - before == times, off  # every forced failure met a commit
    finally:
        await client.close()


# (service, app factory, the topic its consumer reads, where that consumer's status is)
CONSUMERS: list[tuple[str, Callable[[Settings], FastAPI], str, Callable[[Any], ConsumerStatus]]] = [
    ("reporting", reporting_app, "oversight", lambda s: s.reporting.consumer.status),
    ("oversight", oversight_app, "meetings", lambda s: s.oversight.intake.status),
    ("meetings", meetings_app, "hierarchy", lambda s: s.meetings.runtime.feed.consumer.status),
]


@pytest.mark.parametrize(
    ("service", "create", "topic", "status_of"), CONSUMERS, ids=[c[0] for c in CONSUMERS]
)
async def test_a_transaction_run_again_dead_letters_each_record_once(
    stack: AsyncExitStack,
    settings: Settings,
    service: str,
    create: Callable[[Settings], FastAPI],
    topic: str,
    status_of: Callable[[Any], ConsumerStatus],
) -> None:
    await ensure_topics(settings, [*settings.topics.facts, settings.topics.hierarchy])
    running = await start_app(stack, create(settings), f"http://{service}")
    status = status_of(running.app.state)

    async def started() -> None:
        assert status.running and status.assigned, status

    await eventually(started)
    poison = [("12", b"\xff not json"), ("106", b'{"type": "meeting.held"}'), ("12", b"[]")]
    async with failing_commits(settings, f"hdnd-{service}", FAILED_COMMITS):
        await publish_raw(settings, getattr(settings.topics, topic), poison)

        async def settled() -> None:  # the batch's transaction committed at last
            assert status.handled >= len(poison) and status.caught_up and status.lag == 0, status

        await eventually(settled, within=60)
    letters = await letters_now(settings, len(poison))  # not one more
    origins = {(dict(x.headers)["dlq-partition"], dict(x.headers)["dlq-offset"]) for x in letters}
    assert len(origins) == len(poison)
