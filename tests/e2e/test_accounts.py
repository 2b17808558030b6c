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


async def test_the_admin_page_disables_resets_edits_and_gives_a_program_a_token_once(
    workspace: Workspace, page: Page
) -> None:
    """What else an admin does on the page, each seen where it matters: a disabled account
    cannot sign in until enabled again, a reset gives a temporary password shown once, an edit
    is saved, and a program's token works until revoked (then every service refuses it)."""
    unit = "03430"  # Xã Khun Há
    reporting = workspace.apps["reporting"].client
    target = await workspace.person(unit, full_name="Lò Văn Khun")
    await workspace.sign_in(page, await workspace.person(PROVINCE, "admin"))
    await page.evaluate(f"location.hash = '#/tai-khoan?unit={unit}'")
    row = page.locator(f'#accounts tr[data-username="{target.username}"]')
    note = page.locator("#accounts-note")

    async def signs_in(password: str) -> int:
        reporting.cookies.clear()
        r = await reporting.post(
            "/auth/sign-in",
            json={"username": target.username, "password": password},
            headers={"Authorization": ""},
        )
        reporting.cookies.clear()
        return r.status_code

    await row.locator('[data-action="disable"]').click()
    await expect(row).to_contain_text("Đã vô hiệu hóa")
    assert await signs_in(target.password) == 403
    await row.locator('[data-action="enable"]').click()
    await expect(row).to_contain_text("Đang hoạt động")
    assert await signs_in(target.password) == 200

    await row.locator('[data-action="reset-password"]').click()
    await expect(note).to_contain_text("Đã đặt lại mật khẩu.")
    temporary = await page.locator("#temporary-password").inner_text()
    await expect(row).to_contain_text("Chờ đổi mật khẩu tạm")
    assert await signs_in(target.password) == 401
    assert await signs_in(temporary) == 200

    await row.locator('[data-action="edit"]').click()
    await page.locator('#account-form [name="position"]').fill("Phó Chủ tịch HĐND xã")
    await page.locator('#account-form button[type="submit"]').click()
    await expect(note).to_contain_text(f"Đã lưu tài khoản {target.username}.")
    await expect(row).to_contain_text("Phó Chủ tịch HĐND xã")

    # A program's account: its token shown once, accepted, then revoked and refused.
    await page.click("#service-new")
    form = page.locator("#account-form")
    await form.locator('[name="name"]').fill("Đồng bộ số liệu xã Khun Há")
    await form.locator('[name="role"]').select_option("viewer")
    await form.locator('button[type="submit"]').click()
    api_token = await page.locator("#service-token").inner_text()
    meetings = workspace.apps["meetings"].client
    bearer = {"Authorization": f"Bearer {api_token}"}
    assert (await meetings.get(f"/units/{unit}/meetings", headers=bearer)).status_code == 200
    program = page.locator("#service-accounts tr", has_text="Đồng bộ số liệu xã Khun Há")
    await program.locator('[data-action="revoke"]').click()
    await expect(note).to_contain_text("Đã thu hồi mã truy cập")

    async def refused() -> None:
        r = await meetings.get(f"/units/{unit}/meetings", headers=bearer)
        assert r.status_code == 401, r.text

    await eventually(refused, within=10)
