"""What the standing committee of a level reads about its units' opinions: the period asked
for (a session's, or any period the summary API takes), the groups confirmed with their
opinions as they stand, the single opinions, and the groups the matcher proposes
(services.reporting.opinions.propose_groups). Shared by the API and the documents."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import Query

from services.common.errors import DomainError, NotFound
from services.common.hierarchy import Hierarchy
from services.common.mongo import Document
from services.reporting.opinions import Opinion, propose_groups
from services.reporting.read.periods import (
    Period,
    month_after,
    month_end,
    month_key,
    month_start,
    period_in,
    year_month,
)
from services.reporting.voter_opinions.store import VoterOpinionStore, opinion_key

LOOK_BACK = 6  # months a session's synthesis covers when no earlier session is known


@dataclass(frozen=True, slots=True)
class Window:
    """The months a listing or a report covers (the summary API's period), and the session
    they lead to, if one was asked for."""

    period: Period
    session: Document | None = None

    @property
    def first(self) -> date:
        return month_start(self.period.first)

    @property
    def last(self) -> date:
        return month_end(self.period.last)


def session_months(sessions: Sequence[Document], chosen: Document) -> str:
    """The period of the voter contacts before a session: from the month after the council's
    previous session to the session's month (the last six months, with none before it), as
    the summary API names a range: "2026-01..2026-06"."""
    last = chosen["day"][:7]
    earlier = [s["day"] for s in sessions if s["day"] < chosen["day"]]
    if earlier:
        first = month_after(max(earlier)[:7])
        first = min(first, last)
    else:
        y, m = year_month(last)
        back = y * 12 + m - 1 - (LOOK_BACK - 1)
        first = month_key(back // 12, back % 12 + 1)
    return f"{first}..{last}"


SessionQuery = Annotated[
    str | None,
    Query(description="A session (kỳ họp) of the unit's council: its meeting id or its number"),
]
PeriodQuery = Annotated[
    str | None,
    Query(description="Instead of a session, any period the summary API takes (2026-H1 …)"),
]


async def window_of(
    store: VoterOpinionStore, unit: str, session: str | None, period: str | None
) -> Window:
    """The window a request names: `session` (a meeting id, or a number in the term) of the
    unit's council, or `period`; 422 naming the query field otherwise."""
    if period is not None:
        return Window(period_in(period, "query.period"))
    if session is None:
        raise DomainError("query.session", "name a session (its id or number) or a period")
    sessions = await store.sessions_of(unit)
    chosen = [s for s in sessions if session in (s["meeting_id"], str(s["number"]))]
    if not chosen:
        raise NotFound("query.session", f"no session {session} of unit {unit} is known here")
    picked = chosen[-1]  # the latest of that number (the current term)
    return Window(period_in(session_months(sessions, picked), "query.session"), picked)


def in_window(doc: Document, window: Window) -> bool:
    return bool(window.first.isoformat() <= doc["raised_on"] <= window.last.isoformat())


STATUS = ("received", "forwarded", "answered", "resolved", "withdrawn")


class Listing:
    """Opinions and groups with what a reader needs besides their ids: unit names, the
    voter contact each came from, and a group's units, count and voters."""

    def __init__(self, store: VoterOpinionStore, hierarchy: Hierarchy) -> None:
        self.store = store
        self.hierarchy = hierarchy

    def unit_name(self, code: str, day: date) -> str:
        unit = self.hierarchy.find(code, day) or self.hierarchy.find(code, "2025")
        return unit.name if unit is not None else code

    async def opinions(self, docs: Sequence[Document]) -> list[dict[str, Any]]:
        contacts = await self.store.contacts_of(f"{d['unit']}:{d['meeting_id']}" for d in docs)
        return [self.opinion(d, contacts.get(f"{d['unit']}:{d['meeting_id']}")) for d in docs]

    def opinion(self, doc: Document, contact: Document | None) -> dict[str, Any]:
        day = date.fromisoformat(doc["raised_on"])
        shown = {k: doc.get(k) for k in ("unit", "opinion_id", "raised_on", "text", "field")}
        shown.update({k: doc.get(k) for k in ("addressed_to", "stage", "days", "agency")})
        shown.update(answer=doc.get("answer"), result=doc.get("result"))
        shown["unit_name"] = self.unit_name(doc["unit"], day)
        shown["meeting_id"] = doc["meeting_id"]
        if contact is not None:
            keep = ("held_on", "timing", "delegate_group", "voters_attending")
            shown["contact"] = {k: contact[k] for k in keep}
        return shown

    async def group(self, group: Document, window: Window | None = None) -> dict[str, Any]:
        """A group with its opinions as they stand (those raised in `window`, if given)."""
        members = [(m["unit"], m["opinion_id"]) for m in group["members"]]
        found = await self.store.named(members)
        docs = [found[k] for k in (opinion_key(u, o) for u, o in members) if k in found]
        if window is not None:
            docs = [d for d in docs if in_window(d, window)]
        opinions = await self.opinions(docs)
        shown = {k: v for k, v in group.items() if k not in ("_id", "members", "lineage")}
        shown["level_name"] = self.unit_name(
            group["level"], date.fromisoformat(group["decided_on"])
        )
        shown["opinions"] = opinions
        shown.update(summary_of(opinions))
        return shown


def summary_of(opinions: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A group's units (names, in order of first raised), how many opinions and voters (at
    the distinct voter contacts that raised it) and its opinions by stage."""
    units: list[str] = []
    voters: dict[tuple[str, str], int] = {}
    stages = dict.fromkeys(STATUS, 0)
    for o in opinions:
        if o["unit_name"] not in units:
            units.append(o["unit_name"])
        if "contact" in o:
            voters[(o["unit"], o["meeting_id"])] = o["contact"]["voters_attending"]
        stages[o["stage"]] = stages.get(o["stage"], 0) + 1
    return {
        "units": units,
        "count": len(opinions),
        "voters": sum(voters.values()),
        "stages": stages,
    }


def proposed(opinions: Iterable[Document], grouped: set[str]) -> list[tuple[list[Document], float]]:
    """Groups the matcher proposes among `opinions` not withdrawn and not in a group in force
    (`grouped`: their keys): each with its opinions (centre first) and its lowest score."""
    by_key = {
        d["_id"]: d for d in opinions if d["stage"] != "withdrawn" and d["_id"] not in grouped
    }
    candidates = [
        Opinion(
            key,
            d["text"],
            d["unit"],
            date.fromisoformat(d["raised_on"]),
            d["stage"],
            d["field"],
        )
        for key, d in by_key.items()
    ]
    return [
        (
            [by_key[o.opinion_id] for o in g.opinions],
            min((m.score for m in g.members), default=100.0),
        )
        for g in propose_groups(candidates)
    ]
