"""Erasing a person's personal data on a lawful request: `hdnd erase`.

What names citizens is free text: the opinions voters raised (their `text`), petition summaries,
the answers, results and outcomes recorded when they were followed up, and what a secretary
typed into a proposal or a report's sections. `erase` finds, in the documents of a unit and
every unit below it (both eras), the fields that carry one petition, one opinion, or a given
text (a name, an address), replaces each whole field with ERASED_MARKER, deletes the published
outbox rows whose events carry what was erased, and records that it did: an audit record in
the reporting database (`erasures`) and a `personal_data.erased` event through the reporting
outbox, which says where (database, document id, field) and how many, never what or whom.
Everything commits in one transaction, or nothing does. Figures are untouched: no event is
withdrawn, and no count depends on a text.

An outbox row not yet published cannot be changed (its event is signed and owed to the
topics): erase refuses then, and succeeds once the relay has published it.

The topics are immutable: `meeting.held` (voter contacts, citizen receptions),
`opinion.received`, `petition.received` and the follow-up events keep the texts they were
published with (see README, "Retention and personal data").
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import orjson
from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from contracts import Source
from contracts.privacy import (
    ERASED_MARKER,
    FIELDS_PER_EVENT,
    Database,
    ErasedField,
    PersonalDataErased,
)
from contracts.signing import Signer
from contracts.timezone import today_in_vietnam
from services.common.hierarchy import Era, Hierarchy
from services.common.mongo import Document, connect, in_transaction
from services.common.outbox import Outbox
from services.common.recording import recorded
from services.common.settings import Settings
from services.common.trust import lineage_of

# Where free text that may name a person is kept: (database, collection) → field paths, `*`
# standing for every position of an array.
FREE_TEXT: dict[tuple[Database, str], tuple[str, ...]] = {
    ("meetings", "meetings"): ("meeting.opinions.*.text", "meeting.petitions.*.summary"),
    ("oversight", "opinions"): ("opened.text", "steps.answered.answer", "steps.resolved.result"),
    ("oversight", "petitions"): ("opened.summary", "steps.settled.outcome"),
    ("reporting", "proposals"): ("title", "content", "answer.answer"),
    ("reporting", "report_texts"): ("shortcomings", "directions"),
    ("reporting", "voter_opinions"): ("text", "answer", "result"),  # the register's copies
    ("reporting", "opinion_groups"): ("answer.answer", "resolution.result"),
}
Found = tuple[ErasedField, str]  # a field to erase and what it holds now
ERAS: tuple[Era, ...] = ("2025", "legacy")


class ErasureRefused(RuntimeError):
    """Nothing was erased; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Request:
    """Whose data: one petition, one opinion, and/or texts (a name, an address) in `unit`'s
    documents and those of the units below it."""

    unit: str
    petition: str | None = None
    opinion: str | None = None
    texts: Sequence[str] = ()
    request_ref: str | None = None
    by: str | None = None


@dataclass(frozen=True, slots=True)
class Erased:
    erasure_id: str
    documents: int
    fields: int
    outbox_rows: int
    events: int


async def erase(settings: Settings, request: Request, today: date | None = None) -> Erased:
    """Erase what `request` names; returns what was done (nothing found: nothing written)."""
    if not (request.petition or request.opinion or any(t.strip() for t in request.texts)):
        raise ErasureRefused("say whose data: --petition, --opinion or --text")
    hierarchy = Hierarchy.load()
    if not any(hierarchy.find(request.unit, era) for era in ERAS):
        raise ErasureRefused(f"unknown unit {request.unit}")
    signer = _signer(settings)
    scope = _subtree(hierarchy, request.unit)
    day = today or today_in_vietnam()
    unit_today = _in_force(hierarchy, request.unit, day)
    erasure_id = uuid.uuid4().hex
    client = connect(settings, "hdnd-erase")
    try:
        found = await _find(client, settings, request, scope)
        if not found:
            return Erased(erasure_id, 0, 0, 0, 0)
        values = {value for _, value in found}
        reporting = client[settings.database_for("reporting")]
        source = Source(service="reporting", instance=settings.instance)
        outbox = Outbox(reporting, source, signer, lineage_of(hierarchy))
        fields = [f for f, _ in found]
        documents = len({(f.database, f.collection, f.document_id) for f in fields})

        async def work(session: AsyncClientSession) -> tuple[int, int]:
            rows = 0
            for service in ("meetings", "oversight", "reporting"):
                db = client[settings.database_for(service)]
                deleted, owed = await drop_published_rows(db, values, scope, session)
                if owed:
                    raise ErasureRefused(
                        f"{owed} {service} events holding it are not yet published: start the"
                        f" {service} service (its relay publishes them) and erase again"
                    )
                rows += deleted
            await _replace(client, settings, fields, session)
            drafts = [
                recorded(
                    PersonalDataErased(
                        erasure_id=erasure_id,
                        request_ref=request.request_ref,
                        erased_on=day,
                        documents=documents,
                        fields=fields[start : start + FIELDS_PER_EVENT],
                        outbox_rows=rows,
                    ),
                    unit_today,
                    day,
                )
                for start in range(0, len(fields), FIELDS_PER_EVENT)
            ]
            sealed = await outbox.append(session, settings.topics.reporting, drafts)
            await reporting["erasures"].insert_one(
                {
                    "_id": erasure_id,
                    "unit": request.unit,
                    "request_ref": request.request_ref,
                    "by": request.by,
                    "erased_on": day.isoformat(),
                    "erased_at": datetime.now(UTC),
                    "documents": documents,
                    "fields": len(fields),
                    "by_database": _per_database(fields),
                    "outbox_rows": rows,
                    "event_ids": [str(e.event_id) for e in sealed],
                },
                session=session,
            )
            return rows, len(sealed)

        rows, events = await in_transaction(client, work)
        return Erased(erasure_id, documents, len(fields), rows, events)
    finally:
        await client.close()


def _signer(settings: Settings) -> Signer | None:
    if settings.keys_dir is not None:
        return Signer.from_dir(settings.keys_dir)
    if settings.require_signatures:
        raise ErasureRefused("HDND_KEYS_DIR is not set: the erasure's event could not be signed")
    return None


def _in_force(hierarchy: Hierarchy, unit: str, day: date) -> str:
    """The unit the erasure's event is for: `unit`, or, for a unit gone since (a district
    after the 2025 reform), its province as it is on `day` (an event names a unit of its day)."""
    if hierarchy.find(unit, day) is not None:
        return unit
    for era in ERAS:
        if hierarchy.find(unit, era) is not None:
            province = hierarchy.lineage(unit, era)[-1]
            if hierarchy.find(province, day) is not None:
                return province
            if era == "legacy":
                return hierarchy.successors(province)[0]
    raise ErasureRefused(f"unit {unit} names no unit of either era")


def _subtree(hierarchy: Hierarchy, unit: str) -> list[str]:
    """`unit` and every unit below it, in both eras."""
    codes = {unit}
    for era in ERAS:
        if hierarchy.find(unit, era) is not None:
            codes |= {u.code for u in hierarchy.descendants(unit, era)}
    return sorted(codes)


def _per_database(fields: Sequence[ErasedField]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in fields:
        counts[f.database] = counts.get(f.database, 0) + 1
    return counts


# -- finding what to erase ---------------------------------------------------------------------


async def _find(
    client: AsyncMongoClient[Document], settings: Settings, request: Request, scope: list[str]
) -> list[Found]:
    wanted = [t.casefold() for t in request.texts if t.strip()]
    found: list[Found] = []
    for (database, collection), patterns in FREE_TEXT.items():
        db = client[settings.database_for(database)]
        owners = (
            {"$or": [{"raised_by": {"$in": scope}}, {"to_unit": {"$in": scope}}]}
            if collection == "proposals"
            else {"level": {"$in": scope}}
            if collection == "opinion_groups"
            else {"unit": {"$in": scope}}
        )
        async for doc in db[collection].find(owners):
            whole = _names_item(collection, doc, request)
            for pattern in patterns:
                for path, value, element in _values(doc, pattern.split(".")):
                    if value == ERASED_MARKER:
                        continue
                    if (
                        whole
                        or _is_item(element, request)
                        or any(t in value.casefold() for t in wanted)
                    ):
                        field = ErasedField(
                            database=database,
                            collection=collection,
                            document_id=str(doc["_id"]),
                            path=path,
                        )
                        found.append((field, value))
    return found


def _names_item(collection: str, doc: Document, request: Request) -> bool:
    """The tracked item is the petition or opinion asked for: all its free text goes."""
    if collection == "petitions":
        return request.petition is not None and str(doc["_id"]) == request.petition
    if collection == "opinions":
        return request.opinion is not None and str(doc["_id"]) == request.opinion
    if collection == "voter_opinions":  # reporting's register: `_id` is unit:opinion
        return request.opinion is not None and doc.get("opinion_id") == request.opinion
    return False


def _is_item(element: Any, request: Request) -> bool:
    """A meeting's array element is the petition or opinion asked for."""
    if not isinstance(element, dict):
        return False
    return (request.petition is not None and element.get("petition_id") == request.petition) or (
        request.opinion is not None and element.get("opinion_id") == request.opinion
    )


def _values(node: Any, parts: list[str], at: str = "", element: Any = None) -> Iterator[Any]:
    """(path, text, enclosing array element) of every string at the path `parts`."""
    if not parts:
        if isinstance(node, str):
            yield at, node, element
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        if isinstance(node, list):
            for i, item in enumerate(node):
                yield from _values(item, rest, f"{at}.{i}", item)
        return
    if isinstance(node, list) and head.isdigit() and int(head) < len(node):  # a path erased
        yield from _values(node[int(head)], rest, f"{at}.{head}", node[int(head)])
    elif isinstance(node, dict) and head in node:
        yield from _values(node[head], rest, f"{at}.{head}" if at else head, element)


# -- replacing, and the outbox rows that carry it ---------------------------------------------


async def _replace(
    client: AsyncMongoClient[Document],
    settings: Settings,
    fields: Sequence[ErasedField],
    session: AsyncClientSession,
) -> None:
    for f in fields:
        await client[settings.database_for(f.database)][f.collection].update_one(
            {"_id": f.document_id, f.path: {"$exists": True}},
            {"$set": {f.path: ERASED_MARKER}},
            session=session,
        )


async def drop_published_rows(
    db: AsyncDatabase[Document],
    values: set[str],
    scope: Sequence[str],
    session: AsyncClientSession,
) -> tuple[int, int]:
    """Delete the published outbox rows of `scope`'s units whose events carry any of
    `values`; returns (deleted, still owed to the topics and left as they are)."""
    published, owed = [], 0
    async for row in db["outbox"].find({"key": {"$in": list(scope)}}, session=session):
        if not _carries(orjson.loads(bytes(row["value"])), values):
            continue
        if row.get("sent"):
            published.append(row["_id"])
        else:
            owed += 1
    if published:
        await db["outbox"].delete_many({"_id": {"$in": published}}, session=session)
    return len(published), owed


def _carries(node: Any, values: set[str]) -> bool:
    if isinstance(node, str):
        return any(v in node for v in values)
    if isinstance(node, dict):
        return any(_carries(v, values) for v in node.values())
    if isinstance(node, list):
        return any(_carries(v, values) for v in node)
    return False


async def erase_again(
    client: AsyncMongoClient[Document],
    settings: Settings,
    erased: PersonalDataErased,
    unit: str,
    session: AsyncClientSession,
) -> int:
    """Erase once more what an erasure erased (a restore brought back an older copy):
    the same fields, and the published outbox rows that carry what they held again."""
    values: dict[str, set[str]] = {}
    for f in erased.fields:
        collection = client[settings.database_for(f.database)][f.collection]
        doc = await collection.find_one({"_id": f.document_id}, session=session)
        held = next((v for p, v, _ in _values(doc or {}, f.path.split(".")) if p == f.path), None)
        if held is None or held == ERASED_MARKER:
            continue
        values.setdefault(f.database, set()).add(held)
    await _replace(client, settings, erased.fields, session)
    scope = _subtree(Hierarchy.load(), unit)
    for database, held_values in values.items():
        db = client[settings.database_for(database)]
        await drop_published_rows(db, held_values, scope, session)
    return sum(len(v) for v in values.values())
