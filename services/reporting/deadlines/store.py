"""The deadline rules document (`deadline_rules` in reporting's database): one document per
version, the highest in force. Version 0 is the defaults, never stored: a deployment that
never changed its rules uses them. A change commits with its `deadline_rules.changed` event
(outbox) in one transaction; a version taken meanwhile by another admin is a 409."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from pymongo import DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from contracts import Actor
from contracts.notifications import DeadlineRules, DeadlineRulesChanged
from services.common.activity import EmittingStore
from services.common.errors import Conflict
from services.common.mongo import Document, in_transaction
from services.common.outbox import Outbox
from services.common.recording import recorded
from services.reporting.deadlines.defaults import DEFAULT_RULES


class RulesStore(EmittingStore):
    def __init__(self, db: AsyncDatabase[Document], outbox: Outbox, topic: str) -> None:
        super().__init__(outbox, topic)
        self.versions = db["deadline_rules"]

    async def current(self) -> tuple[int, DeadlineRules]:
        """The version in force and its rules (0 and the defaults until one is set)."""
        doc = await self.versions.find_one({}, sort=[("_id", DESCENDING)])
        if doc is None:
            return 0, DEFAULT_RULES
        return int(doc["_id"]), DeadlineRules.model_validate(doc["rules"])

    async def history(self, limit: int = 100) -> list[dict[str, Any]]:
        cursor = self.versions.find({}, sort=[("_id", DESCENDING)]).limit(limit)
        return [
            {
                "version": d["_id"],
                "changed_on": d["changed_on"],
                "by": d.get("by"),
                "unit": d["unit"],
                "rules": d["rules"],
            }
            async for d in cursor
        ]

    async def change(
        self, rules: DeadlineRules, unit: str, day: date, actor: Actor, based_on: int | None
    ) -> int:
        """Put `rules` in force as the next version (after `based_on`, when given: a 409 if
        another change came first); the new version."""
        current, _ = await self.current()
        if based_on is not None and based_on != current:
            raise Conflict(
                "body.based_on", f"the rules changed meanwhile: version {current} is in force"
            )
        version = current + 1
        event = DeadlineRulesChanged(version=version, changed_on=day, rules=rules)

        async def write(session: AsyncClientSession) -> int:
            await self.versions.insert_one(
                {
                    "_id": version,
                    "rules": rules.model_dump(mode="json"),
                    "changed_on": day.isoformat(),
                    "unit": unit,
                    "by": actor.model_dump(),
                    "recorded_at": datetime.now(UTC),
                },
                session=session,
            )
            await self.emit_one(session, recorded(event, unit, day, actor=actor))
            return version

        try:
            return await in_transaction(self.versions.database.client, write)
        except DuplicateKeyError:
            raise Conflict(
                "body.based_on", f"version {version} was set meanwhile by another change"
            ) from None
