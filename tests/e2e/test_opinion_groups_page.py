"""Voters' opinions across units in chromium against the real services: the province's standing
committee confirms the group the matcher proposes and records one answer for it, downloads the
synthesis document; a commune prints a voter's receipt; the voter finds the opinion by its
code on the public page, on a phone (screenshot for the README)."""

from __future__ import annotations

import asyncio
import io
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from playwright.async_api import Browser, Page, expect

from tests.conftest import eventually
from tests.e2e.conftest import Workspace, reload_until
from tests.e2e.test_workspace import day_before, shot

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

PROVINCE = "12"
COMMUNES = ("03388", "03390", "03394")  # Phường Đoàn Kết, Xã Bình Lư, Xã Sin Suối Hồ
ROAD = (
    "Đề nghị sửa chữa đường liên thôn bị xuống cấp nghiêm trọng",
    "Cử tri đề nghị sửa đường liên thôn đã xuống cấp",
    "Kiến nghị tu sửa tuyến đường liên thôn bị xuống cấp",
)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def period() -> str:
    """The months of the voter contacts (two to four days ago), as a range."""
    first, last = day_before(40), day_before(0)
    return f"{first:%Y-%m}..{last:%Y-%m}"


async def record_contacts(workspace: Workspace) -> None:
    for i, commune in enumerate(COMMUNES):
        contact: dict[str, Any] = {
            "kind": "voter_contact",
            "meeting_id": f"tx-nhom-{commune}",
            "title": "Tiếp xúc cử tri trước kỳ họp",
            "held_on": day_before(2 + i).isoformat(),
            "timing": "before_session",
            "delegate_group": "Tổ đại biểu số 2",
            "voters_attending": 80 + i,
            "opinions_raised": 1,
            "opinions": [
                {
                    "opinion_id": f"nhom-{i}",
                    "text": ROAD[i],
                    "field": "investment_construction",
                    "addressed_to": "UBND tỉnh Lai Châu",
                }
            ],
        }
        r = await workspace.apps["meetings"].client.post(f"/units/{commune}/meetings", json=contact)
        assert r.status_code == 201, r.text

    async def proposed() -> None:
        r = await workspace.apps["reporting"].client.get(
            f"/units/{PROVINCE}/opinion-groups/proposed", params={"period": period()}
        )
        groups = r.json()["groups"] if r.status_code == 200 else []
        assert groups and groups[0]["count"] == 3, r.text

    await eventually(proposed, within=30)


async def test_the_province_confirms_a_group_answers_it_and_a_voter_finds_it_by_code(
    workspace: Workspace, page: Page, browser: Browser
) -> None:
    await record_contacts(workspace)
    await workspace.sign_in(page, unit=PROVINCE)
    await expect(page.locator("#unit-name")).to_have_text("Tỉnh Lai Châu")
    await page.get_by_role("link", name="Ý kiến cử tri theo nhóm").click()
    await page.fill("#g-period", period())
    await page.click('#groups-window button[type="submit"]')
    proposal = page.locator('form.proposed[data-proposal="0"]')
    await expect(proposal.locator("tbody tr")).to_have_count(3)
    await proposal.locator("#p0-title").fill("Sửa chữa đường liên thôn xuống cấp")
    await proposal.get_by_role("button", name="Xác nhận nhóm").click()
    group = page.locator("section.group.confirmed")
    await expect(group).to_have_count(1)
    await expect(group.locator("h3")).to_contain_text("Sửa chữa đường liên thôn xuống cấp")
    await expect(page.locator("form.proposed")).to_have_count(0)

    await group.locator('[data-open="answer"]').click()
    answer = group.locator('form[data-action="answer"]')
    await answer.locator("textarea").fill("UBND tỉnh đã bố trí vốn sửa chữa trong năm tới.")
    await answer.get_by_role("button", name="Trả lời chung").click()
    await expect(page.locator("section.group.confirmed")).to_contain_text(
        "UBND tỉnh đã bố trí vốn sửa chữa trong năm tới."
    )
    await shot(page, workspace, "opinion-groups")
    DOCS.mkdir(parents=True, exist_ok=True)
    shutil.copy(workspace.screenshots / "opinion-groups.png", DOCS / "opinion-groups.png")

    async with page.expect_download() as downloading:
        await page.click('[data-report="synthesis"]')
    saved = await (await downloading.value).path()
    content = await asyncio.to_thread(Path(saved).read_bytes)
    paragraphs = [p.text for p in Document(io.BytesIO(content)).paragraphs]
    assert any(
        p.startswith("- Sửa chữa đường liên thôn xuống cấp (cử tri ") and "3 ý kiến" in p
        for p in paragraphs
    ), paragraphs

    # the commune prints the voter's receipt from its list of opinions
    await workspace.sign_in(page, unit=COMMUNES[1])
    await page.get_by_role("link", name="Ý kiến, kiến nghị của cử tri").click()
    await reload_until(page, page.locator("#list-y-kien tbody tr[data-id]"), 1)
    await page.locator('tr[data-id="nhom-1"]').get_by_role("link", name="In phiếu").click()
    code = await page.locator("#receipt-code").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    await expect(page.locator("#receipt")).to_contain_text(ROAD[1])  # the voter's own words

    # the voter, on a phone, at the public page
    phone = await browser.new_context(
        locale="vi-VN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        timezone_id="Asia/Ho_Chi_Minh",
    )
    try:
        voter = await phone.new_page()
        await voter.goto(f"{workspace.url}/cong-khai/")
        await voter.get_by_label("Mã phiếu (8 ký tự in trên phiếu)").fill(code.lower())
        await voter.get_by_role("button", name="Tra cứu").tap()
        await expect(voter.locator("h1")).to_have_text(f"Mã phiếu {code}")

        async def answered() -> None:
            await voter.reload()
            await expect(voter.locator(".badge")).to_have_text("Đã được trả lời", timeout=2_000)

        await eventually(answered, within=30, interval=0.5)
        card = voter.locator("article.opinion")
        await expect(card).to_contain_text("UBND tỉnh đã bố trí vốn sửa chữa trong năm tới.")
        await expect(card).to_contain_text("Sửa chữa đường liên thôn xuống cấp")
        await expect(card).not_to_contain_text(ROAD[1])
        assert await voter.evaluate("document.documentElement.lang") == "vi"
        wide = await voter.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390, wide  # nothing to scroll sideways
        for target in (voter.locator("#ma"), voter.get_by_role("button", name="Tra cứu")):
            box = await target.bounding_box()
            assert box is not None and box["height"] >= 44, box
        await voter.screenshot(path=str(DOCS / "public-page.png"), full_page=True)
        await voter.keyboard.press("Tab")  # the skip link comes first
        focused = await voter.evaluate("document.activeElement.textContent")
        assert focused == "Bỏ qua, đến nội dung chính"
    finally:
        await phone.close()
