"""The public page for voters, served by reporting without sign-in (services.reporting.
voter_opinions.public_html draws it):

    GET /cong-khai/                     the lookup form and the units served
    GET /cong-khai/{unit}               a unit's units below it and its opinions, newest first
    GET /cong-khai/tra-cuu?ma=7KQ2-M9XD the opinion of the code printed on a voter's receipt

Read-only, and bounded: each client address may make `HDND_PUBLIC_PAGE_PER_MINUTE` requests
a minute (the proxy passes the address; then 429 with Retry-After), a unit's page is kept for
a minute (and said cacheable by anyone for a minute), and `HDND_PUBLIC_PAGE=false` switches it
all off (404). Receipt codes are 40 bits derived with the deployment's secret, so at that rate
guessing one takes years.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from importlib.resources import files
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from services.common.hierarchy import Hierarchy
from services.common.mongo import Document
from services.common.security import page_policy
from services.reporting.voter_opinions import public_html as html
from services.reporting.voter_opinions.reads import Listing
from services.reporting.voter_opinions.receipts import read_code
from services.reporting.voter_opinions.service import VoterOpinions
from services.reporting.voter_opinions.store import ACTIVE, GROUPS

STYLE = files("services.reporting").joinpath("static/public/trang.css").read_bytes()
POLICY = page_policy(style_src="'self'", form_action="'self'")
KEPT_SECONDS = 60.0
SHOWN_AT_MOST = 100
MAX_KEPT = 2000  # pages kept, and (×50) client addresses counted, at most


class RateLimit:
    """At most `per_minute` requests per client in any minute; the oldest clients are
    forgotten first when too many are counted."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.hits: OrderedDict[str, deque[float]] = OrderedDict()

    def wait(self, client: str) -> int:
        """0 if `client` may go on now (and counts it), else the seconds until it may."""
        now = self.clock()
        hits = self.hits.pop(client, None) or deque()
        while hits and hits[0] <= now - 60:
            hits.popleft()
        self.hits[client] = hits
        if len(self.hits) > MAX_KEPT * 50:
            self.hits.popitem(last=False)
        if len(hits) >= self.per_minute:
            return max(1, int(hits[0] + 60 - now) + 1)
        hits.append(now)
        return 0


class Kept:
    """Pages kept for a minute, by what they show."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.pages: OrderedDict[str, tuple[float, str, int]] = OrderedDict()

    def get(self, key: str) -> tuple[str, int] | None:
        found = self.pages.get(key)
        if found is None or found[0] < self.clock():
            return None
        return found[1], found[2]

    def put(self, key: str, text: str, status: int) -> None:
        self.pages[key] = (self.clock() + KEPT_SECONDS, text, status)
        self.pages.move_to_end(key)
        while len(self.pages) > MAX_KEPT:
            self.pages.popitem(last=False)


def _state(request: Request) -> tuple[VoterOpinions, Hierarchy, RateLimit, Kept]:
    reporting = request.app.state.reporting
    app = request.app.state
    if not hasattr(app, "public_page"):
        app.public_page = (RateLimit(reporting.settings.public_page_per_minute), Kept())
    limit, kept = app.public_page
    return reporting.voter_opinions, reporting.hierarchy, limit, kept


async def switched_on(request: Request) -> None:
    if not request.app.state.reporting.settings.public_page:
        raise HTTPException(status_code=404)


router = APIRouter(
    prefix="/cong-khai", include_in_schema=False, dependencies=[Depends(switched_on)]
)


def _page(text: str, status: int = 200) -> HTMLResponse:
    headers = {"Content-Security-Policy": POLICY, "Cache-Control": "public, max-age=60"}
    if status >= 400:
        headers["Cache-Control"] = "no-store"
    return HTMLResponse(text, status_code=status, headers=headers)


def limited(request: Request) -> HTMLResponse | None:
    """A 429 page saying when to come back, once the client asked too often this minute."""
    client = request.client.host if request.client else "unknown"
    wait = _state(request)[2].wait(client)
    if not wait:
        return None
    body = html.message(f"Bạn đã tra cứu quá nhiều lần. Vui lòng thử lại sau {wait} giây.")
    page = _page(html.page("Tạm dừng tra cứu", body), 429)
    page.headers["Retry-After"] = str(wait)
    return page


@router.get("/trang.css")
async def style() -> Response:
    return Response(
        STYLE,
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    if refused := limited(request):
        return refused
    service, hierarchy, _, _ = _state(request)
    served = service.runtime.settings.units or [u.code for u in hierarchy.provinces("2025")]
    units = [(c, u.name) for c in served if (u := _today(hierarchy, c)) is not None]
    return _page(html.page("Tra cứu ý kiến, kiến nghị của cử tri", html.home(units)))


@router.get("/tra-cuu", response_class=HTMLResponse)
async def lookup(request: Request, ma: Annotated[str, Query(max_length=40)] = "") -> HTMLResponse:
    if refused := limited(request):
        return refused
    service, hierarchy, _, _ = _state(request)
    code = read_code(ma)
    if code is None:
        body = html.message("Mã phiếu gồm 8 ký tự (chữ và số), ví dụ 7KQ2-M9XD.")
        return _page(html.page("Mã phiếu không hợp lệ", body), 400)
    found = [d for d in await service.store.by_code(code) if d["stage"] != "withdrawn"]
    if not found:
        body = html.message("Không tìm thấy ý kiến nào có mã này. Hãy kiểm tra lại mã trên phiếu.")
        return _page(html.page("Không tìm thấy", body), 404)
    cards = await _cards(service, hierarchy, found)
    body = "\n".join(html.opinion_card(o, g) for o, g in cards)
    first = cards[0][0]
    shown = f"{code[:4]}-{code[4:]}"
    return _page(html.page(f"Mã phiếu {shown}", body, _link(first), shown))


@router.get("/{unit}", response_class=HTMLResponse)
async def unit_page(request: Request, unit: str) -> HTMLResponse:
    if refused := limited(request):
        return refused
    service, hierarchy, _, kept = _state(request)
    cached = kept.get(unit)
    if cached is not None:
        return _page(*cached)
    era = hierarchy.latest_era(unit) if unit.isdigit() else None
    found = hierarchy.find(unit, era) if era else None
    if found is None or era is None:
        text = html.page("Không tìm thấy", html.message(f"Không có đơn vị mã {unit}."))
        kept.put(unit, text, 404)
        return _page(text, 404)
    docs = await service.store.of_unit(unit, era, SHOWN_AT_MOST)
    opinions = await _cards(service, hierarchy, [d for d in docs if d["stage"] != "withdrawn"])
    children = [(c.code, c.name) for c in hierarchy.children(unit, era)]
    body = html.unit_page(found.name, opinions, children, SHOWN_AT_MOST)
    parent = hierarchy.find(found.parent, era) if found.parent else None
    up = (f"/cong-khai/{parent.code}", parent.name) if parent else None
    text = html.page(found.name, body, up)
    kept.put(unit, text, 200)
    return _page(text)


def _today(hierarchy: Hierarchy, code: str) -> Any:
    era = hierarchy.latest_era(code)
    return hierarchy.find(code, era) if era else None


def _link(opinion: dict[str, Any]) -> tuple[str, str]:
    return f"/cong-khai/{opinion['unit']}", opinion["unit_name"]


async def _cards(
    service: VoterOpinions, hierarchy: Hierarchy, docs: list[Document]
) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """The opinions as the page shows them, each with the group in force that holds it (the
    highest level's, when several do)."""
    listing = Listing(service.store, hierarchy)
    shown = [listing.opinion(d, None) for d in docs]
    pairs = [{"unit": d["unit"], "opinion_id": d["opinion_id"]} for d in docs]
    holders: dict[tuple[str, str], dict[str, Any]] = {}
    query = {"status": ACTIVE, "members": {"$elemMatch": {"$or": pairs}}}
    groups = await service.store.db[GROUPS].find(query).to_list() if pairs else []
    for g in sorted(groups, key=lambda g: len(g["lineage"])):  # the highest level first
        units = {m["unit"] for m in g["members"]}
        for m in g["members"]:
            holders.setdefault(
                (m["unit"], m["opinion_id"]), {"title": g["title"], "units": sorted(units)}
            )
    return [(o, holders.get((o["unit"], o["opinion_id"]))) for o in shown]
