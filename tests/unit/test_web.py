"""The dashboard page: served as UTF-8 HTML, in Vietnamese, and self-contained (no internet)."""

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.reporting.figures import LABELS
from services.reporting.web import router


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    app.include_router(router)
    return TestClient(app)


@pytest.fixture(scope="module")
def page(client: TestClient) -> str:
    response = client.get("/")
    assert response.status_code == 200
    text: str = response.text
    return text


def test_served_as_utf8_html(client: TestClient) -> None:
    response = client.get("/", params={"unit": "12", "period": "2025-H1"})
    assert response.status_code == 200
    content_type = response.headers["content-type"].lower().replace(" ", "")
    assert content_type.startswith("text/html")
    assert "charset=utf-8" in content_type
    assert response.text.lstrip().lower().startswith("<!doctype html>")
    assert '<meta charset="utf-8">' in response.text


def test_head_answers_for_monitors(client: TestClient) -> None:
    assert client.head("/").status_code == 200


def test_not_part_of_the_api_schema(client: TestClient) -> None:
    assert "/" not in client.app.openapi()["paths"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "text",
    [
        '<html lang="vi">',
        "Số liệu hoạt động HĐND",
        "Đơn vị",
        "Kỳ báo cáo",
        "Tháng",
        "Quý",
        "6 tháng đầu năm",
        "9 tháng",
        "Cả năm",
        "Khoảng thời gian",
        "Xem",
        "Đơn vị trực thuộc",
        "Của HĐND cấp này",
        "Cập nhật lúc",
        "Phiên họp Thường trực",
        "Tiếp xúc cử tri",
        "lượt cử tri",
        "Ý kiến cử tri",
        "Tiếp công dân",
        "Tập huấn",
        "Không tìm thấy đơn vị",
        "Kỳ báo cáo không hợp lệ",
        "Mã truy cập",
        "Mã truy cập đã hết hạn",
    ],
)
def test_vietnamese_text_with_diacritics(page: str, text: str) -> None:
    assert text in page


def test_self_contained(page: str) -> None:
    """Council offices often have no internet: nothing may be fetched from another host."""
    remote = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
    assert not remote.search(page)
    assert not re.search(r"""url\(\s*["']?\s*(?:https?:)?//""", page, re.IGNORECASE)
    assert "@import" not in page
    assert not re.search(r"<script[^>]+src=", page, re.IGNORECASE)
    assert not re.search(r"<link[^>]+stylesheet", page, re.IGNORECASE)
    assert not re.search(r"""fetch\(\s*["'`](?:https?:)?//""", page)


def test_the_access_token_goes_with_every_api_call(page: str) -> None:
    """The API needs a bearer token: the page sends the one typed in "Mã truy cập" (or
    brought by a link's #token= fragment, which no server sees) with each fetch."""
    assert re.search(r"headers\.Authorization = `Bearer \$\{state\.token\}`", page)
    assert page.count("fetch(") == 1  # every call goes through fetchJson
    assert "location.hash" in page and "localStorage.setItem(TOKEN_STORE" in page


def test_content_security_policy_forbids_other_hosts(client: TestClient) -> None:
    csp = client.get("/").headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "connect-src 'self'" in csp


def test_figure_keys_in_the_page_exist(page: str) -> None:
    """Cards, child columns and the default chart figure name figures the API really has."""
    keys = set(re.findall(r"\b(?:key|sub): '([a-z_]+)'", page))
    keys |= set(re.findall(r"DEFAULT_FIGURE = '([a-z_]+)'", page))
    assert {"sessions", "voter_contacts", "voters_reached", "training_attendees"} <= keys
    assert keys <= set(LABELS) | {"name", "code"}
