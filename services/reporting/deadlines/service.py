"""The deadline rules as the rest of reporting reads them: the version in force and, where the
rules count from sessions, the regular sessions of the councils asked about."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from contracts.notifications import DeadlineRules
from services.reporting.deadlines.sessions import SessionStore
from services.reporting.deadlines.store import RulesStore

SESSIONS_BACK, SESSIONS_AHEAD = timedelta(days=800), timedelta(days=400)


@dataclass
class Deadlines:
    store: RulesStore
    sessions: SessionStore

    async def create_indexes(self) -> None:
        await self.sessions.create_indexes()

    async def current(self) -> tuple[int, DeadlineRules]:
        return await self.store.current()

    async def in_force(
        self, units: Iterable[str], around: date
    ) -> tuple[DeadlineRules, dict[str, list[date]]]:
        """The rules and, only where they count from sessions, the sessions of `units` near
        `around` (none otherwise: nothing to read)."""
        _, rules = await self.store.current()
        if rules.report_due.mode != "before_session":
            return rules, {}
        days = await self.sessions.days_of(units, around - SESSIONS_BACK, around + SESSIONS_AHEAD)
        return rules, days
