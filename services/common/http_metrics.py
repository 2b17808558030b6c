"""HTTP requests counted and timed by route template and status, and the /metrics route.

/metrics carries no token: Prometheus scrapes it inside the deployment's network, and the
public origin (the TLS proxy) does not route it. What it shows is counts and durations under
bounded labels (services.common.metrics), nothing about a unit, a person or a text.
"""

from __future__ import annotations

import re
import time
from functools import cached_property

from fastapi import FastAPI, Request
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.metrics import Metrics, SignInFailure

UNMATCHED = "unmatched"  # the route label of a path no route serves (404s of any path)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER = "other"  # the method label of any other: a client may send any token as a method


class RequestMetrics:
    """ASGI middleware (outermost, so refusals of the other middleware count too): one
    observation per request, labelled with the route's template, never the concrete path."""

    def __init__(self, app: ASGIApp, metrics: Metrics, api: FastAPI) -> None:
        self.app = app
        self.requests = metrics.requests
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception before any response is a 500 to the client

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        finally:
            method = scope["method"] if scope["method"] in METHODS else OTHER
            self.requests.labels(method, self.template(scope), str(status)).observe(
                time.perf_counter() - started
            )

    def template(self, scope: Scope) -> str:
        """The template of the route that served the request; for one refused before routing
        (413), the template its path matches; else UNMATCHED."""
        path = getattr(scope.get("route"), "path", None)
        if isinstance(path, str):
            return path
        return next((t for regex, t in self._templates if regex.match(scope["path"])), UNMATCHED)

    @cached_property
    def _templates(self) -> list[tuple[re.Pattern[str], str]]:
        paths = self.api.openapi().get("paths", {})
        return [(compile_path(template)[0], template) for template in paths]


def install_metrics(app: FastAPI, metrics: Metrics) -> None:
    """/metrics on `app`, and the middleware feeding its request histogram."""
    app.state.metrics = metrics
    app.add_middleware(RequestMetrics, metrics=metrics, api=app)

    @app.get("/metrics", include_in_schema=False)
    async def exposition() -> Response:
        return Response(await metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


def sign_in_failed(request: Request, reason: SignInFailure) -> None:
    """Count a refused sign-in in the metrics of the service that served `request`."""
    metrics: Metrics = request.app.state.metrics
    metrics.sign_in_failed(reason)
