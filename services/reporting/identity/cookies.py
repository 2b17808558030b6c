"""The refresh cookie, set alike by every way of signing in (password, single sign-on): the
refresh token travels only in `hdnd_refresh`, HttpOnly (no script reads it), Secure,
SameSite=Strict (no other site's page sends it), Path=/auth (sent nowhere else)."""

from __future__ import annotations

from starlette.responses import Response

from services.reporting.identity.sign_in import SignedIn

COOKIE = "hdnd_refresh"
COOKIE_PATH = "/auth"


def set_refresh_cookie(response: Response, signed: SignedIn) -> None:
    """The session's new refresh token in the cookie, for as long as the session lasts."""
    if signed.refresh_token is not None:
        response.set_cookie(
            COOKIE,
            signed.refresh_token,
            max_age=max(signed.session_seconds, 0),
            path=COOKIE_PATH,
            secure=True,
            httponly=True,
            samesite="strict",
        )
    response.headers["Cache-Control"] = "no-store"
