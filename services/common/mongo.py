"""MongoDB connections (PyMongo's async API) and the one way we run transactions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from pymongo import AsyncMongoClient, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConfigurationError
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from services.common.settings import Settings

T = TypeVar("T")
Document = dict[str, Any]


OPERATOR = "operator"
"""The MongoDB user of operator tools (backup, restore, rebuild, erasure, dead letters); a
service signs in as the user named after it (deploy.mongo_users lists what each may do)."""


def connect(settings: Settings, app_name: str, user: str = OPERATOR) -> AsyncMongoClient[Document]:
    """A client signed in as `user` when HDND_MONGODB_SECRETS_DIR is set."""
    return AsyncMongoClient(
        settings.mongodb_uri,
        appname=app_name,
        tz_aware=True,
        serverSelectionTimeoutMS=10_000,
        **credentials(settings, user),
    )


def credentials(settings: Settings, user: str) -> dict[str, Any]:
    """PyMongo's options for signing in as `user`, its password read from its own file (so a
    process holding one file can be no one else); none without a secrets directory."""
    if settings.mongodb_secrets_dir is None:
        return {}
    path = settings.mongodb_secrets_dir / user
    try:
        password = path.read_text().strip()
    except OSError as exc:
        raise ConfigurationError(
            f"no password for MongoDB user {user!r}: {path} cannot be read ({exc.strerror});"
            " HDND_MONGODB_SECRETS_DIR names the directory of the users' password files"
        ) from None
    return {"username": user, "password": password, "authSource": "admin"}


def redacted(uri: str) -> str:
    """`uri` fit for a log or a terminal: a password in it becomes `***`."""
    scheme, sep, rest = uri.partition("://")
    netloc, slash, path = rest.partition("/")
    userinfo, at, hosts = netloc.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return uri
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{hosts}{slash}{path}"


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


async def bulk_by_collection(
    session: AsyncClientSession,
    writes: Sequence[tuple[str, UpdateOne]],
    collection: Callable[[str], AsyncCollection[Document]],
) -> None:
    """A consumer's batch of (collection name, update) in one bulk write per collection, in
    the order given within each: the writes a pipeline applies with its positions."""
    by_collection: dict[str, list[UpdateOne]] = {}
    for name, write in writes:
        by_collection.setdefault(name, []).append(write)
    for name, updates in by_collection.items():
        await collection(name).bulk_write(updates, ordered=True, session=session)


async def ping(db: AsyncDatabase[Document]) -> bool:
    try:
        await db.command("ping")
    except Exception:
        return False
    return True
