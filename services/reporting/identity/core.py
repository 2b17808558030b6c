"""What identity's parts share: the store, its own outbox (events on `hdnd.identity`, signed
by the deployment's unit key like every event), the issuer's keys, the hierarchy scopes are
judged by, and a clock tests can move."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel
from pymongo.asynchronous.client_session import AsyncClientSession

from contracts import Actor as EnvelopeActor
from contracts import Envelope, EventDraft
from contracts.identity import Actor
from contracts.timezone import VIETNAM_TZ
from services.common.hierarchy import Era, Hierarchy, era_of
from services.common.mongo import Document
from services.common.runtime import Runtime
from services.common.settings import Settings
from services.common.tokens import Pending, Principal
from services.reporting.identity.keys import IssuerKeys

HASHER = PasswordHasher()  # argon2id with argon2-cffi's defaults (RFC 9106's second choice)


@functools.cache
def unknown_hash() -> str:
    """A hash nobody's password matches: unknown usernames cost as much time as known ones."""
    return HASHER.hash(secrets.token_urlsafe(16))


SERVER = Actor(id="server", name="hdnd accounts (máy chủ)", kind="system")


def actor_of(principal: Principal) -> Actor:
    return Actor(id=principal.user, name=principal.name or principal.user, kind=principal.kind)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def hash_password(password: str) -> str:
    """argon2id in a thread: hashing takes tens of milliseconds and 64 MiB on purpose."""
    return await asyncio.to_thread(HASHER.hash, password)


async def password_matches(stored: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return HASHER.verify(stored or unknown_hash(), password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


def public_account(doc: Document, locked: bool = False) -> dict[str, Any]:
    """An account as the API shows it: nothing secret."""
    return {
        "id": doc["_id"],
        "username": doc["username"],
        "full_name": doc["full_name"],
        "position": doc.get("position"),
        "unit": doc["unit"],
        "era": doc["era"],
        "role": doc["role"],
        "active": doc["active"],
        "locked": locked,
        "must_change_password": doc["must_change_password"],
        "totp_enabled": doc.get("totp_secret") is not None,
        "email": doc.get("email"),
        "email_kinds": doc.get("email_kinds", ["answer", "digest", "escalation", "reminder"]),
        "sign_in": "oidc" if doc.get("oidc") else "password",  # oidc: at the province's provider
        "created_at": doc["created_at"],
    }


@dataclass
class Core:
    settings: Settings
    runtime: Runtime
    hierarchy: Hierarchy
    keys: IssuerKeys
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        from services.reporting.identity.store import IdentityStore

        self.store = IdentityStore(self.runtime.db)
        self.topic = self.settings.topics.identity

    @property
    def home_unit(self) -> str | None:
        """The deployment's own unit: where events about no account's unit go."""
        return self.settings.units[0] if self.settings.units else None

    @property
    def access_ttl(self) -> timedelta:
        return timedelta(minutes=self.settings.access_token_minutes)

    def event_unit(self, unit: str | None, era: Era | None) -> str | None:
        """The envelope's unit of an event about an account of `unit` of `era`: that unit
        while it is one today (what the unit key may sign for); else (a legacy district's
        account, a username nobody has) the deployment's own unit, or the province that
        succeeded the unit's. None: nowhere to record it (an instance of every unit)."""
        today = self.now().astimezone(VIETNAM_TZ).date()
        if unit is None or era is None:
            return self.home_unit
        if era == era_of(today) and self.hierarchy.find(unit, today) is not None:
            return unit
        if self.home_unit is not None or self.hierarchy.find(unit, era) is None:
            return self.home_unit
        province = self.hierarchy.lineage(unit, era)[-1]
        return next(iter(self.hierarchy.successors(province)), None)

    async def emit(
        self,
        session: AsyncClientSession,
        about: tuple[str | None, Era | None],
        payloads: list[BaseModel],
        holder: str | None = None,
    ) -> list[Envelope]:
        """Append events about an account of (unit, era) to identity's outbox, each done by
        who its payload says acted (`by`), else by the account it is about (a sign-in, a
        sign-out: `holder` names that person, when the caller knows the name)."""
        unit = self.event_unit(*about)
        if unit is None:
            return []
        at = self.now()
        drafts = [
            EventDraft(
                type=p.TYPE,  # type: ignore[attr-defined]
                version=p.VERSION,  # type: ignore[attr-defined]
                unit=unit,
                occurred_at=at,
                payload=p,
                actor=acting(p, holder),
            )
            for p in payloads
        ]
        return await self.runtime.outbox.append(session, self.topic, drafts)

    def access_token(
        self, account: Document, session: Document, pending: list[Pending]
    ) -> tuple[str, int]:
        """A person's access token for `session` (never beyond its end); and its lifetime
        in seconds."""
        now = self.now()
        ends = min(now + self.access_ttl, session["expires_at"])
        ttl = max(ends - now, timedelta(seconds=1))
        token = self.keys.issue(
            issuer=self.settings.token_issuer_name,
            audience=self.settings.token_audience,
            subject=account["_id"],
            name=account["full_name"],
            unit=account["unit"],
            era=account["era"],
            role=account["role"],
            kind="person",
            session=session["_id"],
            pending=pending,
            ttl=ttl,
            now=now,
        )
        return token, int(ttl.total_seconds())


def acting(payload: BaseModel, holder: str | None = None) -> EnvelopeActor:
    """The envelope's actor of an identity event: the admin, holder or operator its payload
    names (`by`); else the account it is about, named `holder` (or by its username, or id);
    a failed sign-in for no account: the username tried, as typed."""
    by = getattr(payload, "by", None)
    if by is not None:
        return EnvelopeActor(id=by.id, name=by.name, kind=by.kind)
    account = getattr(payload, "account_id", None)
    username = getattr(payload, "username", None)
    if account is None:  # typed by anyone: only what an actor may hold (no control character)
        typed = "".join(c if c.isprintable() else "?" for c in str(username))[:190]
        return EnvelopeActor(id=f"username:{typed}"[:128], name=typed, kind="person")
    return EnvelopeActor(id=account, name=holder or username or account, kind="person")
