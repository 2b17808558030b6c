"""Accounts on real servers: created by an admin from above, signed in with a temporary
password that must be changed first, ten wrong passwords lock, growing delays answer 429, a
second factor required by a unit's policy, refresh tokens that rotate and, used twice, end
the session; every change and sign-in an event on hdnd.identity, with no secret in it."""

from __future__ import annotations

import json
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pyotp
import pytest

from contracts import decode_event
from services.common.settings import Settings
from services.reporting.activity.entries import entry_of
from services.reporting.app import create_app as reporting_app
from services.reporting.identity.service import Identity
from tests.conftest import ISSUER_DIR, Running, eventually, start_app, token
from tests.topics import records_on

pytestmark = pytest.mark.integration

PROVINCE, COMMUNE = "12", "03390"  # Tỉnh Lai Châu › Xã Bình Lư (2025)
DISTRICT, DISTRICT_COMMUNE, OTHER_DISTRICT_COMMUNE = "106", "03394", "03386"  # legacy era
SUMMARY = f"/units/{COMMUNE}/summary?period=2025"


@dataclass
class Clock:
    """The issuer's clock, moved forward by tests instead of waiting."""

    ahead: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.ahead


@dataclass
class Issuer(Running):
    """Reporting running as the token issuer, with its identity core, clock and settings."""

    identity: Identity
    clock: Clock
    settings: Settings

    async def create(
        self, username: str, unit: str = COMMUNE, role: str = "secretary", **by: Any
    ) -> tuple[str, str]:
        """(account id, temporary password) made by an admin of the province."""
        admin = by.get("admin") or bearer(PROVINCE, "admin")
        body = {"username": username, "full_name": f"Người {username}", "unit": unit}
        body |= {"role": role, "position": "Chuyên viên"} | by.get("extra", {})
        r = await self.client.post("/accounts", json=body, headers=admin)
        assert r.status_code == 201, r.text
        return r.json()["account"]["id"], r.json()["temporary_password"]

    async def sign_in(self, username: str, password: str, **extra: Any) -> httpx.Response:
        body = {"username": username, "password": password, **extra}
        self.client.cookies.clear()
        return await self.client.post("/auth/sign-in", json=body)

    async def ready(self, username: str, unit: str = COMMUNE) -> tuple[str, str, str]:
        """An account whose holder changed the temporary password: (account id, password,
        access token)."""
        account_id, temporary = await self.create(username, unit)
        signed = (await self.sign_in(username, temporary)).json()
        password = f"mật khẩu mới của {username}"
        r = await self.client.post(
            "/auth/password",
            json={"current_password": temporary, "new_password": password},
            headers=as_bearer(signed["access_token"]),
        )
        assert r.status_code == 200, r.text
        return account_id, password, r.json()["access_token"]


def bearer(unit: str, role: str, era: str | None = None) -> dict[str, str]:
    return as_bearer(token(unit, role, user=f"{role}-{unit}", era=era))


def as_bearer(access: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access}"}


@pytest.fixture
async def issuer(stack: AsyncExitStack, settings: Settings) -> Issuer:
    """Reporting as the token issuer of province 12 (the session's test issuer key, so the
    tests' own tokens are trusted too), reading its own JWKS and revocations."""
    served = settings.model_copy(
        update={"units": [PROVINCE], "issuer_keys_dir": ISSUER_DIR, "token_jwks_file": None}
    )
    app = reporting_app(served, consume=False)
    running = await start_app(stack, app, "https://reporting", headers={})  # Secure cookies
    identity = app.state.reporting.identity
    clock = Clock()
    identity.core.now = clock
    return Issuer(running.app, running.client, identity, clock, served)


def refusal(r: httpx.Response) -> dict[str, Any]:
    (detail,) = r.json()["detail"]
    return dict(detail)


async def test_an_admin_creates_an_account_whose_holder_must_change_the_password_first(
    issuer: Issuer,
) -> None:
    account_id, temporary = await issuer.create("Lan.NT")
    again = await issuer.client.post(
        "/accounts",
        json={"username": "LAN.nt", "full_name": "X", "unit": COMMUNE, "role": "viewer"},
        headers=bearer(PROVINCE, "admin"),
    )
    assert again.status_code == 409 and refusal(again)["loc"] == ["body", "username"]

    wrong = await issuer.sign_in("lan.nt", "not the password")
    unknown = await issuer.sign_in("nobody.here", "not the password")
    for r in (wrong, unknown):
        assert r.status_code == 401, r.text
        assert refusal(r) == {
            "loc": ["body", "password"],
            "msg": "wrong username or password",
            "type": "bad_credentials",
        }

    signed = await issuer.sign_in("lan.nt", temporary)  # case-insensitive username
    assert signed.status_code == 200, signed.text
    body = signed.json()
    assert body["must_change_password"] is True and body["expires_in"] <= 15 * 60
    assert body["account"]["id"] == account_id and body["account"]["unit"] == COMMUNE
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith("hdnd_refresh=")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "path", "max-age"} <= attributes, cookie
    assert "samesite=strict" in cookie.lower() and "path=/auth" in cookie.lower(), cookie

    first = as_bearer(body["access_token"])
    blocked = await issuer.client.get(SUMMARY, headers=first)
    assert blocked.status_code == 403 and refusal(blocked)["type"] == "password_change_required"
    weak = await issuer.client.post(
        "/auth/password",
        json={"current_password": temporary, "new_password": "short"},
        headers=first,
    )
    assert weak.status_code == 422 and refusal(weak)["loc"] == ["body", "new_password"]
    changed = await issuer.client.post(
        "/auth/password",
        json={"current_password": temporary, "new_password": "Hội đồng nhân dân 2026"},
        headers=first,
    )
    assert changed.status_code == 200 and changed.json()["must_change_password"] is False
    assert (await issuer.client.get(SUMMARY, headers=first)).status_code == 403  # still the old
    after = as_bearer(changed.json()["access_token"])
    assert (await issuer.client.get(SUMMARY, headers=after)).status_code == 200
    assert (await issuer.sign_in("lan.nt", temporary)).status_code == 401

    records = await records_on(issuer.settings, issuer.settings.topics.identity, 6)
    operator = as_bearer(token(None, "operator"))
    ready = (await issuer.client.get("/ready", headers=operator)).json()
    assert ready["identity"]["mongodb"] == "ok" and ready["identity"]["outbox_pending"] == 0
    events = [json.loads(r.value) for r in records]
    kinds = [e["type"] for e in events]
    assert kinds.count("account.created") == 1 and "account.password_changed" in kinds
    failed = [e["payload"] for e in events if e["type"] == "sign_in.failed"]
    assert {(f["username"], f["account_id"] is None) for f in failed} >= {
        ("Lan.NT", False),
        ("nobody.here", True),
    }
    created = next(e for e in events if e["type"] == "account.created")
    assert created["unit"] == COMMUNE and created["payload"]["by"]["id"] == "admin-12"
    # who did each is on the envelope, as on every event, so the Nhật ký lists them all
    actors = {(e["type"], e["actor"]["id"], e["actor"]["name"]) for e in events}
    assert ("account.created", "admin-12", "admin-12") in actors
    assert ("sign_in.succeeded", account_id, "Người Lan.NT") in actors
    assert ("sign_in.failed", account_id, "Người Lan.NT") in actors
    assert ("sign_in.failed", "username:nobody.here", "nobody.here") in actors
    assert all(entry_of(decode_event(r.value).envelope) is not None for r in records)
    assert created["signature"]["unit"] == PROVINCE  # the deployment's unit key
    for record in records:  # nothing secret ever travels
        for secret in (temporary, "Hội đồng nhân dân 2026", "argon2", "password_hash"):
            assert secret.encode() not in record.value


async def test_an_admin_manages_accounts_of_its_unit_and_below_and_nothing_else(
    issuer: Issuer,
) -> None:
    district_admin = bearer(DISTRICT, "admin", era="legacy")
    legacy = {"era": "legacy"}
    own_id, _ = await issuer.create(
        "trong.huyen", DISTRICT_COMMUNE, admin=district_admin, extra=legacy
    )
    province_id, _ = await issuer.create("tinh.a", PROVINCE)
    elsewhere_id, _ = await issuer.create("xa.khac", OTHER_DISTRICT_COMMUNE, extra=legacy)

    c, h = issuer.client, district_admin
    listed = await c.get("/accounts", headers=h)
    assert [a["username"] for a in listed.json()] == ["trong.huyen"]
    for other in (province_id, elsewhere_id):
        for r in (
            await c.get(f"/accounts/{other}", headers=h),
            await c.patch(f"/accounts/{other}", json={"full_name": "Đổi"}, headers=h),
            await c.post(f"/accounts/{other}/disable", headers=h),
            await c.post(f"/accounts/{other}/reset-password", headers=h),
            await c.post(f"/accounts/{other}/unlock", headers=h),
        ):
            assert r.status_code == 404, r.text
            assert refusal(r)["loc"] == ["path", "account_id"]
    outside = {"username": "x.y", "full_name": "X", "unit": OTHER_DISTRICT_COMMUNE}
    r = await c.post("/accounts", json=outside | {"role": "viewer", "era": "legacy"}, headers=h)
    assert r.status_code == 404 and refusal(r)["loc"] == ["body", "unit"], r.text
    r = await c.patch(f"/accounts/{own_id}", json={"unit": PROVINCE}, headers=h)  # above itself
    assert r.status_code == 404 and refusal(r)["loc"] == ["body", "unit"], r.text
    r = await c.patch(f"/accounts/{own_id}", json={"role": "operator"}, headers=h)
    assert r.status_code == 403 and refusal(r)["type"] == "operator_by_server_only", r.text
    r = await c.put(f"/units/{PROVINCE}/sign-in-policy", json={"totp_required": True}, headers=h)
    assert r.status_code == 404, r.text
    r = await c.patch(f"/accounts/{own_id}", json={"role": "admin"}, headers=h)
    assert r.status_code == 200 and r.json()["role"] == "admin", r.text
    for role in ("secretary", "viewer", "operator"):
        r = await c.get("/accounts", headers=bearer(PROVINCE, role))
        assert r.status_code == 403 and refusal(r)["type"] == "not_admin", r.text
    province = await c.get("/accounts", headers=bearer(PROVINCE, "admin"))  # sees all three
    assert {a["id"] for a in province.json()} == {own_id, province_id, elsewhere_id}


async def test_ten_wrong_passwords_lock_the_account_until_an_admin_unlocks_it(
    issuer: Issuer,
) -> None:
    account_id, _, _ = await issuer.ready("thu.ky")
    waits = []
    for attempt in range(1, 11):
        r = await issuer.sign_in("thu.ky", f"sai lần {attempt}")
        assert r.status_code == 401, (attempt, r.text)
        if 3 <= attempt < 10:  # the right password, too soon: not even checked
            hurried = await issuer.sign_in("thu.ky", "mật khẩu mới của thu.ky")
            assert hurried.status_code == 429, (attempt, hurried.text)
            assert refusal(hurried)["type"] == "delayed"
            waits.append(int(hurried.headers["retry-after"]))
            issuer.clock.ahead += timedelta(seconds=waits[-1])
    assert waits == [1, 2, 4, 8, 16, 32, 64]

    locked = await issuer.sign_in("thu.ky", "mật khẩu mới của thu.ky")
    assert locked.status_code == 423 and refusal(locked)["type"] == "locked", locked.text
    issuer.clock.ahead += timedelta(hours=2)
    assert (await issuer.sign_in("thu.ky", "mật khẩu mới của thu.ky")).status_code == 423
    shown = await issuer.client.get(f"/accounts/{account_id}", headers=bearer(PROVINCE, "admin"))
    assert shown.json()["locked"] is True
    r = await issuer.client.post(f"/accounts/{account_id}/unlock", headers=bearer("12", "admin"))
    assert r.status_code == 200 and r.json()["locked"] is False
    assert (await issuer.sign_in("thu.ky", "mật khẩu mới của thu.ky")).status_code == 200

    records = await records_on(issuer.settings, issuer.settings.topics.identity, 15)
    failures = [json.loads(r.value)["payload"] for r in records]
    locks = [f for f in failures if f.get("locked")]
    assert len(locks) == 1 and locks[0]["failures"] == 10


async def test_guessing_many_usernames_from_one_client_is_slowed_too(issuer: Issuer) -> None:
    for n in range(30):
        r = await issuer.sign_in(f"doan.{n}", "một mật khẩu đoán")
        assert r.status_code == 401, (n, r.text)
    r = await issuer.sign_in("doan.moi", "một mật khẩu đoán")
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1, r.text
    issuer.clock.ahead += timedelta(minutes=16)  # a quiet quarter of an hour starts afresh
    assert (await issuer.sign_in("doan.moi", "một mật khẩu đoán")).status_code == 401


async def test_a_units_policy_requires_a_second_factor_below_it(issuer: Issuer) -> None:
    admin = bearer(PROVINCE, "admin")
    policy = f"/units/{COMMUNE}/sign-in-policy"
    r = await issuer.client.get(policy, headers=admin)
    assert r.json() == {"unit": COMMUNE, "totp_required": False, "required_above": []}, r.text
    r = await issuer.client.put(
        f"/units/{PROVINCE}/sign-in-policy", json={"totp_required": True}, headers=admin
    )
    assert r.status_code == 200, r.text
    r = await issuer.client.get(policy, headers=admin)  # what the admin's page shows
    assert r.json() == {"unit": COMMUNE, "totp_required": False, "required_above": [PROVINCE]}
    r = await issuer.client.get(policy, headers=bearer(COMMUNE, "admin"))
    assert r.json()["required_above"] == [PROVINCE]  # read from below, changed only above
    r = await issuer.client.get(
        f"/units/{PROVINCE}/sign-in-policy", headers=bearer(COMMUNE, "admin")
    )
    assert r.status_code == 404 and refusal(r)["loc"] == ["path", "unit"], r.text
    _, password, access = await issuer.ready("hai.buoc")
    blocked = await issuer.client.get(SUMMARY, headers=as_bearer(access))
    assert blocked.status_code == 403 and refusal(blocked)["type"] == "totp_setup_required"
    setup = (await issuer.client.post("/auth/totp/setup", headers=as_bearer(access))).json()
    assert setup["otpauth_uri"].startswith("otpauth://totp/")
    totp = pyotp.TOTP(setup["secret"])
    confirmed = await issuer.client.post(
        "/auth/totp/confirm", json={"otp": totp.now()}, headers=as_bearer(access)
    )
    assert confirmed.status_code == 200 and confirmed.json()["pending"] == [], confirmed.text
    full = as_bearer(confirmed.json()["access_token"])
    assert (await issuer.client.get(SUMMARY, headers=full)).status_code == 200

    missing = await issuer.sign_in("hai.buoc", password)
    assert missing.status_code == 401 and refusal(missing)["type"] == "otp_required"
    assert refusal(missing)["loc"] == ["body", "otp"]
    wrong = await issuer.sign_in("hai.buoc", password, otp="000000")
    assert wrong.status_code == 401 and refusal(wrong)["type"] == "bad_otp"
    code = totp.at(issuer.clock())
    assert (await issuer.sign_in("hai.buoc", password, otp=code)).status_code == 200
    replayed = await issuer.sign_in("hai.buoc", password, otp=code)  # the same code again
    assert replayed.status_code == 401 and refusal(replayed)["type"] == "bad_otp"


async def test_a_refresh_token_used_twice_ends_the_session(issuer: Issuer) -> None:
    _, password, _ = await issuer.ready("lam.moi")
    signed = await issuer.sign_in("lam.moi", password)
    first_cookie = issuer.client.cookies["hdnd_refresh"]
    access = as_bearer(signed.json()["access_token"])
    refreshed = await issuer.client.post("/auth/refresh")
    assert refreshed.status_code == 200, refreshed.text
    second_cookie = issuer.client.cookies["hdnd_refresh"]
    assert second_cookie != first_cookie and "secure" in refreshed.headers["set-cookie"].lower()
    assert (await issuer.client.post("/auth/refresh")).status_code == 200

    latest = issuer.client.cookies["hdnd_refresh"]
    issuer.clock.ahead += timedelta(seconds=30)  # not two tabs racing: a copy of the old one
    issuer.client.cookies.clear()
    stolen = await issuer.client.post(
        "/auth/refresh", headers={"Cookie": f"hdnd_refresh={first_cookie}"}
    )
    assert stolen.status_code == 401 and refusal(stolen)["loc"] == ["cookie", "hdnd_refresh"]
    r = await issuer.client.post("/auth/refresh", headers={"Cookie": f"hdnd_refresh={latest}"})
    assert r.status_code == 401, r.text  # the session is over for its holder too

    async def revoked() -> None:
        r = await issuer.client.get(SUMMARY, headers=access)
        assert r.status_code == 401 and refusal(r)["type"] == "revoked_token", r.text

    await eventually(revoked, within=10)
    records = await records_on(issuer.settings, issuer.settings.topics.identity, 5)
    assert any(json.loads(r.value)["type"] == "session.revoked" for r in records)
