"""Signing in, in chromium against the real services: the Vietnamese sign-in page, the second
factor set up (its QR code the reference encoder's) and then asked for, the access token in
page memory only and renewed from the HttpOnly cookie (before it expires, and once on a 401),
the dashboard sending a visitor without a session to the sign-in and back, and sign-out: the
session ended everywhere within seconds, and the records still queued in the browser belong
to the person who typed them (sent, kept for their next sign-in, or deleted, as they choose;
another person signing in on the same browser never sends them)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.async_api import Page, expect

from services.reporting.identity.core import Core
from tests.conftest import eventually, token
from tests.e2e.conftest import Person, Workspace
from tests.e2e.test_workspace import day_before, shot

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

REFERENCE = Path(__file__).with_name("qr_reference.json")
JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")


async def type_sign_in(page: Page, username: str, password: str) -> None:
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.get_by_role("button", name="Đăng nhập").click()


def core_of(workspace: Workspace) -> Core:
    core: Core = workspace.apps["reporting"].app.state.reporting.identity.core
    return core


def expire_next_token(core: Core) -> None:
    """The next access token the issuer signs expired twenty minutes ago, as a tab that slept
    past its token holds it; the issuer's clock is right again for every later one."""
    issue: Callable[..., tuple[str, int]] = core.access_token

    def once(*args: Any) -> tuple[str, int]:
        del vars(core)["access_token"]
        clock = core.now
        core.now = lambda: clock() - timedelta(minutes=20)
        try:
            return issue(*args)
        finally:
            core.now = clock

    vars(core)["access_token"] = once


def voter_contact(title: str) -> dict[str, Any]:
    return {
        "kind": "voter_contact",
        "meeting_id": f"tx-{abs(hash(title))}",
        "title": title,
        "held_on": day_before(2).isoformat(),
        "timing": "after_session",
        "delegate_group": "Tổ đại biểu số 2",
        "voters_attending": 60,
        "opinions_raised": 0,
    }


async def meetings_of(workspace: Workspace, unit: str) -> list[dict[str, Any]]:
    r = await workspace.apps["meetings"].client.get(f"/units/{unit}/meetings")
    assert r.status_code == 200, r.text
    listed: list[dict[str, Any]] = r.json()
    return listed


async def test_a_person_signs_in_and_out_and_no_token_is_kept_anywhere(
    workspace: Workspace, page: Page
) -> None:
    person = await workspace.person("03388")
    await page.goto(f"{workspace.url}/workspace/")
    await expect(page.locator("#page-title")).to_have_text("Đăng nhập")
    await shot(page, workspace, "sign-in")
    await type_sign_in(page, person.username, "không phải mật khẩu")
    refused = page.locator('[data-error-for="password"]')
    await expect(refused).to_have_text("Tên đăng nhập hoặc mật khẩu không đúng.")
    await expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")
    async with page.expect_request(re.compile(r"/units/03388/")) as called:
        await type_sign_in(page, person.username, person.password)
    await expect(page.locator("#unit-name")).to_have_text("Phường Đoàn Kết")
    await expect(page.locator("#who")).to_have_text(person.full_name)
    access = (await called.value).headers["authorization"].removeprefix("Bearer ")

    # The token is in the page's memory only: not in storage, not in a cookie a script reads.
    kept = await page.evaluate("JSON.stringify({...localStorage, ...sessionStorage})")
    assert not JWT.search(kept) and access not in kept
    assert await page.evaluate("document.cookie") == ""
    # A reload asks the refresh cookie for a new one: still signed in.
    async with page.expect_response(re.compile(r"/auth/refresh$")) as renewed:
        await page.reload()
    assert (await renewed.value).status == 200
    await expect(page.locator("#unit-name")).to_have_text("Phường Đoàn Kết")

    await page.click("#signout")
    await expect(page.locator(".signin .message")).to_have_text("Bạn đã đăng xuất.")
    await page.reload()
    await expect(page.locator("#page-title")).to_have_text("Đăng nhập")
    assert await page.evaluate("localStorage.getItem('hdnd-account')") is None

    # The session's tokens are refused everywhere within seconds (the services poll the
    # issuer's revocations).
    async def refused_by_meetings() -> None:
        r = await workspace.apps["meetings"].client.get(
            "/units/03388/meetings", headers={"Authorization": f"Bearer {access}"}
        )
        assert r.status_code == 401, r.text

    await eventually(refused_by_meetings, within=10)


async def test_an_expired_token_is_renewed_once_and_the_call_asked_again(
    workspace: Workspace, page: Page
) -> None:
    person = await workspace.person("03394")
    _, cookie = await workspace.signed_in(person)
    expire_next_token(core_of(workspace))
    renewals: list[int] = []
    page.on(
        "response",
        lambda r: renewals.append(r.status) if r.url.endswith("/auth/refresh") else None,
    )
    await workspace.open_with(page, cookie)
    await expect(page.locator("#unit-name")).to_have_text("Xã Sin Suối Hồ")
    assert renewals == [200, 200]  # at load (a token already expired), then after the 401


async def test_the_page_renews_its_token_a_minute_before_it_expires(
    workspace: Workspace, page: Page
) -> None:
    await page.clock.install()
    await workspace.sign_in(page, unit="03405")
    await expect(page.locator("#unit-name")).to_have_text("Xã Tả Lèng")
    async with page.expect_response(re.compile(r"/auth/refresh$")) as renewal:
        await page.clock.fast_forward("14:05")  # a token lives 15 minutes
    fresh = (await (await renewal.value).json())["access_token"]
    async with page.expect_request(re.compile(r"/units/03405/opinions")) as call:
        await page.get_by_role("link", name="Ý kiến, kiến nghị của cử tri").click()
    assert (await call.value).headers["authorization"] == f"Bearer {fresh}"


async def test_the_dashboard_without_a_session_opens_the_sign_in_and_comes_back(
    workspace: Workspace, page: Page
) -> None:
    person = await workspace.person("12", "viewer")
    await page.goto(f"{workspace.url}/?unit=12&period=2025")
    await expect(page).to_have_url(re.compile(r"/workspace/\?next="))
    await expect(page.locator("#page-title")).to_have_text("Đăng nhập")
    await type_sign_in(page, person.username, person.password)
    await expect(page).to_have_url(f"{workspace.url}/?unit=12&period=2025")
    await expect(page.locator("#unit-name")).to_have_text("Tỉnh Lai Châu")
    await expect(page.locator("#who")).to_have_text(person.full_name)


async def test_a_unit_that_requires_a_second_factor_sets_it_up_then_asks_for_the_code(
    workspace: Workspace, page: Page
) -> None:
    unit = "03408"  # Phường Tân Phong
    admin = {"Authorization": f"Bearer {token(unit, 'admin', user='qt-03408')}"}
    reporting = workspace.apps["reporting"].client
    r = await reporting.put(
        f"/units/{unit}/sign-in-policy", json={"totp_required": True}, headers=admin
    )
    assert r.status_code == 200, r.text
    person = await workspace.account(unit, full_name="Đỗ Thị Hai Lớp")

    # First the temporary password is replaced, then the second factor is set up.
    await page.goto(f"{workspace.url}/workspace/")
    await type_sign_in(page, person.username, person.password)
    await expect(page.locator("#page-title")).to_have_text("Đổi mật khẩu")
    await page.evaluate("location.hash = '#/nhat-ky'")  # nothing else opens before it
    await expect(page.locator("#page-title")).to_have_text("Đổi mật khẩu")
    password = "một câu mật khẩu dài của Hai Lớp"
    await page.fill("#new_password", password)
    await page.fill("#again", password)
    await page.get_by_role("button", name="Đổi mật khẩu").click()
    await expect(page.locator("#page-title")).to_have_text("Thiết lập xác thực hai lớp")
    uri = await page.locator("#totp-uri").inner_text()
    assert uri.startswith("otpauth://totp/") and person.username in uri
    drawn = await page.evaluate("document.querySelector('svg.qr path').getAttribute('d')")
    assert drawn == await page.evaluate(QR_PATH, uri)  # the code of that very address
    await shot(page, workspace, "xac-thuc-hai-lop")
    totp = pyotp.TOTP(await page.locator("#totp-secret").inner_text())
    await page.fill("#otp", "000000" if totp.now() != "000000" else "111111")
    await page.get_by_role("button", name="Xác nhận").click()
    await expect(page.locator('[data-error-for="otp"]')).to_contain_text("không đúng")
    await page.fill("#otp", totp.now())
    await page.get_by_role("button", name="Xác nhận").click()
    await expect(page.locator("#unit-name")).to_have_text("Phường Tân Phong")

    # Next time the code is asked after the password.
    await page.click("#signout")
    await type_sign_in(page, person.username, password)
    await expect(page.locator("#otp")).to_be_visible()
    await expect(page.locator(".signin .message")).to_contain_text("xác thực hai lớp")
    await page.fill("#otp", totp.now())
    await page.get_by_role("button", name="Đăng nhập").click()
    await expect(page.locator("#unit-name")).to_have_text("Phường Tân Phong")


# The path the page draws for a text (its own encoder, on the page).
QR_PATH = """(text) => {
  const rows = QrCode.encode(text);
  let d = '';
  rows.forEach((row, y) => row.forEach((dark, x) => {
    if (dark) d += `M${x + 4} ${y + 4}h1v1h-1z`;
  }));
  return d;
}"""


async def test_the_qr_code_is_the_reference_encoders_for_every_mask(
    workspace: Workspace, page: Page
) -> None:
    """The page's QR encoder against python-qrcode's modules (tests/e2e/qr_reference.json):
    versions 1 and 8 (several blocks, version information), each of the eight masks; left to
    choose, it picks one of them."""
    await page.goto(f"{workspace.url}/workspace/")
    reference = json.loads(REFERENCE.read_text())["codes"]
    for code in reference:
        drawn = await page.evaluate("([t, m]) => QrCode.encode(t, m)", [code["text"], code["mask"]])
        rows = ["".join("1" if dark else "0" for dark in row) for row in drawn]
        assert rows == code["rows"], (code["version"], code["mask"])
    for text in {c["text"] for c in reference}:
        chosen = await page.evaluate("(t) => QrCode.encode(t)", text)
        rows = ["".join("1" if dark else "0" for dark in row) for row in chosen]
        assert rows in [c["rows"] for c in reference if c["text"] == text]


# -- the offline queue is its typist's -------------------------------------------------------------


async def queued_then_signing_out(page: Page, title: str) -> None:
    """A voter contact of the person signed in waiting in the browser (as one typed while
    meetings could not be reached), and "Đăng xuất" clicked at once, before the outbox's own
    retry could send it."""
    await page.evaluate(
        "([path, body]) => Outbox.put({id: 'q-' + body.meeting_id, service: 'meetings', path,"
        " body, label: body.title, account: HdndSession.account.id,"
        " created_at: new Date().toISOString(), attempts: 1, last_error: null})"
        ".then(() => document.getElementById('signout').click())",
        [f"/units/{UNIT}/meetings", voter_contact(title)],
    )


UNIT = "03424"  # Xã Bản Bo: the queue tests record here


BADGE_WHEN_NAMED = """
new MutationObserver(() => {
  const who = document.getElementById('who');
  if (who && who.textContent && window.badgeWhenNamed === undefined)
    window.badgeWhenNamed = document.getElementById('outbox-badge').textContent;
}).observe(document, { subtree: true, childList: true, characterData: true });
"""


async def test_records_kept_at_sign_out_wait_for_their_typist_and_nobody_else_sends_them(
    workspace: Workspace, page: Page
) -> None:
    lan = await workspace.sign_in(page, unit=UNIT)
    await expect(page.locator("#unit-name")).to_have_text("Xã Bản Bo")
    meetings = workspace.listeners["meetings"]
    await meetings.stop()
    try:
        await page.get_by_role("link", name="Tiếp xúc cử tri", exact=True).click()
        await page.fill('[name="title"]', "Tiếp xúc cử tri của Lan khi mất kết nối")
        await page.fill('[name="held_on"]', day_before(2).strftime("%d/%m/%Y"))
        await page.select_option('[name="timing"]', "after_session")
        await page.fill('[name="delegate_group"]', "Tổ đại biểu số 1")
        await page.fill('[name="voters_attending"]', "40")
        await page.fill('[name="opinions_raised"]', "0")
        await page.click('form.record-form button[type="submit"]')
        await expect(page.locator("#outbox-badge")).to_have_text("Đang chờ gửi: 1")

        await page.click("#signout")
        dialog = page.locator("#sign-out-dialog")
        await expect(dialog).to_contain_text("1 bản ghi bạn đã nhập vẫn đang chờ gửi")
        await page.screenshot(path=str(workspace.screenshots / "dang-xuat.png"))  # the dialog
        await dialog.get_by_role("button", name="Giữ lại cho lần đăng nhập sau").click()
        await expect(page.locator("#page-title")).to_have_text("Đăng nhập")

        # Another person on the same browser: a count, never the record; not sent by them.
        await workspace.sign_in(page, unit=UNIT)
        await expect(page.locator("#outbox-badge")).to_have_text("Không có bản ghi chờ gửi")
        await expect(page.locator("#outbox-others")).to_have_text(
            "1 bản ghi của người khác đang chờ"
        )
        await expect(page.locator("#page-title")).to_contain_text("Việc cần làm")
        waiting = page.locator("main .message.warn", has_text="bản ghi đang chờ gửi")
        await expect(waiting).to_have_count(0)  # the home page's line: not theirs to send
        await page.click("#outbox-badge")
        await expect(page.locator("#outbox-others-note")).to_be_visible()
        await expect(page.locator("#outbox")).to_have_count(0)
    finally:
        await meetings.start()
    await page.evaluate("hdndFlush()")
    assert await meetings_of(workspace, UNIT) == []
    waiting = await page.evaluate("Outbox.all()")
    assert [e["account"] for e in waiting] == [lan.id]

    # Lan again: hers is sent with her session, in her name. The moment the page names her,
    # its badge already counts hers (it showed the page's "none waiting" for a moment, and a
    # wait for that text passed before anything was sent).
    await page.add_init_script(BADGE_WHEN_NAMED)
    await workspace.sign_in(page, lan)
    await expect(page.locator("#who")).to_have_text(lan.full_name)
    assert await page.evaluate("window.badgeWhenNamed") == "Đang chờ gửi: 1"

    # The page sends it, then the service has it, once, in her name.
    await expect(page.locator("#outbox-badge")).to_have_text(
        "Không có bản ghi chờ gửi", timeout=30_000
    )
    assert await page.evaluate("Outbox.all()") == []
    sent_line = page.locator("main .message.warn", has_text="bản ghi đang chờ gửi")
    await expect(sent_line).to_have_count(0)  # the home page's line follows the sending
    (sent,) = await meetings_of(workspace, UNIT)
    assert sent["title"] == "Tiếp xúc cử tri của Lan khi mất kết nối"
    assert sent["recorded_by"]["name"] == lan.full_name


async def test_signing_out_sends_what_waits_or_deletes_it_as_the_person_chooses(
    workspace: Workspace, page: Page
) -> None:
    person: Person = await workspace.sign_in(page, unit=UNIT)
    await expect(page.locator("#unit-name")).to_have_text("Xã Bản Bo")
    dialog = page.locator("#sign-out-dialog")

    # Gửi ngay, while the session lasts: sent, then signed out.
    await queued_then_signing_out(page, "Gửi trước khi đăng xuất")
    await dialog.get_by_role("button", name="Gửi ngay").click()
    await expect(page.locator("#page-title")).to_have_text("Đăng nhập")
    titles = {m["title"]: m for m in await meetings_of(workspace, UNIT)}
    assert titles["Gửi trước khi đăng xuất"]["recorded_by"]["name"] == person.full_name

    # Xóa: what could not be sent is deleted, after sending was tried.
    await workspace.sign_in(page, person)
    meetings = workspace.listeners["meetings"]
    await meetings.stop()
    try:
        await queued_then_signing_out(page, "Không gửi, xóa đi")
        await dialog.get_by_role("button", name="Gửi ngay").click()
        await expect(dialog.get_by_role("button", name="Gửi ngay")).to_be_disabled()
        await dialog.get_by_role("button", name="Xóa").click()
        await expect(page.locator("#page-title")).to_have_text("Đăng nhập")
        assert await page.evaluate("Outbox.all()") == []
    finally:
        await meetings.start()
    assert "Không gửi, xóa đi" not in {m["title"] for m in await meetings_of(workspace, UNIT)}
