"""Reading the activity log: a unit's entries (with those of the units below it, or not),
filtered by person, kind and day, newest first, a page at a time. No HTTP here: the routes
check who may read which unit and era (services.reporting.activity.api)."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection

from contracts.timezone import VIETNAM_TZ
from services.common.errors import DomainError
from services.common.hierarchy import Era, Hierarchy
from services.common.mongo import Document
from services.reporting.activity.entries import label_of, said

NEWEST_FIRST = [("at", DESCENDING), ("_id", DESCENDING)]
MAX_PEOPLE = 1000


@dataclass(frozen=True, slots=True)
class Filter:
    """Which entries of which unit: `eras` are those whose council of `unit` the caller may
    read (a code reused in 2025 names another council in the other era); `first` and `last`
    are days in Vietnam, on the time each was done."""

    unit: str
    eras: Sequence[Era]
    below: bool = False
    person: str | None = None
    kind: str | None = None
    first: date | None = None
    last: date | None = None

    def query(self, with_person: bool = True) -> Document:
        q: Document = {"lineage": self.unit, "era": {"$in": list(self.eras)}}
        if not self.below:
            q["unit"] = self.unit
        if self.person and with_person:
            q["actor.id"] = self.person
        if self.kind:  # a type, or every type of a context ("opinion" → opinion.*)
            exact = "." in self.kind
            q["type"] = self.kind if exact else {"$regex": f"^{re.escape(self.kind)}\\."}
        at: Document = {}
        if self.first:
            at["$gte"] = _start_of(self.first)
        if self.last:
            at["$lt"] = _start_of(self.last + timedelta(days=1))
        if at:
            q["at"] = at
        return q


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), VIETNAM_TZ)


def cursor_after(entry: Document) -> str:
    """An opaque cursor: the page after it starts past `entry`."""
    raw = f"{entry['at'].isoformat()}|{entry['_id']}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _past(cursor: str) -> Document:
    """The condition "after `cursor`" (newest first); 422 naming the cursor if it is not one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at_text, _, key = raw.partition("|")  # a time has no "|"; a key may
        at = datetime.fromisoformat(at_text)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise DomainError("query.cursor", "not a cursor this log gave") from None
    if at.tzinfo is None or not key:
        raise DomainError("query.cursor", "not a cursor this log gave")
    return {"$or": [{"at": {"$lt": at}}, {"at": at, "_id": {"$lt": key}}]}


class ActivityLog:
    """The `activity` collection of the projection version that answers queries."""

    def __init__(self, entries: AsyncCollection[Document], hierarchy: Hierarchy) -> None:
        self.entries = entries
        self.hierarchy = hierarchy

    async def page(
        self, which: Filter, limit: int, cursor: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Up to `limit` entries newest first, and the cursor of the next page (None: last)."""
        query = which.query()
        if cursor:
            query = {"$and": [query, _past(cursor)]}
        found = await self.entries.find(query).sort(NEWEST_FIRST).limit(limit + 1).to_list()
        more = len(found) > limit
        shown = found[:limit]
        return [self.shown(e) for e in shown], cursor_after(shown[-1]) if more else None

    async def every(self, which: Filter, at_most: int) -> AsyncIterator[dict[str, Any]]:
        """The entries newest first, at most `at_most` of them (an export)."""
        cursor = self.entries.find(which.query()).sort(NEWEST_FIRST).limit(at_most)
        async for entry in cursor:
            yield self.shown(entry)

    async def people(self, which: Filter) -> list[dict[str, Any]]:
        """Who made the entries (whatever the person filter says), by name: each with the
        name of their newest entry and how many they made."""
        pipeline: list[Document] = [
            {"$match": which.query(with_person=False)},
            {"$sort": dict(NEWEST_FIRST)},
            {"$group": {"_id": "$actor.id", "actor": {"$first": "$actor"}, "n": {"$sum": 1}}},
            {"$sort": {"actor.name": 1, "_id": 1}},
            {"$limit": MAX_PEOPLE},
        ]
        cursor = await self.entries.aggregate(pipeline)
        return [{**d["actor"], "entries": d["n"]} async for d in cursor]

    def shown(self, entry: Document) -> dict[str, Any]:
        """An entry as the API answers it: times in Vietnam, names in Vietnamese."""
        day = date.fromisoformat(entry["day"])
        unit = self.hierarchy.find(entry["unit"], day)
        return {
            "event_id": entry["event_id"],
            "at": entry["at"].astimezone(VIETNAM_TZ).isoformat(),
            "unit": entry["unit"],
            "unit_name": unit.name if unit is not None else entry["unit"],
            "day": entry["day"],
            "type": entry["type"],
            "label": label_of(entry["type"]),
            "record": entry.get("record"),
            "summary": said(entry.get("summary", "")),
            "actor": entry["actor"],
        }
