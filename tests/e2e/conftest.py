"""The workspace in a real browser: the three services listening on real ports (their apps and
lifespans in this process, on the shared servers), Debian's chromium driven by Playwright.

Each service's HTTP listener can be stopped and started again while its app keeps running,
which is how a test makes a service unreachable from the browser."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from playwright.async_api import Browser, Locator, Page, async_playwright, expect

from deploy.local import Endpoints, free_port
from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from services.oversight.app import create_app as oversight_app
from services.reporting.app import create_app as reporting_app
from tests.conftest import Running, eventually, isolated_settings, start_app, token
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
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
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

    def signed_in(self, unit: str = "12") -> str:
        """The workspace URL that signs a secretary of `unit` in (as `make run` prints it)."""
        return f"{self.url}/workspace/#token={token(unit)}"


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
        }
    )
    async with AsyncExitStack() as stack:
        yield await serving(stack, settings, ports)


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
