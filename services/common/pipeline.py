"""One consumer pipeline: decode → verify → dead letters → one transaction with positions.

Every consumer of a topic (the hierarchy feed, oversight's intake, reporting's coordination
consumer …) runs its batches through here and plugs in only what it does with each event,
dispatched by event type; reporting's projector, which reads in worker processes and writes
behind, keeps the same rules its own way (services.reporting.read.projector). The rules they share:

- a record that cannot be decoded or trusted (InvalidEvent) is refused with the reason, and
  one that makes the consumer's own step raise anything else is dead-lettered as a fault
  (the exception's type and message, logged as an error); the rest of the batch goes on;
- refusals are published to the dead-letter topic *before* the transaction, and acknowledged
  by the broker before the positions move past them: PyMongo runs a transaction again after a
  transient error, and a letter must go out once;
- what the batch changes and the consumer's positions are written in one transaction, so a
  redelivered batch changes nothing (exactly-once effects).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from typing import Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.mongo_client import AsyncMongoClient

from contracts import Decoded, decode_event
from contracts.signing import Verifier
from contracts.versioning import event_type
from services.common.deadletter import DeadLetter, refused
from services.common.metrics import Metrics
from services.common.mongo import Document, in_transaction
from services.common.positions import PositionStore, Record
from services.common.settings import Settings

H = TypeVar("H")
S = TypeVar("S")
T = TypeVar("T")


class Consuming(Protocol):
    """The few things a consumer needs of its service (services.common.runtime.Runtime has
    them): settings, MongoDB for the transaction, the verifier, the dead-letter topic and
    the service's metrics."""

    settings: Settings
    mongo: AsyncMongoClient[Document]
    metrics: Metrics

    def verifier(self) -> Verifier | None: ...

    async def dead_letter(self, letters: Sequence[DeadLetter]) -> None: ...


class Dispatch(Generic[H]):
    """What a consumer does with each event type it takes, keyed by type as @folds(Model) is:
    one lookup per event, and a type nobody handles gets `otherwise`."""

    def __init__(self, handlers: Mapping[type[BaseModel], H], otherwise: H) -> None:
        self.handlers = {event_type(model): handler for model, handler in handlers.items()}
        self.otherwise = otherwise

    def of(self, event: Decoded[BaseModel]) -> H:
        return self.handlers.get(event.envelope.type, self.otherwise)


def claiming(records: Sequence[Record], types: Collection[str]) -> list[Record]:
    """The records whose `event-type` header names one of `types`, or none: what a consumer
    of a few types reads, passing the others over undecoded. The header is not signed; it
    only saves reading what the consumer would ignore (the record is verified when read)."""
    kept = []
    for record in records:
        claimed = next((v for k, v in record.headers if k == "event-type"), None)
        if claimed is None or bytes(claimed).decode(errors="replace") in types:
            kept.append(record)
    return kept


class Pipeline:
    """The consumer skeleton each consumer plugs its own step and transaction work into.

    `positions`: where the consumer's positions go, in the same transaction as its work.
    `dead_letters`: which refused records it publishes: "every" one, or only its "faults" (the
    coordination consumer: the projector, reading the same topic, dead-letters what breaks a
    rule, but not what fails in the coordination consumer's own code)."""

    def __init__(
        self,
        context: Consuming,
        positions: PositionStore,
        *,
        dead_letters: Literal["every", "faults"] = "every",
    ) -> None:
        self.context = context
        self.positions = positions
        self.dead_letters = dead_letters
        self.verifier = context.verifier()

    def read(self, record: Record) -> Decoded[BaseModel]:
        """The record's event, decoded and trusted; InvalidEvent says why not."""
        event = decode_event(record.value or b"")
        if self.verifier is not None:
            self.verifier.check(event.envelope)
        return event

    def judge(
        self,
        records: Sequence[Record],
        step: Callable[[Decoded[BaseModel]], Iterable[S]],
    ) -> tuple[list[S], list[DeadLetter]]:
        """What `step` makes of each trusted event, in record order, and the refused records:
        those whose reading or step raised (services.common.deadletter.refused says why). A
        step's result counts only once it returned whole, so a record that fails adds nothing;
        a step that changes state of its own (the hierarchy feed's working tree) changes it
        all or nothing."""
        steps: list[S] = []
        letters: list[DeadLetter] = []
        for record in records:
            try:
                steps.extend(list(step(self.read(record))))
            except Exception as exc:  # one record's; never the partition's
                letters.append(refused(record, exc))
        return steps, letters

    async def refuse(self, letters: Sequence[DeadLetter]) -> None:
        """Publish the `letters` this pipeline publishes and wait for the broker's
        acknowledgement: do it before the positions move past them."""
        if self.dead_letters == "faults":
            letters = [letter for letter in letters if letter.fault]
        if letters:
            await self.context.dead_letter(letters)

    async def commit(
        self,
        records: Sequence[Record],
        letters: Sequence[DeadLetter],
        work: Callable[[AsyncClientSession], Awaitable[T]],
    ) -> T:
        """Publish `letters`, then run `work` and the positions past `records` in one
        transaction; returns what `work` returned."""
        # Before the transaction: PyMongo runs it again on a transient error, and the
        # letters must go out once (acknowledged before the positions move past them).
        await self.refuse(letters)

        async def with_positions(session: AsyncClientSession) -> T:
            result = await work(session)
            await self.positions.write(session, records)
            return result

        return await in_transaction(self.context.mongo, with_positions)
