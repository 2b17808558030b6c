"""Security headers every service sends, and the Content-Security-Policy of its pages.

Every response says `X-Content-Type-Options: nosniff` (a JSON answer is never run as a
script or a page), `Referrer-Policy: no-referrer` (a URL carrying a unit or a period does
not travel to another site) and, unless a page sends its own, a CSP that allows nothing at
all, never framed: an API answer opened in a browser runs nothing. A page names what it
needs with `page_policy`, which never allows inline script or style (`'unsafe-inline'`): a
page's script and styles are files of the service, so text that slipped into a page can
never run.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def page_policy(**sources: str) -> str:
    """A page's CSP: nothing but the `sources` of each directive it names (`script_src=
    "'self'"` is `script-src 'self'`); no <base>, no form posted elsewhere, never framed."""
    directives = {
        "default-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'none'",
        **{name.replace("_", "-"): value for name, value in sources.items()},
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


HEADERS: dict[str, str] = {
    "Content-Security-Policy": page_policy(),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class SecurityHeaders:
    """ASGI middleware: `HEADERS` on every response, each unless the response set it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
