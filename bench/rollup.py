"""The roll-up every peer in `bench.peers` computes, so they all do the same work per event.

An event's increments per `unit:month` document: `own.<figure>` for the unit it counts in and
`total.<figure>` for it and every ancestor, exactly what hdnd's projector folds (decoded and
validated by the same contracts, placed by the same hierarchy). Peers differ only in how they
consume, batch, deduplicate and write.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pymongo import UpdateOne

from contracts import decode_event
from services.common.hierarchy import Hierarchy
from services.reporting.read.projector.fold import month_of, place_event

Increments = dict[str, dict[str, int]]  # document id -> {"own.x": 1, "total.x": 1, …}


def increments_of(hierarchy: Hierarchy, raw: bytes) -> Increments:
    event = decode_event(raw)
    out: Increments = {}
    for target, day, placed in place_event(hierarchy, event):
        month = month_of(day)
        figures = {k: v for k, v in placed.items() if v}
        own = out.setdefault(f"{target}:{month}", {})
        for k, v in figures.items():
            own[f"own.{k}"] = own.get(f"own.{k}", 0) + v
        for code in hierarchy.lineage(target, day):
            doc = out.setdefault(f"{code}:{month}", {})
            for k, v in figures.items():
                doc[f"total.{k}"] = doc.get(f"total.{k}", 0) + v
    return out


def merge(into: Increments, more: Increments) -> None:
    for doc, incs in more.items():
        target = into.setdefault(doc, {})
        for k, v in incs.items():
            target[k] = target.get(k, 0) + v


def upserts(increments: Increments) -> list[UpdateOne]:
    """One `$inc` upsert per document: the pre-aggregated bulk write."""
    return [
        UpdateOne({"_id": doc}, {"$inc": incs}, upsert=True) for doc, incs in increments.items()
    ]


def province_totals(docs: list[dict[str, Any]]) -> Counter[str]:
    """Every figure summed over the provinces' (2-digit codes) `total`: the whole country,
    whichever era a month belongs to."""
    out: Counter[str] = Counter()
    for doc in docs:
        if len(str(doc["_id"]).split(":", 1)[0]) == 2:
            out.update({k: v for k, v in doc.get("total", {}).items() if v})
    return out
