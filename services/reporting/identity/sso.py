"""Single sign-on (đăng nhập một lần): a province's people sign in at its own OpenID provider,
and hdnd opens the session exactly as a password sign-in does (the refresh cookie, an access
token of the account's unit and role, `sign_in.succeeded` with method `oidc`).

One sign-in under way is a row kept here for ten minutes and used once: the hash of its
`state`, its nonce and PKCE verifier, and the hash of a random value set in the browser's
`hdnd_oidc` cookie, so a callback is honoured only in the browser that started it (another
person's callback link signs nobody in) and only once (a replayed callback finds nothing).

Whose account: the one linked to the provider's person (`iss`, `sub`); at a first sign-in,
the account with the username of the username claim, which is linked then (`account.linked`:
no password in hdnd any more, its other sessions end). With HDND_OIDC_PROVISION off (the
default) an admin makes the account, and the unit and role the claims map to must be the
account's: a person the provider moved is refused until an admin moves the account too. With
it on, the provider administers its people: an unknown person gets an account of the mapped
unit and role, and a known one follows the claims (a change of unit or role ends the
account's other sessions, as an admin's does). A disabled account stays refused either way.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from contracts.identity import AccountChanged, AccountCreated, AccountLinked, Actor
from services.common.mongo import Document
from services.reporting.identity.claims import Person, person_of
from services.reporting.identity.core import Core, digest
from services.reporting.identity.domain import SignInRefused, username_key
from services.reporting.identity.provider import Provider
from services.reporting.identity.sign_in import SignedIn, SignIn

LOGIN_TTL = timedelta(minutes=10)
PROVIDER = Actor(id="oidc", name="Hệ thống đăng nhập của tỉnh (OIDC)", kind="system")
FOLLOWED = ("full_name", "unit", "era", "role")  # what a provisioning provider administers


@dataclass(frozen=True, slots=True)
class Started:
    url: str  # the provider's authorization URL
    binding: str  # the value of the browser's `hdnd_oidc` cookie


def state_refused(message: str) -> SignInRefused:
    return SignInRefused("query.state", message, "oidc_state_invalid", 400)


class SingleSignOn:
    def __init__(self, core: Core, sign_in: SignIn, provider: Provider) -> None:
        self.core = core
        self.store = core.store
        self.sign_in = sign_in
        self.provider = provider

    async def start(self, redirect_uri: str, next_path: str) -> Started:
        state, binding = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(48)
        url = await self.provider.authorization_url(redirect_uri, state, nonce, verifier)
        now = self.core.now()
        await self.store.insert_oidc_login(
            {
                "_id": digest(state),
                "binding": digest(binding),
                "nonce": nonce,
                "verifier": verifier,
                "redirect_uri": redirect_uri,
                "next": next_path,
                "created_at": now,
                "expires_at": now + LOGIN_TTL,
            }
        )
        return Started(url, binding)

    async def finish(
        self, state: str | None, code: str | None, error: str | None, binding: str | None
    ) -> tuple[SignedIn, str]:
        """The session of the person the provider sent back, and where the browser goes
        next; SignInRefused saying why not."""
        login = await self.store.take_oidc_login(digest(state), self.core.now()) if state else None
        if login is None:
            raise state_refused("no sign-in under way has this state (used, expired or forged)")
        if binding is None or not secrets.compare_digest(digest(binding), login["binding"]):
            raise state_refused("this sign-in was started in another browser")
        if error:
            raise SignInRefused(
                "query.error",
                f"the provider answered {error[:100]!r}",
                "oidc_provider_refused",
                403,
            )
        if not code:
            raise SignInRefused(
                "query.code", "the provider sent no code", "oidc_exchange_failed", 400
            )
        claims = await self.provider.claims(
            code, login["redirect_uri"], login["verifier"], login["nonce"]
        )
        person = person_of(claims, self.core.settings, self.core.hierarchy)
        account = await self.account_of(person)
        return await self.sign_in.open_session(account, "oidc"), str(login["next"])

    async def account_of(self, person: Person) -> Document:
        """The account `person` signs in to, linked, provisioned or updated as the settings
        say (module docstring); SignInRefused when there is none they may use."""
        provision = self.core.settings.oidc_provision
        linked = await self.store.account_by_subject(person.issuer, person.subject)
        account = linked or await self.store.account_by_username(username_key(person.username))
        field = f"id_token.{self.core.settings.oidc_username_claim}"
        if account is None:
            if not provision:
                raise SignInRefused(
                    field,
                    f"no account has the username {person.username!r}: an admin of the unit"
                    " (or of a unit above) makes it first",
                    "oidc_not_provisioned",
                    403,
                )
            return await self._provision(person)
        if linked is None and account.get("oidc"):
            raise SignInRefused(
                field,
                f"the username {person.username!r} belongs to another person of the provider",
                "oidc_username_taken",
                409,
            )
        if not account["active"]:
            raise SignInRefused(field, "this account is disabled", "account_disabled", 403)
        wanted = {"full_name": person.full_name, "unit": person.unit, "era": person.era}
        wanted["role"] = person.role
        changes = {k: v for k, v in wanted.items() if account.get(k) != v}
        if not provision and changes.keys() - {"full_name"}:
            raise SignInRefused(
                f"id_token.{self.core.settings.oidc_unit_claim}",
                f"the provider says unit {person.unit}, role {person.role}; the account is of"
                f" unit {account['unit']}, role {account['role']}: an admin changes one of them",
                "oidc_claims_disagree",
                403,
            )
        return await self._update(account, person, changes if provision else {}, linked is None)

    async def _update(
        self, account: Document, person: Person, changes: Document, link: bool
    ) -> Document:
        """Link `account` to `person` and apply the provider's `changes`, with their events,
        in one transaction; the account's other sessions end when it is linked (its password
        is gone) or its unit or role changed."""
        if not changes and not link:
            return account
        now = self.core.now()
        setting = dict(changes)
        events: list[BaseModel] = []
        if link:
            setting |= _link(person, now)
            events.append(
                AccountLinked(account_id=account["_id"], by=PROVIDER, issuer=person.issuer)
            )
        if changes:
            events.append(AccountChanged(account_id=account["_id"], by=PROVIDER, **changes))
        revoke = link or bool(changes.keys() - {"full_name"})
        updated = {**account, **setting}

        async def write(session: AsyncClientSession) -> None:
            await self.store.update_account(account["_id"], {**setting, "updated_at": now}, session)
            if revoke:
                where = {"account_id": account["_id"]}
                reason = "account_linked" if link else "account_changed"
                await self.store.revoke_sessions(session, where, now, reason)
            await self.core.emit(session, (updated["unit"], updated["era"]), events)

        await self.core.runtime.write(write)
        return updated

    async def _provision(self, person: Person) -> Document:
        now = self.core.now()
        doc: Document = {
            "_id": secrets.token_hex(8),
            "username": person.username,
            "username_key": username_key(person.username),
            "full_name": person.full_name,
            "position": None,
            "unit": person.unit,
            "era": person.era,
            "role": person.role,
            "active": True,
            "created_at": now,
            "updated_at": now,
            **_link(person, now),
        }
        events: list[BaseModel] = [
            AccountCreated(
                account_id=doc["_id"],
                username=person.username,
                full_name=person.full_name,
                unit=person.unit,
                era=person.era,
                role=person.role,
                by=PROVIDER,
            ),
            AccountLinked(account_id=doc["_id"], by=PROVIDER, issuer=person.issuer),
        ]

        async def write(session: AsyncClientSession) -> None:
            await self.store.insert_account(session, doc)
            await self.core.emit(session, (person.unit, person.era), events)

        try:
            await self.core.runtime.write(write)
        except DuplicateKeyError:  # the username was taken meanwhile, or a twin sign-in won
            raise SignInRefused(
                f"id_token.{self.core.settings.oidc_username_claim}",
                f"the username {person.username!r} was taken meanwhile: sign in again",
                "oidc_username_taken",
                409,
            ) from None
        return doc


def _link(person: Person, now: Any) -> Document:
    """What an account managed by the provider holds instead of a password."""
    return {
        "oidc": {"issuer": person.issuer, "subject": person.subject, "linked_at": now},
        "password_hash": None,
        "must_change_password": False,
        "totp_secret": None,
        "totp_pending": None,
    }
