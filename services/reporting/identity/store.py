"""The identity database, `<prefix>_identity`, which no other part reads:

- `accounts`: one per person: username (and `username_key`, unique: NFC, case folded), full
  name, position, unit, era, role, `active`, the argon2id `password_hash`,
  `must_change_password`, the TOTP secret once set up, the optional `email` and which kinds
  of notification also come by e-mail (`email_kinds`; absent: every kind);
- `sessions`: one per sign-in: the account, when it ends, the SHA-256 of its current refresh
  token and of the ones it replaced (a replaced one used again revokes the session),
  `revoked_at`;
- `service_accounts`: programs' accounts: name, unit, era, role, their token's id (`jti`) and
  expiry, `revoked_at`;
- `throttles`: failed sign-ins per username (`user:<key>`) and per client address
  (`address:<ip>`);
- `sign_in_policies`: units that require a second factor;
- `oidc_logins`: sign-ins through the province's OpenID provider under way (single sign-on),
  each used once and gone within minutes: its state (hashed), nonce, PKCE verifier, and the
  hash of the cookie binding it to the browser that started it;
- the outbox of identity's events (services.common.outbox).
"""

from __future__ import annotations

import re
from datetime import datetime

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.common.mongo import Document
from services.reporting.identity.domain import Throttle

MAX_LISTED = 500
MAX_REPLACED = 100  # refresh tokens a session remembers having replaced


class IdentityStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.accounts = db["accounts"]
        self.sessions = db["sessions"]
        self.service_accounts = db["service_accounts"]
        self.throttles = db["throttles"]
        self.policies = db["sign_in_policies"]
        self.oidc_logins = db["oidc_logins"]

    async def create_indexes(self) -> None:
        await self.accounts.create_index("username_key", unique=True)
        await self.accounts.create_index([("unit", ASCENDING), ("era", ASCENDING)])
        await self.sessions.create_index([("account_id", ASCENDING)])
        await self.sessions.create_index([("revoked_at", ASCENDING)], sparse=True)
        await self.service_accounts.create_index([("revoked_at", ASCENDING)], sparse=True)
        await self.accounts.create_index(
            [("oidc.issuer", ASCENDING), ("oidc.subject", ASCENDING)],
            unique=True,
            partialFilterExpression={"oidc": {"$exists": True}},
        )
        await self.oidc_logins.create_index("expires_at", expireAfterSeconds=0)

    # -- accounts ------------------------------------------------------------------------------

    async def account(self, account_id: str) -> Document | None:
        return await self.accounts.find_one({"_id": account_id})

    async def account_by_username(self, key: str) -> Document | None:
        return await self.accounts.find_one({"username_key": key})

    async def account_by_subject(self, issuer: str, subject: str) -> Document | None:
        """The account an OpenID provider's person (`sub`) is linked to."""
        return await self.accounts.find_one({"oidc.issuer": issuer, "oidc.subject": subject})

    async def insert_account(self, session: AsyncClientSession, doc: Document) -> None:
        await self.accounts.insert_one(doc, session=session)

    async def update_account(
        self, account_id: str, changes: Document, session: AsyncClientSession | None = None
    ) -> None:
        await self.accounts.update_one({"_id": account_id}, {"$set": changes}, session=session)

    async def people(self, unit: str, era: str, roles: tuple[str, ...]) -> list[Document]:
        """The active accounts of `unit` (of `era`) with one of `roles`, by username: whom
        the notifier tells (services.reporting.notifications.recipients)."""
        where = {"unit": unit, "era": era, "active": True, "role": {"$in": list(roles)}}
        fields = {"full_name": 1, "email": 1, "email_kinds": 1}
        return await self.accounts.find(where, fields).sort("username_key", 1).to_list()

    async def find_accounts(self, q: str | None) -> list[Document]:
        """Accounts whose username or name contains `q` (all without), by username; the
        caller narrows them to those it manages."""
        where: Document = {}
        if q:
            pattern = re.compile(re.escape(q), re.IGNORECASE)
            where = {"$or": [{"username": pattern}, {"full_name": pattern}]}
        return await self.accounts.find(where).sort("username_key", 1).to_list()

    # -- sessions ------------------------------------------------------------------------------

    async def insert_session(self, session: AsyncClientSession, doc: Document) -> None:
        await self.sessions.insert_one(doc, session=session)

    async def session(self, sid: str) -> Document | None:
        return await self.sessions.find_one({"_id": sid})

    async def rotate_refresh(self, sid: str, old: str, new: str, now: datetime) -> bool:
        """Replace the session's refresh token `old` by `new` unless another request did it
        first; whether this one did."""
        replaced = {"$each": [{"hash": old, "at": now}], "$slice": -MAX_REPLACED}
        done = await self.sessions.update_one(
            {"_id": sid, "refresh_hash": old, "revoked_at": None},
            {"$set": {"refresh_hash": new, "refreshed_at": now}, "$push": {"replaced": replaced}},
        )
        return done.modified_count == 1

    async def revoke_sessions(
        self,
        session: AsyncClientSession,
        where: Document,
        now: datetime,
        reason: str,
    ) -> int:
        done = await self.sessions.update_many(
            {**where, "revoked_at": None},
            {"$set": {"revoked_at": now, "revoked_reason": reason}},
            session=session,
        )
        return done.modified_count

    async def revoked_sessions(self, since: datetime) -> list[str]:
        cursor = self.sessions.find({"revoked_at": {"$gte": since}}, {"_id": 1})
        return [doc["_id"] async for doc in cursor]

    # -- sign-ins through the OpenID provider ----------------------------------------------------

    async def insert_oidc_login(self, doc: Document) -> None:
        await self.oidc_logins.insert_one(doc)

    async def take_oidc_login(self, key: str, now: datetime) -> Document | None:
        """The sign-in under way `key`, removed: a state is used once, replayed never."""
        doc = await self.oidc_logins.find_one_and_delete({"_id": key})
        return doc if doc is not None and doc["expires_at"] > now else None

    # -- service accounts ----------------------------------------------------------------------

    async def insert_service_account(self, session: AsyncClientSession, doc: Document) -> None:
        await self.service_accounts.insert_one(doc, session=session)

    async def service_account(self, account_id: str) -> Document | None:
        return await self.service_accounts.find_one({"_id": account_id})

    async def find_service_accounts(self) -> list[Document]:
        return await self.service_accounts.find({}).sort("created_at", -1).to_list()

    async def revoke_service_account(
        self, session: AsyncClientSession, account_id: str, now: datetime
    ) -> bool:
        done = await self.service_accounts.update_one(
            {"_id": account_id, "revoked_at": None}, {"$set": {"revoked_at": now}}, session=session
        )
        return done.modified_count == 1

    async def revoked_tokens(self, now: datetime) -> list[str]:
        cursor = self.service_accounts.find(
            {"revoked_at": {"$ne": None}, "expires": {"$gt": now}}, {"token_id": 1}
        )
        return [doc["token_id"] async for doc in cursor]

    # -- throttles -----------------------------------------------------------------------------

    async def throttle(self, key: str) -> Throttle:
        doc = await self.throttles.find_one({"_id": key})
        if doc is None:
            return Throttle()
        return Throttle(doc["failures"], doc.get("next_at"), doc.get("last_at"))

    async def set_throttle(self, key: str, before: Throttle, after: Throttle) -> bool:
        """Move `key` from `before` to `after` unless another attempt moved it first."""
        state = {"failures": after.failures, "next_at": after.next_at, "last_at": after.last_at}
        if before == Throttle():
            try:
                done = await self.throttles.update_one(
                    {"_id": key, "failures": {"$in": [0, None]}, "next_at": None},
                    {"$set": state},
                    upsert=True,
                )
            except DuplicateKeyError:  # another attempt created it meanwhile
                return False
            return done.modified_count == 1 or done.upserted_id is not None
        done = await self.throttles.update_one(
            {"_id": key, "failures": before.failures, "next_at": before.next_at}, {"$set": state}
        )
        return done.modified_count == 1

    async def reset_throttle(self, key: str) -> None:
        await self.throttles.delete_one({"_id": key})

    # -- policies ------------------------------------------------------------------------------

    async def totp_units(self) -> set[str]:
        return {doc["_id"] async for doc in self.policies.find({"totp_required": True})}

    async def set_policy(
        self, session: AsyncClientSession, unit: str, totp_required: bool, now: datetime
    ) -> None:
        await self.policies.update_one(
            {"_id": unit},
            {"$set": {"totp_required": totp_required, "updated_at": now}},
            upsert=True,
            session=session,
        )
