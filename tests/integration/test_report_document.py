"""Report documents on real servers: the route, numbering, sections II/III, and filing with
the document attached so the level above downloads exactly what was filed.

Huyện Tam Đường (106, Tỉnh Lai Châu) reports on 2024-9M, due 2024-10-10.
"""

from __future__ import annotations

import hashlib
import io
import re
from contextlib import AsyncExitStack
from typing import Any

import docx
import pytest

from services.common.settings import Settings
from services.reporting.app import create_app as reporting_app
from services.reporting.document.numbers import vn_int
from services.reporting.document.results import TABLE_COLUMNS
from tests.conftest import Running, bearer, eventually, start_app
from tests.unit.test_report_document import ARTEFACTS

pytestmark = pytest.mark.integration

PROVINCE, DISTRICT = "12", "106"


def texts_of(content: bytes) -> list[str]:
    return [p.text for p in docx.Document(io.BytesIO(content)).paragraphs]


def number_of(content: bytes) -> str:
    """The number a report prints ("01"), or "" where it leaves it blank (not filed yet)."""
    header = docx.Document(io.BytesIO(content)).tables[0].rows[0].cells[0].text
    found = re.search(r"Số: *(\S*)/BC-HĐND", header)
    assert found, header
    return found[1]


async def report(app: Running, period: str, **params: str) -> bytes:
    r = await app.client.get(f"/units/{DISTRICT}/report", params={"period": period, **params})
    assert r.status_code == 200, r.text
    return r.content


async def test_numbers_sections_and_the_filed_document(
    stack: AsyncExitStack, settings: Settings
) -> None:
    served = settings.model_copy(update={"units": [PROVINCE]})
    app = await start_app(stack, reporting_app(served), "http://reporting")
    for task_id, period, title in [
        ("q3", "2024-Q3", "Nhiệm vụ quý III"),
        ("q4-1", "2024-Q4", "Tổ chức kỳ họp thường lệ cuối năm 2024"),
        ("q4-2", "2024-Q4", "Giám sát chuyên đề về đất đai"),
    ]:
        body = {"task_id": task_id, "period": period, "title": title, "set_on": "2024-07-01"}
        r = await app.client.post(f"/units/{DISTRICT}/tasks", json=body)
        assert r.status_code == 201, r.text

    async def folded() -> None:  # the report is written from the projection
        r = await app.client.get(f"/units/{DISTRICT}/summary", params={"period": "2024-9M"})
        assert r.json()["figures"]["tasks_set"] == 1  # the Q3 task

    await eventually(folded)

    # Section III is prefilled from the next period's tasks (2024-Q4), not the current ones.
    r = await app.client.get(f"/units/{DISTRICT}/report/sections", params={"period": "2024-9M"})
    assert r.status_code == 200, r.text
    sections: dict[str, Any] = r.json()
    assert sections["prefilled"] and sections["shortcomings"] is None
    assert sections["directions"].splitlines()[1:] == [
        "1. Tổ chức kỳ họp thường lệ cuối năm 2024",
        "2. Giám sát chuyên đề về đất đai",
    ]
    # A period whose next one has no task offers nothing, and says it prefilled nothing.
    r = await app.client.get(f"/units/{DISTRICT}/report/sections", params={"period": "2023-9M"})
    assert r.json() == {"shortcomings": None, "directions": "", "number": None, "prefilled": False}
    page = await app.client.get(
        f"/units/{DISTRICT}/report", params={"period": "2024-9M", "format": "html"}
    )
    assert page.headers["content-type"].startswith("text/html")
    assert "2. Giám sát chuyên đề về đất đai" in page.text and "HUYỆN TAM ĐƯỜNG" in page.text

    # Until it is filed a report has no number yet.
    first = await report(app, "2024-9M", dated="2024-10-08")
    assert number_of(first) == ""
    assert first == await report(app, "2024-9M", dated="2024-10-08")  # same content, same bytes

    # The secretary types section II; a viewer may read but not write.
    typed = {"shortcomings": "Một số Tổ đại biểu chưa tổ chức tiếp xúc cử tri đúng kế hoạch."}
    url = f"/units/{DISTRICT}/report/sections?period=2024-9M"
    r = await app.client.put(url, json=typed, headers=bearer(DISTRICT, "viewer"))
    assert r.status_code == 403, r.text
    assert (await app.client.put(url, json=typed)).status_code == 204
    text = texts_of(await report(app, "2024-9M"))
    ii = text.index("II. TỒN TẠI, HẠN CHẾ")
    assert text[ii + 1] == typed["shortcomings"]
    assert "1. Tổ chức kỳ họp thường lệ cuối năm 2024" in text  # III still prefilled
    bad = await app.client.get(f"/units/{DISTRICT}/report", params={"period": "2024-Q3"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "period"]

    # Filing with the document: the level above downloads exactly the bytes filed.
    filing = {"report_id": "bc-9t", "period": "2024-9M", "filed_on": "2024-10-08"}
    r = await app.client.post(f"/units/{DISTRICT}/reports", json=filing | {"attach_document": True})
    assert r.status_code == 201, r.text
    expected = await report(app, "2024-9M", dated="2024-10-08")
    again = await app.client.post(
        f"/units/{DISTRICT}/reports", json=filing | {"attach_document": True}
    )
    assert again.status_code == 200 and again.json()["status"] == "unchanged", again.text
    filed = (await app.client.get(f"/units/{DISTRICT}/reports")).json()
    assert [f["payload"]["report_ref"] for f in filed] == ["01/BC-HĐND"]
    digest = filed[0]["payload"]["document_sha256"]
    got = await app.client.get(
        f"/units/{DISTRICT}/reports/2024-9M/document", headers=bearer(PROVINCE, "viewer")
    )
    assert got.status_code == 200, got.text
    assert got.content == expected and hashlib.sha256(got.content).hexdigest() == digest
    assert got.headers["x-content-sha256"] == digest
    missing = await app.client.get(f"/units/{DISTRICT}/reports/2024/document")
    assert missing.status_code == 404

    # The report.filed v2 event is folded like v1: on time, in the month it was due.
    async def counted() -> None:
        r = await app.client.get(f"/units/{DISTRICT}/summary", params={"period": "2024-10"})
        assert r.json()["figures"]["reports_on_time"] == 1

    await eventually(counted)

    # Numbers: per unit, in the year the report is due, given at filing and kept.
    for period, filed_on, number in (
        ("2024", "2025-01-05", "01"),  # due 2025-01-10: the 2025 series
        ("2024-H1", "2024-07-08", "02"),  # due 2024-07-10: after 2024-9M
    ):
        filing = {"period": period, "filed_on": filed_on}
        assert (await app.client.post(f"/units/{DISTRICT}/reports", json=filing)).is_success
        assert number_of(await report(app, period)) == number
    assert number_of(await report(app, "2024-9M")) == "01"  # again: the same number

    # A register number replaces the allocated one.
    await app.client.put(url, json=typed | {"number": 112})
    assert number_of(await report(app, "2024-9M")) == "112"

    # A 2025 commune owes the 2025-H1 report: it is written as today (its predecessors'
    # history mapped onto it) and goes to the province, the level above it by then.
    commune = "03424"  # Xã Bản Bo: in Huyện Tam Đường until 2025-06-30, then in Lai Châu
    first_half = {"period": "2025-H1", "filed_on": "2025-07-03", "attach_document": True}
    r = await app.client.post(f"/units/{commune}/reports", json=first_half)
    assert r.status_code == 201, r.text
    got = await app.client.get(f"/units/{commune}/reports/2025-H1/document")
    to = docx.Document(io.BytesIO(got.content)).tables[-1].rows[0].cells[0].text
    assert "Thường trực HĐND tỉnh Lai Châu;" in to, to


async def test_reading_a_report_never_allocates_its_number(
    stack: AsyncExitStack, settings: Settings
) -> None:
    """Viewing a report (its own viewer, the level above) writes nothing: the number is
    allocated when the report is filed, and printed the same every time after."""
    app = await start_app(stack, reporting_app(settings, consume=False), "http://reporting")
    numbers = app.app.state.reporting.documents.numbers
    for reader in (DISTRICT, PROVINCE):
        for period in ("2024-9M", "2024-H1", "2024"):
            for fmt in ("docx", "html"):
                r = await app.client.get(
                    f"/units/{DISTRICT}/report",
                    params={"period": period, "format": fmt},
                    headers=bearer(reader, "viewer"),
                )
                assert r.status_code == 200, r.text
                if fmt == "docx":
                    assert number_of(r.content) == "", reader
                else:
                    assert "Số:      /BC-HĐND" in r.text
    assert await numbers.count_documents({}) == 0

    filing = {"report_id": "bc-h1", "period": "2024-H1", "filed_on": "2024-07-08"}
    r = await app.client.post(f"/units/{DISTRICT}/reports", json=filing)
    assert r.status_code == 201, r.text
    for _ in range(3):
        assert number_of(await report(app, "2024-H1")) == "01"
        assert number_of(await report(app, "2024-9M")) == ""  # not filed: still blank
    filing = {"report_id": "bc-9t", "period": "2024-9M", "filed_on": "2024-10-08"}
    r = await app.client.post(f"/units/{DISTRICT}/reports", json=filing | {"attach_document": True})
    assert r.status_code == 201, r.text
    filed = await app.client.get(f"/units/{DISTRICT}/reports/2024-9M/document")
    assert number_of(filed.content) == "02" == number_of(await report(app, "2024-9M"))
    assert await numbers.count_documents({"_id": {"$not": {"$regex": "^counter:"}}}) == 2


async def check_report_document(
    app: Running, unit: str, period: str, expected: dict[str, int], reader: str
) -> None:
    """The report of `unit` read back with python-docx quotes the summary API's figures: the
    hand-written ones in its sentences, every child's in the table."""
    headers = bearer(reader, "viewer")
    r = await app.client.get(f"/units/{unit}/summary", params={"period": period}, headers=headers)
    summary: dict[str, Any] = r.json()
    r = await app.client.get(
        f"/units/{unit}/report", params={"period": period, "dated": "2025-07-08"}, headers=headers
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"] == f'attachment; filename="BC-{period}-{unit}.docx"'
    ARTEFACTS.mkdir(parents=True, exist_ok=True)  # to open in Word or LibreOffice
    (ARTEFACTS / f"BC-{period}-{unit}.docx").write_bytes(r.content)
    doc = docx.Document(io.BytesIO(r.content))
    left, right = doc.tables[0].rows[0].cells
    assert [p.text for p in left.paragraphs if p.text][:3] == [
        "HỘI ĐỒNG NHÂN DÂN",
        summary["unit"]["name"].upper(),
        "THƯỜNG TRỰC",
    ]
    assert [p.text for p in left.paragraphs][-1] == "Số:      /BC-HĐND"  # not filed yet
    assert "ngày 08 tháng 7 năm 2025" in right.text
    text = "\n".join(p.text for p in doc.paragraphs)
    f = summary["figures"]
    assert {k: f[k] for k in expected} == expected
    for sentence in (
        f"đã tổ chức {f['sessions']} kỳ họp ({f['sessions_regular']} kỳ họp thường lệ,"
        f" {f['sessions_thematic']} kỳ họp chuyên đề, {f['sessions_extraordinary']} kỳ họp"
        " bất thường)",
        f"thông qua {f['resolutions_adopted']} nghị quyết",
        f"{f['voter_contacts']} cuộc tiếp xúc cử tri",
        f"với {vn_int(f['voters_reached'])} lượt cử tri tham dự",
        f"Cử tri đã nêu {f['voter_opinions_raised']} ý kiến, kiến nghị",
        f"{f['opinions_resolved']} ý kiến, kiến nghị đã được giải quyết",
        f"{f['voter_opinions_pending']} ý kiến, kiến nghị đang được giải quyết",
        f"tiếp {f['citizens_received']} lượt công dân",
        f"Tiếp nhận {f['petitions_received']} đơn thư",
        f"{f['delegates_trained']}/{f['council_seats']} đại biểu",
    ):
        assert sentence in text, sentence
    rows = doc.tables[1].rows
    children = summary["children"]
    assert len(rows) == len(children) + 2  # heading, one per child, the unit's total
    for row, child in zip(rows[1:], children, strict=False):
        cells = [c.text for c in row.cells]
        assert cells[1] == child["name"]
        assert cells[2:] == [vn_int(child["figures"][k.key]) for k, _ in TABLE_COLUMNS]
    assert [c.text for c in rows[-1].cells][2:] == [vn_int(f[k.key]) for k, _ in TABLE_COLUMNS]
