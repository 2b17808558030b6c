"""MongoDB connections (PyMongo's async API) and the one way we run transactions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from services.common.settings import Settings

T = TypeVar("T")
Document = dict[str, Any]


def connect(settings: Settings, app_name: str) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(
        settings.mongodb_uri,
        appname=app_name,
        tz_aware=True,
        serverSelectionTimeoutMS=10_000,
    )


async def in_transaction(
    client: AsyncMongoClient[Document], work: Callable[[AsyncClientSession], Awaitable[T]]
) -> T:
    """Run `work` in one majority-committed transaction, retrying transient conflicts.

    Everything that emits an event goes through here together with its outbox rows, and the
    projector writes its figures together with its consumed positions, so a crash leaves
    either all of it or none of it.
    """
    async with client.start_session() as session:
        return await session.with_transaction(
            work,
            read_concern=ReadConcern("snapshot"),
            write_concern=WriteConcern("majority"),
        )


async def ping(db: AsyncDatabase[Document]) -> bool:
    try:
        await db.command("ping")
    except Exception:
        return False
    return True
