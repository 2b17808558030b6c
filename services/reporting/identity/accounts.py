"""Accounts administered from above: an admin of a unit creates, edits, disables, enables,
resets and unlocks the accounts of that unit and of every unit below it, sets which units
require a second factor, and makes service accounts for programs; `hdnd accounts` on the
server does the same for any unit (`caller` None) and alone makes operators.

Every change commits with its event (`hdnd.identity`) in one transaction. Disabling, a reset
and a change of unit or role revoke the account's sessions at once (GET /auth/revoked), so
what it held stops working within seconds everywhere.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from contracts.identity import (
    AccountChanged,
    AccountCreated,
    AccountDisabled,
    AccountEnabled,
    AccountPasswordReset,
    AccountPreferencesChanged,
    AccountUnlocked,
    Actor,
    ServiceAccountCreated,
    ServiceAccountRevoked,
    SignInPolicyChanged,
)
from services.common.auth import Caller
from services.common.errors import Conflict, DomainError, NotFound
from services.common.hierarchy import Era
from services.common.mongo import Document
from services.common.tokens import Principal, Role
from services.reporting.identity import domain
from services.reporting.identity.core import Core, hash_password, public_account
from services.reporting.identity.keys import MAX_TOKEN_LIFETIME

Manager = Caller | None  # an admin's token, or None: `hdnd accounts` on the server
EDITABLE = ("full_name", "position", "unit", "era", "role", "email")


class NewAccount(BaseModel):
    username: str
    full_name: str
    position: str | None = None
    unit: str
    era: Era | None = None
    role: Role
    email: str | None = None


class Accounts:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.store = core.store

    async def _locked(self, doc: Document) -> bool:
        throttle = await self.store.throttle(f"user:{doc['username_key']}")
        return throttle.failures >= domain.LOCK_AT

    async def show(self, doc: Document) -> dict[str, Any]:
        return public_account(doc, await self._locked(doc))

    async def managed(self, manager: Manager, account_id: str) -> Document:
        """The account, if `manager` manages it; 404 otherwise (as if it did not exist)."""
        domain.check_admin(manager)
        doc = await self.store.account(account_id)
        if doc is None:
            raise NotFound("path.account_id", "no such account among those you manage")
        domain.check_manages(manager, doc["unit"], doc["era"])
        return doc

    async def create(
        self, manager: Manager, actor: Actor, new: NewAccount
    ) -> tuple[dict[str, Any], str]:
        """The account and its temporary password (shown once)."""
        unit, era = domain.unit_of(self.core.hierarchy, self.core.settings.units, new.unit, new.era)
        domain.check_manages(manager, unit, era, field="body.unit")
        domain.check_role_given(manager, new.role)
        username = domain.checked_username(new.username)
        password = domain.temporary_password()
        now = self.core.now()
        doc: Document = {
            "_id": secrets.token_hex(8),
            "username": username,
            "username_key": domain.username_key(username),
            "full_name": new.full_name,
            "position": new.position,
            "unit": unit,
            "era": era,
            "role": new.role,
            "active": True,
            "password_hash": await hash_password(password),
            "must_change_password": True,
            "totp_secret": None,
            "email": new.email,
            "created_at": now,
            "updated_at": now,
        }
        event = AccountCreated(
            account_id=doc["_id"],
            username=username,
            full_name=new.full_name,
            position=new.position,
            unit=unit,
            era=era,
            role=new.role,
            email=new.email,
            by=actor,
        )

        async def write(session: AsyncClientSession) -> None:
            await self.store.insert_account(session, doc)
            await self.core.emit(session, (unit, era), [event])

        try:
            await self.core.runtime.write(write)
        except DuplicateKeyError:
            raise Conflict("body.username", f"the username {username!r} is taken") from None
        await self.store.reset_throttle(f"user:{doc['username_key']}")  # guesses before it
        return public_account(doc), password

    async def change(
        self, manager: Manager, actor: Actor, account_id: str, changes: dict[str, Any]
    ) -> dict[str, Any]:
        doc = await self.managed(manager, account_id)
        wanted = {k: v for k, v in changes.items() if k in EDITABLE and v is not None}
        if "unit" in wanted or "era" in wanted:
            unit, era = domain.unit_of(
                self.core.hierarchy,
                self.core.settings.units,
                str(wanted.get("unit", doc["unit"])),
                wanted.get("era"),
            )
            domain.check_manages(manager, unit, era, field="body.unit")  # never above oneself
            wanted |= {"unit": unit, "era": era}
        if "role" in wanted:
            domain.check_role_given(manager, wanted["role"])
        wanted = {k: v for k, v in wanted.items() if doc.get(k) != v}
        if not wanted:
            return await self.show(doc)
        rights_changed = bool({"unit", "era", "role"} & wanted.keys())
        event = AccountChanged(account_id=account_id, by=actor, **wanted)
        await self._write(
            doc, wanted, [event], revoke="account_changed" if rights_changed else None
        )
        return await self.show({**doc, **wanted})

    async def set_active(
        self, manager: Manager, actor: Actor, account_id: str, active: bool
    ) -> dict[str, Any]:
        doc = await self.managed(manager, account_id)
        if doc["active"] == active:
            return await self.show(doc)
        event: BaseModel = (
            AccountEnabled(account_id=account_id, by=actor)
            if active
            else AccountDisabled(account_id=account_id, by=actor)
        )
        await self._write(
            doc, {"active": active}, [event], revoke=None if active else "account_disabled"
        )
        return await self.show({**doc, "active": active})

    async def reset_password(
        self, manager: Manager, actor: Actor, account_id: str
    ) -> tuple[dict[str, Any], str]:
        doc = await self.managed(manager, account_id)
        if doc.get("oidc"):
            raise Conflict(
                "path.account_id",
                "this account signs in at the province's OpenID provider: it has no password here",
            )
        password = domain.temporary_password()
        changes = {"password_hash": await hash_password(password), "must_change_password": True}
        event = AccountPasswordReset(account_id=account_id, by=actor)
        await self._write(doc, changes, [event], revoke="password_reset")
        return await self.show({**doc, **changes}), password

    async def unlock(self, manager: Manager, actor: Actor, account_id: str) -> dict[str, Any]:
        doc = await self.managed(manager, account_id)
        await self._write(doc, {}, [AccountUnlocked(account_id=account_id, by=actor)])
        await self.store.reset_throttle(f"user:{doc['username_key']}")
        return await self.show(doc)

    async def _write(
        self,
        doc: Document,
        changes: Document,
        events: list[BaseModel],
        revoke: str | None = None,
    ) -> None:
        now = self.core.now()

        async def write(session: AsyncClientSession) -> None:
            await self.store.update_account(doc["_id"], {**changes, "updated_at": now}, session)
            if revoke:
                where = {"account_id": doc["_id"]}
                await self.store.revoke_sessions(session, where, now, revoke)
            about = changes.get("unit", doc["unit"]), changes.get("era", doc["era"])
            await self.core.emit(session, about, events)

        await self.core.runtime.write(write)

    async def _own(self, principal: Principal) -> Document:
        doc = await self.store.account(principal.user)
        if doc is None or principal.kind != "person":
            raise DomainError("header.authorization", "a person's account token is needed")
        return doc

    async def preferences(self, principal: Principal) -> dict[str, Any]:
        shown = public_account(await self._own(principal))
        return {"email": shown["email"], "email_kinds": shown["email_kinds"]}

    async def set_preferences(self, principal: Principal, email_kinds: list[str]) -> dict[str, Any]:
        """The holder's own choice of which notifications also come by e-mail (in the
        workspace every kind always arrives)."""
        doc = await self._own(principal)
        kinds = sorted(set(email_kinds))
        event = AccountPreferencesChanged(
            account_id=doc["_id"],
            email_kinds=kinds,
            by=Actor(id=principal.user, name=principal.name or principal.user, kind="person"),
        )
        await self._write(doc, {"email_kinds": kinds}, [event])
        return {"email": doc.get("email"), "email_kinds": kinds}

    async def listed(
        self, manager: Manager, unit: str | None, q: str | None
    ) -> list[dict[str, Any]]:
        """The accounts `manager` manages (of `unit` and below, when given), by username."""
        domain.check_admin(manager)
        if unit is not None:
            era = self.core.hierarchy.latest_era(unit) or "2025"
            domain.check_manages(manager, unit, era, field="query.unit")
        shown = []
        for doc in await self.store.find_accounts(q):
            if manager is not None and not manager.administers(doc["unit"], doc["era"]):
                continue
            if unit is not None and not self._within(doc, unit):
                continue
            shown.append(await self.show(doc))
            if len(shown) >= 500:
                break
        return shown

    def _within(self, doc: Document, unit: str) -> bool:
        h = self.core.hierarchy
        return h.find(unit, doc["era"]) is not None and h.is_within(doc["unit"], unit, doc["era"])

    async def set_policy(
        self, manager: Manager, actor: Actor, unit: str, totp_required: bool
    ) -> dict[str, Any]:
        code, era = domain.unit_of(self.core.hierarchy, self.core.settings.units, unit, None)
        domain.check_manages(manager, code, era, field="path.unit")
        event = SignInPolicyChanged(totp_required=totp_required, by=actor)

        async def write(session: AsyncClientSession) -> None:
            await self.store.set_policy(session, code, totp_required, self.core.now())
            await self.core.emit(session, (code, era), [event])

        await self.core.runtime.write(write)
        return {"unit": code, "totp_required": totp_required}

    async def policy(self, manager: Manager, unit: str) -> dict[str, Any]:
        """Whether `unit` requires a second factor itself, and which units above it do (their
        policy applies to it too): what the admin's page shows before changing it."""
        code, era = domain.unit_of(self.core.hierarchy, self.core.settings.units, unit, None)
        domain.check_manages(manager, code, era, field="path.unit")
        policies = await self.store.totp_units()
        above = [u for u in self.core.hierarchy.lineage(code, era)[1:] if u in policies]
        return {"unit": code, "totp_required": code in policies, "required_above": above}

    # -- service accounts ----------------------------------------------------------------------

    async def create_service(
        self,
        manager: Manager,
        actor: Actor,
        name: str,
        unit: str,
        role: Role,
        days: float,
        era: Era | None = None,
    ) -> dict[str, Any]:
        """A program's account and its API token (shown once), valid `days` (≤ 90)."""
        code, era = domain.unit_of(self.core.hierarchy, self.core.settings.units, unit, era)
        domain.check_manages(manager, code, era, field="body.unit")
        domain.check_role_given(manager, role)
        lifetime = timedelta(days=days)
        if not timedelta(0) < lifetime <= MAX_TOKEN_LIFETIME:
            raise DomainError("body.days", "an API token lives more than 0 and at most 90 days")
        now = self.core.now()
        doc: Document = {
            "_id": "sa-" + secrets.token_hex(6),
            "name": name,
            "unit": code,
            "era": era,
            "role": role,
            "token_id": secrets.token_urlsafe(16),
            "created_at": now,
            "expires": now + lifetime,
            "created_by": actor.model_dump(),
            "revoked_at": None,
        }
        token = self.core.keys.issue(
            issuer=self.core.settings.token_issuer_name,
            audience=self.core.settings.token_audience,
            subject=doc["_id"],
            name=name,
            unit=code,
            era=era,
            role=role,
            kind="service",
            ttl=lifetime,
            now=now,
            token_id=doc["token_id"],
        )
        event = ServiceAccountCreated(
            service_account_id=doc["_id"],
            name=name,
            unit=code,
            era=era,
            role=role,
            expires=doc["expires"],
            by=actor,
        )

        async def write(session: AsyncClientSession) -> None:
            await self.store.insert_service_account(session, doc)
            await self.core.emit(session, (code, era), [event])

        await self.core.runtime.write(write)
        return {**_public_service(doc), "token": token}

    async def services(self, manager: Manager) -> list[dict[str, Any]]:
        domain.check_admin(manager)
        return [
            _public_service(doc)
            for doc in await self.store.find_service_accounts()
            if manager is None or manager.administers(doc["unit"], doc["era"])
        ][:500]

    async def revoke_service(
        self, manager: Manager, actor: Actor, account_id: str
    ) -> dict[str, Any]:
        domain.check_admin(manager)
        doc = await self.store.service_account(account_id)
        if doc is None:
            raise NotFound("path.account_id", "no such service account among those you manage")
        domain.check_manages(manager, doc["unit"], doc["era"])
        now, about = self.core.now(), (doc["unit"], doc["era"])
        event = ServiceAccountRevoked(service_account_id=account_id, by=actor)

        async def write(session: AsyncClientSession) -> bool:
            if not await self.store.revoke_service_account(session, account_id, now):
                return False
            await self.core.emit(session, about, [event])
            return True

        if await self.core.runtime.write(write):
            doc = {**doc, "revoked_at": now}
        return _public_service(doc)


def _public_service(doc: Document) -> dict[str, Any]:
    return {
        "id": doc["_id"],
        "name": doc["name"],
        "unit": doc["unit"],
        "era": doc["era"],
        "role": doc["role"],
        "expires": doc["expires"],
        "revoked_at": doc.get("revoked_at"),
        "created_at": doc["created_at"],
    }
