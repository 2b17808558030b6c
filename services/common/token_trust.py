"""What a running service trusts access tokens by: the issuer's public keys (its JWKS) and
what the issuer revoked (sessions signed out or of a disabled account, service-account
tokens), both fetched at start and again every HDND_REVOCATION_POLL_MS (2 s), so a sign-out, a
disabled account or a dropped issuer key is honoured within seconds by every service.

Where from: the JWKS from HDND_TOKEN_JWKS_FILE (tests, air-gapped), else the issuer in this
process (reporting with HDND_ISSUER_KEYS_DIR), else HDND_TOKEN_JWKS_URL (default
HDND_ISSUER_URL + /.well-known/jwks.json); the revocations from the issuer in this process,
else HDND_ISSUER_URL + /auth/revoked. A token naming a key id not in the JWKS makes the
service fetch it again first (at most once a second): a rotation needs no restart.

A token verified once is remembered (VERIFIED at most), so a person's next requests with it
skip the Ed25519 check and PyJWT's parsing: on the write path they were ~40 % of a request's
CPU. Only the exact token text is remembered, never a refusal; its expiry is checked again on
every use, the revocations too, and the memory is forgotten whenever the issuer's keys change
(a key dropped after a leak ends its tokens within the poll, as before).

When the issuer cannot be reached, the last keys and revocations stay in force (logged once,
and again when it answers): access tokens of people live 15 minutes at most and cannot be
refreshed without the issuer anyway.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from services.common.background import Loop
from services.common.logging import get_logger
from services.common.settings import Settings
from services.common.tokens import (
    LEEWAY,
    Principal,
    PublicKeys,
    TokenError,
    decode_token,
    kid_of,
)

log = get_logger()

Fetch = Callable[[], Awaitable[Mapping[str, Any]]]
REFETCH_UNKNOWN_KID_S = 1.0
VERIFIED = 4096  # tokens remembered as verified (each is used for up to 15 minutes)


class LocalIssuer(Protocol):
    """The token issuer in this process (reporting's identity): no HTTP round trip."""

    async def jwks(self) -> Mapping[str, Any]: ...

    async def revoked(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Revoked:
    """Ids the issuer revoked whose tokens could still be valid."""

    sessions: frozenset[str] = frozenset()
    tokens: frozenset[str] = frozenset()

    @classmethod
    def of(cls, document: Mapping[str, Any]) -> Revoked:
        def ids(name: str) -> frozenset[str]:
            found = document.get(name)
            listed = found if isinstance(found, list) else []
            return frozenset(i for i in listed if isinstance(i, str))

        return cls(ids("sessions"), ids("tokens"))


class TokenTrust:
    """Verifies bearer tokens against the keys and revocations last fetched."""

    def __init__(
        self, settings: Settings, fetch_keys: Fetch, fetch_revoked: Fetch | None = None
    ) -> None:
        self.issuer = settings.token_issuer_name
        self.audience = settings.token_audience
        self.poll = settings.revocation_poll_ms / 1000
        self.keys = PublicKeys({})
        self.revoked = Revoked()
        self._fetch_keys = fetch_keys
        self._fetch_revoked = fetch_revoked
        self._refetched_for_kid = float("-inf")
        self._kid_fetch: asyncio.Future[None] | None = None
        self._failing: dict[str, str] = {}
        self._loop = Loop("token-trust")
        self._verified: dict[str, Principal] = {}  # token text -> what it verified as
        self._keys_seen: frozenset[tuple[str, bytes]] = frozenset()

    @classmethod
    def for_settings(cls, settings: Settings, local: LocalIssuer | None = None) -> TokenTrust:
        logging.getLogger("httpx").setLevel(logging.WARNING)  # not a log line per poll
        client = httpx.AsyncClient(timeout=2.0)

        async def get(url: str) -> Mapping[str, Any]:
            answer = await client.get(url)
            answer.raise_for_status()
            document = answer.json()
            if not isinstance(document, dict):
                raise ValueError(f"{url} did not answer a JSON object")
            return document

        async def jwks_file() -> Mapping[str, Any]:
            assert settings.token_jwks_file is not None
            document = json.loads(settings.token_jwks_file.read_text(encoding="utf-8"))
            return document if isinstance(document, dict) else {}

        base = settings.issuer_url.rstrip("/")
        if settings.token_jwks_file is not None:
            keys: Fetch = jwks_file
        elif local is not None:
            keys = local.jwks
        else:
            url = settings.token_jwks_url or f"{base}/.well-known/jwks.json"
            keys = lambda: get(url)  # noqa: E731
        revoked: Fetch = local.revoked if local is not None else lambda: get(f"{base}/auth/revoked")
        trust = cls(settings, keys, revoked)
        trust._client = client
        return trust

    _client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        await self.refresh()
        self._loop.start(self._run())

    async def stop(self) -> None:
        await self._loop.stop(grace=2.0)
        if self._client is not None:
            await self._client.aclose()

    async def _run(self) -> None:
        while not self._loop.stopping.is_set():
            await self._loop.pause(self.poll)
            await self.refresh()

    async def refresh(self) -> None:
        """Fetch the keys and the revocations; keep the last ones where a fetch fails."""
        keys = await self._attempt("jwks", self._fetch_keys)
        if keys is not None:
            self.keys = PublicKeys.from_jwks(keys)
            seen = self.keys.fingerprint()
            if seen != self._keys_seen:  # a key added, rotated or dropped: verify again
                self._keys_seen = seen
                self._verified.clear()
        if self._fetch_revoked is not None:
            revoked = await self._attempt("revoked", self._fetch_revoked)
            if revoked is not None:
                self.revoked = Revoked.of(revoked)

    async def _attempt(self, what: str, fetch: Fetch) -> Mapping[str, Any] | None:
        try:
            document = await fetch()
        except Exception as exc:  # the issuer away, a bad file: keep what we have
            error = f"{type(exc).__name__}: {exc}"
            if what not in self._failing:
                log.warning("token_trust_fetch_failed", what=what, error=error)
            self._failing[what] = error
            return None
        if self._failing.pop(what, None) is not None:
            log.info("token_trust_fetch_recovered", what=what)
        return document

    async def verify(self, token: str) -> Principal:
        """The principal of a valid, unrevoked token; TokenError otherwise."""
        kid = kid_of(token)
        now = time.monotonic()
        if kid not in self.keys.keys:
            # Requests that arrive together with a new key all wait for the one fetch it
            # starts: before, only the first waited and the others were refused at once
            # (a service started beside its issuer refused the first burst of requests).
            if self._kid_fetch is not None and not self._kid_fetch.done():
                await asyncio.shield(self._kid_fetch)
            elif now - self._refetched_for_kid > REFETCH_UNKNOWN_KID_S:
                self._refetched_for_kid = now
                self._kid_fetch = asyncio.ensure_future(self.refresh())
                await asyncio.shield(self._kid_fetch)
        principal = self._verified.get(token)
        if principal is None or principal.expires + LEEWAY <= datetime.now(UTC):
            self._verified.pop(token, None)
            principal = decode_token(token, self.keys, issuer=self.issuer, audience=self.audience)
            if len(self._verified) >= VERIFIED:
                self._verified.clear()
            self._verified[token] = principal
        if principal.session in self.revoked.sessions or principal.token_id in self.revoked.tokens:
            raise TokenError(
                "the bearer token was revoked (signed out, account disabled or token revoked);"
                " sign in again",
                "revoked_token",
            )
        return principal
