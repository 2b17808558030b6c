"""Who did what, in chromium against the real services: the lists name who recorded an item and
who took each step, and the province's Nhật ký lists what two named people of a commune did,
filtered by person, kind and day, and downloads as a CSV file Excel reads in Vietnamese."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.conftest import token
from tests.e2e.conftest import Workspace, reload_until
from tests.e2e.test_workspace import day_before, dmy, shot

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

PROVINCE, COMMUNE = "12", "03390"  # Tỉnh Lai Châu › Xã Bình Lư
LAN = ("acc-lan", "Nguyễn Thị Lan")  # a program's token names her: she never opens the page
HUNG, MAI = "Trần Văn Hùng", "Lê Thị Mai"


def token_of(person: tuple[str, str], unit: str) -> str:
    user, name = person
    return token(unit, "secretary", user=user, name=name)


async def test_the_log_names_who_did_what_filters_and_downloads_as_csv(
    workspace: Workspace, page: Page
) -> None:
    held = day_before(2)
    lan = {"Authorization": f"Bearer {token_of(LAN, COMMUNE)}"}
    contact: dict[str, Any] = {
        "kind": "voter_contact",
        "meeting_id": "tx-nhat-ky",
        "title": "Tiếp xúc cử tri trước kỳ họp thứ 12",
        "held_on": held.isoformat(),
        "timing": "before_session",
        "delegate_group": "Tổ đại biểu số 3",
        "voters_attending": 95,
        "opinions_raised": 2,
        "opinions": [
            {"opinion_id": f"nk-{i}", "text": text, "field": "land", "addressed_to": "UBND xã"}
            for i, text in enumerate(["Cấp sổ đỏ chậm ở bản Nà Đon", "Thiếu nước sinh hoạt"])
        ],
    }
    r = await workspace.apps["meetings"].client.post(
        f"/units/{COMMUNE}/meetings", json=contact, headers=lan
    )
    assert r.status_code == 201, r.text

    # Hùng follows the opinions up: the list names Lan as who recorded them, then him.
    hung = await workspace.person(COMMUNE, full_name=HUNG)
    await workspace.sign_in(page, hung)
    await expect(page.locator("#unit-name")).to_have_text("Xã Bình Lư")
    await page.get_by_role("link", name="Ý kiến, kiến nghị của cử tri").click()
    await reload_until(page, page.locator("#list-y-kien tbody tr[data-id]"), 2)
    row = page.locator('tr[data-id="nk-0"]')
    await expect(row.locator(".by")).to_contain_text(LAN[1])
    await row.locator('[data-step="forwarded"]').click()
    await page.fill('.step-panel [name="agency"]', "Văn phòng đăng ký đất đai")
    await page.click('.step-panel button[type="submit"]')
    await expect(row.locator(".stage")).to_have_text("Đã chuyển")
    await expect(row.locator(".by-steps")).to_have_text(f"Đã chuyển: {HUNG}")
    await shot(page, workspace, "list-opinions-by")

    # The province's secretary reads the log with its communes'.
    await workspace.sign_in(page, await workspace.person(PROVINCE, full_name=MAI))
    await expect(page.locator("#unit-name")).to_have_text("Tỉnh Lai Châu")
    await page.get_by_role("link", name="Nhật ký", exact=True).click()
    # what they recorded (the log also lists their sign-ins and the accounts given them)
    entries = page.locator('#activity tr:is([data-kind^="meeting."], [data-kind^="opinion."])')
    await reload_until(page, entries, 4)
    await expect(page.locator("#page-title")).to_have_text("Nhật ký – Tỉnh Lai Châu")
    await expect(entries.first.locator(".actor")).to_have_text(HUNG)
    await expect(entries.first).to_contain_text("Chuyển ý kiến cử tri đến cơ quan")
    await expect(entries.first).to_contain_text("Xã Bình Lư")
    assert sorted(await entries.locator("td.actor").all_inner_texts()) == sorted(
        [LAN[1], LAN[1], LAN[1], HUNG]
    )
    await shot(page, workspace, "nhat-ky")

    # By person, by kind, by day.
    await page.select_option("#f-person", hung.id)
    await page.click('#activity-filters button[type="submit"]')
    await expect(entries).to_have_count(1)
    await expect(entries.first.locator(".actor")).to_have_text(HUNG)
    await page.select_option("#f-person", "")
    await page.select_option("#f-kind", "opinion.received")
    await page.click('#activity-filters button[type="submit"]')
    await expect(entries).to_have_count(2)
    await expect(entries.locator("td.actor")).to_have_text([LAN[1], LAN[1]])
    await page.select_option("#f-kind", "")
    await page.fill("#f-from", dmy(held + timedelta(days=30)))
    await page.click('#activity-filters button[type="submit"]')
    await expect(page.locator("#activity-empty")).to_be_visible()
    await page.fill("#f-from", "")
    await page.click('#activity-filters button[type="submit"]')
    await expect(entries).to_have_count(4)

    # The same, as a CSV file: UTF-8 with a BOM, Vietnamese headers, the names as typed.
    async with page.expect_download() as download_info:
        await page.click("#activity-csv")
    download = await download_info.value
    assert download.suggested_filename == "nhat-ky-12.csv"
    path = await download.path()
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0][:4] == ["Thời điểm", "Đơn vị", "Mã đơn vị", "Người ghi nhận"]
    recorded = [line for line in table[1:] if line[7] in ("tx-nhat-ky", "nk-0", "nk-1")]
    assert sorted(line[3] for line in recorded) == sorted([LAN[1], LAN[1], LAN[1], HUNG])
    assert {line[1] for line in recorded} == {"Xã Bình Lư"}
