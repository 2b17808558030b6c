"""Signing in and out: password (argon2id), the second factor (TOTP), sessions with refresh
tokens that rotate on every use, and the steps a person must take before anything else.

A session's refresh token is `<sid>.<secret>`; the store keeps the SHA-256 of the secret and
of every one it replaced. A replaced token presented again means two holders: the session is
revoked (`session.revoked`), whoever holds it. Two refreshes racing within a few seconds are
the same browser's tabs, not theft: the late one is refused without revoking anything.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

import pyotp
from pymongo.asynchronous.client_session import AsyncClientSession

from contracts.identity import (
    AccountPasswordChanged,
    AccountTotpEnabled,
    SessionRevoked,
    SessionSignedOut,
    SignInFailed,
    SignInSucceeded,
)
from services.common.errors import DomainError
from services.common.mongo import Document
from services.common.tokens import Pending, Principal
from services.reporting.identity import domain
from services.reporting.identity.core import (
    HASHER,
    Core,
    actor_of,
    digest,
    hash_password,
    password_matches,
    public_account,
)
from services.reporting.identity.domain import SignInRefused, Throttle

RACE_WINDOW = timedelta(seconds=5)


@dataclass(frozen=True, slots=True)
class SignedIn:
    """What a sign-in, a refresh or a completed step answers with."""

    access_token: str
    expires_in: int
    account: dict[str, Any]
    pending: list[Pending]
    refresh_token: str | None = None  # a new one: set the cookie
    session_seconds: int = 0  # how long the session still lasts

    def body(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "account": self.account,
            "must_change_password": "change_password" in self.pending,
            "pending": self.pending,
        }


def invalid_refresh(message: str) -> SignInRefused:
    return SignInRefused("cookie.hdnd_refresh", message, "invalid_refresh", status=401)


class SignIn:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.store = core.store

    async def sign_in(self, username: str, password: str, otp: str | None, client: str) -> SignedIn:
        now, key = self.core.now(), domain.username_key(username)
        address = await self._admit(f"address:{client}", domain.admit_address, now)
        user_key = f"user:{key}"
        before = await self.store.throttle(user_key)
        counted = await self._admit(user_key, domain.admit_username, now, before)
        account = await self.store.account_by_username(key)
        stored = account["password_hash"] if account is not None else None
        if not await password_matches(stored, password):
            await self._address_failed(client, address)
            await self._failed(username, key, account, "bad_credentials", counted)
            raise domain.bad_credentials()
        assert account is not None  # password_matches is False without one
        if account.get("totp_secret"):
            if not otp:
                await self.store.set_throttle(user_key, counted, before)  # no failure
                raise SignInRefused(
                    "body.otp", "enter the code of your authenticator app", "otp_required", 401
                )
            if not await self._otp_matches(account, otp):
                await self._address_failed(client, address)
                await self._failed(username, key, account, "bad_otp", counted)
                raise SignInRefused("body.otp", "the code is not right", "bad_otp", status=401)
        await self.store.reset_throttle(user_key)
        await self.store.set_throttle(f"address:{client}", address, domain.succeeded(address))
        if not account["active"]:
            raise SignInRefused(
                "body.username", "this account is disabled", "account_disabled", status=403
            )
        if HASHER.check_needs_rehash(account["password_hash"]):
            changes = {"password_hash": await hash_password(password)}
            await self.store.update_account(account["_id"], changes)
        return await self.open_session(account, "password")

    async def _admit(
        self, key: str, admit: Any, now: datetime, before: Throttle | None = None
    ) -> Throttle:
        """Count this attempt as a failure of `key` (429/423 if it must wait or is locked)."""
        state = before if before is not None else await self.store.throttle(key)
        after: Throttle = admit(state, now)
        if not await self.store.set_throttle(key, state, after):
            raise SignInRefused(
                "body.username", "another sign-in is under way", "delayed", 429, retry_after=1
            )
        return after

    async def _address_failed(self, client: str, address: Throttle) -> None:
        later = domain.failed(address, self.core.now(), domain.address_delay)
        await self.store.set_throttle(f"address:{client}", address, later)

    async def _failed(
        self,
        username: str,
        key: str,
        account: Document | None,
        reason: str,
        counted: Throttle,
    ) -> None:
        later = domain.failed(counted, self.core.now())
        await self.store.set_throttle(f"user:{key}", counted, later)
        about = (account["unit"], account["era"]) if account else (None, None)
        event = SignInFailed(
            username=account["username"] if account else key[:64],
            account_id=account["_id"] if account else None,
            reason=reason,
            failures=min(counted.failures, 1000),
            locked=counted.failures >= domain.LOCK_AT,
        )

        async def write(session: AsyncClientSession) -> None:
            await self.core.emit(
                session, about, [event], account.get("full_name") if account else None
            )

        await self.core.runtime.write(write)

    async def _otp_matches(self, account: Document, otp: str) -> bool:
        """The code of the current 30-second step (or the one either side), never one used
        before: a code seen over someone's shoulder cannot be used again."""
        totp = pyotp.TOTP(account["totp_secret"])
        now = self.core.now()
        for drift in (0, -1, 1):
            step = int(now.timestamp()) // 30 + drift
            if secrets.compare_digest(totp.at(step * 30), otp.strip()):
                if step <= (account.get("totp_last_step") or -1):
                    return False
                done = await self.store.accounts.update_one(
                    {"_id": account["_id"], "totp_last_step": account.get("totp_last_step")},
                    {"$set": {"totp_last_step": step}},
                )
                return done.modified_count == 1
        return False

    async def pending_of(self, account: Document) -> list[Pending]:
        if account.get("oidc"):  # no password here; a second factor is the provider's to ask
            return []
        pending: list[Pending] = []
        if account["must_change_password"]:
            pending.append("change_password")
        if not account.get("totp_secret") and domain.totp_required(
            self.core.hierarchy, await self.store.totp_units(), account["unit"], account["era"]
        ):
            pending.append("setup_totp")
        return pending

    async def open_session(
        self, account: Document, method: Literal["password", "oidc"]
    ) -> SignedIn:
        """A new session of `account`, who proved who they are by `method`."""
        now = self.core.now()
        secret = secrets.token_urlsafe(32)
        session: Document = {
            "_id": secrets.token_urlsafe(16),
            "account_id": account["_id"],
            "created_at": now,
            "expires_at": now + timedelta(hours=self.core.settings.session_hours),
            "refresh_hash": digest(secret),
            "replaced": [],
            "revoked_at": None,
        }
        event = SignInSucceeded(
            account_id=account["_id"], username=account["username"], method=method
        )

        async def write(s: AsyncClientSession) -> None:
            await self.store.insert_session(s, session)
            await self.core.emit(
                s, (account["unit"], account["era"]), [event], account.get("full_name")
            )

        await self.core.runtime.write(write)
        signed = await self._answer(account, session)
        refresh = f"{session['_id']}.{secret}"
        return replace(signed, refresh_token=refresh)

    async def _answer(self, account: Document, session: Document) -> SignedIn:
        pending = await self.pending_of(account)
        token, lifetime = self.core.access_token(account, session, pending)
        return SignedIn(
            token,
            lifetime,
            public_account(account),
            pending,
            session_seconds=int((session["expires_at"] - self.core.now()).total_seconds()),
        )

    async def refresh(self, refresh_token: str | None) -> SignedIn:
        sid, _, secret = (refresh_token or "")[:200].partition(".")
        session = await self.store.session(sid) if sid and secret else None
        now = self.core.now()
        if session is None or session["revoked_at"] is not None or session["expires_at"] <= now:
            raise invalid_refresh("no session: sign in again")
        presented = digest(secret)
        if not secrets.compare_digest(presented, session["refresh_hash"]):
            replaced = next((r for r in session["replaced"] if r["hash"] == presented), None)
            if replaced is None:
                raise invalid_refresh("this refresh token belongs to no session: sign in again")
            if now - replaced["at"] > RACE_WINDOW:
                await self._revoke(session, "refresh_token_reused")
            raise invalid_refresh("this refresh token was replaced already: sign in again")
        account = await self.store.account(session["account_id"])
        if account is None or not account["active"]:
            raise invalid_refresh("the account is disabled: ask an admin of your unit")
        new_secret = secrets.token_urlsafe(32)
        if not await self.store.rotate_refresh(sid, presented, digest(new_secret), now):
            raise invalid_refresh("this refresh token was replaced already: sign in again")
        signed = await self._answer(account, session)
        return replace(signed, refresh_token=f"{sid}.{new_secret}")

    async def _revoke(self, session: Document, reason: str) -> None:
        event = (
            SessionSignedOut(account_id=session["account_id"])
            if reason == "signed_out"
            else SessionRevoked(account_id=session["account_id"], reason="refresh_token_reused")
        )
        account = await self.store.account(session["account_id"])
        about = (account["unit"], account["era"]) if account else (None, None)

        async def write(s: AsyncClientSession) -> None:
            revoked = await self.store.revoke_sessions(
                s, {"_id": session["_id"]}, self.core.now(), reason
            )
            if revoked:
                await self.core.emit(
                    s, about, [event], account.get("full_name") if account else None
                )

        await self.core.runtime.write(write)

    async def sign_out(self, refresh_token: str | None, principal: Principal | None) -> None:
        """Revoke the session of the refresh cookie, else of the bearer token."""
        sid = (refresh_token or "")[:200].partition(".")[0] or (principal and principal.session)
        session = await self.store.session(sid) if sid else None
        if session is not None and session["revoked_at"] is None:
            await self._revoke(session, "signed_out")

    # -- steps a person takes with a signed-in token -------------------------------------------

    async def _holder(self, principal: Principal) -> tuple[Document, Document]:
        account = await self.store.account(principal.user)
        session = await self.store.session(principal.session) if principal.session else None
        if account is None or session is None or principal.kind != "person":
            raise DomainError("header.authorization", "a person's session token is needed")
        return account, session

    async def change_password(self, principal: Principal, current: str, new: str) -> SignedIn:
        account, session = await self._holder(principal)
        user_key = f"user:{account['username_key']}"
        before = await self.store.throttle(user_key)
        counted = await self._admit(user_key, domain.admit_username, self.core.now(), before)
        if not await password_matches(account["password_hash"], current):
            key = account["username_key"]
            await self._failed(account["username"], key, account, "bad_credentials", counted)
            raise SignInRefused(
                "body.current_password", "the current password is not right", "bad_credentials", 401
            )
        await self.store.set_throttle(user_key, counted, before)
        domain.check_new_password(new, account["username"])
        if await password_matches(account["password_hash"], new):
            raise DomainError("body.new_password", "choose a password other than the current one")
        changes = {"password_hash": await hash_password(new), "must_change_password": False}
        event = AccountPasswordChanged(account_id=account["_id"], by=actor_of(principal))
        now = self.core.now()

        async def write(s: AsyncClientSession) -> None:
            await self.store.update_account(account["_id"], {**changes, "updated_at": now}, s)
            others = {"account_id": account["_id"], "_id": {"$ne": session["_id"]}}
            await self.store.revoke_sessions(s, others, now, "password_changed")
            await self.core.emit(s, (account["unit"], account["era"]), [event])

        await self.core.runtime.write(write)
        return await self._answer({**account, **changes}, session)

    async def totp_setup(self, principal: Principal) -> dict[str, str]:
        account, _ = await self._holder(principal)
        if account.get("totp_secret"):
            raise DomainError("header.authorization", "a second factor is set up already")
        secret = pyotp.random_base32()
        await self.store.update_account(account["_id"], {"totp_pending": secret})
        uri = pyotp.TOTP(secret).provisioning_uri(
            name=account["username"], issuer_name=self.core.settings.token_issuer_name
        )
        return {"secret": secret, "otpauth_uri": uri}

    async def totp_confirm(self, principal: Principal, otp: str) -> SignedIn:
        account, session = await self._holder(principal)
        secret = account.get("totp_pending")
        if not secret:
            raise DomainError("body.otp", "set up the second factor first (POST /auth/totp/setup)")
        if not pyotp.TOTP(secret).verify(otp.strip(), for_time=self.core.now(), valid_window=1):
            raise DomainError("body.otp", "the code is not right", "bad_otp")
        changes = {"totp_secret": secret, "totp_pending": None, "totp_last_step": None}
        event = AccountTotpEnabled(account_id=account["_id"], by=actor_of(principal))

        async def write(s: AsyncClientSession) -> None:
            await self.store.update_account(account["_id"], changes, s)
            await self.core.emit(s, (account["unit"], account["era"]), [event])

        await self.core.runtime.write(write)
        return await self._answer({**account, **changes}, session)
