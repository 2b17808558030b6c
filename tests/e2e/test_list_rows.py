"""The follow-up lists read as a new user reads them: units by their names (the code on
hover), and each item's answer or outcome in its row, in chromium. The story of issue 22's
item 6 (a commune's proposal answered by the province) through the pages, and the row rules
of every list (services/reporting/static/workspace/listrows.js) run in the page itself."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.e2e.conftest import Workspace
from tests.e2e.test_workspace import PROVINCE, day_before, dmy, proposal_received, shot

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

SIN_SUOI_HO = "03394"  # Xã Sin Suối Hồ, Tỉnh Lai Châu (2025)
ANSWER = "Tỉnh bố trí kinh phí sửa trụ sở trong quý I năm sau; đề nghị xã lập dự toán chi tiết."


async def test_the_commune_reads_the_answer_and_the_province_sees_who_raised_it(
    workspace: Workspace, page: Page
) -> None:
    """A commune raises a proposal to its province; the province's list names the commune (its
    code on hover), the province answers with the row's button; the commune's list of
    proposals sent shows the answer, its day and who gave it, without opening anything."""
    title = "Đề nghị hỗ trợ sửa trụ sở HĐND xã"
    row = await proposal_received(workspace, page, SIN_SUOI_HO, title, day_before(2))
    sender = row.locator(".party .unit-name")
    await expect(sender).to_have_text("Xã Sin Suối Hồ")  # not the province's own code
    await expect(sender).to_have_attribute("title", f"Mã đơn vị: {SIN_SUOI_HO}")
    await expect(row.locator("td.outcome")).to_have_text("—")
    await row.locator('[data-step="answer"]').click()
    await page.fill('.step-panel [name="answer"]', ANSWER)
    await page.click('.step-panel button[type="submit"]')
    await expect(row.locator("td.outcome")).to_contain_text("lập dự toán chi tiết")
    await shot(page, workspace, "list-proposals-received")

    await workspace.sign_in(page, unit=SIN_SUOI_HO)
    await page.get_by_role("link", name="Kiến nghị, đề xuất đã gửi").click()
    sent = page.locator("#list-de-xuat-gui tbody tr[data-id]").filter(has_text="sửa trụ sở")
    await expect(sent.locator(".stage")).to_have_text("Đã trả lời")
    outcome = sent.locator("td.outcome")
    await expect(outcome).to_contain_text(f"Trả lời {dmy(day_before(0))}")
    await expect(outcome).to_contain_text(ANSWER)
    await expect(outcome.locator(".unit-name")).to_have_text("Tỉnh Lai Châu")
    addressee = sent.locator(".party .unit-name")
    await expect(addressee).to_have_text("Tỉnh Lai Châu")
    await expect(addressee).to_have_attribute("title", f"Mã đơn vị: {PROVINCE}")
    await shot(page, workspace, "list-proposals-sent")


OPINION = {
    "opinion_id": "yk-1",
    "stage": "resolved",
    "raised_on": "2025-08-01",
    "opened": {"text": "Đường liên thôn xuống cấp", "addressed_to": None},
    "steps": {
        "forwarded": {"forwarded_on": "2025-08-02", "agency": "Sở Xây dựng"},
        "answered": {"answered_on": "2025-08-10", "answer": "Sở sửa trong quý IV"},
        "resolved": {"resolved_on": "2025-11-20", "result": "Đã sửa xong"},
    },
}
ROWS: list[tuple[str, dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]] = [
    # list key, item, its outcome lines, its parties
    (
        "y-kien",
        OPINION,
        [
            {"label": "Kết quả giải quyết", "date": "2025-11-20", "text": "Đã sửa xong"},
            {"label": "Cơ quan trả lời", "date": "2025-08-10", "text": "Sở sửa trong quý IV"},
        ],
        [{"agency": "Sở Xây dựng"}],
    ),
    (
        "y-kien",
        {**OPINION, "stage": "forwarded", "steps": {"forwarded": OPINION["steps"]["forwarded"]}},
        [],
        [{"agency": "Sở Xây dựng"}],
    ),
    (
        "don-thu",
        {
            "raised_on": "2025-08-01",
            "steps": {
                "transferred": {"transferred_on": "2025-08-03", "agency": "UBND xã"},
                "settled": {"settled_on": "2025-09-01", "outcome": "Đã hòa giải"},
            },
        },
        [{"label": "Kết quả giải quyết", "date": "2025-09-01", "text": "Đã hòa giải"}],
        [{"agency": "UBND xã"}],
    ),
    (
        "kien-nghi-giam-sat",
        {
            "raised_on": "2025-08-01",
            "opened": {"addressed_to": "Sở Y tế", "deadline": "2025-12-31"},
            "steps": {},
        },
        [{"label": "Hạn thực hiện", "date": "2025-12-31", "text": None}],
        [{"agency": "Sở Y tế"}],
    ),
    (
        "kien-nghi-giam-sat",
        {
            "raised_on": "2025-08-01",
            "opened": {"addressed_to": "Sở Y tế", "deadline": "2025-12-31"},
            "steps": {"implemented": {"implemented_on": "2025-11-02", "note": "Đã bổ sung bác sĩ"}},
        },
        [{"label": "Đã thực hiện", "date": "2025-11-02", "text": "Đã bổ sung bác sĩ"}],
        [{"agency": "Sở Y tế"}],
    ),
    (
        "giam-sat",
        {
            "raised_on": "2024-05-01",
            "opened": {"supervised_units": ["03390", "03394"]},
            "steps": {"finished": {"finished_on": "2024-06-01", "findings": "Còn chậm giải ngân"}},
        },
        [{"label": "Kết quả giám sát", "date": "2024-06-01", "text": "Còn chậm giải ngân"}],
        [{"code": "03390", "era": "legacy"}, {"code": "03394", "era": "legacy"}],
    ),
    (
        "cuoc-hop",
        {"held_on": "2025-09-01", "cancellation": {"cancelled_on": "2025-08-30", "reason": "Bão"}},
        [{"label": "Đã hủy", "date": "2025-08-30", "text": "Bão"}],
        [],
    ),
    (
        "nhiem-vu",
        {
            "set_on": "2025-08-01",
            "history": [
                {"status": "in_progress", "changed_on": "2025-08-05", "note": None},
                {"status": "done", "changed_on": "2025-09-05", "note": "Đã ban hành nghị quyết"},
            ],
        },
        [{"label": "Hoàn thành", "date": "2025-09-05", "text": "Đã ban hành nghị quyết"}],
        [],
    ),
    (
        "de-xuat-nhan",
        {
            "raised_on": "2024-03-10",
            "raised_by": "03390",
            "to_unit": "106",
            "answer": {"answered_on": "2024-03-20", "answer": "Đồng ý", "answered_by": "106"},
        },
        [{"label": "Đã trả lời", "date": "2024-03-20", "text": "Đồng ý", "unit": "106"}],
        [{"code": "03390", "era": "legacy"}],
    ),
    (
        "de-xuat-gui",
        {"raised_on": "2025-08-01", "raised_by": "03390", "to_unit": "12", "status": "raised"},
        [],
        [{"code": "12", "era": "2025"}],
    ),
    (
        "bao-cao",
        {"period": "2025-H1", "filed_on": "2025-07-08", "due_on": "2025-07-05"},
        [{"label": "Gửi muộn", "date": None, "text": "Hạn gửi 05/07/2025"}],
        [],
    ),
]


async def test_every_list_names_the_parties_and_the_outcome_of_each_item(
    workspace: Workspace, page: Page
) -> None:
    """The row rules, pure, run in the page: per list, what an item shows as its outcome
    (the most final first) and who it is from or for; and the unit codes one lookup names,
    each in the era of its item's day."""
    await page.goto(f"{workspace.url}/workspace/")
    await page.wait_for_function("window.WorkspaceRows !== undefined")
    run = """([key, item]) => {
        const list = window.HDND_LABELS.lists.find((l) => l.key === key);
        const rows = window.WorkspaceRows;
        return [rows.outcomes(item, list), rows.parties(item, list)];
    }"""
    for key, item, lines, parties in ROWS:
        shown, named = await page.evaluate(run, [key, item])
        expected = [{"date": None, "text": None, "unit": None, **line} for line in lines]
        assert shown == expected, (key, item)
        assert named == parties, (key, item)
    keys = await page.evaluate("window.HDND_LABELS.lists.map((l) => l.key)")
    assert set(keys) == {key for key, *_ in ROWS}  # a list added later needs its rows here
    codes = await page.evaluate(
        """(items) => window.WorkspaceRows.codes(items,
            window.HDND_LABELS.lists.find((l) => l.key === 'de-xuat-nhan'))""",
        [item for key, item, *_ in ROWS if key.startswith("de-xuat")],
    )
    assert sorted(codes) == ["2025:03390", "legacy:03390", "legacy:106"]
