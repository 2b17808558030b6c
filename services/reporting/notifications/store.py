"""The notifier's documents in reporting's database.

- `notify_items`: the items waiting on an agency, as the notifier's consumer keeps them from
  the oversight topic: opinions forwarded (until answered, resolved or withdrawn), petitions
  transferred (until settled or withdrawn), recommendations issued (until implemented); and
  the supervisions' units (`supervision:`), which say whom a recommendation is addressed to.
- `notify_answers`: answers coming down (a proposal answered, an opinion answered, a
  recommendation issued to a unit below) waiting to be told, until a sweep tells them.
- `notify_positions`: that consumer's Kafka positions (written with its documents).
- `notices`: one per decision of the sweep (rule, item, due day, recipient unit, kind),
  `_id` the notice id, a hash of that key: a second decision of the same is a duplicate key.
- `notifications`: one per notice and account (`<notice id>:<account id>`): the bell.
- `email_outbox`: one per notification the account wants by e-mail; the sender marks it sent.

A notice, its notifications, its e-mails and its `notification.sent` event commit in one
transaction: decided once, or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from contracts import Actor
from contracts.notifications import NotificationSent
from services.common.activity import EmittingStore
from services.common.consumer import PositionStore
from services.common.mongo import Document, bulk_by_collection, in_transaction
from services.common.outbox import Outbox
from services.common.recording import recorded
from services.reporting.notifications.notices import Notice

NOTIFIER = Actor(id="notifier", name="Hệ thống nhắc hạn", kind="system")
MAX_LISTED = 200


class NotificationStore(EmittingStore):
    def __init__(self, db: AsyncDatabase[Document], outbox: Outbox, topic: str) -> None:
        super().__init__(outbox, topic)
        self.items = db["notify_items"]
        self.answers = db["notify_answers"]
        self.positions = PositionStore(db["notify_positions"])
        self.notices = db["notices"]
        self.notifications = db["notifications"]
        self.emails = db["email_outbox"]

    async def create_indexes(self) -> None:
        await self.items.create_index([("open", ASCENDING), ("rule", ASCENDING)])
        await self.answers.create_index([("told", ASCENDING), ("day", ASCENDING)])
        await self.notifications.create_index(
            [("account_id", ASCENDING), ("created_at", DESCENDING)]
        )
        await self.emails.create_index(
            [("created_at", ASCENDING)], name="pending", partialFilterExpression={"sent": False}
        )

    # -- the sweep's writes --------------------------------------------------------------------

    async def decide(
        self,
        notice: Notice,
        recipients: Sequence[tuple[Document, Document | None]],
        rules_version: int,
        answer_id: str | None = None,
    ) -> bool:
        """Record `notice` with a notification per recipient (and its e-mail, where wanted)
        and its event, in one transaction; False if it was decided before (nothing written).
        `answer_id`: the answer it tells, marked told in the same transaction."""
        now = datetime.now(UTC)
        emails = [mail for _, mail in recipients if mail is not None]
        event = NotificationSent(
            notice_id=notice.notice_id,
            kind=notice.kind,
            rule=notice.rule,
            item=notice.item[:200],
            due_on=notice.due,
            sent_on=notice.day,
            units=list(notice.units)[:1000],
            recipients=len(recipients),
            emails=len(emails),
            rules_version=rules_version,
            title=notice.title[:500],
        )

        async def write(session: AsyncClientSession) -> bool:
            try:
                await self.notices.insert_one(
                    {**notice.document(), "rules_version": rules_version, "created_at": now},
                    session=session,
                )
            except DuplicateKeyError:
                return False
            if recipients:
                docs = [{**doc, "created_at": now} for doc, _ in recipients]
                await self.notifications.insert_many(docs, session=session)
            if emails:
                rows = [{**mail, "created_at": now, "sent": False} for mail in emails]
                await self.emails.insert_many(rows, session=session)
            if answer_id is not None:
                await self.answers.update_one(
                    {"_id": answer_id}, {"$set": {"told": True}}, session=session
                )
            draft = recorded(event, notice.unit, notice.day, actor=NOTIFIER)
            await self.emit_one(session, draft)
            return True

        return await in_transaction(self.notices.database.client, write)

    async def decided(self, notice_ids: Sequence[str]) -> set[str]:
        cursor = self.notices.find({"_id": {"$in": list(notice_ids)}}, {"_id": 1})
        return {d["_id"] async for d in cursor}

    async def told(self, answer_id: str) -> None:
        """An answer nobody can be told (its unit has no people): not looked at again."""
        await self.answers.update_one({"_id": answer_id}, {"$set": {"told": True}})

    # -- the consumer's writes -----------------------------------------------------------------

    async def apply(
        self, session: AsyncClientSession, writes: Sequence[tuple[str, UpdateOne]]
    ) -> None:
        await bulk_by_collection(session, writes, self.items.database.get_collection)

    # -- reads ---------------------------------------------------------------------------------

    async def open_items(self) -> list[Document]:
        return await self.items.find({"open": True, "rule": {"$ne": "supervision"}}).to_list()

    async def supervised_units(self, unit: str, supervision_id: str) -> list[str]:
        doc = await self.items.find_one({"_id": f"supervision:{unit}:{supervision_id}"})
        return list(doc.get("units", [])) if doc else []

    async def answers_to_tell(self, since: date) -> list[Document]:
        query = {"told": False, "day": {"$gte": since.isoformat()}}
        return await self.answers.find(query).sort("day", ASCENDING).limit(1000).to_list()

    async def listed(self, account_id: str, unread: bool | None, limit: int) -> list[Document]:
        query: Document = {"account_id": account_id}
        if unread is not None:
            query["read_at"] = None if unread else {"$ne": None}
        cursor = self.notifications.find(query, {"account_id": 0}).sort("created_at", -1)
        return await cursor.limit(min(limit, MAX_LISTED)).to_list()

    async def unread_count(self, account_id: str) -> int:
        return await self.notifications.count_documents({"account_id": account_id, "read_at": None})

    async def mark_read(self, account_id: str, notification_id: str) -> Document | None:
        """Mark one of the account's notifications read (once); None if it has no such one."""
        now = datetime.now(UTC)
        mine = {"_id": notification_id, "account_id": account_id}
        await self.notifications.update_one({**mine, "read_at": None}, {"$set": {"read_at": now}})
        return await self.notifications.find_one(mine, {"account_id": 0})

    # -- e-mail --------------------------------------------------------------------------------

    async def pending_emails(self, limit: int) -> list[Document]:
        now = datetime.now(UTC)
        query = {"sent": False, "$or": [{"retry_at": None}, {"retry_at": {"$lte": now}}]}
        return await self.emails.find(query).sort("created_at", 1).limit(limit).to_list()

    async def mark_emailed(self, mail_id: str) -> None:
        now = datetime.now(UTC)
        await self.emails.update_one({"_id": mail_id}, {"$set": {"sent": True, "sent_at": now}})

    async def email_failed(self, mail: Document, error: str, retry_at: datetime) -> None:
        changes: dict[str, Any] = {"last_error": error[:500], "retry_at": retry_at}
        await self.emails.update_one(
            {"_id": mail["_id"]}, {"$set": changes, "$inc": {"attempts": 1}}
        )
