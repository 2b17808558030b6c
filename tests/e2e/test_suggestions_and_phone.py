"""Similar opinions while typing, and the workspace on a phone, in chromium against the real
services: an opinion already raised in two other communes is suggested from both as the
secretary types it (and still recorded on its own); on a 390-pixel touch screen the menu
folds behind a button, the voter-contact form is one column of thumb-sized fields with its
suggestions, and a record sent without a network waits in the queue and goes when it is back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.conftest import eventually
from tests.e2e.conftest import FAILED, SCREENSHOTS, Workspace
from tests.e2e.test_workspace import day_before, dmy, shot

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

# Tỉnh Lai Châu: the commune that types, and two others that raised the same request before.
COMMUNE, FIRST, SECOND = "03390", "03394", "03405"
TYPED = "Đề nghị sửa chữa đường liên thôn bị sạt lở"
RAISED = {
    FIRST: [
        "Cử tri phản ánh đường liên thôn sạt lở nặng, đề nghị sửa chữa",
        "Sửa nhà văn hóa thôn",
    ],
    SECOND: ["Sửa chữa tuyến đường liên thôn bị sạt lở, đi lại khó khăn"],
}
# The phone's request is another, so its screenshots show its own communes' opinions only.
TYPED_ON_PHONE = "Đề nghị đầu tư hệ thống nước sạch sinh hoạt cho bản"
RAISED_ON_PHONE = {
    FIRST: ["Cử tri phản ánh bản thiếu nước sinh hoạt, đề nghị đầu tư công trình nước sạch"],
    SECOND: ["Kiến nghị xây dựng hệ thống nước sạch sinh hoạt cho các bản vùng cao"],
}
PHONE = {"width": 390, "height": 844}
THUMB = 44  # px: the least height of what a finger taps


async def raised_in_two_other_communes(
    workspace: Workspace, tag: str, raised: dict[str, list[str]], typed: str
) -> None:
    """Voter contacts of FIRST and SECOND with the request, recorded through the API, and
    what reporting suggests for `typed` once it has them."""
    meetings = workspace.apps["meetings"].client
    for unit, texts in raised.items():
        opinions = [
            {"opinion_id": f"{tag}-{unit}-{n}", "text": t, "field": "investment_construction",
             "addressed_to": "UBND xã"}
            for n, t in enumerate(texts)
        ]  # fmt: skip
        body = {
            "kind": "voter_contact", "meeting_id": f"{tag}-{unit}", "title": "Tiếp xúc cử tri",
            "held_on": day_before(6).isoformat(), "timing": "before_session",
            "delegate_group": "Tổ đại biểu số 2", "voters_attending": 70,
            "opinions_raised": len(opinions), "opinions": opinions,
        }  # fmt: skip
        r = await meetings.post(f"/units/{unit}/meetings", json=body)
        assert r.status_code == 201, r.text
    reporting = workspace.apps["reporting"].client

    async def indexed() -> None:
        r = await reporting.get(f"/units/{COMMUNE}/opinions/similar", params={"text": typed})
        found = {o["opinion_id"] for o in r.json()["opinions"]} if r.status_code == 200 else set()
        assert {f"{tag}-{FIRST}-0", f"{tag}-{SECOND}-0"} <= found, r.text

    await eventually(indexed, within=30)


async def start_voter_contact(page: Page, title: str, opinions: int) -> None:
    await page.fill('[name="title"]', title)
    await page.fill('[name="held_on"]', dmy(day_before(1)))
    await page.select_option('[name="timing"]', "before_session")
    await page.fill('[name="delegate_group"]', "Tổ đại biểu số 1")
    await page.fill('[name="voters_attending"]', "95")
    await page.fill('[name="opinions_raised"]', str(opinions))


async def test_an_opinion_raised_in_two_other_communes_is_suggested_from_both_while_typing(
    workspace: Workspace, page: Page
) -> None:
    await raised_in_two_other_communes(workspace, "desk", RAISED, TYPED)
    await workspace.sign_in(page, unit=COMMUNE)
    await expect(page.locator("#unit-name")).to_have_text("Xã Bình Lư")
    await page.get_by_role("link", name="Tiếp xúc cử tri", exact=True).click()
    await start_voter_contact(page, "Tiếp xúc cử tri trước kỳ họp thứ hai", 1)
    await page.click('[data-add="opinions"]')
    text = page.locator('[name="opinions.0.text"]')
    await text.press_sequentially(TYPED, delay=15)  # as she types, pausing at the end

    box = page.locator('[data-path="opinions.0.text"] .suggestions')
    await expect(box).to_contain_text("Ý kiến tương tự đã ghi nhận:")
    items = box.locator("li")
    await expect(items).to_have_count(2)  # the request in both communes; not the cultural house
    first = box.locator(f'li[data-unit="{FIRST}"]')
    await expect(first).to_contain_text("Xã Sin Suối Hồ")
    await expect(first).to_contain_text(dmy(day_before(6)))
    await expect(first).to_contain_text("Đã tiếp nhận")
    await expect(box.locator(f'li[data-unit="{SECOND}"]')).to_contain_text("Xã Tả Lèng")
    await page.select_option('[name="opinions.0.field"]', "investment_construction")
    await page.fill('[name="opinions.0.addressed_to"]', "UBND xã Bình Lư")
    await shot(page, workspace, "suggestions")

    # Dismissed, it stays away; the opinion is recorded on its own, nothing merged.
    await box.get_by_role("button", name="Ẩn các ý kiến tương tự").click()
    await expect(box).to_be_hidden()
    await text.press_sequentially(" ", delay=15)
    await page.wait_for_timeout(600)  # past the pause: asked again, both hidden still
    await expect(box).to_be_hidden()
    await page.click('form.record-form button[type="submit"]')
    await expect(page.locator(".message.ok")).to_contain_text("Đã ghi nhận")
    r = await workspace.apps["meetings"].client.get(f"/units/{COMMUNE}/meetings")
    [recorded] = [m for m in r.json() if m["title"] == "Tiếp xúc cử tri trước kỳ họp thứ hai"]
    assert [o["text"] for o in recorded["opinions"]] == [TYPED]


@pytest.fixture
async def phone(browser: Browser, request: pytest.FixtureRequest) -> AsyncIterator[Page]:
    """A phone: 390 × 844, touch, mobile; a failed test leaves its screenshot."""
    context = await browser.new_context(
        locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", viewport=PHONE, device_scale_factor=2,
        has_touch=True, is_mobile=True,
    )  # fmt: skip
    context.set_default_timeout(20_000)
    page = await context.new_page()
    problems: list[Any] = []
    page.on("pageerror", lambda error: problems.append(error))
    yield page
    if request.node.stash.get(FAILED, False) or problems:
        await page.screenshot(path=str(SCREENSHOTS / f"failed-{request.node.name}.png"))
    await context.close()
    assert not problems, f"errors in the page: {problems}"


async def screen(page: Page, workspace: Workspace, name: str) -> None:
    """What the phone's screen shows (not the whole page: that is what a reader sees)."""
    await page.screenshot(path=str(workspace.screenshots / f"{name}.png"))


async def no_sideways_scrolling(page: Page) -> None:
    wider = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wider <= 0, f"the page is {wider} px wider than the screen"


async def heights(page: Page, selector: str) -> dict[str, float]:
    """The height of every visible element `selector` finds, by its name or text."""
    found: dict[str, float] = await page.evaluate(
        """sel => Object.fromEntries([...document.querySelectorAll(sel)]
            .filter(e => e.getClientRects().length)
            .map((e, i) => [`${i} ${e.name || e.textContent.trim().slice(0, 30)}`,
                            e.getBoundingClientRect().height]))""",
        selector,
    )
    return found


async def test_on_a_phone_the_menu_folds_and_a_voter_contact_is_taken_down_with_its_suggestions(
    workspace: Workspace, phone: Page
) -> None:
    await raised_in_two_other_communes(workspace, "phone", RAISED_ON_PHONE, TYPED_ON_PHONE)
    page = phone
    await workspace.sign_in(page, unit=COMMUNE)
    await expect(page.locator("#unit-name")).to_have_text("Xã Bình Lư")
    menu = page.locator("#menu-toggle")
    await expect(menu).to_be_visible()
    await expect(menu).to_have_attribute("aria-expanded", "false")
    await expect(page.locator("#nav")).to_be_hidden()  # the home page's content comes first
    await expect(page.locator(".due-card").first).to_be_in_viewport()
    await no_sideways_scrolling(page)
    await screen(page, workspace, "phone-home")

    await menu.tap()
    await expect(menu).to_have_attribute("aria-expanded", "true")
    await expect(page.locator("#nav")).to_be_visible()
    await expect(page.locator("#nav a").first).to_be_focused()
    await screen(page, workspace, "phone-menu")
    await page.get_by_role("link", name="Tiếp xúc cử tri", exact=True).tap()
    await expect(page.locator("#nav")).to_be_hidden()  # a link chosen: the form shows
    await expect(menu).to_have_attribute("aria-expanded", "false")

    # One column of fields a thumb can tap; two opinions, the first like the other communes'.
    form = page.locator("form.record-form")
    await expect(form.locator('[name="title"]')).to_be_visible()
    columns = await form.locator(".sf-root").first.evaluate(
        "e => getComputedStyle(e).gridTemplateColumns.split(' ').length"
    )
    assert columns == 1
    await start_voter_contact(page, "Tiếp xúc cử tri tại nhà văn hóa bản", 2)
    typed = [
        (TYPED_ON_PHONE, "investment_construction"),
        ("Trạm y tế thiếu thuốc", "education_health"),
    ]
    for n, (text, field) in enumerate(typed):
        await page.locator('[data-add="opinions"]').tap()
        await page.locator(f'[name="opinions.{n}.text"]').press_sequentially(text, delay=10)
        await page.select_option(f'[name="opinions.{n}.field"]', field)
        await page.fill(f'[name="opinions.{n}.addressed_to"]', "UBND xã")
    box = page.locator('[data-path="opinions.0.text"] .suggestions')
    await expect(box.locator("li")).to_have_count(2)  # both communes' opinions, only those
    await expect(page.locator('[data-path="opinions.1.text"] .suggestions')).to_be_hidden()
    small = {
        name: h
        for name, h in (
            await heights(
                page,
                "form.record-form input:not([type=checkbox]), form.record-form select,"
                " form.record-form textarea, form.record-form button, #menu-toggle,"
                " #outbox-badge, #unit-switch input, #unit-switch button",
            )
        ).items()
        if h < THUMB
    }
    assert not small, f"smaller than a thumb: {small}"
    await no_sideways_scrolling(page)
    await page.locator('[data-path="opinions.0.text"]').evaluate("e => e.scrollIntoView()")
    await page.evaluate("window.scrollBy(0, -80)")  # the opinion's number and its list's title
    await screen(page, workspace, "phone-form")

    # Without a network the record waits on the phone; typing then suggests nothing, quietly.
    await page.context.set_offline(True)
    try:
        await page.locator('[data-add="opinions"]').tap()
        await page.fill('[name="opinions_raised"]', "3")
        await page.locator('[name="opinions.2.text"]').press_sequentially(TYPED_ON_PHONE, delay=10)
        await page.select_option('[name="opinions.2.field"]', "investment_construction")
        await page.fill('[name="opinions.2.addressed_to"]', "UBND xã")
        await page.wait_for_timeout(800)  # past the pause: it asked, and got nothing
        await expect(page.locator('[data-path="opinions.2.text"] .suggestions')).to_be_hidden()
        await page.locator('form.record-form button[type="submit"]').tap()
        await expect(page.locator(".message.warn")).to_contain_text("sẽ tự gửi")
        badge = page.locator("#outbox-badge")
        await expect(badge).to_have_text("Đang chờ gửi: 1")
        await badge.tap()
        await expect(page.locator("#outbox tbody tr")).to_have_count(1)
        await no_sideways_scrolling(page)
        sizes = await heights(page, "main button")
        assert min(sizes.values()) >= THUMB, sizes
        await screen(page, workspace, "phone-outbox")
    finally:
        await page.context.set_offline(False)
    await expect(page.locator("#outbox-badge")).to_have_text(
        "Không có bản ghi chờ gửi", timeout=30_000
    )
    r = await workspace.apps["meetings"].client.get(f"/units/{COMMUNE}/meetings")
    [sent] = [m for m in r.json() if m["title"] == "Tiếp xúc cử tri tại nhà văn hóa bản"]
    assert len(sent["opinions"]) == 3
