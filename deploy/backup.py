"""Backups of an instance's databases that restore: `hdnd backup` and `hdnd restore`.

`backup` reads every collection of the instance's databases (`<prefix>_meetings`, `_oversight`,
`_reporting` and, where the registry runs, `_hierarchy`) at one point in time, through one
MongoDB snapshot session (readConcern "snapshot" at one cluster time, across databases), so the
documents, the outbox, its sequence counters and the consumers' stored Kafka positions all
agree. It writes them as BSON with their index definitions, a manifest (when, what, how many
documents, where each topic ended and where each consumer stood, the software version) and the
registered public keys into one gzip-compressed tar, `hdnd-<prefix>-<instance>-<UTC time>.tar.gz`,
with a `.sha256` file beside it in `sha256sum` format. Private keys are never in it.

The snapshot lives as long as mongod keeps history: `minSnapshotHistoryWindowInSeconds`, 300 s
by default. A backup that needs longer fails with SnapshotTooOld (nothing written); give it
`history_window` (raises that parameter for the run, then puts it back), or back up a
database too large for that from a filesystem snapshot of a secondary instead (README).

`restore` checks the checksum, refuses databases that hold data unless told to wipe them,
refuses topics that are behind the backup (another cluster), writes documents and indexes,
then catches up with the topics (deploy/replay.py): every stream's sequence counter moves past
what this instance already published, and what it recorded after the backup is written again
from its own events.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import shutil
import tarfile
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO, Any, cast

import bson
from bson import json_util
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import CollectionInvalid

from deploy.replay import CaughtUp, catch_up, topic_ends
from services.common.mongo import Document, connect
from services.common.settings import Settings

FORMAT = 1
SERVICES = ("meetings", "oversight", "reporting", "hierarchy")
BATCH = 1000
RAW: CodecOptions[RawBSONDocument] = CodecOptions(document_class=RawBSONDocument)
Progress = Callable[[int, int], None]  # (documents done, documents in all)


def _silent(done: int, total: int) -> None:
    pass


class BackupError(RuntimeError):
    """The backup could not be written; nothing was left behind."""


class RestoreRefused(RuntimeError):
    """The archive or the target is not fit for a restore; nothing was written."""


@dataclass(frozen=True, slots=True)
class Archive:
    path: Path
    checksum: Path
    digest: str
    manifest: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Restored:
    databases: list[str]
    documents: int
    counters: int  # streams whose counter moved past what the topics hold
    replayed: int  # own events after the backup whose documents were written again
    skipped: int  # records claiming this instance that are not its own (untrusted)
    numbers: int  # report numbers recovered from filings after the backup
    failed: list[str] = field(default_factory=list)  # events that could not be replayed, why


# -- backup -------------------------------------------------------------------------------------


async def backup(
    settings: Settings,
    directory: Path,
    progress: Progress = _silent,
    history_window: int | None = None,
) -> Archive:
    """Write a consistent archive of the instance's databases into `directory`."""
    started = datetime.now(UTC)
    name = f"hdnd-{_safe(settings.database_prefix)}-{_safe(settings.instance)}"
    path = directory / f"{name}-{started:%Y%m%dT%H%M%SZ}.tar.gz"
    staging = _staging(path)
    part = path.with_name(path.name + ".part")
    client = connect(settings, "hdnd-backup")
    try:
        present = set(await client.list_database_names())
        services = [s for s in SERVICES if settings.database_for(s) in present]
        layouts = {s: await _layout(client[settings.database_for(s)]) for s in services}
        topics = await topic_ends(settings)  # just before the snapshot: it holds at least these
        total = sum(n for layout in layouts.values() for _, n in layout.values())
        done = 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            progress(done, total)

        databases: dict[str, Any] = {}
        async with (
            _history_window(client, history_window),
            client.start_session(snapshot=True) as session,
        ):
            for service in services:
                db = client[settings.database_for(service)]
                where = staging / "databases" / service
                databases[service] = await _dump(db, layouts[service], where, session, tick)
            at = session.operation_time  # a snapshot read answers with its cluster time
        manifest = {
            "format": FORMAT,
            "software": _software(),
            "created_at": started.isoformat(),
            "finished_at": datetime.now(UTC).isoformat(),
            "snapshot": None if at is None else {"cluster_time": [at.time, at.inc]},
            "instance": settings.instance,
            "units": settings.units,
            "database_prefix": settings.database_prefix,
            "topic_prefix": settings.topic_prefix,
            "topics": {
                role: {str(p): end for p, end in ends.items()} for role, ends in topics.items()
            },
            "databases": databases,
            "keys": _copy_public_keys(settings.public_keys, staging / "keys" / "public"),
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        # In threads, so that a Ctrl-C need not wait for the compression: it removes the part.
        await asyncio.to_thread(_pack, staging, part)
        digest = await asyncio.to_thread(_sha256, part)
        part.rename(path)
        checksum = path.with_name(path.name + ".sha256")
        checksum.write_text(f"{digest}  {path.name}\n")
        return Archive(path, checksum, digest, manifest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        part.unlink(missing_ok=True)
        await client.close()


def _staging(path: Path) -> Path:
    """A scratch directory beside the archive-to-be (same filesystem: the rename is atomic)."""
    if path.exists():
        raise BackupError(f"{path} exists already")
    path.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".hdnd-backup-", dir=path.parent))


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text) or "x"


def _software() -> str:
    try:
        return f"hdnd {version('hdnd')}"
    except PackageNotFoundError:
        return "hdnd (not installed)"


Layout = dict[str, tuple[list[Any], int]]  # collection → (index definitions, estimated size)


async def _layout(db: AsyncDatabase[Document]) -> Layout:
    """Each collection's index definitions and estimated size. Read outside the snapshot:
    mongod serves neither listCollections nor listIndexes at a snapshot."""
    layout: Layout = {}
    for name in sorted(await db.list_collection_names()):
        if name.startswith("system."):
            continue
        indexes = await (await db[name].list_indexes()).to_list()
        layout[name] = (indexes, await db[name].estimated_document_count())
    return layout


async def _dump(
    db: AsyncDatabase[Document],
    layout: Layout,
    where: Path,
    session: AsyncClientSession,
    tick: Callable[[int], None],
) -> dict[str, Any]:
    """Write every collection of `db` as read by the snapshot `session`; what the manifest
    says of the database: documents per collection, consumer positions, sequence counters."""
    _mkdir(where)
    collections: dict[str, Any] = {}
    positions: dict[str, dict[str, int]] = {}
    for name, (indexes, _) in layout.items():
        (where / f"{name}.indexes.json").write_text(json_util.dumps(indexes))
        count = 0
        raw = cast(AsyncCollection[RawBSONDocument], db.get_collection(name, codec_options=RAW))
        with (where / f"{name}.bson").open("wb") as out:
            cursor = raw.find({}, session=session, batch_size=BATCH)
            async for doc in cursor:
                out.write(doc.raw)
                count += 1
                if count % BATCH == 0:
                    tick(BATCH)
                if name.endswith("_positions") or "_positions_v" in name:
                    stored = bson.decode(doc.raw)
                    if "next_offset" in stored:
                        positions.setdefault(name, {})[stored["_id"]] = stored["next_offset"]
        tick(count % BATCH)
        collections[name] = {"documents": count, "indexes": len(indexes)}
    sequences = await db["outbox_sequences"].find({}, session=session).to_list()
    pending = await db["outbox"].count_documents({"sent": False}, session=session)
    return {
        "name": db.name,
        "collections": collections,
        "positions": positions,
        "sequences": {d["_id"]: d["seq"] for d in sequences},
        "outbox_pending": pending,
    }


@contextlib.asynccontextmanager
async def _history_window(
    client: AsyncMongoClient[Document], seconds: int | None
) -> AsyncIterator[None]:
    """mongod keeps `seconds` of history for the run (a snapshot read of a large database
    outlasts the default 300 s), then its previous setting again."""
    if seconds is None:
        yield
        return
    name = "minSnapshotHistoryWindowInSeconds"
    previous = (await client.admin.command({"getParameter": 1, name: 1}))[name]
    await client.admin.command({"setParameter": 1, name: max(seconds, previous)})
    try:
        yield
    finally:
        await client.admin.command({"setParameter": 1, name: previous})


def _mkdir(path: Path) -> None:
    path.mkdir(parents=True)


def _copy_public_keys(public: Path | None, to: Path) -> list[str]:
    """The registered public keys (with their validity: contracts.keys), which a restored
    instance verifies its history with. Private keys stay where they are kept (README: they
    are backed up apart)."""
    to.mkdir(parents=True)
    if public is None or not public.is_dir():
        return []
    copied = []
    for key in sorted(p for p in public.iterdir() if p.suffix in (".json", ".pem")):
        shutil.copyfile(key, to / key.name)
        copied.append(f"public/{key.name}")
    return copied


def _pack(staging: Path, part: Path) -> None:
    """The manifest first, so a restore reads it before any document."""
    with tarfile.open(part, "w:gz", compresslevel=6) as tar:
        tar.add(staging / "manifest.json", arcname="manifest.json")
        tar.add(staging / "keys", arcname="keys")
        tar.add(staging / "databases", arcname="databases")


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


# -- restore ------------------------------------------------------------------------------------


async def restore(
    settings: Settings,
    archive: Path,
    *,
    wipe: bool = False,
    replay_own: bool = True,
    instances: Sequence[str] = (),
    progress: Progress = _silent,
) -> Restored:
    """Bring the instance's databases back from `archive`, then catch up with the topics.
    Its services' records are found on the topics under the instance names their restored
    counters name, the backup's and this process's (HDND_INSTANCE), and `instances` (a
    service that had published nothing before the backup)."""
    if settings.require_signatures and settings.keys_dir is None:
        raise RestoreRefused("HDND_KEYS_DIR is not set: the topics' records cannot be trusted")
    manifest = verify(archive)
    services = list(manifest["databases"])
    names = {s: settings.database_for(s) for s in services}
    await _check_topics(settings, manifest)
    client = connect(settings, "hdnd-restore")
    try:
        holding = [names[s] for s in services if await _holds_data(client[names[s]])]
        if holding and not wipe:
            raise RestoreRefused(
                f"databases {', '.join(holding)} hold data; restore over them with --wipe"
            )
        for service in services:
            await client.drop_database(names[service])
        total = sum(
            c["documents"]
            for d in manifest["databases"].values()
            for c in d["collections"].values()
        )
        done = 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            progress(done, total)

        documents = await _load(client, archive, names, tick)
        known = {manifest["instance"], settings.instance, *instances}
        caught: CaughtUp = await catch_up(settings, client, services, known, replay_own=replay_own)
    finally:
        await client.close()
    return Restored(
        databases=[names[s] for s in services],
        documents=documents,
        counters=caught.counters,
        replayed=caught.replayed,
        skipped=caught.skipped,
        numbers=caught.numbers,
        failed=caught.failed,
    )


def verify(archive: Path) -> dict[str, Any]:
    """The archive's manifest, once its checksum and format are right."""
    checksum = archive.with_name(archive.name + ".sha256")
    if not checksum.exists():
        raise RestoreRefused(f"no checksum file {checksum.name} beside the archive")
    expected = checksum.read_text().split()[0]
    if _sha256(archive) != expected:
        raise RestoreRefused(f"{archive.name} does not match its checksum: damaged or altered")
    with tarfile.open(archive, "r:gz") as tar:
        member = tar.extractfile("manifest.json")
        if member is None:
            raise RestoreRefused(f"{archive.name} holds no manifest")
        manifest: dict[str, Any] = json.load(member)
    if manifest.get("format") != FORMAT:
        raise RestoreRefused(f"archive format {manifest.get('format')}, this hdnd reads {FORMAT}")
    return manifest


async def _check_topics(settings: Settings, manifest: dict[str, Any]) -> None:
    """Refuse topics that hold less than when the backup was taken: the positions restored
    would point past their end (another cluster, or topics recreated)."""
    now = await topic_ends(settings)
    for role, ends in manifest["topics"].items():
        for partition, end in ends.items():
            have = now.get(role, {}).get(int(partition), 0)
            if have < end:
                raise RestoreRefused(
                    f"topic {role} partition {partition} ends at {have}, before the {end} it"
                    " had at the backup: these are not the topics the backup was taken with"
                )


async def _holds_data(db: AsyncDatabase[Document]) -> bool:
    for name in await db.list_collection_names():
        if await db[name].find_one({}, {"_id": 1}) is not None:
            return True
    return False


async def _load(
    client: AsyncMongoClient[Document],
    archive: Path,
    names: dict[str, str],
    tick: Callable[[int], None],
) -> int:
    """Documents, then indexes, of every collection in the archive, read as a stream."""
    documents = 0
    indexes: dict[tuple[str, str], list[Document]] = {}
    with tarfile.open(archive, "r|gz") as tar:
        for member in tar:
            parts = Path(member.name).parts
            if len(parts) != 3 or parts[0] != "databases" or not member.isfile():
                continue
            service, file = parts[1], parts[2]
            source = tar.extractfile(member)
            assert source is not None
            db = client[names[service]]
            if file.endswith(".indexes.json"):
                collection = file.removesuffix(".indexes.json")
                indexes[(service, collection)] = json_util.loads(source.read())
            elif file.endswith(".bson"):
                documents += await _insert(db, file.removesuffix(".bson"), source, tick)
    for (service, collection), specs in indexes.items():
        db = client[names[service]]
        with contextlib.suppress(CollectionInvalid):  # it has documents: it exists
            await db.create_collection(collection)
        models = [_index_model(spec) for spec in specs if spec["name"] != "_id_"]
        if models:
            await db[collection].create_indexes(models)
    return documents


async def _insert(
    db: AsyncDatabase[Document], collection: str, source: IO[bytes], tick: Callable[[int], None]
) -> int:
    target = cast(
        AsyncCollection[RawBSONDocument], db.get_collection(collection, codec_options=RAW)
    )
    batch: list[RawBSONDocument] = []
    count = 0
    for doc in bson.decode_file_iter(source, codec_options=RAW):
        batch.append(doc)
        if len(batch) == BATCH:
            await target.insert_many(batch, ordered=False)
            count += len(batch)
            tick(len(batch))
            batch = []
    if batch:
        await target.insert_many(batch, ordered=False)
        count += len(batch)
        tick(len(batch))
    return count


def _index_model(spec: Document) -> IndexModel:
    options = {k: v for k, v in spec.items() if k not in ("v", "key", "ns")}
    return IndexModel(list(spec["key"].items()), **options)
