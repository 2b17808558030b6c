"""Tokens signed with a key the service has not fetched yet."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

from services.common.settings import Settings
from services.common.token_trust import TokenTrust
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
