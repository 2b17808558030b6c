"""The hierarchy registry: the country's units in MongoDB, published on the hierarchy topic.

`hdnd hierarchy load` writes every unit version of the dataset (both eras) into the
`hierarchy` database's `units` collection and, in the same transactions, one `unit.registered`
event per new or changed unit into its outbox; the relay publishes them. Running it again
writes and publishes nothing new. Its outbox signs with the registry key the registry holds
(contracts.signing: only a registry key signs the unit tree).

`hdnd hierarchy change …` records one decision (merge, divide, dissolve, re-parent, rename)
with the next change number, refuses it with the reason if it does not fit the tree, and
publishes `hierarchy.changed` through the same outbox; the unit versions it ends or starts
are updated in `units` in the same transaction.

Their actor is the system acting for the operator's command: the OS user and the command
("root (hdnd hierarchy merge)").
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pymongo import ASCENDING, ReplaceOne, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from contracts import EventDraft
from contracts.hierarchy import Change, HierarchyChanged, UnitRegistered
from services.common.hierarchy import REFORM_DATE, Era, Hierarchy, Unit, era_of
from services.common.mongo import Document
from services.common.recording import recorded, system_actor
from services.common.runtime import Runtime

SERVICE = "hierarchy"
Progress = Callable[[int], None]


class ChangeRefused(ValueError):
    """The change does not fit the tree it would land on; nothing was written."""


@dataclass(frozen=True, slots=True)
class Loaded:
    units: int
    new: int
    published: int


def _version_id(era: str, code: str, valid_from: date | None) -> str:
    return f"{era}:{code}:{valid_from.isoformat() if valid_from else 'start'}"


def _unit_doc(payload: UnitRegistered) -> Document:
    doc = payload.model_dump(mode="json")
    return {"_id": _version_id(payload.era, payload.code, payload.valid_from), **doc}


def _day_of(era: Era) -> date:
    """A day the whole era's dataset is in force: the business day of its registrations."""
    return REFORM_DATE - timedelta(days=1) if era == "legacy" else REFORM_DATE


def _draft(payload: UnitRegistered | HierarchyChanged, unit: str, day: date) -> EventDraft:
    return recorded(payload, unit, day)


async def recorded_hierarchy(db: AsyncDatabase[Document]) -> Hierarchy:
    """The dataset with every change recorded so far in the registry's database `db`."""
    h = Hierarchy.load().copy()
    h.apply(
        [
            HierarchyChanged.model_validate(d["change"])
            async for d in db["changes"].find().sort("_id", ASCENDING)
        ]
    )
    return h


class Registry:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.units = runtime.db["units"]
        self.changes = runtime.db["changes"]
        self.counters = runtime.db["counters"]
        self.topic = runtime.settings.topics.hierarchy

    async def create_indexes(self) -> None:
        await self.units.create_index([("era", ASCENDING), ("code", ASCENDING)])
        await self.units.create_index([("parent", ASCENDING)])

    async def hierarchy(self) -> Hierarchy:
        """The dataset with every change recorded so far."""
        return await recorded_hierarchy(self.runtime.db)

    # -- load -------------------------------------------------------------------------------------

    async def load(
        self,
        hierarchy: Hierarchy,
        advance: Progress,
        batch: int = 500,
        scope: Sequence[str] = (),
    ) -> Loaded:
        """Write every dataset unit (of `scope`'s subtrees, if given) not yet in `units`, with
        its event; idempotent. Signed with the registry key: a province's registry loads its
        province (HDND_UNITS), the whole country needs the national registry's key."""
        payloads = [hierarchy.registered(u) for u in units_of(hierarchy, scope)]
        new = published = 0
        for start in range(0, len(payloads), batch):
            chunk = payloads[start : start + batch]

            async def work(session: AsyncClientSession, chunk: list[UnitRegistered] = chunk) -> int:
                ids = [_unit_doc(p)["_id"] for p in chunk]
                found = {
                    d["_id"]: d
                    async for d in self.units.find({"_id": {"$in": ids}}, session=session)
                }
                fresh = [p for p in chunk if found.get(_unit_doc(p)["_id"]) != _unit_doc(p)]
                if not fresh:
                    return 0
                drafts = [
                    _draft(p, hierarchy.lineage(p.code, p.era)[-1], _day_of(p.era)) for p in fresh
                ]
                loader = system_actor("hdnd hierarchy load")
                await self.runtime.outbox.append(session, self.topic, drafts, loader)
                await self.units.bulk_write(
                    [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in map(_unit_doc, fresh)],
                    ordered=False,
                    session=session,
                )
                return len(fresh)

            added = await self.runtime.write(work)
            new += added
            published += added
            advance(len(chunk))
        return Loaded(len(payloads), new, published)

    # -- change -----------------------------------------------------------------------------------

    async def change(self, body: Change, effective: date, decision: str = "") -> HierarchyChanged:
        """Record and publish one change; ChangeRefused (nothing written) if it does not fit."""

        async def work(session: AsyncClientSession) -> HierarchyChanged:
            counter = await self.counters.find_one_and_update(
                {"_id": "change_no"},
                {"$inc": {"value": 1}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
                session=session,
            )
            assert counter is not None
            change = HierarchyChanged(
                change_no=int(counter["value"]),
                effective=effective,
                decision=decision,
                change=body,
            )
            before = await self.hierarchy()
            after = before.copy()
            after.apply([change])
            reason = after.rejected().get(change.change_no)
            if reason:
                raise ChangeRefused(reason)
            broken = sorted(set(after.rejected()) - set(before.rejected()))
            if broken:  # a backdated change must not undo one already in force
                raise ChangeRefused(
                    f"it would make change(s) {', '.join(map(str, broken))} no longer apply: "
                    + "; ".join(after.rejected()[n] for n in broken)
                )
            named = change.units_named()[0]
            province = before.lineage(named, effective)[-1]
            await self.runtime.outbox.append(
                session,
                self.topic,
                [_draft(change, province, effective)],
                system_actor(f"hdnd hierarchy {body.kind}"),
            )
            await self.changes.insert_one(
                {"_id": change.change_no, "change": change.model_dump(mode="json")},
                session=session,
            )
            diff = before.differences(after, era_of(effective))
            codes = set(change.units_named()) | (diff[1] if diff else set())
            await self._record_versions(session, after, era_of(effective), codes)
            return change

        return await self.runtime.write(work)

    async def _record_versions(
        self, session: AsyncClientSession, h: Hierarchy, era: Era, codes: set[str]
    ) -> None:
        """Rewrite the unit versions of `codes` in `units` as the changed tree has them."""
        for code in sorted(codes):
            await self.units.delete_many({"era": era, "code": code}, session=session)
            docs = [
                {"_id": _version_id(era, code, v["valid_from"]), **_json(v)}
                for v in h.history(code, era)
            ]
            if docs:
                await self.units.insert_many(docs, session=session)

    async def drain(self, advance: Progress, wait: float = 600.0) -> int:
        """Publish what the outbox holds; returns how many were published."""
        total = await self.runtime.outbox.pending_count()
        self.runtime.relay.start()
        done = 0
        deadline = asyncio.get_running_loop().time() + wait
        while True:
            left = await self.runtime.outbox.pending_count()
            advance(total - left - done)
            done = total - left
            if left == 0:
                return total
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{left} hierarchy events still unpublished")
            await asyncio.sleep(0.2)


def _json(version: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in version.items()}


def units_of(h: Hierarchy, scope: Sequence[str] = ()) -> Iterator[Unit]:
    """Every unit of both eras, or those within the units of `scope` (in each era where the
    scope's code names a unit)."""
    eras: tuple[Era, ...] = ("legacy", "2025")
    for era in eras:
        if not scope:
            yield from h.units(era)
            continue
        for code in scope:
            top = h.find(code, era)
            if top is not None:
                yield top
                yield from h.descendants(code, era)
