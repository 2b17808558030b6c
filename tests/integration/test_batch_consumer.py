"""The batch consumer and a write-behind handler (the projector): one object, told of each
batch as soon as it is fetched, told when a batch leaves nothing more to read, asked to commit
what it handled once the consumer is caught up, and to forget what it holds when the consumer
starts over."""

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

    async def caught_up(self) -> None:
        self.calls.append(("caught_up", 0))

    async def drain(self) -> None:
        self.calls.append(("drain", 0))

    async def reset(self) -> None:
        self.calls.append(("reset", 0))


async def _drained(settings: Settings, name: str, handler: Recorder, count: int) -> None:
    """Run a consumer with `handler` until `count` records are handled and committed."""
    mongo = connect(settings, "hdnd-test")
    positions = PositionStore(mongo[settings.database_for(name)]["positions"])
    consumer = BatchConsumer(settings, name, [settings.topics.meetings], positions, handler)
    consumer.start()
    try:

        async def drained() -> None:
            assert consumer.status.drained == consumer.status.handled == count

        await eventually(drained)
    finally:
        await consumer.stop()
        await mongo.close()


async def test_a_write_behind_handler_is_one_object_given_to_the_consumer(
    settings: Settings,
) -> None:
    settings = settings.model_copy(update={"consumer_batch": 10})
    await publish(settings, [(b"%d" % n, []) for n in range(30)])
    handler = Recorder()
    await _drained(settings, "one-handler", handler, 30)
    calls = [call for call, _ in handler.calls]
    assert calls[:2] == ["handle", "reset"]  # it failed: forget what is held, start over
    assert calls[-1] == "drain"  # caught up, then stopping: what was handled is committed
    handled = [n for call, n in handler.calls[2:] if call == "handle"]
    told = [n for call, n in handler.calls[2:] if call == "look_ahead"]
    assert sum(handled) == 30 and told == handled[1:]  # each next batch, as soon as fetched
    # Told it reached the end only once every record was handled, so it writes at once then,
    # and coalesces by its interval while behind.
    after_reset = handler.calls[2:]
    for i, (call, _) in enumerate(after_reset):
        if call == "caught_up":
            assert sum(n for c, n in after_reset[:i] if c == "handle") == 30
    assert "caught_up" in calls


class ArrivingWhileWriting(Recorder):
    """Records arrive while the handler commits, just after the consumer met an empty fetch."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.arrived = False

    async def handle(self, records: Sequence[Record]) -> None:
        self.calls.append(("handle", len(records)))

    async def drain(self) -> None:
        await super().drain()
        handled = sum(n for call, n in self.calls if call == "handle")
        if handled == 30 and not self.arrived:
            self.arrived = True
            await publish(self.settings, [(b"late %d" % n, []) for n in range(5)])


async def test_records_that_arrive_during_a_drain_are_read_without_the_idle_back_off(
    settings: Settings,
) -> None:
    """A drain takes as long as a flush; what arrived meanwhile is read at once, not after a
    pause of `idle_backoff` on top of it (here a minute: it would never come in time)."""
    settings = settings.model_copy(update={"consumer_batch": 10, "idle_backoff_ms": 60_000})
    await publish(settings, [(b"%d" % n, []) for n in range(30)])
    handler = ArrivingWhileWriting(settings)
    await _drained(settings, "late-arrivals", handler, 35)
    assert handler.arrived
