"""Reporting's MongoDB: versioned projections, and which version the query API reads.

A projection version is a set of collections: `unit_months` (own and total counters per unit
and month, and under `days.DD` the unit's own counters per day: what lets a hierarchy change
move figures exactly; versions built before that keep them in `unit_days`),
`stream_positions` (exact dedup per source stream, grouped in STREAM_BUCKETS documents),
`consumer_positions` (Kafka offsets), `hierarchy_log` (the hierarchy changes the version
was built with) and `activity` (the activity log: services.reporting.activity). Version 1
uses the plain names, version n > 1 the suffix `_v{n}`. The document `projection_meta/active`
says which version answers queries; a rebuild fills a new version beside it and switches that
one document.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import date
from typing import Any

from pymongo import ASCENDING, DESCENDING, UpdateMany, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from contracts.hierarchy import HierarchyChanged
from services.common.hierarchy import Hierarchy
from services.common.mongo import Document
from services.common.positions import Positioned, PositionStore
from services.reporting.activity.entries import listed_under
from services.reporting.read.periods import month_span, months_between, year_month
from services.reporting.read.projector.fold import Fold, StreamPosition, month_of, placed

ACTIVE = "active"
# Stream positions are kept in this many documents, each stream in the one its name hashes
# to: a batch over thousands of units wrote one upsert per stream (as many as its events),
# now at most this many.
STREAM_BUCKETS = 64
UPDATES_PER_COMMAND = 2_000  # well below the 16 MB a command may take


def stream_bucket(name: str) -> str:
    return f"bucket:{zlib.crc32(name.encode()) % STREAM_BUCKETS:02d}"


def month_document(unit: str, month: str) -> str:
    """The id of a unit's month document (`_id` is the only index a unit's months are found
    by: a second unique index on (unit, month) cost mongod ~10 % of a rebuild's CPU)."""
    return f"{unit}:{month}"


ENUMERATED_MONTHS = 120
"""Spans up to this many months are asked as a list of ids; longer ones as ranges."""


def months_of(units: Iterable[str], first: str, last: str) -> dict[str, Any]:
    """A query for the month documents of `units` from `first` to `last` ("YYYY-MM", both
    included). A summary's period (a year, a term) is a list of ids: one scan of `_id` with
    point bounds (an `$or` of one range per unit made the planner plan every unit apart: a
    province as today, 650 units, took twice as long). An unbounded span (a hierarchy change's
    days until the end of time) is one range of ids per unit instead, exact since a code holds
    no ':' and a month key has one length: "001:…" and "0011:…" never interleave."""
    codes = sorted(set(units))
    if month_span(first, last) <= ENUMERATED_MONTHS:
        months = months_between(first, last)
        return {"_id": {"$in": [month_document(u, m) for u in codes for m in months]}}
    ranges = [
        {"_id": {"$gte": month_document(u, first), "$lte": month_document(u, last)}} for u in codes
    ]
    if len(ranges) == 1:
        return ranges[0]
    return {"$or": ranges} if ranges else {"_id": {"$in": []}}


def _field(name: str) -> str:
    """A stream name as a field name ('.' would be a path, a leading '$' an operator)."""
    return name.replace("%", "%25").replace(".", "%2E").replace("$", "%24")


def _named(name: str, version: int) -> str:
    return name if version == 1 else f"{name}_v{version}"


class ProjectionStore:
    """The collections of one projection version."""

    def __init__(self, db: AsyncDatabase[Document], version: int = 1) -> None:
        self.db = db
        self.version = version
        self.unit_months = db[_named("unit_months", version)]
        self.unit_days = db[_named("unit_days", version)]
        self.streams = db[_named("stream_positions", version)]
        self.positions = PositionStore(db[_named("consumer_positions", version)])
        self.hierarchy_log = db[_named("hierarchy_log", version)]
        self.activity = db[_named("activity", version)]
        self._unbucketed: bool | None = None

    def at(self, version: int) -> ProjectionStore:
        return ProjectionStore(self.db, version)

    async def create_indexes(self) -> None:
        # A unit's months are found by `_id` (months_of); versions created before kept a
        # unique (unit, month) index as well, which nothing needs and is left as it is.
        await self.unit_months.create_index([("parent", ASCENDING), ("month", ASCENDING)])
        await self.unit_months.create_index([("level", ASCENDING), ("month", ASCENDING)])
        await self.unit_days.create_index([("unit", ASCENDING), ("day", ASCENDING)])
        # a unit's log, with the units below it or not, newest first (one multikey index)
        await self.activity.create_index(
            [("lineage", ASCENDING), ("at", DESCENDING), ("_id", DESCENDING)]
        )

    # -- which version answers ----------------------------------------------------------------

    async def active_version(self, session: AsyncClientSession | None = None) -> int:
        doc = await self.db["projection_meta"].find_one({"_id": ACTIVE}, session=session)
        return int(doc["version"]) if doc else 1

    async def versions(self) -> list[int]:
        """Versions with any collection, oldest first."""
        names = await self.db.list_collection_names()
        found = {1} if "unit_months" in names or "consumer_positions" in names else set()
        for name in names:
            head, _, tail = name.rpartition("_v")
            if head in ("unit_months", "consumer_positions") and tail.isdigit():
                found.add(int(tail))
        return sorted(found)

    async def activate(self, version: int, session: AsyncClientSession | None = None) -> None:
        await self.db["projection_meta"].update_one(
            {"_id": ACTIVE}, {"$set": {"version": version}}, upsert=True, session=session
        )

    async def drop(self) -> None:
        for c in (self.unit_months, self.unit_days, self.streams, self.hierarchy_log):
            await c.drop()
        await self.activity.drop()
        await self.positions.collection.drop()

    # -- hierarchy the version was built with ----------------------------------------------------

    async def load_changes(self) -> list[HierarchyChanged]:
        return [
            HierarchyChanged.model_validate(d["change"])
            async for d in self.hierarchy_log.find().sort("_id", ASCENDING)
        ]

    async def log_change(self, session: AsyncClientSession, change: HierarchyChanged) -> None:
        await self.hierarchy_log.update_one(
            {"_id": change.change_no},
            {"$set": {"change": change.model_dump(mode="json")}},
            upsert=True,
            session=session,
        )

    # -- writes ------------------------------------------------------------------------------------

    async def load_streams(
        self,
        names: Iterable[str],
        session: AsyncClientSession | None = None,
        revisions: dict[str, int] | None = None,
    ) -> dict[str, StreamPosition]:
        """Positions of the named streams: from their buckets, else (versions written before
        buckets) from a document of their own. `revisions` gets each bucket's revision."""
        wanted = {name: (stream_bucket(name), _field(name)) for name in set(names)}
        buckets = sorted({bucket for bucket, _ in wanted.values()})
        wanted_fields = {f"streams.{key}": 1 for _, key in wanted.values()}  # not whole buckets
        held = {}
        async for d in self.streams.find(
            {"_id": {"$in": buckets}}, {**wanted_fields, "rev": 1}, session=session
        ):
            held[d["_id"]] = d.get("streams", {})
            if revisions is not None:
                revisions[d["_id"]] = int(d.get("rev", 0))
        if revisions is not None:
            revisions.update((b, 0) for b in buckets if b not in held)
        found: dict[str, StreamPosition] = {}
        for name, (bucket, key) in wanted.items():
            entry = held.get(bucket, {}).get(key)
            if entry is not None:
                found[name] = StreamPosition(entry["through"], set(entry["ahead"]))
        missing = sorted(set(wanted) - set(found))
        if missing and await self._has_unbucketed_streams():
            async for d in self.streams.find({"_id": {"$in": missing}}, session=session):
                found[d["_id"]] = StreamPosition(d["applied_through"], set(d.get("ahead", [])))
        return found

    async def _has_unbucketed_streams(self) -> bool:
        """Whether this version holds positions of the older one-document-per-stream form
        (never written again, so the answer is kept once it is no)."""
        if self._unbucketed is None:
            old = await self.streams.find_one({"_id": {"$not": {"$regex": "^bucket:"}}})
            self._unbucketed = old is not None
        return self._unbucketed

    async def flush(self, session: AsyncClientSession, fold: Fold) -> None:
        """Write folded figures, not positions: one upsert per (unit, month) document, whose
        `days.DD` carry the unit's own figures per day (what a hierarchy change moves), so a
        day costs no write of its own."""
        days: dict[tuple[str, str], dict[str, int]] = {}
        for (unit, day), figures in fold.days.items():
            incs = days.setdefault((unit, month_of(day)), {})
            incs.update((f"days.{day.day:02d}.{k}", v) for k, v in figures.items() if v)
        updates = [
            {
                "q": {"_id": month_document(unit, month)},
                "u": {
                    "$setOnInsert": {"unit": unit, "month": month},
                    "$set": {"level": doc.level, "parent": doc.parent},
                    "$inc": {
                        "rev": 1,  # every write, even one that nets to zero: see views.Views
                        **{f"own.{k}": v for k, v in doc.own.items() if v},
                        **{f"total.{k}": v for k, v in doc.total.items() if v},
                        **days.get((unit, month), {}),
                    },
                },
                "upsert": True,
            }
            for (unit, month), doc in fold.changes.items()
        ]
        await self._update(updates, session)

    async def _update(self, updates: list[Document], session: AsyncClientSession) -> None:
        """Unordered upserts as `update` commands of UPDATES_PER_COMMAND each: what
        bulk_write sends, without building and checking an UpdateOne per document (a third
        of the projector's CPU in a flush of events spread over the whole country)."""
        name = self.unit_months.name
        for start in range(0, len(updates), UPDATES_PER_COMMAND):
            chunk = updates[start : start + UPDATES_PER_COMMAND]
            reply = await self.db.command(
                {"update": name, "updates": chunk, "ordered": False}, session=session
            )
            _raise_first(name, reply)

    async def day_figures(
        self,
        codes: Iterable[str],
        first: date,
        last: date,
        session: AsyncClientSession | None = None,
    ) -> AsyncIterator[tuple[str, date, Counter[str]]]:
        """Each unit's own non-zero figures per day from `first` to `last`: the `days` of its
        month documents, plus the `unit_days` collection that versions built before days moved
        into the months still hold."""
        units = sorted(set(codes))
        async for doc in self.unit_months.find(
            {**months_of(units, month_of(first), month_of(last)), "days": {"$exists": True}},
            {"unit": 1, "month": 1, "days": 1},
            session=session,
        ):
            year, month = year_month(doc["month"])
            for dd, figures in doc["days"].items():
                day = date(year, month, int(dd))
                counts = Counter({k: v for k, v in figures.items() if v})
                if first <= day <= last and counts:
                    yield doc["unit"], day, counts
        span = {"$gte": first.isoformat(), "$lte": last.isoformat()}
        query = {"unit": {"$in": units}, "day": span}
        async for doc in self.unit_days.find(query, session=session):
            counts = Counter({k: v for k, v in doc.get("own", {}).items() if v})
            if counts:
                yield doc["unit"], date.fromisoformat(doc["day"]), counts

    async def apply(
        self, session: AsyncClientSession, fold: Fold, records: Sequence[Positioned]
    ) -> None:
        """Write a folded batch: figures, activity entries, stream positions and offsets, all
        or nothing."""
        await self.flush(session, fold)
        await self.log_activity(session, fold.activity)
        buckets: dict[str, dict[str, Any]] = {}
        for name, p in fold.streams.items():
            fields = buckets.setdefault(stream_bucket(name), {})
            fields[f"streams.{_field(name)}"] = {
                "through": p.applied_through,
                "ahead": sorted(p.ahead),
            }
        # Every write of a bucket counts up its revision: a write-behind projector that holds
        # positions in memory checks, in its transaction, that nobody else wrote them since.
        stream_updates = [
            UpdateOne({"_id": bucket}, {"$set": fields, "$inc": {"rev": 1}}, upsert=True)
            for bucket, fields in buckets.items()
        ]
        if stream_updates:
            await self.streams.bulk_write(stream_updates, ordered=False, session=session)
        offsets = self.positions.updates(records)
        if offsets:
            await self.positions.collection.bulk_write(offsets, ordered=False, session=session)

    async def log_activity(self, session: AsyncClientSession, entries: Sequence[Document]) -> None:
        """Add entries to the activity log. Plain inserts (a third of what upserts cost): an
        entry's key is its stream and sequence, which the stream positions written in this
        same transaction let through once (a hierarchy change's: its change number, new once),
        so no key is ever written twice."""
        for start in range(0, len(entries), UPDATES_PER_COMMAND):
            chunk = list(entries[start : start + UPDATES_PER_COMMAND])
            reply = await self.db.command(
                {"insert": self.activity.name, "documents": chunk, "ordered": False},
                session=session,
            )
            _raise_first(self.activity.name, reply)

    async def revisions(
        self, buckets: Iterable[str], session: AsyncClientSession | None = None
    ) -> dict[str, int]:
        """The revision of each bucket (0: never written)."""
        wanted = sorted(set(buckets))
        found = {b: 0 for b in wanted}
        async for d in self.streams.find({"_id": {"$in": wanted}}, {"rev": 1}, session=session):
            found[d["_id"]] = int(d.get("rev", 0))
        return found

    async def relocate(
        self,
        session: AsyncClientSession,
        hierarchy: Hierarchy,
        codes: set[str],
        first: date,
        last: date,
    ) -> None:
        """After a hierarchy change: give the month documents of `codes` from `first` to `last`
        the level and parent the changed tree places them at, and list their activity entries
        under the units it puts them in, as if it had been known when they were written (so
        neither depends on which arrived first)."""
        refresh = []
        async for doc in self.unit_months.find(
            months_of(codes, month_of(first), month_of(last)),
            {"unit": 1, "month": 1},
            session=session,
        ):
            level, parent = placed(hierarchy, doc["unit"], doc["month"])
            refresh.append(
                UpdateOne(
                    {"_id": doc["_id"]},
                    {"$set": {"level": level, "parent": parent}, "$inc": {"rev": 1}},
                )
            )
        if refresh:
            await self.unit_months.bulk_write(refresh, ordered=False, session=session)
        match = {
            "lineage": {"$in": sorted(codes)},
            "unit": {"$in": sorted(codes)},
            "day": {"$gte": first.isoformat(), "$lte": last.isoformat()},
        }
        cursor = await self.activity.aggregate(
            [{"$match": match}, {"$group": {"_id": {"unit": "$unit", "day": "$day"}}}],
            session=session,
        )
        moves = [
            UpdateMany(
                {"unit": unit, "day": day},
                {"$set": {"lineage": list(listed_under(hierarchy, unit, date.fromisoformat(day)))}},
            )
            async for group in cursor
            for unit, day in [(group["_id"]["unit"], group["_id"]["day"])]
        ]
        if moves:
            await self.activity.bulk_write(moves, ordered=False, session=session)


def _raise_first(name: str, reply: Document) -> None:
    """A write command's first write error, raised (the command itself succeeded)."""
    errors = reply.get("writeErrors")
    if errors:
        raise OperationFailure(f"{name}: {errors[0].get('errmsg')}", errors[0].get("code"))
