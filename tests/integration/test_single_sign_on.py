"""Single sign-on against a real OpenID provider process (oidc-provider-mock, tests/
oidc_provider.py): reporting registered as its client, people signed in on the provider's
page and sent back, as a browser would be, with httpx. A sign-in opens the session exactly as
a password does, and its token works against meetings; a forged, replayed or foreign callback,
an ID token of another issuer, client or key, and claims that map to nothing are refused,
each naming why; an unknown person waits for an admin unless the province lets the provider
administer its people."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from joserfc import jwk, jwt

from contracts import decode_event
from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from services.reporting.app import create_app as reporting_app
from services.reporting.identity.core import digest
from services.reporting.identity.domain import SignInRefused
from services.reporting.identity.service import Identity
from tests.conftest import ISSUER_DIR, start_app, token
from tests.oidc_provider import OpenIdProvider, running_provider
from tests.topics import records_on

pytestmark = pytest.mark.integration

PROVINCE, COMMUNE, OTHER_COMMUNE = "12", "03390", "03394"  # Lai Châu › Bình Lư; another commune
BASE = "https://reporting"
CALLBACK = f"{BASE}/auth/oidc/callback"
ROLES = {"hdnd-thu-ky": "secretary", "hdnd-xem": "viewer", "hdnd-quan-tri": "admin"}


def claims(username: str, unit: str = COMMUNE, role: Any = "hdnd-thu-ky") -> dict[str, Any]:
    groups = role if isinstance(role, list) else [role, "nhan-vien"]  # other groups: ignored
    return {"preferred_username": username, "name": f"Cán bộ {username}", "hdnd_unit": unit,
            "hdnd_role": groups}  # fmt: skip


def refusal(r: httpx.Response) -> dict[str, Any]:
    (detail,) = r.json()["detail"]
    return dict(detail)


@dataclass
class Browser:
    """One browser: its cookies on reporting (through the app) and the provider's pages."""

    reporting: httpx.AsyncClient
    provider: httpx.AsyncClient

    async def start(self, next_path: str = "/workspace/") -> str:
        """The provider's authorization URL reporting sends the browser to."""
        r = await self.reporting.get("/auth/oidc/login", params={"next": next_path})
        assert r.status_code == 303, r.text
        return r.headers["location"]

    async def at_provider(self, authorize: str, sub: str | None) -> str:
        """Sign in on the provider's page as `sub` (None: refuse): where it sends us back."""
        page = await self.provider.get(authorize)
        assert page.status_code == 200, page.text
        form = {"sub": sub} if sub is not None else {"action": "deny"}
        r = await self.provider.post(authorize, data=form)
        assert r.status_code == 302, r.text
        assert r.headers["location"].startswith(CALLBACK)
        return r.headers["location"]

    async def back(self, callback: str) -> httpx.Response:
        return await self.reporting.get(callback, headers={"accept": "application/json"})

    async def sign_in(self, sub: str) -> httpx.Response:
        return await self.back(await self.at_provider(await self.start(), sub))

    async def access(self) -> dict[str, Any]:
        """What the page does once back: the access token through the refresh cookie."""
        r = await self.reporting.post("/auth/refresh")
        assert r.status_code == 200, r.text
        return dict(r.json())


@dataclass
class Deployment:
    app: FastAPI
    settings: Settings
    provider: OpenIdProvider
    stack: AsyncExitStack

    @property
    def identity(self) -> Identity:
        identity: Identity = self.app.state.reporting.identity
        return identity

    async def browser(self) -> Browser:
        reporting = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=BASE)
        provider = httpx.AsyncClient()
        for client in (reporting, provider):
            await self.stack.enter_async_context(client)
        return Browser(reporting, provider)

    async def signs_in(
        self, sub: str, username: str, **changes: Any
    ) -> tuple[Browser, httpx.Response]:
        """The provider vouches for `sub` with `claims(username, **changes)`, who signs in in
        a new browser: that browser and reporting's answer."""
        await self.provider.person(sub, **claims(username, **changes))
        browser = await self.browser()
        return browser, await browser.sign_in(sub)

    async def create(self, username: str, unit: str = COMMUNE, role: str = "secretary") -> Any:
        """An account made by an admin of the province: (its id, temporary password)."""
        body = {"username": username, "full_name": f"Người {username}", "unit": unit, "role": role}
        admin = {"Authorization": f"Bearer {token(PROVINCE, 'admin', user='admin-12')}"}
        r = await (await self.browser()).reporting.post("/accounts", json=body, headers=admin)
        assert r.status_code == 201, r.text
        return r.json()["account"]["id"], r.json()["temporary_password"]


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenIdProvider]:
    with running_provider(tmp_path_factory.mktemp("oidc") / "provider.log") as running:
        yield running


@pytest.fixture(scope="module")
def registered(provider: OpenIdProvider, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """reporting as the provider's client: (client id, the file of its secret)."""
    client_id, secret = provider.register(CALLBACK)
    path = tmp_path_factory.mktemp("oidc-client") / "secret"
    path.write_text(secret + "\n")
    return client_id, path


@pytest.fixture
async def deployment(
    request: pytest.FixtureRequest,
    stack: AsyncExitStack,
    settings: Settings,
    provider: OpenIdProvider,
    registered: tuple[str, Path],
) -> Deployment:
    """Reporting as the token issuer of province 12 with single sign-on at `provider`;
    provisioning as the test's parameter says (off unless given)."""
    client_id, secret_file = registered
    served = settings.model_copy(
        update={
            "units": [PROVINCE],
            "issuer_keys_dir": ISSUER_DIR,
            "token_jwks_file": None,
            "oidc_issuer": provider.issuer,
            "oidc_client_id": client_id,
            "oidc_client_secret_file": secret_file,
            "oidc_roles": ROLES,
            "oidc_provision": getattr(request, "param", False),
        }
    )
    app = reporting_app(served, consume=False)
    await start_app(stack, app, BASE, headers={})
    return Deployment(app, served, provider, stack)


async def test_a_person_the_provider_vouches_for_signs_in_as_with_a_password(
    deployment: Deployment, stack: AsyncExitStack, settings: Settings
) -> None:
    d = deployment
    account_id, temporary = await d.create("lan.sso")
    await d.provider.person("sub-lan", **claims("lan.sso"))
    methods = await (await d.browser()).reporting.get("/auth/methods")
    assert methods.json()["oidc"]["label"] == "Đăng nhập bằng tài khoản của tỉnh"
    button = await (await d.browser()).reporting.get("/workspace/sso.js")
    assert button.status_code == 200 and "/auth/methods" in button.text

    browser = await d.browser()
    authorize = await browser.start()
    asked = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
    assert asked["client_id"] == d.settings.oidc_client_id and asked["response_type"] == "code"
    assert asked["code_challenge_method"] == "S256" and asked["nonce"] and asked["state"]
    kept = await d.identity.core.store.oidc_logins.find_one({"_id": digest(asked["state"])})
    assert kept is not None and asked["state"] not in json.dumps(kept, default=str)
    challenge = hashlib.sha256(kept["verifier"].encode()).digest()
    assert base64.urlsafe_b64encode(challenge).rstrip(b"=").decode() == asked["code_challenge"]

    callback = await browser.at_provider(authorize, "sub-lan")
    back = await browser.back(callback)
    assert back.status_code == 303 and back.headers["location"] == "/workspace/", back.text
    cookies = back.headers.get_list("set-cookie")
    refresh = next(c for c in cookies if c.startswith("hdnd_refresh="))
    assert "httponly" in refresh.lower() and "secure" in refresh.lower(), refresh
    assert "samesite=strict" in refresh.lower() and "path=/auth" in refresh.lower(), refresh
    assert any(c.startswith('hdnd_oidc=""') for c in cookies), cookies  # the flow is over
    signed = await browser.access()
    assert signed["account"]["id"] == account_id and signed["account"]["sign_in"] == "oidc"
    assert signed["must_change_password"] is False and signed["pending"] == []

    # the token is an hdnd token like any other: meetings takes it
    meetings = await start_app(stack, meetings_app(settings), "http://meetings", headers={})
    bearer = {"Authorization": f"Bearer {signed['access_token']}"}
    assert (
        await meetings.client.get(f"/units/{COMMUNE}/meetings", headers=bearer)
    ).status_code == 200

    again = await browser.back(callback)  # the same callback, replayed
    assert again.status_code == 400 and refusal(again)["type"] == "oidc_state_invalid"
    assert refusal(again)["loc"] == ["query", "state"]
    password = await browser.reporting.post(
        "/auth/sign-in", json={"username": "lan.sso", "password": temporary}
    )  # linked: the temporary password is gone
    assert password.status_code == 401 and refusal(password)["type"] == "bad_credentials"

    admin = {"Authorization": f"Bearer {token(PROVINCE, 'admin', user='admin-12')}"}
    r = await browser.reporting.post(f"/accounts/{account_id}/reset-password", headers=admin)
    assert r.status_code == 409 and refusal(r)["loc"] == ["path", "account_id"], r.text
    r = await browser.reporting.post(f"/accounts/{account_id}/disable", headers=admin)
    assert r.status_code == 200, r.text
    refused = await browser.reporting.post("/auth/refresh")  # disabling still revokes
    assert refused.status_code == 401, refused.text
    disabled = await browser.sign_in("sub-lan")
    assert disabled.status_code == 403 and refusal(disabled)["type"] == "account_disabled"

    records = await records_on(d.settings, d.settings.topics.identity, 4)
    events = [decode_event(r.value) for r in records]
    linked = next(e for e in events if e.envelope.type == "account.linked")
    assert linked.envelope.actor is not None and linked.envelope.actor.id == "oidc"
    (sign_in,) = [e for e in events if e.envelope.type == "sign_in.succeeded"]
    assert sign_in.envelope.version == 2 and sign_in.payload.method == "oidc"  # type: ignore[attr-defined]
    assert sign_in.envelope.actor is not None and sign_in.envelope.actor.name == "Người lan.sso"


async def test_forged_replayed_or_foreign_callbacks_are_refused(deployment: Deployment) -> None:
    d = deployment
    await d.create("binh.sso")
    await d.provider.person("sub-binh", **claims("binh.sso"))
    browser, other = await d.browser(), await d.browser()

    forged = await browser.back(f"{CALLBACK}?{urlencode({'state': 'made-up', 'code': 'x'})}")
    assert forged.status_code == 400 and refusal(forged)["loc"] == ["query", "state"]

    # a callback made in one browser and opened in another (login CSRF) signs nobody in
    callback = await browser.at_provider(await browser.start(), "sub-binh")
    stolen = await other.back(callback)
    assert stolen.status_code == 400 and refusal(stolen)["type"] == "oidc_state_invalid"
    assert "another browser" in refusal(stolen)["msg"]
    assert (await browser.back(callback)).status_code == 400  # and it was used up

    # a code already exchanged, brought back with a fresh sign-in: the provider refuses it
    first = await browser.at_provider(await browser.start(), "sub-binh")
    assert (await browser.back(first)).status_code == 303
    code = parse_qs(urlsplit(first).query)["code"][0]
    fresh = parse_qs(urlsplit(await browser.start()).query)["state"][0]
    replayed = await browser.back(f"{CALLBACK}?{urlencode({'state': fresh, 'code': code})}")
    assert replayed.status_code == 400, replayed.text
    assert refusal(replayed)["type"] == "oidc_exchange_failed"
    assert refusal(replayed)["loc"] == ["query", "code"]

    # the nonce changed on the way to the provider: its ID token is not this sign-in's
    authorize = urlsplit(await browser.start())
    query = {k: v[0] for k, v in parse_qs(authorize.query).items()} | {"nonce": "another"}
    tampered = authorize._replace(query=urlencode(query)).geturl()
    bad_nonce = await browser.back(await browser.at_provider(tampered, "sub-binh"))
    assert bad_nonce.status_code == 401, bad_nonce.text
    assert refusal(bad_nonce) | {"msg": ""} == {
        "loc": ["id_token", "nonce"],
        "msg": "",
        "type": "oidc_token_invalid",
    }

    # the person declined at the provider: this one says so without the state, others with it
    declined = await browser.back(await browser.at_provider(await browser.start(), None))
    assert declined.status_code == 400 and refusal(declined)["type"] == "oidc_state_invalid"
    state = parse_qs(urlsplit(await browser.start()).query)["state"][0]
    denied = await browser.back(
        f"{CALLBACK}?{urlencode({'state': state, 'error': 'access_denied'})}"
    )
    assert denied.status_code == 403 and refusal(denied)["type"] == "oidc_provider_refused"

    page = await other.reporting.get(callback, headers={"accept": "text/html"})
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
    assert "Lượt đăng nhập này đã hết hạn" in page.text and "<script" not in page.text
    assert "script-src" not in page.headers["content-security-policy"]


async def test_an_id_token_of_another_issuer_client_or_key_is_refused(
    deployment: Deployment, registered: tuple[str, Path]
) -> None:
    """Real ID tokens of the provider that are not for this sign-in (one issued under another
    issuer name: the provider reached as `localhost`; one for another client), and one signed
    by a key the provider never published, given to the check a token endpoint's answer
    goes through."""
    d = deployment
    await d.provider.person("sub-chi", **claims("chi.sso"))
    assert d.identity.sso is not None
    check, port = d.identity.sso.provider, urlsplit(d.provider.issuer).port
    ours = (registered[0], registered[1].read_text().strip())
    nonce = secrets.token_urlsafe(16)

    right = await id_token_of(d.provider.issuer, ours, nonce)
    assert (await check.verified(right, nonce))["sub"] == "sub-chi"
    elsewhere = await id_token_of(f"http://localhost:{port}", ours, nonce)
    for_another = await id_token_of(d.provider.issuer, d.provider.register(CALLBACK), nonce)
    async with httpx.AsyncClient() as http:
        published = jwk.KeySet.import_key_set((await http.get(f"{d.provider.issuer}/jwks")).json())
    genuine = jwt.decode(right["id_token"], published)
    stranger = jwk.RSAKey.generate_key(2048)
    forged = jwt.encode({**genuine.header, "alg": "RS256"}, genuine.claims, stranger)
    unknown_kid = jwt.encode({"alg": "RS256", "kid": "not-theirs"}, genuine.claims, stranger)

    cases = [
        (elsewhere, "id_token.iss"),
        (for_another, "id_token.aud"),
        ({"id_token": forged}, "id_token.signature"),
        ({"id_token": unknown_kid}, "id_token.signature"),
    ]
    for tokens, field in cases:
        with pytest.raises(SignInRefused) as refused:
            await check.verified(tokens, nonce)
        assert (refused.value.field, refused.value.kind) == (field, "oidc_token_invalid")


async def id_token_of(base: str, client: tuple[str, str], nonce: str) -> dict[str, Any]:
    """The provider's token response for `sub-chi` signed in to `client` (id, secret), the
    provider reached at `base`: what that client would receive from it."""
    client_id, secret = client
    query = {"client_id": client_id, "response_type": "code", "redirect_uri": CALLBACK}
    query |= {"scope": "openid profile", "nonce": nonce, "state": "s"}
    async with httpx.AsyncClient() as http:
        r = await http.post(f"{base}/oauth2/authorize?{urlencode(query)}", data={"sub": "sub-chi"})
        assert r.status_code == 302, r.text
        code = parse_qs(urlsplit(r.headers["location"]).query)["code"][0]
        r = await http.post(
            f"{base}/oauth2/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK},
            auth=(client_id, secret),
        )
        assert r.status_code == 200, r.text
        return dict(r.json())


async def test_claims_that_map_to_no_unit_or_role_are_refused_naming_the_claim(
    deployment: Deployment,
) -> None:
    d = deployment
    await d.create("dung.sso")
    browser = await d.browser()
    cases = [
        (claims("dung.sso", unit="99999"), "hdnd_unit", "no unit 99999"),
        (claims("dung.sso", unit="01"), "hdnd_unit", "not served by this deployment"),
        (claims("dung.sso", role="chu-tich"), "hdnd_role", "names no role of hdnd"),
        (claims("dung.sso", role="operator"), "hdnd_role", "names no role of hdnd"),
        (claims("dung.sso", role=["hdnd-thu-ky", "hdnd-quan-tri"]), "hdnd_role", "several"),
        ({**claims("dung.sso"), "preferred_username": "x y"}, "preferred_username", "username"),
        ({k: v for k, v in claims("dung.sso").items() if k != "hdnd_unit"}, "hdnd_unit", "no"),
    ]
    for given, claim, said in cases:
        await d.provider.person("sub-dung", **given)
        r = await browser.sign_in("sub-dung")
        assert r.status_code == 403, (given, r.text)
        assert refusal(r)["loc"] == ["id_token", claim] and said in refusal(r)["msg"], r.text
        assert refusal(r)["type"] == "oidc_claims_unmapped"
    page = await browser.reporting.get(
        await browser.at_provider(await browser.start(), "sub-dung"),
        headers={"accept": "text/html"},
    )
    assert "chưa cho biết đúng tên đăng nhập, đơn vị hoặc vai trò" in page.text


async def test_without_provisioning_an_unknown_person_waits_for_an_admin(
    deployment: Deployment,
) -> None:
    d = deployment
    browser, unknown = await d.signs_in("sub-minh", "minh.sso")
    assert unknown.status_code == 403 and refusal(unknown)["type"] == "oidc_not_provisioned"
    assert refusal(unknown)["loc"] == ["id_token", "preferred_username"]
    assert await d.identity.core.store.account_by_username("minh.sso") is None

    await d.create("Minh.SSO")  # an admin makes it; usernames match whatever their case
    assert (await browser.sign_in("sub-minh")).status_code == 303
    await d.provider.person("sub-minh", **claims("minh.sso", unit=OTHER_COMMUNE))
    moved = await browser.sign_in("sub-minh")  # the provider moved her; hdnd did not
    assert moved.status_code == 403 and refusal(moved)["type"] == "oidc_claims_disagree"
    await d.provider.person("sub-minh", **claims("minh.sso", role="hdnd-quan-tri"))
    promoted = await browser.sign_in("sub-minh")
    assert promoted.status_code == 403 and refusal(promoted)["type"] == "oidc_claims_disagree"

    # another person of the provider with her username cannot take her account
    await d.provider.person("sub-impostor", **claims("minh.sso"))
    impostor = await browser.sign_in("sub-impostor")
    assert impostor.status_code == 409 and refusal(impostor)["type"] == "oidc_username_taken"


@pytest.mark.parametrize("deployment", [True], indirect=True, ids=["provisioning"])
async def test_with_provisioning_the_provider_administers_its_people(
    deployment: Deployment,
) -> None:
    d = deployment
    browser, signed = await d.signs_in("sub-hoa", "hoa.sso")
    assert signed.status_code == 303
    first = (await browser.access())["account"]
    assert (first["username"], first["unit"], first["role"]) == ("hoa.sso", COMMUNE, "secretary")
    assert first["full_name"] == "Cán bộ hoa.sso" and first["sign_in"] == "oidc"

    later, signed = await d.signs_in("sub-hoa", "hoa.sso", unit=OTHER_COMMUNE, role="hdnd-xem")
    assert signed.status_code == 303
    moved = (await later.access())["account"]
    assert (moved["id"], moved["unit"], moved["role"]) == (first["id"], OTHER_COMMUNE, "viewer")
    ended = await browser.reporting.post("/auth/refresh")  # the session of her old rights
    assert ended.status_code == 401, ended.text

    records = await records_on(d.settings, d.settings.topics.identity, 5)
    events = [json.loads(r.value) for r in records]
    by_provider = [e["type"] for e in events if e["actor"]["id"] == "oidc"]
    assert by_provider == ["account.created", "account.linked", "account.changed"], events
    changed = next(e for e in events if e["type"] == "account.changed")["payload"]
    assert (changed["unit"], changed["role"]) == (OTHER_COMMUNE, "viewer")
