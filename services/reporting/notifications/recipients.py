"""Who a unit's people are, for notifications: the rule, written once.

- A unit's people: its active accounts of roles secretary, admin and viewer, of the unit's
  council in force on the day (accounts name a unit of one era; operators and service accounts
  are nobody's people).
- The standing committee of the level above (Thường trực HĐND cấp trên): the people of the
  unit's parent in force on the day; a province has none here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from contracts.identity import NoticeKind
from services.common.hierarchy import Hierarchy, Unit
from services.reporting.identity.store import IdentityStore

PEOPLE_ROLES = ("secretary", "admin", "viewer")
ALL_KINDS: tuple[NoticeKind, ...] = ("reminder", "escalation", "digest", "answer")


@dataclass(frozen=True, slots=True)
class Person:
    account_id: str
    full_name: str
    email: str | None
    email_kinds: tuple[str, ...]

    def wants_email(self, kind: str) -> bool:
        return self.email is not None and kind in self.email_kinds


def level_above(hierarchy: Hierarchy, unit: str, day: date) -> Unit | None:
    """The council above `unit` on `day` (None for a province, or a unit not in force)."""
    found = hierarchy.find(unit, day)
    if found is None or found.parent is None:
        return None
    return hierarchy.find(found.parent, day)


async def people_of(
    store: IdentityStore, hierarchy: Hierarchy, unit: str, day: date
) -> list[Person]:
    """The people of `unit`'s council in force on `day` (none if it is not in force)."""
    council = hierarchy.find(unit, day)
    if council is None:
        return []
    return [
        Person(
            doc["_id"],
            doc["full_name"],
            doc.get("email"),
            tuple(doc.get("email_kinds", ALL_KINDS)),
        )
        for doc in await store.people(council.code, council.era, PEOPLE_ROLES)
    ]
