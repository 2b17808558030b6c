"""Revocation and rotation across services: reporting (the token issuer) listening on a real
port, meetings fetching its JWKS and revocation list over HTTP as in production. A disabled
account, a signed-out session and a revoked service account are refused by meetings within
seconds; a key rotation signs nobody out, and a dropped key's tokens are refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import jwt
import pytest
from fastapi import FastAPI

from deploy.local import free_port
from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from services.reporting.app import create_app as reporting_app
from services.reporting.identity import keys as issuer_keys
from services.reporting.identity.keys import IssuerKeys
from tests.conftest import TOKEN_AUDIENCE, TOKEN_ISSUER, eventually, start_app
from tests.listening import Listener

pytestmark = pytest.mark.integration

PROVINCE, COMMUNE = "12", "03390"
MEETINGS = f"/units/{COMMUNE}/meetings"


async def listen(stack: AsyncExitStack, app: FastAPI) -> str:
    """Serve `app` (its lifespan already running) on a free port until the test ends."""
    listener = Listener(app, free_port())
    await listener.start()
    stack.push_async_callback(listener.stop)
    return listener.url


@dataclass
class Deployment:
    keys: IssuerKeys
    reporting: httpx.AsyncClient  # over the real port
    meetings: httpx.AsyncClient  # meetings trusts reporting over HTTP

    def admin(self) -> dict[str, str]:
        access = self.keys.issue(
            issuer=TOKEN_ISSUER,
            audience=TOKEN_AUDIENCE,
            subject="admin-12",
            name="Quản trị tỉnh",
            unit=PROVINCE,
            role="admin",
            ttl=timedelta(hours=1),
        )
        return {"Authorization": f"Bearer {access}"}

    async def person(self, username: str) -> tuple[str, str, str]:
        """A secretary of the commune who changed her temporary password: (account id,
        access token, refresh token)."""
        body = {"username": username, "full_name": username, "unit": COMMUNE}
        r = await self.reporting.post(
            "/accounts", json=body | {"role": "secretary"}, headers=self.admin()
        )
        assert r.status_code == 201, r.text
        account_id, temporary = r.json()["account"]["id"], r.json()["temporary_password"]
        signed = await self.reporting.post(
            "/auth/sign-in", json={"username": username, "password": temporary}
        )
        changed = await self.reporting.post(
            "/auth/password",
            json={"current_password": temporary, "new_password": f"{username} đổi mật khẩu"},
            headers=bearer(signed.json()["access_token"]),
        )
        assert changed.status_code == 200, changed.text
        return account_id, changed.json()["access_token"], signed.cookies["hdnd_refresh"]

    async def status(self, access: str) -> int:
        return (await self.meetings.get(MEETINGS, headers=bearer(access))).status_code

    async def refused_within_seconds(self, access: str) -> None:
        async def refused() -> None:
            r = await self.meetings.get(MEETINGS, headers=bearer(access))
            assert r.status_code == 401, r.text

        await eventually(refused, within=10)


def bearer(access: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access}"}


@pytest.fixture
async def deployment(
    stack: AsyncExitStack, settings: Settings, tmp_path: Path
) -> AsyncIterator[Deployment]:
    issuer_keys.generate(tmp_path / "issuer")
    fast = {"revocation_poll_ms": 200, "token_jwks_file": None}
    issuing = settings.model_copy(
        update=fast | {"units": [PROVINCE], "issuer_keys_dir": tmp_path / "issuer"}
    )
    reporting = await start_app(stack, reporting_app(issuing, consume=False), "http://r", {})
    url = await listen(stack, reporting.app)
    trusting = settings.model_copy(update=fast | {"issuer_url": url})
    meetings = await start_app(stack, meetings_app(trusting), "http://meetings", headers={})
    client = await stack.enter_async_context(httpx.AsyncClient(base_url=url))
    yield Deployment(IssuerKeys(tmp_path / "issuer"), client, meetings.client)


async def test_a_disabled_account_a_signed_out_session_and_a_revoked_token_are_refused_at_once(
    deployment: Deployment,
) -> None:
    d = deployment
    disabled_id, disabled, _ = await d.person("se.bi.khoa")
    _, signing_out, _ = await d.person("se.dang.xuat")
    r = await d.reporting.post(
        "/service-accounts",
        json={"name": "Đồng bộ số liệu", "unit": PROVINCE, "role": "viewer", "days": 30},
        headers=d.admin(),
    )
    assert r.status_code == 201, r.text
    program_id, program = r.json()["id"], r.json()["token"]
    claims = jwt.decode(program, options={"verify_signature": False})
    assert claims["kind"] == "service" and claims["exp"] - claims["iat"] == 30 * 86400
    for access in (disabled, signing_out, program):
        assert await d.status(access) == 200

    r = await d.reporting.post(f"/accounts/{disabled_id}/disable", headers=d.admin())
    assert r.status_code == 200 and r.json()["active"] is False, r.text
    await d.refused_within_seconds(disabled)
    r = await d.reporting.post(
        "/auth/sign-in", json={"username": "se.bi.khoa", "password": "se.bi.khoa đổi mật khẩu"}
    )
    assert r.status_code == 403 and r.json()["detail"][0]["type"] == "account_disabled"

    assert (
        await d.reporting.post("/auth/sign-out", headers=bearer(signing_out))
    ).status_code == 204
    await d.refused_within_seconds(signing_out)

    revoked = await d.reporting.post(f"/service-accounts/{program_id}/revoke", headers=d.admin())
    assert revoked.status_code == 200 and revoked.json()["revoked_at"], revoked.text
    await d.refused_within_seconds(program)
    listed = (await d.reporting.get("/auth/revoked")).json()
    assert claims["jti"] in listed["tokens"] and len(listed["sessions"]) == 2
    r = await d.meetings.get(MEETINGS, headers=bearer(program))
    assert r.json()["detail"][0]["type"] == "revoked_token"


async def test_a_key_rotation_signs_nobody_out_and_a_dropped_key_is_refused(
    deployment: Deployment,
) -> None:
    d = deployment
    _, before, refresh = await d.person("qua.xoay.khoa")
    old_kid = jwt.get_unverified_header(before)["kid"]
    new_kid = issuer_keys.rotate(d.keys.directory).kid
    assert await d.status(before) == 200  # signed before the rotation: still good

    r = await d.reporting.post("/auth/refresh", headers={"Cookie": f"hdnd_refresh={refresh}"})
    assert r.status_code == 200, r.text
    after = r.json()["access_token"]
    assert jwt.get_unverified_header(after)["kid"] == new_kid != old_kid
    assert await d.status(after) == 200  # meetings fetched the JWKS again for the new kid

    assert issuer_keys.drop(d.keys.directory, old_kid) == [old_kid]
    await d.refused_within_seconds(before)
    assert await d.status(after) == 200
