"""Reporting's register of voters' opinions and their groups, in its own database:

- `voter_opinions`: one document per opinion oversight tracks (opened by `opinion.received`),
  with where it stands (stage, the day of each step, the agency, the answer and result), the
  units it counts under that day (`lineage`) and its receipt code (mã phiếu);
- `voter_contacts`: the voter contacts (tiếp xúc cử tri) that raised them: day, timing, voters;
- `council_sessions`: the sessions (kỳ họp) of each council, scheduled or held, by number:
  what a synthesis report before a session covers;
- `opinion_groups`: the groups the standing committees confirmed (contracts.opinions), one
  document per level and group id: its latest revision, its answer and resolution;
- `voter_opinion_positions`: the consumer's Kafka positions; `receipt_keys`: the secret the
  receipt codes are derived with, made once per deployment.

Every change is an update built from one event (`writes_of`): the consumer applies them with
its positions in one transaction, and a command of this service applies the same updates for
the events it just emitted, in the transaction that emits them. A group keeps its highest
revision (so a replay in any order ends the same), and a group that ended (merged into another,
or dissolved) stays ended.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from contracts import Envelope
from contracts.ids import ID_MAX_LENGTH
from contracts.privacy import ERASED_MARKER
from services.common.activity import days_between, done_by
from services.common.consumer import PositionStore
from services.common.hierarchy import era_of
from services.common.mongo import Document

OPINIONS, CONTACTS, SESSIONS, GROUPS = (
    "voter_opinions",
    "voter_contacts",
    "council_sessions",
    "opinion_groups",
)
ACTIVE = "confirmed"  # a group in force; "merged" and "ungrouped" ones have ended
FREE_TEXT = ("text", "answer", "result")  # what may name a person (README, personal data)
Write = tuple[str, UpdateOne]


def opinion_key(unit: str, opinion_id: str) -> str:
    """A registered opinion's `_id`: its unit and id (ids are chosen per oversight instance),
    or, for an id too long to fit an id beside its unit, a digest of it."""
    key = f"{unit}:{opinion_id}"
    if len(key) <= ID_MAX_LENGTH:
        return key
    return f"{unit}:#{hashlib.sha256(opinion_id.encode()).hexdigest()[:40]}"


def group_key(level: str, group_id: str) -> str:
    return f"{level}:{group_id}"


def _literal(value: Any) -> Document:
    """A value an update pipeline takes as it is (a title may start with `$`)."""
    return {"$literal": value}


# -- updates, one event at a time ------------------------------------------------------------


def opinion_opened(envelope: Envelope, p: Document, lineage: Sequence[str], code: str) -> UpdateOne:
    """`opinion.received`: the opinion as opened (again, if a correction reopened it)."""
    raised = p["raised_on"]
    doc: Document = {
        "unit": envelope.unit,
        "opinion_id": p["opinion_id"],
        "meeting_id": p["meeting_id"],
        "raised_on": raised,
        "era": era_of(date.fromisoformat(raised)),
        "lineage": list(lineage),
        "text": p["text"],
        "field": p["field"],
        "addressed_to": p.get("addressed_to"),
        "stage": "received",
        "days": {"received": raised},
        "receipt_code": code,
        "recorded_by": done_by(envelope),
    }
    key = opinion_key(envelope.unit, p["opinion_id"])
    update: list[Document] = [
        {"$set": _kept_erased(doc)},
        {"$unset": ["agency", "answer", "result"]},
    ]
    return UpdateOne({"_id": key}, update, upsert=True)


def opinion_step(
    envelope: Envelope, p: Document, stage: str, day: str, fields: Document
) -> UpdateOne:
    """A step of an opinion already registered (one never opened here changes nothing)."""
    key = opinion_key(envelope.unit, p["opinion_id"])
    days = {"$mergeObjects": [{"$ifNull": ["$days", {}]}, _literal({stage: day})]}
    return UpdateOne(
        {"_id": key}, [{"$set": {**_kept_erased({"stage": stage, **fields}), "days": days}}]
    )


def _kept_erased(fields: Document) -> Document:
    """`fields` as an update pipeline sets them, but a free-text field erased on a lawful
    request (`personal_data.erased`, read before: a replay) stays erased."""
    erased = {"$ifNull": ["$erased_paths", []]}
    return {
        name: {"$cond": [{"$in": [name, erased]}, ERASED_MARKER, _literal(value)]}
        if name in FREE_TEXT
        else _literal(value)
        for name, value in fields.items()
    }


def erased(field: Document) -> Write | None:
    """A field of this register `hdnd erase` replaced (in a `personal_data.erased`): replaced
    here too, and remembered, so that reading the opinion's events again keeps it erased."""
    if field["database"] != "reporting" or field["collection"] not in (OPINIONS, GROUPS):
        return None
    path, key = field["path"], {"_id": field["document_id"]}
    if field["collection"] == GROUPS:
        return GROUPS, UpdateOne({**key, path: {"$exists": True}}, {"$set": {path: ERASED_MARKER}})
    remembered = {"$setUnion": [{"$ifNull": ["$erased_paths", []]}, [path]]}
    update = [{"$set": {path: ERASED_MARKER, "erased_paths": remembered}}]
    return OPINIONS, UpdateOne(key, update, upsert=True)


def opinion_moved(unit: str, p: Document, lineage: Sequence[str]) -> UpdateOne:
    """`opinion.moved`: its voter contact's record was corrected to another day."""
    raised = p["raised_on"]
    moved = {"raised_on": raised, "era": era_of(date.fromisoformat(raised))}
    moved.update({"lineage": list(lineage), "days.received": raised})
    return UpdateOne({"_id": opinion_key(unit, p["opinion_id"])}, {"$set": moved})


def contact_held(unit: str, meeting: Document) -> UpdateOne:
    """A voter contact as held (or as corrected)."""
    doc = {
        "unit": unit,
        "meeting_id": meeting["meeting_id"],
        "held_on": meeting["held_on"],
        "timing": meeting["timing"],
        "delegate_group": meeting["delegate_group"],
        "voters_attending": meeting["voters_attending"],
        "opinions_raised": meeting["opinions_raised"],
    }
    key = f"{unit}:{meeting['meeting_id']}"
    return UpdateOne({"_id": key}, {"$set": doc}, upsert=True)


def session_at(unit: str, meeting_id: str, session: Document, day: str, status: str) -> UpdateOne:
    """A session (kỳ họp) of `unit`: its number in its term, its day and whether it was held."""
    doc = {
        "unit": unit,
        "meeting_id": meeting_id,
        "term": session["term"],
        "number": session["number_in_term"],
        "session_type": session["session_type"],
        "day": day,
        "status": status,
    }
    return UpdateOne({"_id": f"{unit}:{meeting_id}"}, {"$set": doc}, upsert=True)


def session_cancelled(unit: str, meeting_id: str) -> UpdateOne:
    return UpdateOne({"_id": f"{unit}:{meeting_id}"}, {"$set": {"status": "cancelled"}})


def _in_force_below(revision: int | None) -> Document:
    """A group that may take `revision`: none yet, or in force at a lower revision (with
    None: in force, at any revision)."""
    active = {"$eq": [{"$ifNull": ["$status", ACTIVE]}, ACTIVE]}
    if revision is None:
        return active
    return {"$and": [{"$lt": [{"$ifNull": ["$revision", 0]}, revision]}, active]}


def _if(condition: Document, fields: Document) -> list[Document]:
    """An update pipeline merging `fields` into the document when `condition` holds."""
    merged = {"$mergeObjects": ["$$ROOT", _literal(fields)]}
    return [{"$replaceWith": {"$cond": [condition, merged, "$$ROOT"]}}]


def group_writes(envelope: Envelope, p: Document, lineage: Sequence[str]) -> list[UpdateOne]:
    """What a group event (payload `p`) changes: the group (its revision if higher, the first
    answer and resolution), and the groups a merge ends."""
    level = envelope.unit
    key = group_key(level, p["group_id"])
    stamp = {"event_id": str(envelope.event_id), "by": done_by(envelope)}
    match envelope.type:
        case "opinion.grouped":
            fields = {
                "level": level,
                "lineage": list(lineage),
                "status": ACTIVE,
                **{k: v for k, v in p.items() if k != "merged"},
                **stamp,
            }
            ended = {"status": "merged", "merged_into": p["group_id"], "ended_on": p["decided_on"]}
            group = UpdateOne({"_id": key}, _if(_in_force_below(p["revision"]), fields), True)
            merges = [
                UpdateOne({"_id": group_key(level, g)}, _if(_in_force_below(None), ended))
                for g in p["merged"]
            ]
            return [group, *merges]
        case "opinion.ungrouped":
            fields = {"status": "ungrouped", "revision": p["revision"], "ended_on": p["decided_on"]}
            fields.update(decided_by=p["decided_by"], reason=p.get("reason"), **stamp)
            return [UpdateOne({"_id": key}, _if(_in_force_below(p["revision"]), fields))]
        case "opinion_group.answered" | "opinion_group.resolved":
            name = "answer" if envelope.type.endswith("answered") else "resolution"
            given = {k: v for k, v in p.items() if k not in ("group_id", "members")}
            first = {name: {"$ifNull": [f"${name}", _literal({**given, **stamp})]}}
            return [UpdateOne({"_id": key}, [{"$set": first}])]
    return []


# -- the store -------------------------------------------------------------------------------


class VoterOpinionStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.db = db
        self.opinions = db[OPINIONS]
        self.contacts = db[CONTACTS]
        self.sessions = db[SESSIONS]
        self.groups = db[GROUPS]
        self.positions = PositionStore(db["voter_opinion_positions"])
        self.receipt_key = b""  # loaded at start (`load_receipt_key`)

    async def create_indexes(self) -> None:
        await self.opinions.create_index([("lineage", ASCENDING), ("raised_on", ASCENDING)])
        await self.opinions.create_index([("unit", ASCENDING), ("raised_on", DESCENDING)])
        await self.opinions.create_index("receipt_code")
        await self.sessions.create_index([("unit", ASCENDING), ("day", ASCENDING)])
        await self.groups.create_index([("lineage", ASCENDING), ("status", ASCENDING)])
        await self.groups.create_index(
            [("level", ASCENDING), ("members.unit", ASCENDING), ("members.opinion_id", ASCENDING)]
        )

    async def load_receipt_key(self) -> None:
        """The deployment's secret for receipt codes: made at the first start, then kept (in
        the backups with the rest of the database)."""
        keys = self.db["receipt_keys"]
        await keys.update_one(
            {"_id": "receipt"}, {"$setOnInsert": {"key": secrets.token_bytes(32)}}, upsert=True
        )
        found = await keys.find_one({"_id": "receipt"})
        assert found is not None
        self.receipt_key = bytes(found["key"])

    async def apply(self, session: AsyncClientSession, writes: Iterable[Write]) -> None:
        """Apply `writes` in their order, one bulk write per run of one collection."""
        run: list[UpdateOne] = []
        name = ""
        for collection, write in [*writes, ("", None)]:
            if collection != name and run:
                await self.db[name].bulk_write(run, ordered=True, session=session)
                run = []
            name = collection
            if write is not None:
                run.append(write)

    # -- reads -----------------------------------------------------------------------------

    async def under(
        self,
        unit: str,
        first: date,
        last: date,
        session: AsyncClientSession | None = None,
    ) -> list[Document]:
        """The opinions of `unit` and the units below it raised within [first, last]."""
        query = {"lineage": unit, "raised_on": days_between(first, last)}
        cursor = self.opinions.find(query, session=session)
        return await cursor.sort([("raised_on", ASCENDING), ("_id", ASCENDING)]).to_list()

    async def named(
        self, members: Iterable[tuple[str, str]], session: AsyncClientSession | None = None
    ) -> dict[str, Document]:
        """The registered opinions among (unit, id) pairs, by key."""
        keys = [opinion_key(u, o) for u, o in members]
        found = self.opinions.find({"_id": {"$in": keys}}, session=session)
        return {d["_id"]: d async for d in found}

    async def by_code(self, code: str, limit: int = 5) -> list[Document]:
        return await self.opinions.find({"receipt_code": code}).limit(limit).to_list()

    async def of_unit(self, unit: str, era: str, limit: int) -> list[Document]:
        """A unit's own opinions of one era, the most recent first."""
        cursor = self.opinions.find({"unit": unit, "era": era})
        newest = cursor.sort([("raised_on", DESCENDING), ("_id", ASCENDING)])
        return await newest.limit(limit).to_list()

    async def contacts_of(self, keys: Iterable[str]) -> dict[str, Document]:
        found = self.contacts.find({"_id": {"$in": sorted(set(keys))}})
        return {d["_id"]: d async for d in found}

    async def group(
        self, level: str, group_id: str, session: AsyncClientSession | None = None
    ) -> Document | None:
        return await self.groups.find_one({"_id": group_key(level, group_id)}, session=session)

    async def groups_under(
        self, unit: str, active_only: bool = True, session: AsyncClientSession | None = None
    ) -> list[Document]:
        """The groups of `unit` and of the levels below it (in force only, by default)."""
        query: Document = {"lineage": unit}
        if active_only:
            query["status"] = ACTIVE
        cursor = self.groups.find(query, session=session)
        return await cursor.sort([("decided_on", ASCENDING), ("_id", ASCENDING)]).to_list()

    async def holding(
        self, level: str, members: Iterable[tuple[str, str]], session: AsyncClientSession
    ) -> list[Document]:
        """The groups of `level` in force that hold any of the opinions `members`."""
        pairs = [{"unit": u, "opinion_id": o} for u, o in members]
        query = {"level": level, "status": ACTIVE, "members": {"$elemMatch": {"$or": pairs}}}
        return await self.groups.find(query, session=session).to_list()

    async def sessions_of(self, unit: str) -> list[Document]:
        """The unit's sessions not cancelled, by day."""
        cursor = self.sessions.find({"unit": unit, "status": {"$ne": "cancelled"}})
        return await cursor.sort([("day", ASCENDING), ("number", ASCENDING)]).to_list()
