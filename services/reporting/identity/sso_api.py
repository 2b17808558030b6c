"""Single sign-on over HTTP, on reporting: how a page learns the ways of signing in
(`GET /auth/methods`), the start of a sign-in at the province's OpenID provider
(`GET /auth/oidc/login`) and its end (`GET /auth/oidc/callback`).

Both are browser navigations, not calls: the start answers a redirect to the provider and
sets the `hdnd_oidc` cookie binding the sign-in to this browser (SameSite=Lax: the provider's
redirect back is a navigation from another site, which a Strict cookie would not follow); the
end sets the refresh cookie and sends the browser on to the page, which gets its access
token through `POST /auth/refresh` as after any sign-in (no token in a URL). A refusal is a
Vietnamese page for a browser, or FastAPI's `detail` naming the field for any other client.
"""

from __future__ import annotations

import html
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from services.common.security import page_policy
from services.reporting.identity.cookies import set_refresh_cookie
from services.reporting.identity.domain import SignInRefused
from services.reporting.identity.service import Identity
from services.reporting.identity.sso import LOGIN_TTL, SingleSignOn

router = APIRouter(tags=["sign-in"])

FLOW_COOKIE = "hdnd_oidc"
FLOW_PATH = "/auth/oidc"
BUTTON = "Đăng nhập bằng tài khoản của tỉnh"
HOME = "/workspace/"
NOT_HERE = {"description": "No single sign-on is configured here"}

# What a person reads when a sign-in through the provider is refused, by the refusal's kind.
PAGES: dict[str, str] = {
    "oidc_state_invalid": "Lượt đăng nhập này đã hết hạn, đã được dùng, hoặc không được bắt đầu"
    " từ trình duyệt này. Hãy đăng nhập lại.",
    "oidc_provider_refused": "Hệ thống đăng nhập của tỉnh không xác nhận lượt đăng nhập này."
    " Hãy đăng nhập lại.",
    "oidc_exchange_failed": "Không xác nhận được mã đăng nhập với hệ thống đăng nhập của tỉnh"
    " (mã đã được dùng hoặc đã hết hạn). Hãy đăng nhập lại.",
    "oidc_token_invalid": "Thông tin đăng nhập nhận được không hợp lệ (chữ ký, nơi cấp, ứng"
    " dụng nhận, mã dùng một lần hoặc thời hạn không khớp) nên không được chấp nhận. Hãy báo"
    " cho quản trị viên hệ thống.",
    "oidc_claims_unmapped": "Hệ thống đăng nhập của tỉnh chưa cho biết đúng tên đăng nhập, đơn"
    " vị hoặc vai trò của bạn trong hdnd. Hãy nhờ quản trị viên hệ thống đăng nhập của tỉnh"
    " kiểm tra.",
    "oidc_not_provisioned": "Bạn chưa có tài khoản trong hdnd. Hãy nhờ quản trị viên của đơn vị"
    " (hoặc của cấp trên) tạo tài khoản với đúng tên đăng nhập của bạn, rồi đăng nhập lại.",
    "oidc_claims_disagree": "Đơn vị hoặc vai trò mà hệ thống đăng nhập của tỉnh ghi cho bạn khác"
    " với tài khoản hdnd của bạn. Hãy nhờ quản trị viên của đơn vị cập nhật tài khoản.",
    "oidc_username_taken": "Tên đăng nhập của bạn đã thuộc về một tài khoản khác trong hdnd."
    " Hãy báo cho quản trị viên của đơn vị.",
    "account_disabled": "Tài khoản của bạn đã bị vô hiệu hóa. Hãy liên hệ quản trị viên của"
    " đơn vị.",
    "oidc_unavailable": "Chưa kết nối được với hệ thống đăng nhập của tỉnh. Hãy thử lại sau ít"
    " phút.",
}


def sso_of(request: Request) -> SingleSignOn:
    identity: Identity | None = request.app.state.reporting.identity
    if identity is None or identity.sso is None:
        raise HTTPException(404, detail="single sign-on is not configured here")
    return identity.sso


@router.get("/auth/methods", summary="The ways of signing in here, for the sign-in page")
async def methods(request: Request) -> dict[str, Any]:
    identity: Identity | None = request.app.state.reporting.identity
    oidc = None
    if identity is not None and identity.sso is not None:
        oidc = {"label": BUTTON, "login_url": f"{FLOW_PATH}/login"}
    return {"password": True, "oidc": oidc}


def local_path(path: str) -> str:
    """`path` if it is a path of this origin (never `//elsewhere` or a URL): no open redirect."""
    if (
        not path.startswith("/")
        or path.startswith(("//", "/\\"))
        or any(c in path for c in "\r\n\\")
    ):
        detail = [{"loc": ["query", "next"], "msg": "a path of this site", "type": "value_error"}]
        raise HTTPException(422, detail=detail)
    return path


@router.get(
    "/auth/oidc/login",
    status_code=303,
    summary="Sign in at the province's OpenID provider (a browser navigation)",
    responses={
        303: {"description": "To the provider"},
        404: NOT_HERE,
        502: {"description": "The provider cannot be reached, or names another issuer"},
    },
)
async def oidc_login(
    request: Request, next: Annotated[str, Query(max_length=300)] = HOME
) -> Response:
    sso = sso_of(request)
    target = local_path(next)
    try:
        started = await sso.start(str(request.url_for("oidc_callback")), target)
    except SignInRefused as exc:
        return refusal(request, exc)
    response = RedirectResponse(started.url, status_code=303)
    response.set_cookie(
        FLOW_COOKIE,
        started.binding,
        max_age=int(LOGIN_TTL.total_seconds()),
        path=FLOW_PATH,
        secure=True,
        httponly=True,
        samesite="lax",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(
    "/auth/oidc/callback",
    name="oidc_callback",
    status_code=303,
    summary="Where the provider sends the browser back: the session's cookie, then the page",
    responses={
        303: {"description": "Signed in: on to the page"},
        400: {"description": "No sign-in under way has this state, or the code was refused"},
        401: {"description": "The ID token is refused (signature, iss, aud, nonce, exp)"},
        403: {"description": "The claims map to no account the person may use"},
        404: NOT_HERE,
        409: {"description": "The username is another person's"},
        502: {"description": "The provider cannot be reached"},
    },
)
async def oidc_callback(
    request: Request,
    state: Annotated[str | None, Query(max_length=200)] = None,
    code: Annotated[str | None, Query(max_length=2000)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
    binding: Annotated[str | None, Cookie(alias=FLOW_COOKIE)] = None,
) -> Response:
    sso = sso_of(request)
    try:
        signed, target = await sso.finish(state, code, error, binding)
    except SignInRefused as exc:
        return refusal(request, exc)
    response = RedirectResponse(target, status_code=303)
    set_refresh_cookie(response, signed)
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH, secure=True, httponly=True)
    return response


def refusal(request: Request, exc: SignInRefused) -> Response:
    """The refusal as a Vietnamese page (a browser) or as FastAPI's detail (any other client);
    the sign-in under way is over either way."""
    response: Response
    if "text/html" in request.headers.get("accept", ""):
        response = HTMLResponse(page(exc), status_code=exc.status)
        response.headers["Content-Security-Policy"] = page_policy(style_src="'self'")
    else:
        detail = [{"loc": exc.field.split("."), "msg": exc.message, "type": exc.kind}]
        response = JSONResponse({"detail": detail}, status_code=exc.status)
    response.headers["Cache-Control"] = "no-store"
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH, secure=True, httponly=True)
    return response


def page(exc: SignInRefused) -> str:
    text = PAGES.get(exc.kind, PAGES["oidc_provider_refused"])
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Không đăng nhập được</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/workspace/workspace.css"></head>
<body>
<main class="panel signin" data-refusal="{html.escape(exc.kind)}">
<h1>Không đăng nhập được bằng tài khoản của tỉnh</h1>
<p>{html.escape(text)}</p>
<p class="hint">Chi tiết kỹ thuật: {html.escape(exc.message)}</p>
<p><a href="{HOME}">Quay lại trang đăng nhập</a></p>
</main>
</body>
</html>
"""
