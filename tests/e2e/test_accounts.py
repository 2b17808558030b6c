"""Issue 20's story, in chromium against the real services: a province admin gives a commune
secretary her account in "Quản trị tài khoản", she signs in with the temporary password, is
made to replace it before anything else, records a voter contact and resolves one of its
opinions; the province's Nhật ký names her on both."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.conftest import eventually
from tests.e2e.conftest import Workspace, reload_until
from tests.e2e.test_sign_in import type_sign_in
from tests.e2e.test_workspace import day_before, dmy, fill_voter_contact, shot

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

PROVINCE, COMMUNE = "12", "03517"  # Tỉnh Lai Châu › Xã Nậm Tăm
THU = "Hoàng Thị Thu"


async def test_a_province_admin_gives_a_commune_secretary_an_account_and_the_log_names_her(
    workspace: Workspace, page: Page
) -> None:
    admin = await workspace.person(PROVINCE, "admin", full_name="Vũ Văn Quản")
    await page.goto(f"{workspace.url}/workspace/")
    await type_sign_in(page, admin.username, admin.password)
    await expect(page.locator("#unit-name")).to_have_text("Tỉnh Lai Châu")

    # The account, for a commune below the province, with a temporary password shown once.
    await page.get_by_role("link", name="Quản trị tài khoản").click()
    await expect(page.locator("#page-title")).to_have_text("Quản trị tài khoản – Tỉnh Lai Châu")
    await page.click("#account-new")
    form = page.locator("#account-form")
    await form.locator('[name="username"]').fill("thu.namtam")
    await form.locator('[name="full_name"]').fill(THU)
    await form.locator('[name="position"]').fill("Thư ký HĐND xã")
    await form.locator('[name="unit"]').fill("")
    await form.locator('[name="unit"]').fill("nam tam")
    await form.locator(f'li[data-code="{COMMUNE}"]').first.click()  # the one in force
    await form.locator('[name="role"]').select_option("secretary")
    await form.locator('button[type="submit"]').click()
    temporary = await page.locator("#temporary-password").inner_text()
    await expect(page.locator("#account-secret")).to_contain_text("Chỉ hiển thị một lần")
    await page.fill("#f-q", "thu.namtam")
    await page.click('#accounts-filters button[type="submit"]')
    row = page.locator('#accounts tr[data-username="thu.namtam"]')
    await expect(row).to_contain_text("Chờ đổi mật khẩu tạm")
    await expect(row.locator(".unit-cell")).to_have_text("Xã Nậm Tăm")
    await page.fill("#f-q", "")
    await page.click('#accounts-filters button[type="submit"]')
    await expect(row).to_be_visible()
    await shot(page, workspace, "tai-khoan")
    await page.click("#signout")
    await expect(page.locator("#page-title")).to_have_text("Đăng nhập")

    # Her first sign-in: the temporary password, replaced before anything else opens.
    await type_sign_in(page, "thu.namtam", temporary)
    await expect(page.locator("#page-title")).to_have_text("Đổi mật khẩu")
    await shot(page, workspace, "doi-mat-khau")
    await page.evaluate("location.hash = '#/ghi/meetings/meetings?kind=voter_contact'")
    await expect(page.locator("#page-title")).to_have_text("Đổi mật khẩu")
    await page.fill("#new_password", "Nậm Tăm mùa lúa chín 2026")
    await page.fill("#again", "Nậm Tăm mùa lúa chín 2026")
    await page.get_by_role("button", name="Đổi mật khẩu").click()
    await expect(page.locator("#unit-name")).to_have_text("Xã Nậm Tăm")
    await expect(page.locator("#who")).to_have_text(THU)

    # She records a voter contact and resolves one of its opinions.
    await page.get_by_role("link", name="Tiếp xúc cử tri", exact=True).click()
    await fill_voter_contact(
        page,
        "Tiếp xúc cử tri xã Nậm Tăm sau kỳ họp",
        dmy(day_before(2)),
        [("Đề nghị làm cầu treo qua suối Nậm Tăm", "investment_construction", "UBND xã")],
    )
    await page.click('form.record-form button[type="submit"]')
    await expect(page.locator(".message.ok")).to_contain_text("Đã ghi nhận")
    await page.get_by_role("link", name="Ý kiến, kiến nghị của cử tri").click()
    rows = page.locator("#list-y-kien tbody tr[data-id]")
    await reload_until(page, rows, 1)
    row = page.locator(f'tr[data-id="{await rows.first.get_attribute("data-id")}"]')
    for step, fill in (
        ("forwarded", ("agency", "UBND xã Nậm Tăm")),
        ("answered", ("answer", "UBND xã đưa cầu treo vào kế hoạch đầu tư năm sau")),
        ("resolved", None),
    ):
        await row.locator(f'[data-step="{step}"]').click()
        if fill:
            await page.fill(f'.step-panel [name="{fill[0]}"]', fill[1])
        await page.click('.step-panel button[type="submit"]')
    await expect(row.locator(".stage")).to_have_text("Đã giải quyết")
    await page.click("#signout")
    await expect(page.locator("#page-title")).to_have_text("Đăng nhập")

    # The province's Nhật ký names her on the contact and on the resolution.
    await type_sign_in(page, admin.username, admin.password)
    await expect(page.locator("#unit-name")).to_have_text("Tỉnh Lai Châu")
    await page.get_by_role("link", name="Nhật ký", exact=True).click()
    held = page.locator('#activity tr[data-kind="meeting.held"]')
    resolved = page.locator('#activity tr[data-kind="opinion.resolved"]')

    async def both_logged() -> None:
        await page.evaluate("location.reload()")
        await expect(held).to_have_count(1, timeout=2_000)
        await expect(resolved).to_have_count(1, timeout=2_000)

    await eventually(both_logged, within=30, interval=0.5)
    for entry in (held, resolved):
        await expect(entry.locator(".actor")).to_have_text(THU)
        await expect(entry).to_contain_text("Xã Nậm Tăm")
    await shot(page, workspace, "nhat-ky-tinh")
