"""The dashboard page: served as UTF-8 HTML, in Vietnamese, and self-contained (no internet):
its script (ES modules) and styles are files of this service, never inline."""

import asyncio
import re
from collections import Counter
from typing import get_args

import pytest
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient

from services.reporting.read import api, queries
from services.reporting.read.figures import LABELS, RATES, complete, rates_of
from services.reporting.read.periods import KNOWN_TERMS, parse_period, term_months
from services.reporting.read.web import ASSETS, router
from services.reporting.workspace.routes import STATIC as WORKSPACE_STATIC

# The workspace's file the dashboard shares: one sign-in session for both pages.
SHARED = ["/workspace/session.js"]


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    app.include_router(router)

    @app.get("/workspace/{name}")
    def shared(name: str) -> PlainTextResponse:  # the workspace's file, as its router serves it
        assert f"/workspace/{name}" in SHARED
        text = (WORKSPACE_STATIC / name).read_text(encoding="utf-8")
        return PlainTextResponse(text, media_type="text/javascript")

    return TestClient(app)


@pytest.fixture(scope="module")
def html(client: TestClient) -> str:
    response = client.get("/")
    assert response.status_code == 200
    text: str = response.text
    return text


@pytest.fixture(scope="module")
def page(client: TestClient, html: str) -> str:
    """The page as the browser gets it: the HTML and every file it loads, each module's
    imports followed."""
    texts, queue, seen = [html], _loads(html), set()
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code == 200, url
        texts.append(response.text)
        queue += [
            f"/dashboard/{name}" for name in re.findall(r"from '\./([\w-]+\.js)'", response.text)
        ]
    assert {f"/dashboard/{name}" for name in ASSETS} | set(SHARED) == seen, "every file is loaded"
    return "\n".join(texts)


def _loads(html: str) -> list[str]:
    return re.findall(r'<(?:script[^>]*\ssrc|link[^>]*\shref)="(/[^"]+)"', html)


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
        "Tiếp xúc cử tri",
        "lượt cử tri",
        "Ý kiến cử tri",
        "Tiếp công dân",
        "Tập huấn",
        "Không tìm thấy đơn vị",
        "Kỳ báo cáo không hợp lệ",
        "Mã truy cập",
        # rates, groups, view, periods, the country, the stacked chart
        "Tỷ lệ, chỉ số chính",
        "Chưa có số liệu để tính trong kỳ này",
        "Toàn bộ số liệu",
        "Chỉ tiêu khác",
        "Cách tính theo đơn vị hành chính",
        "Như thời điểm phát sinh",
        "Theo đơn vị hành chính hiện nay",
        "Quy tắc phân bổ",
        "được phân bổ theo quy tắc trên",
        "không còn tồn tại sau sắp xếp đơn vị hành chính",
        "Nhiệm kỳ",
        "9 tháng đầu năm",
        "Cả nước",
        "Toàn quốc",
        "không được xem số liệu cả nước",
        "truy cập cấp trung ương",
        "Tiến độ giải quyết của đơn vị trực thuộc",
        "Biểu đồ thanh xếp chồng",
        "Đã giải quyết",
        "Đang chờ giải quyết",
        "Báo cáo định kỳ",
        "Chương trình công tác",
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
    assert not re.search(r"""(?:import|from)\s*\(?\s*["'](?:https?:)?//""", page)
    assert not re.search(r"""fetch\(\s*["'`](?:https?:)?//""", page)


def test_no_inline_script_or_style(client: TestClient, html: str) -> None:
    """What the CSP allows (files of this origin) is all the page runs: no inline script,
    style element or attribute, no handler attribute; the script is ES modules, small."""
    assert len(html.splitlines()) < 300
    assert re.findall(r"<script\b[^>]*>", html) == [
        '<script src="/workspace/session.js" defer>',
        '<script type="module" src="/dashboard/main.js">',
    ]
    assert not re.search(r"<style|\sstyle=|\son[a-z]+=", html, re.IGNORECASE)
    assert _loads(html) == ["/dashboard/dashboard.css", *SHARED, "/dashboard/main.js"]
    for name in ASSETS:
        response = client.get(f"/dashboard/{name}")
        assert response.headers["content-type"].startswith(
            "text/css" if name.endswith(".css") else "text/javascript"
        )
        assert len(response.text.splitlines()) < 500, name
    assert client.get("/dashboard/nothing.js").status_code == 404


def test_the_access_token_goes_with_every_api_call(page: str) -> None:
    """The API needs a bearer token: the page signs in through the workspace's session module
    (the token in memory, renewed through the HttpOnly cookie), and every call goes with it;
    no token is typed, kept in localStorage or brought by a link."""
    assert (
        "headers: { ...(init && init.headers), ...(token ? { Authorization: `Bearer ${token}` }"
        in page
    )
    assert page.count("S.fetch(") == 1  # every call of the dashboard goes through apiFetch
    assert "#token=" not in page and "TOKEN_STORE" not in page and "location.hash" not in page
    assert "/workspace/?next=" in page  # no session: the sign-in page, then back here


def test_content_security_policy_forbids_other_hosts_and_inline_code(client: TestClient) -> None:
    csp = client.get("/").headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "connect-src 'self'" in csp
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe" not in csp


def test_figure_keys_in_the_page_exist(page: str) -> None:
    """Cards, child columns and the default chart figure name figures the API really has."""
    keys = set(re.findall(r"\b(?:key|sub): '([a-z_]+)'", page))
    keys |= set(re.findall(r"DEFAULT_FIGURE = '([a-z_]+)'", page))
    assert {"sessions", "voter_contacts", "voters_reached", "training_attendees"} <= keys
    assert keys <= set(LABELS) | {"name", "code"}


# --- the whole domain: rates, figure groups, views, periods, the country ----------------------


def _groups() -> dict[str, list[str]]:
    """The dashboard's figure groups as GET /figures serves them: title → keys, in order."""
    served = asyncio.run(api.figure_labels())
    return {group.title: group.figures for group in served.groups}


def test_every_figure_has_one_group(page: str) -> None:
    """Every figure reporting knows today sits in one named group (only a figure added later
    lands in "Chỉ tiêu khác", and it is still shown there); the page has no groups of its own."""
    grouped = [key for keys in _groups().values() for key in keys]
    assert sorted(grouped) == sorted(LABELS)
    assert "OTHER_GROUP = 'Chỉ tiêu khác'" in page
    assert "prefixes" not in page and "state.groups" in page


def test_figure_groups_follow_the_domain_order() -> None:
    groups = _groups()
    where = {key: title for title, keys in groups.items() for key in keys}
    titles = list(groups)
    in_order = [
        "sessions",
        "standing_committee_meetings",
        "voter_contacts",
        "citizen_receptions",
        "thematic_supervisions",
        "recommendations_issued",
        "trainings",
        "reports_due",
        "tasks_set",
        "proposals_raised",
        "council_seats",
    ]
    positions = [titles.index(where[key]) for key in in_order]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    # received / resolved / pending opinions read together, so do petitions and their outcome
    opinions = ("voter_opinions_raised", "opinions_resolved", "voter_opinions_pending")
    petitions = (
        "citizens_received",
        "petitions_received",
        "petitions_settled",
        "petitions_pending",
    )
    assert len({where[k] for k in opinions}) == 1
    assert len({where[k] for k in petitions}) == 1
    assert where["delegates_trained"] == where["trainings"]
    assert len({where[k] for k in ("surveys", "verifications", "thematic_supervisions")}) == 1
    # each activity's figures stay together, planned and started with the finished ones
    oversight = groups[where["surveys"]]
    activity = [key.split("_")[0] for key in oversight]
    assert activity == sorted(activity, key=["thematic", "surveys", "verifications"].index)
    for title in groups:
        assert not title.isascii(), f"group title {title!r} is not Vietnamese"


def test_rates_are_the_apis(page: str) -> None:
    """Rates are shown as the API computed them (`rates` of the summary), with the labels of
    the catalogue (GET /figures); the page divides no figures of its own."""
    assert "fetchJson('figures'" in page and "d.rates" in page
    block = re.search(r"const HEADLINE_RATES = \[(.*?)\];", page, re.DOTALL)
    assert block
    headline = re.findall(r"'([a-z_]+)'", block[1])
    assert headline and set(headline) <= set(RATES)
    for key in (
        "opinion_resolution_rate",
        "training_coverage",
        "reports_on_time_rate",
        "recommendation_implementation_rate",
    ):
        assert key in headline


def test_rates_route_labels_every_rate_in_vietnamese() -> None:
    rates = asyncio.run(api.rate_labels())
    assert set(rates) == set(rates_of(complete(Counter())))
    for key, info in rates.items():
        rate = RATES[key]
        assert info.label == rate.label and not info.label.isascii()
        assert (info.numerator, info.denominator) == (rate.numerator, rate.denominator)
        assert {info.numerator, info.denominator} <= set(LABELS), key
        assert info.percent == (rate.scale == 100)
        # the page drops a trailing "(%)" from percentage labels and prints "%" after the value
        assert info.label.endswith("(%)") == info.percent, key


def test_figures_route_labels_every_figure_and_rate() -> None:
    served = asyncio.run(api.figure_labels()).figures
    counts = [f for f in served if f.kind == "count"]
    assert [f.key for f in counts] == list(complete(Counter()))  # in report order
    assert [f.key for f in served if f.kind == "rate"] == list(rates_of(Counter()))
    assert all(f.label and not f.label.isascii() for f in served)
    assert all(f.unit for f in served)


def test_rates_route_is_documented() -> None:
    app = FastAPI()
    app.include_router(api.router)
    paths = app.openapi()["paths"]
    assert "/rates" in paths and "/figures" in paths
    assert paths["/rates"]["get"]["summary"]


def test_stacked_chart_topics_name_real_figures(page: str) -> None:
    totals = re.findall(r"\btotal: '([a-z_]+)'", page)
    assert "voter_opinions_raised" in totals
    assert set(totals) <= set(LABELS)
    assert re.search(r"parts: \[\{ key: 'opinions_resolved'.*?key: 'voter_opinions_pending'", page)


def test_view_toggle_uses_the_apis_views(page: str) -> None:
    views = set(re.findall(r'name="view" value="([a-z_]+)"', page))
    literal = get_args(get_args(queries.ViewQuery)[0])
    assert views == set(literal) == {"as_it_was", "as_today"}
    assert "attributed_by_rule" in page and "view=${state.view}" in page


def test_periods_include_term_and_nine_months(page: str) -> None:
    kinds = set(re.findall(r'<option value="([a-z0-9]+)">', page))
    assert {"month", "quarter", "h1", "h2", "9m", "year", "term", "range"} <= kinds
    # the page's terms start when the API's do
    terms = re.findall(r"(\d{4}): \[(\d{4}), '(\d{4}-\d{2})'\]", page)
    assert {int(y): (m, end) for y, end, m in terms} == {
        y: (t[0], t[1][:4]) for y, t in KNOWN_TERMS.items()
    }
    assert "`${y}-04`" in page and term_months(2026)[0] == "2026-04"
    assert parse_period("2021-2026").label == "Nhiệm kỳ 2021–2026"
    assert "`Nhiệm kỳ ${p.start}–${termEnd(p.start)}`" in page


def test_country_view(page: str) -> None:
    """Cả nước reads GET /country/summary; a refusal says so in Vietnamese."""
    assert "`country/summary?${q}`" in page
    assert "const COUNTRY = 'VN'" in page
    assert "Tài khoản của bạn không được xem số liệu cả nước" in page


def test_the_report_buttons_ask_for_the_document_of_the_unit_and_period(page: str) -> None:
    """The periodic report of the unit and period on screen: .docx, web page, sections II/III."""
    assert 'id="report-docx"' in page and "Tải báo cáo (.docx)" in page
    assert 'id="report-html"' in page and "Xem báo cáo" in page
    assert "reportPath('report')" in page and "format=docx" in page and "format=html" in page
    assert "reportPath('report/sections')" in page and "method: 'PUT'" in page
    assert "REPORT_KINDS = new Set(['h1', '9m', 'year', 'term'])" in page
