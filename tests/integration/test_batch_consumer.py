"""The batch consumer and a write-behind handler (the projector): one object, told of each
batch as soon as it is fetched, asked to commit what it handled once the consumer is caught
up, and to forget what it holds when the consumer starts over."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from services.common.consumer import BatchConsumer, PositionStore, Record
from services.common.mongo import connect
from services.common.settings import Settings
from tests.conftest import eventually
from tests.integration.test_metrics import publish

pytestmark = pytest.mark.integration


class Recorder:
    """A write-behind handler that notes what it is asked; its first batch fails, as a
    transaction aborted by MongoDB would."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def look_ahead(self, records: Sequence[Record]) -> None:
        self.calls.append(("look_ahead", len(records)))

    async def handle(self, records: Sequence[Record]) -> None:
        failed = not any(call == "handle" for call, _ in self.calls)
        self.calls.append(("handle", len(records)))
        if failed:
            raise RuntimeError("transaction aborted")

    async def drain(self) -> None:
        self.calls.append(("drain", 0))

    async def reset(self) -> None:
        self.calls.append(("reset", 0))


async def test_a_write_behind_handler_is_one_object_given_to_the_consumer(
    settings: Settings,
) -> None:
    settings = settings.model_copy(update={"consumer_batch": 10})
    await publish(settings, [(b"%d" % n, []) for n in range(30)])
    mongo = connect(settings, "hdnd-test")
    positions = PositionStore(mongo[settings.database_for("one-handler")]["positions"])
    handler = Recorder()
    consumer = BatchConsumer(
        settings, "one-handler", [settings.topics.meetings], positions, handler
    )
    consumer.start()
    try:

        async def drained() -> None:
            assert consumer.status.drained == consumer.status.handled == 30

        await eventually(drained)
    finally:
        await consumer.stop()
        await mongo.close()
    calls = [call for call, _ in handler.calls]
    assert calls[:2] == ["handle", "reset"]  # it failed: forget what is held, start over
    assert calls[-1] == "drain"  # caught up, then stopping: what was handled is committed
    handled = [n for call, n in handler.calls[2:] if call == "handle"]
    told = [n for call, n in handler.calls[2:] if call == "look_ahead"]
    assert sum(handled) == 30 and told == handled[1:]  # each next batch, as soon as fetched
