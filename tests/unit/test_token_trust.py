"""Tokens signed with a key the service has not fetched yet."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.common.settings import Settings
from services.common.token_trust import Revoked, TokenTrust
from services.common.tokens import TokenError
from tests.conftest import JWKS_FILE, TOKEN_AUDIENCE, TOKEN_ISSUER, token


async def test_requests_arriving_with_a_new_key_all_wait_for_the_one_fetch_it_starts() -> None:
    """A service started beside its issuer has no keys yet; the first burst of requests must
    not be refused: every one of them waits for the single fetch the first one starts (found
    as one sample record refused with 'not one of the token issuer's keys' by `hdnd run`)."""
    fetched = 0

    async def slow_jwks() -> Mapping[str, Any]:
        nonlocal fetched
        fetched += 1
        await asyncio.sleep(0.2)  # the issuer answering while the others arrive
        document: dict[str, Any] = json.loads(JWKS_FILE.read_text(encoding="utf-8"))
        return document

    settings = Settings(token_issuer=TOKEN_ISSUER, token_audience=TOKEN_AUDIENCE)
    trust = TokenTrust(settings, slow_jwks)
    principals = await asyncio.gather(*(trust.verify(token(user=f"u{i}")) for i in range(5)))
    assert [p.user for p in principals] == [f"u{i}" for i in range(5)]
    assert fetched == 1


async def test_a_remembered_token_is_refused_once_its_key_is_dropped_or_it_expires() -> None:
    """Verified tokens are remembered (the write path's CPU); that memory must never outlive
    what made the token good: the issuer's key, its expiry, a revocation."""
    jwks: dict[str, Any] = json.loads(JWKS_FILE.read_text(encoding="utf-8"))
    served: dict[str, Any] = jwks

    async def fetch() -> Mapping[str, Any]:
        return served

    settings = Settings(token_issuer=TOKEN_ISSUER, token_audience=TOKEN_AUDIENCE)
    trust = TokenTrust(settings, fetch)
    await trust.refresh()
    good = token(user="kept")
    assert (await trust.verify(good)).user == "kept"
    assert (await trust.verify(good)).user == "kept"  # remembered

    served = {"keys": []}  # the key dropped (a leak): its tokens end with the next poll
    await trust.refresh()
    with pytest.raises(TokenError, match="not one of the token issuer's keys"):
        await trust.verify(good)

    served = jwks
    await trust.refresh()
    short = token(
        user="brief", now=datetime.now(UTC) - timedelta(minutes=20), ttl=timedelta(minutes=15)
    )
    with pytest.raises(TokenError, match="expired"):
        await trust.verify(short)
    assert (await trust.verify(good)).user == "kept"
    trust._verified[short] = replace(
        trust._verified[good], expires=datetime.now(UTC) - timedelta(minutes=1)
    )
    with pytest.raises(TokenError, match="expired"):  # a remembered token expired meanwhile
        await trust.verify(short)
    principal = await trust.verify(good)
    trust.revoked = Revoked(frozenset({principal.session or ""}), frozenset({principal.token_id}))
    with pytest.raises(TokenError, match="revoked"):
        await trust.verify(good)
