"""The refresh cookie in a real browser: Debian's chromium keeps the HttpOnly, Secure,
SameSite=Strict cookie on a plain-HTTP loopback origin (127.0.0.1 and localhost), sends it to
/auth/refresh, and no script of the page can read it."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser

from deploy.local import Endpoints, free_port
from services.reporting.app import create_app as reporting_app
from tests.conftest import ISSUER_DIR, isolated_settings, start_app, token
from tests.listening import Listener

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

SIGN_IN_THEN_REFRESH = """async (password) => {
  const signedIn = await fetch('/auth/sign-in', {
    method: 'POST',
    headers: {'content-type': 'application/json'},
    body: JSON.stringify({username: 'thu.ky.trinh.duyet', password}),
  });
  const refreshed = await fetch('/auth/refresh', {method: 'POST'});
  return [signedIn.status, refreshed.status, document.cookie];
}"""


async def test_the_browser_keeps_the_refresh_cookie_on_loopback_and_no_script_reads_it(
    servers: Endpoints, unit_keys: Path, browser: Browser
) -> None:
    settings = isolated_settings(servers, unit_keys).model_copy(
        update={"issuer_keys_dir": ISSUER_DIR, "units": ["12"]}
    )
    async with AsyncExitStack() as stack:
        reporting = await start_app(stack, reporting_app(settings, consume=False), "http://r", {})
        admin = token("12", "admin", ttl=timedelta(minutes=10))
        made = await reporting.client.post(
            "/accounts",
            json={"username": "thu.ky.trinh.duyet", "full_name": "Thư Ký", "unit": "12"}
            | {"role": "secretary"},
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert made.status_code == 201, made.text
        listener = Listener(reporting.app, free_port())
        await listener.start()
        stack.push_async_callback(listener.stop)
        for host in ("127.0.0.1", "localhost"):
            context = await browser.new_context()
            page = await context.new_page()
            # a page of the origin whose policy lets it connect to itself (not /health: JSON
            # answers carry a deny-all policy)
            await page.goto(f"http://{host}:{listener.port}/workspace/")
            answers = await page.evaluate(SIGN_IN_THEN_REFRESH, made.json()["temporary_password"])
            assert answers == [200, 200, ""], (host, answers)
            (cookie,) = await context.cookies()
            assert (cookie["name"], cookie["path"], cookie["httpOnly"], cookie["secure"]) == (
                "hdnd_refresh",
                "/auth",
                True,
                True,
            )
            assert cookie["sameSite"] == "Strict"
            await context.close()
