"""Bearer tokens on real servers: who may record and read what, and clear refusals."""

from __future__ import annotations

import re
import secrets
from contextlib import AsyncExitStack
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from services.common.auth import MissingSecret, Role
from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from services.oversight.app import create_app as oversight_app
from services.reporting.app import create_app as reporting_app
from tests.conftest import JWT_SECRET, Running, start_app, token
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


PROTECTED = [
    ("meetings", "POST", f"/units/{COMMUNE_A}/meetings"),
    ("meetings", "GET", f"/units/{COMMUNE_A}/meetings"),
    ("meetings", "GET", "/meetings/any-id"),
    ("oversight", "POST", f"/units/{DISTRICT}/supervisions"),
    ("oversight", "GET", f"/units/{DISTRICT}/supervisions"),
    ("oversight", "GET", "/supervisions/any-id"),
    ("reporting", "GET", f"/units/{COMMUNE_A}/summary?period=2025"),
    ("reporting", "GET", "/figures"),
]
OPEN = {"/health", "/ready", "/", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def every_route(apps: dict[str, Running]) -> list[tuple[str, str, str]]:
    """Every route of every app but the open ones, path parameters filled in: a new route
    that forgets the token check fails the test below without anyone listing it."""
    found = []
    for service, running in apps.items():
        for path, operations in running.app.openapi()["paths"].items():
            if path in OPEN:
                continue
            filled = re.sub(r"\{unit\}", COMMUNE_A, path)
            filled = re.sub(r"\{[a-z_]+\}", "any-id", filled)
            found.extend((service, method.upper(), filled) for method in sorted(operations))
    return found


def bad_tokens() -> dict[str, tuple[str, str]]:
    """name → (Authorization header, what the refusal must say)."""
    other_secret = secrets.token_urlsafe(48)
    return {
        "missing": ("", "needs a bearer token"),
        "not bearer": ("Basic dXNlcjpwYXNz", "needs a bearer token"),
        "garbage": ("Bearer not.a.jwt", "not a well-formed JWT"),
        "bad signature": (
            f"Bearer {token(COMMUNE_A, secret=other_secret)}",
            "signature does not verify",
        ),
        "expired": (f"Bearer {token(COMMUNE_A, ttl=timedelta(hours=-1))}", "expired"),
        "unknown role": (
            "Bearer "
            + jwt.encode(
                {"sub": "x", "unit": COMMUNE_A, "role": "mayor", "exp": 4102444800},
                JWT_SECRET,
                algorithm="HS256",
            ),
            "'mayor' is not one of",
        ),
        "no exp": (
            "Bearer "
            + jwt.encode({"sub": "x", "unit": "12", "role": "operator"}, JWT_SECRET, "HS256"),
            "lacks the 'exp' claim",
        ),
        "alg none": (
            "Bearer "
            + jwt.encode({"sub": "x", "role": "operator", "exp": 4102444800}, None, "none"),
            "HS256",
        ),
    }


@pytest.mark.parametrize("name", list(bad_tokens()))
async def test_no_valid_token_is_a_401_with_a_bearer_challenge(
    apps: dict[str, Running], name: str
) -> None:
    header, says = bad_tokens()[name]
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
                assert secured == (path not in ("/health", "/ready")), (service, method, path)
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


async def test_a_service_without_a_secret_refuses_to_start(
    stack: AsyncExitStack, settings: Settings, tmp_path: Any
) -> None:
    with pytest.raises(MissingSecret, match="HDND_JWT_SECRET"):
        await start_app(stack, meetings_app(settings.model_copy(update={"jwt_secret": None})), "x")
    short = settings.model_copy(update={"jwt_secret": SecretStr("too-short")})
    with pytest.raises(MissingSecret, match="shorter than 32 bytes"):
        await start_app(stack, reporting_app(short, consume=False), "x")
    from_file = settings.model_copy(
        update={"jwt_secret": None, "jwt_secret_file": tmp_path / "missing"}
    )
    with pytest.raises(MissingSecret, match="cannot be read"):
        await start_app(stack, oversight_app(from_file), "x")
    (tmp_path / "secret").write_text(JWT_SECRET + "\n")
    good = settings.model_copy(update={"jwt_secret": None, "jwt_secret_file": tmp_path / "secret"})
    app = await start_app(stack, meetings_app(good), "http://meetings")
    assert (await app.client.get(f"/units/{COMMUNE_A}/meetings")).status_code == 200


def _sign_raw(claims: dict[str, Any]) -> str:
    """An HS256 JWT of any claims at all (PyJWT's encoder refuses some, an attacker's not)."""
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    mac = hmac.new(JWT_SECRET.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(mac)}"


@given(
    claims=st.dictionaries(
        st.sampled_from(["sub", "unit", "role", "exp", "iat", "nbf", "aud", "iss"]),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(min_value=-(2**70), max_value=2**70),
            st.floats(allow_nan=False),
            st.sampled_from(["12", "03390", "secretary", "viewer", "operator", "", "1e400"]),
            st.text(max_size=8),
            st.lists(st.integers(), max_size=2),
        ),
    )
)
@settings(max_examples=300, deadline=None)
def test_any_signed_claims_are_accepted_or_refused_never_a_crash(claims: dict[str, Any]) -> None:
    from services.common.auth import Principal, TokenError, decode_token

    signed = _sign_raw(claims)
    try:
        principal = decode_token(JWT_SECRET, signed)
    except TokenError as exc:
        assert exc.message
    else:
        assert isinstance(principal, Principal) and principal.role in (
            "secretary",
            "viewer",
            "operator",
        )


def test_tokens_issue_prints_a_token_the_services_accept(tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from deploy.cli import app
    from services.common.auth import decode_token

    runner = CliRunner()
    env = {"HDND_JWT_SECRET": JWT_SECRET}
    issued = runner.invoke(
        app, ["tokens", "issue", "--unit", "106", "--role", "viewer", "--days", "2"], env=env
    )
    assert issued.exit_code == 0, issued.output
    principal = decode_token(JWT_SECRET, issued.stdout.strip())
    assert (principal.unit, principal.role) == ("106", "viewer")
    shown = runner.invoke(app, ["tokens", "inspect", issued.stdout.strip()], env=env)
    assert shown.exit_code == 0 and "viewer" in shown.output

    # Without HDND_JWT_SECRET(_FILE): the local stack's own secret, made once, owner-only.
    local = runner.invoke(app, ["tokens", "issue", "--unit", "12", "--dir", str(tmp_path)], env={})
    assert local.exit_code == 0, local.output
    secret_file = tmp_path / "jwt-secret"
    assert secret_file.stat().st_mode & 0o777 == 0o600
    secret = secret_file.read_text().strip()
    assert decode_token(secret, local.stdout.strip()).role == "secretary"

    bad = runner.invoke(app, ["tokens", "issue", "--unit", "12", "--role", "mayor"], env=env)
    assert bad.exit_code != 0
    nowhere = runner.invoke(app, ["tokens", "issue", "--unit", "77777"], env=env)
    assert nowhere.exit_code != 0 and "77777" in nowhere.output
