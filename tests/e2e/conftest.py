"""The workspace in a real browser: the three services listening on real ports (their apps and
lifespans in this process, on the shared servers), Debian's chromium driven by Playwright.
Reporting is the token issuer (the session's test issuer key): people have accounts and sign
in; tests about other things hand the browser a session (`Workspace.sign_in`) as the sign-in
page would leave it, a refresh cookie, never a token in the address or in storage.

Each service's HTTP listener can be stopped and started again while its app keeps running,
which is how a test makes a service unreachable from the browser."""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from playwright.async_api import Browser, Locator, Page, async_playwright, expect

from deploy.local import Endpoints, free_port
from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from services.oversight.app import create_app as oversight_app
from services.reporting.app import create_app as reporting_app
from tests.conftest import ISSUER_DIR, Running, eventually, isolated_settings, start_app, token
from tests.listening import Listener

CHROMIUM = os.environ.get("HDND_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
expect.set_options(timeout=15_000)  # argon2 on a loaded machine: a sign-in takes a moment
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
_people = itertools.count()
APPS: dict[str, Callable[[Settings], FastAPI]] = {
    "meetings": meetings_app,
    "oversight": oversight_app,
    "reporting": reporting_app,
}


@dataclass
class Workspace:
    """The running system: each service's app (with an API client) and its listener, and the
    `origin` a browser uses when a proxy serves them all (else reporting's own)."""

    apps: dict[str, Running]
    listeners: dict[str, Listener]
    settings: Settings
    screenshots: Path = field(default=SCREENSHOTS)
    origin: str | None = None

    @property
    def url(self) -> str:
        return self.origin or self.listeners["reporting"].url

    async def person(
        self, unit: str = "12", role: str = "secretary", full_name: str | None = None
    ) -> Person:
        """An account an admin of `unit` gave, whose holder has changed the temporary one."""
        made = await self.account(unit, role, full_name)
        signed, _ = await self.signed_in(made)
        password = f"mật khẩu riêng của {made.username}"
        r = await self.apps["reporting"].client.post(
            "/auth/password",
            json={"current_password": made.password, "new_password": password},
            headers={"Authorization": f"Bearer {signed['access_token']}"},
        )
        assert r.status_code == 200, r.text
        return Person(made.id, made.username, made.full_name, unit, role, password)

    async def account(
        self, unit: str = "12", role: str = "secretary", full_name: str | None = None
    ) -> Person:
        """A new account made by an admin of `unit`, with its temporary password."""
        n = next(_people)
        admin = token(unit, "admin", user=f"admin-{unit}", name=f"Quản trị {unit}")
        body = {"username": f"{role}.{unit}.{n}", "full_name": full_name or f"Người thử {n}"}
        body |= {"unit": unit, "role": role, "position": "Chuyên viên"}
        r = await self.apps["reporting"].client.post(
            "/accounts", json=body, headers={"Authorization": f"Bearer {admin}"}
        )
        assert r.status_code == 201, r.text
        made = r.json()
        account = made["account"]
        return Person(
            account["id"], account["username"], account["full_name"], unit, role,
            made["temporary_password"],
        )  # fmt: skip

    async def signed_in(self, person: Person) -> tuple[dict[str, Any], str]:
        """POST /auth/sign-in as `person`: the answer and the refresh cookie it set."""
        client = self.apps["reporting"].client
        client.cookies.clear()
        body = {"username": person.username, "password": person.password}
        r = await client.post("/auth/sign-in", json=body, headers={"Authorization": ""})
        assert r.status_code == 200, r.text
        cookie = r.headers["set-cookie"].split(";")[0].partition("=")[2]
        client.cookies.clear()
        return r.json(), cookie

    async def sign_in(
        self,
        page: Page,
        person: Person | None = None,
        *,
        unit: str = "12",
        role: str = "secretary",
        path: str = "/workspace/",
    ) -> Person:
        """`page` signed in as `person` (else a new one of `unit` with `role`) and opened at
        `path`: a new session's refresh cookie in its browser, as the sign-in page leaves it
        (HttpOnly, Secure, SameSite=Strict, Path=/auth); the page renews its token from it."""
        person = person or await self.person(unit, role)
        _, cookie = await self.signed_in(person)
        await self.open_with(page, cookie, path)
        return person

    async def open_with(self, page: Page, cookie: str, path: str = "/workspace/") -> None:
        """`page` opened at `path` with the refresh cookie `cookie` in its browser."""
        host = urlsplit(self.url).hostname
        assert host is not None
        await page.context.add_cookies(
            [
                {
                    "name": "hdnd_refresh",
                    "value": cookie,
                    "domain": host,
                    "path": "/auth",
                    "httpOnly": True,
                    "secure": True,
                    "sameSite": "Strict",
                }
            ]
        )
        if page.url.startswith(self.url):
            await page.goto("about:blank")  # the page holds the last session in memory: leave it
        await page.goto(f"{self.url}{path}")


@dataclass(frozen=True, slots=True)
class Person:
    """An account of the test and its password (temporary, until changed)."""

    id: str
    username: str
    full_name: str
    unit: str
    role: str
    password: str


@pytest.fixture(scope="module")
async def workspace(servers: Endpoints, unit_keys: Path) -> AsyncIterator[Workspace]:
    """Module-scoped: the services' relays must not outlive the browser tests, or they would
    reap the orphaned transactions the fault tests leave for their own relay."""
    ports = {name: free_port() for name in APPS}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    settings = isolated_settings(servers, unit_keys).model_copy(
        update={
            "cors_origins": [urls["reporting"]],
            "meetings_url": urls["meetings"],
            "oversight_url": urls["oversight"],
            **issuing(urls["reporting"]),
        }
    )
    async with AsyncExitStack() as stack:
        yield await serving(stack, settings, ports)


def issuing(reporting: str) -> dict[str, Any]:
    """Settings of a deployment whose reporting (at `reporting`) signs people in: the session's
    test issuer key, so the tests' own tokens are trusted as well; every service polls its
    revocations, so a sign-out is honoured within seconds."""
    return {"issuer_keys_dir": ISSUER_DIR, "issuer_url": reporting}


async def serving(stack: AsyncExitStack, settings: Settings, ports: dict[str, int]) -> Workspace:
    """Each service's app running (its lifespan in `stack`) and listening on its port."""
    apps = {
        name: await start_app(stack, build(settings), f"http://{name}")
        for name, build in APPS.items()
    }
    listeners = {name: Listener(apps[name].app, port) for name, port in ports.items()}
    for listener in listeners.values():
        await listener.start()
        stack.push_async_callback(listener.stop)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return Workspace(apps, listeners, settings)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


@asynccontextmanager
async def chromium(*args: str) -> AsyncIterator[Browser]:
    """Debian's chromium with our arguments and `args`."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *args]
        )
        yield launched
        await launched.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


@pytest.fixture
async def page(browser: Browser, request: pytest.FixtureRequest) -> AsyncIterator[Page]:
    """A fresh browser profile per test (its own storage, IndexedDB and service worker);
    a failed test leaves a screenshot of every page it had open under build/screenshots."""
    context = await browser.new_context(
        locale="vi-VN", viewport={"width": 1366, "height": 900}, timezone_id="Asia/Ho_Chi_Minh"
    )
    context.set_default_timeout(20_000)
    page = await context.new_page()
    problems: list[Any] = []
    page.on("pageerror", lambda error: problems.append(error))
    yield page
    if request.node.stash.get(FAILED, False):
        for i, open_page in enumerate(context.pages):
            name = f"failed-{request.node.name}-{i}.png"
            await open_page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
    await context.close()
    assert not problems, f"errors in the page: {problems}"


async def reload_until(page: Page, rows: Locator, count: int, within: float = 30) -> None:
    """Reload the page until `rows` are `count` (what the services do after a record, such as
    opening its opinions or listing it in the log, comes a moment later)."""

    async def shown() -> None:
        await page.evaluate("location.reload()")
        await expect(rows).to_have_count(count, timeout=2_000)

    await eventually(shown, within=within, interval=0.5)
