"""Bearer tokens on real servers: who may record and read what, and clear refusals; tokens
signed by anything but the issuer's key, expired, or for another issuer or audience are 401."""

from __future__ import annotations

import base64
import json
import re
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.auth import Role
from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from services.oversight.app import create_app as oversight_app
from services.reporting.app import create_app as reporting_app
from services.reporting.identity import keys as issuer_keys
from services.reporting.identity.keys import IssuerKeys
from tests.conftest import (
    ISSUER,
    ISSUER_DIR,
    JWKS_FILE,
    TOKEN_AUDIENCE,
    TOKEN_ISSUER,
    Running,
    eventually,
    start_app,
    token,
)
from tests.integration.test_rollup import voter_contact

pytestmark = pytest.mark.integration

# Tỉnh Lai Châu (12) › Huyện Tam Đường (106) › Thị trấn Tam Đường (03390), Xã Thèn Sin (03394);
# Thành phố Lai Châu (105) › Phường Quyết Thắng (03386). All before the 2025 reform.
PROVINCE, DISTRICT, COMMUNE_A, COMMUNE_B, OTHER_DISTRICT_COMMUNE = (
    "12",
    "106",
    "03390",
    "03394",
    "03386",
)


def as_user(unit: str | None, role: Role = "secretary", **kw: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(unit, role, **kw)}"}


async def client_of(running: Running, headers: dict[str, str] | None) -> httpx.AsyncClient:
    """Another client of the same app, sending exactly `headers` (or none)."""
    transport = httpx.ASGITransport(app=running.app)
    return httpx.AsyncClient(
        transport=transport, base_url=str(running.client.base_url), headers=headers or {}
    )


@pytest.fixture
async def apps(stack: AsyncExitStack, settings: Settings) -> dict[str, Running]:
    return {
        "meetings": await start_app(stack, meetings_app(settings), "http://meetings"),
        "oversight": await start_app(stack, oversight_app(settings), "http://oversight"),
        "reporting": await start_app(  # the token issuer too: its routes are checked
            stack,
            reporting_app(issuing(settings), consume=False),
            "http://reporting",
        ),
    }


def issuing(settings: Settings) -> Settings:
    return settings.model_copy(update={"issuer_keys_dir": ISSUER_DIR, "units": [PROVINCE]})


PROTECTED = [
    ("meetings", "POST", f"/units/{COMMUNE_A}/meetings"),
    ("meetings", "GET", f"/units/{COMMUNE_A}/meetings"),
    ("meetings", "GET", "/meetings/any-id"),
    ("oversight", "POST", f"/units/{DISTRICT}/supervisions"),
    ("oversight", "GET", f"/units/{DISTRICT}/supervisions"),
    ("oversight", "GET", "/supervisions/any-id"),
    ("reporting", "GET", f"/units/{COMMUNE_A}/summary?period=2025"),
    ("reporting", "GET", "/figures"),
    ("reporting", "GET", "/accounts"),
    ("reporting", "POST", "/accounts/any-id/disable"),
    ("reporting", "POST", "/service-accounts"),
    ("reporting", "POST", "/auth/password"),
]
OPEN = {"/health", "/ready", "/", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
# The issuer's own: its public keys, what it revoked, and signing in and out (no token yet).
ISSUER_OPEN = {
    *("/.well-known/jwks.json", "/auth/revoked", "/auth/sign-in", "/auth/refresh"),
    *("/auth/sign-out", "/auth/methods", "/auth/oidc/login", "/auth/oidc/callback"),
}
# A person who must change a temporary password first has a token for these alone.
TOKEN_ANY_STEP = {"/auth/password", "/auth/totp/setup", "/auth/totp/confirm"}


def every_route(apps: dict[str, Running]) -> list[tuple[str, str, str]]:
    """Every route of every app but the open ones, path parameters filled in: a new route
    that forgets the token check fails the test below without anyone listing it."""
    found = []
    for service, running in apps.items():
        for path, operations in running.app.openapi()["paths"].items():
            if path in OPEN | ISSUER_OPEN:
                continue
            filled = re.sub(r"\{unit\}", COMMUNE_A, path)
            filled = re.sub(r"\{[a-z_]+\}", "any-id", filled)
            found.extend((service, method.upper(), filled) for method in sorted(operations))
    return found


def _other_issuer(tmp: Path) -> IssuerKeys:
    issuer_keys.generate(tmp)
    return IssuerKeys(tmp)


def _raw(header: dict[str, Any], claims: dict[str, Any], sign: Any) -> str:
    """A JWT of any header and claims, signed by `sign(signing input)` (an attacker's
    encoder refuses nothing)."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64(sign(signing_input.encode()))}"


def _claims(**changes: Any) -> dict[str, Any]:
    return {**jwt.decode(token(COMMUNE_A), options={"verify_signature": False}), **changes}


def bad_tokens(tmp: Path, unit_keys: Path) -> dict[str, tuple[str, str]]:
    """name → (Authorization header, what the refusal must say)."""
    import hashlib
    import hmac

    from contracts.keys import load_private, private_key_id

    unit_key = load_private(unit_keys / "private" / f"{PROVINCE}.pem")  # what meetings holds

    other = _other_issuer(tmp / "other-issuer")
    kid, private = ISSUER.signing_key()
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    other_kid, other_private = other.signing_key()
    return {
        "missing": ("", "needs a bearer token"),
        "not bearer": ("Basic dXNlcjpwYXNz", "needs a bearer token"),
        "garbage": ("Bearer not.a.jwt", "not a well-formed JWT"),
        "another issuer's key": (
            f"Bearer {token(COMMUNE_A, issuer=other)}",
            "is not one of the token issuer's keys",
        ),
        "another key under the issuer's kid": (
            "Bearer "
            + _raw({"alg": "EdDSA", "kid": kid, "typ": "JWT"}, _claims(), other_private.sign),
            "signature does not verify",
        ),
        "the province's unit key (a compromised service's)": (
            "Bearer "
            + _raw({"alg": "EdDSA", "kid": private_key_id(unit_key)}, _claims(), unit_key.sign),
            "is not one of the token issuer's keys",
        ),
        "unknown kid": (
            "Bearer " + _raw({"alg": "EdDSA", "kid": "0" * 16}, _claims(), other_private.sign),
            "is not one of the token issuer's keys",
        ),
        "expired": (f"Bearer {token(COMMUNE_A, ttl=timedelta(hours=-1))}", "expired"),
        "other audience": (
            f"Bearer {token(COMMUNE_A, claims={'aud': 'another-app'})}",
            "not for this audience",
        ),
        "other issuer": (
            f"Bearer {token(COMMUNE_A, claims={'iss': 'hdnd-99'})}",
            "was not issued by 'hdnd-test'",
        ),
        "unknown role": (f"Bearer {ISSUER.sign(_claims(role='mayor'))}", "'mayor'"),
        "no exp": (
            "Bearer " + ISSUER.sign({k: v for k, v in _claims().items() if k != "exp"}),
            "lacks the 'exp' claim",
        ),
        "alg none": (
            "Bearer " + _raw({"alg": "none", "kid": kid}, _claims(), lambda _: b""),
            "must be signed with EdDSA",
        ),
        "HS256 with the public key as secret": (
            "Bearer "
            + _raw(
                {"alg": "HS256", "kid": kid},
                _claims(role="operator"),
                lambda data: hmac.new(public_pem, data, hashlib.sha256).digest(),
            ),
            "must be signed with EdDSA",
        ),
        "ES256 header on an EdDSA signature": (
            "Bearer " + _raw({"alg": "ES256", "kid": other_kid}, _claims(), other_private.sign),
            "must be signed with EdDSA",
        ),
    }


BAD_TOKENS = [
    "missing", "not bearer", "garbage", "another issuer's key",
    "another key under the issuer's kid", "the province's unit key (a compromised service's)",
    "unknown kid", "expired", "other audience",
    "other issuer", "unknown role", "no exp", "alg none", "HS256 with the public key as secret",
    "ES256 header on an EdDSA signature",
]  # fmt: skip


@pytest.mark.parametrize("name", BAD_TOKENS)
async def test_no_valid_token_is_a_401_with_a_bearer_challenge(
    apps: dict[str, Running], name: str, tmp_path: Path, unit_keys: Path
) -> None:
    every = bad_tokens(tmp_path, unit_keys)
    assert sorted(every) == sorted(BAD_TOKENS)
    header, says = every[name]
    routes = every_route(apps)

    def shape(p: str) -> str:
        return re.sub(r"/units/\d+", "/units/u", p.split("?")[0])

    assert {(s, m, shape(p)) for s, m, p in PROTECTED} <= {(s, m, shape(p)) for s, m, p in routes}
    assert len(routes) > 40
    for service, method, path in routes:
        async with await client_of(apps[service], {"Authorization": header} if header else {}) as c:
            body = voter_contact("vc-1", "2025-03-01", 1, 0) if method == "POST" else None
            r = await c.request(method, path, json=body)
        assert r.status_code == 401, (service, path, r.text)
        assert r.headers["www-authenticate"].startswith("Bearer"), r.headers
        if name != "missing" and name != "not bearer":
            assert 'error="invalid_token"' in r.headers["www-authenticate"]
        (detail,) = r.json()["detail"]
        assert detail["loc"] == ["header", "authorization"]
        assert says in detail["msg"], detail
    runtime = apps["meetings"].app.state.meetings.runtime
    assert await runtime.db["meetings"].count_documents({}) == 0


async def test_health_docs_schema_and_dashboard_stay_open(apps: dict[str, Running]) -> None:
    for service, running in apps.items():
        async with await client_of(running, None) as c:
            assert (await c.get("/health")).status_code == 200
            assert (await c.get("/ready")).status_code in (200, 503)
            assert (await c.get("/docs")).status_code == 200
            schema = (await c.get("/openapi.json")).json()
        scheme = schema["components"]["securitySchemes"]["bearer"]
        assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == (
            "http",
            "bearer",
            "JWT",
        )
        for path, operations in schema["paths"].items():
            for method, op in operations.items():
                secured = op.get("security") == [{"bearer": []}]
                opened = path in ("/health", "/ready") or path in ISSUER_OPEN
                assert secured == (not opened), (service, method, path)
                if secured:
                    assert {"401", "403"} <= set(op["responses"]), (service, method, path)
    async with await client_of(apps["reporting"], None) as c:
        assert (await c.get("/")).status_code == 200


async def test_a_commune_cannot_record_or_read_for_another_commune(
    apps: dict[str, Running],
) -> None:
    meetings, reporting = apps["meetings"], apps["reporting"]
    body = voter_contact("vc-b", "2025-03-01", voters=10, opinions=1)
    as_b = as_user(COMMUNE_B)
    async with await client_of(meetings, as_b) as b:
        assert (await b.post(f"/units/{COMMUNE_B}/meetings", json=body)).status_code == 201

    async with (
        await client_of(meetings, as_user(COMMUNE_A)) as a,
        await client_of(reporting, as_user(COMMUNE_A)) as a_reads,
    ):
        own = voter_contact("vc-a", "2025-03-02", voters=5, opinions=0)
        assert (await a.post(f"/units/{COMMUNE_A}/meetings", json=own)).status_code == 201
        refusals = [
            await a.post(f"/units/{COMMUNE_B}/meetings", json=body | {"meeting_id": "vc-x"}),
            await a.get(f"/units/{COMMUNE_B}/meetings"),
            await a.get(f"/units/{COMMUNE_B}/meetings", params={"from": "2025-01-01"}),
            await a_reads.get(f"/units/{COMMUNE_B}/summary", params={"period": "2025-Q1"}),
            await a_reads.get(f"/units/{DISTRICT}/summary", params={"period": "2025-Q1"}),
        ]
        for r in refusals:
            assert r.status_code == 403, r.text
            (detail,) = r.json()["detail"]
            assert detail["type"] == "outside_your_unit"
            assert "Thị trấn Tam Đường" in detail["msg"], detail  # the token's unit
        assert "Xã Thèn Sin (03394)" in refusals[0].json()["detail"][0]["msg"]
        assert "record only" in refusals[0].json()["detail"][0]["msg"]
        assert "Huyện Tam Đường (106)" in refusals[-1].json()["detail"][0]["msg"]
        # Another commune's record is not found, as if it did not exist (test_scope_refusals).
        assert (await a.get("/meetings/vc-b")).status_code == 404
        # Its own records and figures it may read.
        assert [m["meeting_id"] for m in (await a.get(f"/units/{COMMUNE_A}/meetings")).json()] == [
            "vc-a"
        ]
        assert (await a.get("/meetings/vc-a")).status_code == 200
        own_summary = await a_reads.get(f"/units/{COMMUNE_A}/summary", params={"period": "2025"})
        assert own_summary.status_code == 200, own_summary.text
    assert await meetings.app.state.meetings.runtime.db["meetings"].count_documents({}) == 2


async def test_a_district_viewer_reads_below_it_but_records_nothing(
    apps: dict[str, Running],
) -> None:
    async with (
        await client_of(apps["reporting"], as_user(DISTRICT, "viewer")) as reads,
        await client_of(apps["meetings"], as_user(DISTRICT, "viewer")) as writes,
        await client_of(apps["oversight"], as_user(DISTRICT, "viewer")) as oversight,
    ):
        for unit in (DISTRICT, COMMUNE_A, COMMUNE_B):
            r = await reads.get(f"/units/{unit}/summary", params={"period": "2025-H1"})
            assert r.status_code == 200, r.text
        assert (await reads.get("/figures")).status_code == 200
        assert (await writes.get(f"/units/{COMMUNE_A}/meetings")).status_code == 200
        elsewhere = await reads.get(
            f"/units/{OTHER_DISTRICT_COMMUNE}/summary", params={"period": "2025-H1"}
        )
        assert elsewhere.status_code == 403
        above = await reads.get(f"/units/{PROVINCE}/summary", params={"period": "2025-H1"})
        assert above.status_code == 403

        body = voter_contact("vc-v", "2025-03-01", voters=10, opinions=1)
        r = await writes.post(f"/units/{COMMUNE_A}/meetings", json=body)
        assert r.status_code == 403, r.text
        (detail,) = r.json()["detail"]
        assert detail["type"] == "read_only" and "secretary" in detail["msg"]
        supervision = {
            "activity": "survey",
            "title": "Khảo sát",
            "body": "standing_committee",
            "field": "land",
            "started_on": "2025-03-01",
            "finished_on": "2025-03-05",
        }
        r = await oversight.post(f"/units/{DISTRICT}/supervisions", json=supervision)
        assert r.status_code == 403 and r.json()["detail"][0]["type"] == "read_only", r.text


async def test_a_province_secretary_records_below_it_and_an_operator_reads_all(
    apps: dict[str, Running],
) -> None:
    body = voter_contact("vc-p", "2025-03-01", voters=10, opinions=1)
    async with await client_of(apps["meetings"], as_user(PROVINCE)) as province:
        r = await province.post(f"/units/{COMMUNE_A}/meetings", json=body)
        assert r.status_code == 201, r.text
        after_reform = voter_contact("vc-p2", "2025-08-01", voters=1, opinions=0)
        r = await province.post(f"/units/{COMMUNE_A}/meetings", json=after_reform)
        assert r.status_code == 201, r.text  # 03390 is Xã Bình Lư of Lai Châu from 2025
        r = await province.post("/units/00004/meetings", json=body | {"meeting_id": "vc-hn"})
        assert r.status_code == 403 and "Tỉnh Lai Châu (12)" in r.text, r.text

    # A district's secretary: its communes before the reform; nothing after (no districts).
    async with await client_of(apps["meetings"], as_user(DISTRICT)) as district:
        r = await district.post(f"/units/{COMMUNE_B}/meetings", json=body | {"meeting_id": "d1"})
        assert r.status_code == 201, r.text
        later = voter_contact("d2", "2025-08-01", voters=1, opinions=0)
        r = await district.post(f"/units/{COMMUNE_B}/meetings", json=later)
        assert r.status_code == 403 and "2025-08-01" in r.text, r.text

    async with (
        await client_of(apps["reporting"], as_user(None, "operator")) as ops,
        await client_of(apps["meetings"], as_user(None, "operator")) as ops_meetings,
    ):
        for unit in ("01", PROVINCE, "00004"):
            r = await ops.get(f"/units/{unit}/summary", params={"period": "2025"})
            assert r.status_code == 200, r.text
        assert (await ops_meetings.get("/meetings/vc-p")).status_code == 200
        r = await ops_meetings.post(f"/units/{COMMUNE_A}/meetings", json=body)
        assert r.status_code == 403 and r.json()["detail"][0]["type"] == "read_only"


async def test_unknown_units_are_404_not_403(apps: dict[str, Running]) -> None:
    """Unit codes are public: asking about a unit that did not exist says so."""
    async with (
        await client_of(apps["reporting"], as_user(COMMUNE_A, "viewer")) as reads,
        await client_of(apps["meetings"], as_user(COMMUNE_A, "viewer")) as meetings,
    ):
        r = await reads.get("/units/99999/summary", params={"period": "2025"})
        assert r.status_code == 404 and r.json()["detail"][0]["loc"] == ["path", "unit"]
        r = await reads.get(f"/units/{DISTRICT}/summary", params={"period": "2025-H2"})
        assert r.status_code == 404  # districts were abolished on 2025-07-01
        r = await meetings.get("/units/99999/meetings")
        assert r.status_code == 404


@given(
    claims=st.dictionaries(
        st.sampled_from(
            [
                "sub",
                "unit",
                "role",
                "exp",
                "iat",
                "nbf",
                "aud",
                "iss",
                "jti",
                "sid",
                "kind",
                "pending",
            ]
        ),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(min_value=-(2**70), max_value=2**70),
            st.floats(allow_nan=False),
            st.sampled_from(["12", "03390", "secretary", "admin", "hdnd-test", "hdnd", "1e400"]),
            st.text(max_size=8),
            st.lists(st.sampled_from(["change_password", "x"]), max_size=2),
        ),
    )
)
@settings(max_examples=300, deadline=None)
def test_any_claims_signed_by_the_issuer_are_accepted_or_refused_never_a_crash(
    claims: dict[str, Any],
) -> None:
    from services.common.tokens import Principal, TokenError, decode_token

    kid, private = ISSUER.signing_key()
    signed = _raw({"alg": "EdDSA", "kid": kid}, claims, private.sign)
    try:
        principal = decode_token(
            signed, ISSUER.public_keys(), issuer=TOKEN_ISSUER, audience=TOKEN_AUDIENCE
        )
    except TokenError as exc:
        assert exc.message
    else:
        assert isinstance(principal, Principal)
        assert principal.role in ("secretary", "viewer", "operator", "admin")


async def test_a_service_trusts_the_jwks_file_as_it_changes(
    stack: AsyncExitStack, settings: Settings, tmp_path: Path
) -> None:
    """Keys come from the issuer's JWKS, read again every poll: a key added (a rotation)
    signs accepted tokens without a restart, a key removed (dropped) signs none from then on."""
    jwks = tmp_path / "jwks.json"
    jwks.write_text(JWKS_FILE.read_text())
    app = await start_app(
        stack,
        meetings_app(
            settings.model_copy(update={"token_jwks_file": jwks, "revocation_poll_ms": 100})
        ),
        "http://meetings",
        headers={},
    )
    newcomer = _other_issuer(tmp_path / "rotated")
    path = f"/units/{COMMUNE_A}/meetings"

    async def status(credential: str) -> int:
        r = await app.client.get(path, headers={"Authorization": f"Bearer {credential}"})
        return r.status_code

    assert await status(token(COMMUNE_A)) == 200
    assert await status(token(COMMUNE_A, issuer=newcomer)) == 401
    both = {"keys": [*ISSUER.public_keys().jwks()["keys"], *newcomer.public_keys().jwks()["keys"]]}
    jwks.write_text(json.dumps(both))

    async def added() -> None:  # fetched again for its kid (at most once a second), or polled
        assert await status(token(COMMUNE_A, issuer=newcomer)) == 200

    await eventually(added, within=10)
    jwks.write_text(json.dumps(newcomer.public_keys().jwks()))

    async def dropped() -> None:
        assert await status(token(COMMUNE_A)) == 401

    await eventually(dropped, within=10)
