"""The invariants checked once everything has settled."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from contracts import Envelope, decode_event
from deploy.soak.common import (
    PROVINCE,
    Check,
    Snapshot,
)
from deploy.soak.faults import SoakFaults
from services.reporting.read.projector.fold import fold


class SoakChecks(SoakFaults):
    """What must hold after the faults: nothing lost, nothing counted twice."""

    async def check(self) -> list[Check]:
        checks: list[Check] = []

        def check(name: str, ok: bool, detail: str) -> None:
            checks.append(Check(name, ok, detail))

        async with self._mongo() as client:
            meetings_db = client[self.settings.database_for("meetings")]
            stored = {d["_id"] async for d in meetings_db["meetings"].find({}, {"_id": 1})}
            facts = {"event_type": {"$ne": "audit.root"}}  # the daily roots go elsewhere
            rows = await meetings_db["outbox"].find(facts, {"value": 1, "sent": 1}).to_list()
            projection = await self._projection(client)
        accepted, sent = self.writes.accepted, set(self.writes.sent)
        lost = accepted - stored
        check(
            "every accepted write is stored",
            not lost,
            f"{len(accepted)} accepted, {len(lost)} missing",
        )
        check(
            "nothing stored that no client sent",
            stored <= sent,
            f"{len(stored)} stored, {len(stored - sent)} unknown",
        )
        events = [decode_event(bytes(r["value"])) for r in rows]
        in_outbox = Counter(e.payload.meeting.meeting_id for e in events)  # type: ignore[attr-defined]
        check(
            "one outbox event per stored write, all relayed",
            set(in_outbox) == stored
            and all(n == 1 for n in in_outbox.values())
            and all(r["sent"] for r in rows),
            f"{len(rows)} events for {len(stored)} writes, "
            f"{sum(not r['sent'] for r in rows)} unsent",
        )
        wanted = _snapshot_of_fold(fold(self.hierarchy, events))
        diffs = [k for k in set(wanted) | set(projection) if wanted.get(k) != projection.get(k)]
        check(
            "projection = accepted events folded from scratch",
            not diffs,
            f"{len(projection)} unit-month documents, {len(diffs)} differ"
            + (f" (e.g. {sorted(diffs)[:3]})" if diffs else ""),
        )
        summary = await self._province_summary()
        plain = _plain_totals(self.writes.sent[i][1] for i in stored)
        wrong = {k: (summary.get(k, 0), v) for k, v in plain.items() if summary.get(k, 0) != v}
        check(
            "province figures over HTTP = plain count of the meetings",
            not wrong,
            ", ".join(f"{k} {v}" for k, v in sorted(plain.items()))
            + (f"; wrong (api, count): {wrong}" if wrong else ""),
        )
        on_topic = await self._read(self.settings.topics.meetings)
        order_ok, duplicates, streams = _in_order_per_stream(on_topic)
        check(
            "each unit's events on the topic in sequence order",
            order_ok,
            f"{len(on_topic)} messages, {streams} streams, {duplicates} duplicate copies "
            "(dropped by the projector)",
        )
        letters = set(await self._read(self._dlq))
        missing = [p for p in self.poison if p not in letters]
        check(
            "every poison message dead-lettered",
            not missing,
            f"{len(self.poison)} poison, {len(missing)} not in {self._dlq}",
        )
        check(
            "no service died on its own, no write refused",
            not self.violations and not self.writes.refused,
            "; ".join(self.violations + self.writes.refused[:3]) or "none",
        )
        return checks

    async def _projection(self, client: AsyncMongoClient[dict[str, Any]]) -> Snapshot:
        snapshot: Snapshot = {}
        async for doc in client[self.settings.database_for("reporting")]["unit_months"].find():
            total = _nonzero(doc.get("total", {}))
            if total:
                snapshot[(doc["unit"], doc["month"])] = {
                    "own": _nonzero(doc.get("own", {})),
                    "total": total,
                }
        return snapshot

    async def _province_summary(self) -> dict[str, int]:
        reporting = self.services["reporting"]
        headers = {"Authorization": f"Bearer {self.token('viewer')}"}
        async with httpx.AsyncClient(base_url=reporting.url, headers=headers, timeout=30) as c:
            r = await c.get(f"/units/{PROVINCE}/summary", params={"period": "2025-H1"})
            r.raise_for_status()
            figures: dict[str, int] = r.json()["figures"]
            return figures


def _nonzero(figures: dict[str, Any]) -> dict[str, int]:
    return {k: int(v) for k, v in figures.items() if v}


def _snapshot_of_fold(result: Any) -> Snapshot:
    return {
        key: {"own": _nonzero(doc.own), "total": _nonzero(doc.total)}
        for key, doc in result.changes.items()
        if _nonzero(doc.total)
    }


def _plain_totals(bodies: Any) -> dict[str, int]:
    totals: Counter[str] = Counter()
    for m in bodies:
        if m["kind"] == "voter_contact":
            totals.update(
                voter_contacts=1,
                voters_reached=m["voters_attending"],
                voter_opinions_raised=m["opinions_raised"],
            )
        elif m["kind"] == "citizen_reception":
            totals.update(
                citizen_receptions=1,
                citizens_received=m["citizens_received"],
                petitions_received=m["petitions_received"],
            )
        else:
            totals.update(standing_committee_meetings=1)
    return dict(totals)


def _in_order_per_stream(values: list[bytes]) -> tuple[bool, int, int]:
    firsts: dict[str, list[int]] = defaultdict(list)
    seen: set[tuple[str, int]] = set()
    duplicates = 0
    for value in values:
        try:
            envelope = Envelope.model_validate_json(value)
        except ValueError:
            continue  # poison
        if envelope.source.service == "poison":
            continue
        key = (envelope.stream, envelope.sequence)
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        firsts[envelope.stream].append(envelope.sequence)
    ok = all(seqs == list(range(1, len(seqs) + 1)) for seqs in firsts.values())
    return ok, duplicates, len(firsts)
