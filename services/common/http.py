"""What every service's HTTP app shares: health and readiness, the error shape, the server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterable
from contextlib import asynccontextmanager
from typing import Any, Protocol

import uvicorn
from fastapi import APIRouter, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from services.common.auth import caller_if_any
from services.common.docs import install_docs
from services.common.errors import Conflict, DomainError, Forbidden, NotFound
from services.common.http_metrics import install_metrics
from services.common.limits import RequestBodyLimit, WholeCharactersOnly
from services.common.logging import configure_logging
from services.common.metrics import Metrics
from services.common.security import SecurityHeaders
from services.common.settings import PUBLIC_PATHS, Settings

ReadinessCheck = Callable[[], Awaitable[tuple[bool, dict[str, Any]]]]


# The status each kind of refusal travels with; the most specific class wins.
STATUS: dict[type[DomainError], int] = {NotFound: 404, Conflict: 409, Forbidden: 403}


# Set by the proxy (deploy/Caddyfile) on what it forwards to a service under its public path.
FORWARDED_PREFIX = "x-forwarded-prefix"


# Where a request carries a field; a refusal's field that starts with one is located already.
LOCATIONS = frozenset({"path", "query", "header", "body"})


def request_field(
    field: str, path_parameters: Collection[str] = (), body_parameter: str | None = None
) -> str:
    """Where the request carried the field a refusal names in its decision's terms, judged by
    its first part: the body when it names the route's `body_parameter` (the body is that
    one value: ``meeting.held_on`` is ``body.held_on``), a path parameter of that name (the
    unit, the record the path names), else a field of the body. A field located already
    (``query.period``) stays as it is."""
    head, dot, rest = field.partition(".")
    if head in LOCATIONS:
        return field
    if head == body_parameter:
        return f"body{dot}{rest}"
    return f"{'path' if head in path_parameters else 'body'}.{field}"


def body_parameter(request: Request) -> str | None:
    """The name of the parameter the route reads its whole body into, if it has one: FastAPI
    reads a single body parameter, unless embedded, as the body itself."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return None
    fields = route.dependant.body_params
    if len(fields) != 1 or getattr(fields[0].field_info, "embed", None):
        return None
    return fields[0].name


def error_detail(exc: DomainError, request: Request | None = None) -> list[dict[str, Any]]:
    """Same shape as FastAPI's validation errors, so clients handle one format; the field
    located in the `request` refused."""
    where = (request.path_params, body_parameter(request)) if request is not None else ((), None)
    loc = request_field(exc.field, *where).split(".")
    return [{"loc": loc, "msg": exc.message, "type": exc.kind}]


def status_of(exc: DomainError) -> int:
    """404, 409 or 403 for those kinds; 422 (naming the field) for any other refusal."""
    return next((STATUS[k] for k in type(exc).__mro__ if k in STATUS), 422)


def install_common_routes(app: FastAPI, ready: ReadinessCheck) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse({"detail": error_detail(exc, request)}, status_code=status_of(exc))

    @app.get("/health", tags=["operations"], summary="The process is alive")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/ready",
        tags=["operations"],
        summary="Dependencies answer (200) or not (503); details per dependency for an operator",
    )
    async def readiness(request: Request) -> JSONResponse:
        ok, details = await ready()
        # What it waits on (broker, outbox, consumer lag) is for operators, not for anyone.
        caller = await caller_if_any(request)
        shown = details if caller is not None and caller.principal.role == "operator" else {}
        return JSONResponse({"ready": ok, **shown}, status_code=200 if ok else 503)


def service_settings(name: str, settings: Settings | None) -> Settings:
    """What the service `name` runs with (`settings`, else from the environment), its logging
    configured by them before anything is built."""
    settings = settings or Settings()
    configure_logging(name, settings.log_level)
    return settings


class PublicPath:
    """ASGI middleware: the service also answers under the path the proxy gives it (its
    `PUBLIC_PATHS` entry, `/meetings`), kept in the URL the proxy forwards. Such a request
    gets that path as its ASGI root_path, so it is routed without it and what the service
    writes about itself names it: the OpenAPI document's `servers`, the /docs page's
    document URL. The proxy says it forwarded the request (`X-Forwarded-Prefix` naming that
    path): the path alone cannot tell, since meetings has routes of its own under
    /meetings/. A request on the service's own port is left as it is."""

    def __init__(self, app: ASGIApp, path: str) -> None:
        self.app, self.path = app, path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and Headers(scope=scope).get(FORWARDED_PREFIX) == self.path:
            root = scope.get("root_path", "") + self.path
            if scope["path"] == root or scope["path"].startswith(root + "/"):
                scope = {**scope, "root_path": root}
        await self.app(scope, receive, send)


class _Measured(Protocol):
    @property
    def metrics(self) -> Metrics: ...


class _Configured(Protocol):
    @property
    def settings(self) -> Settings: ...
    @property
    def runtime(self) -> _Measured: ...


def service_app(
    name: str,
    summary: str,
    service: _Configured,
    start: Callable[[], Awaitable[None]],
    stop: Callable[[], Awaitable[None]],
    ready: ReadinessCheck,
    routers: Iterable[APIRouter],
) -> FastAPI:
    """The HTTP app of the service `name`: `service` is its `app.state.<name>`, started with the
    app and stopped when it shuts down; its routers, then health, readiness and /metrics (its
    runtime's registry), under its public path too; browsers may call it from the origins its
    settings allow (CORS)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await start()
        try:
            yield
        finally:
            await stop()

    app = FastAPI(
        title=f"hdnd {name}",
        summary=summary,
        version="1",
        lifespan=lifespan,
        docs_url=None,  # served from the package, not a CDN (services.common.docs)
        redoc_url=None,
    )
    setattr(app.state, name, service)
    app.add_middleware(WholeCharactersOnly)  # 422, inside the limit: bodies bounded first
    app.add_middleware(RequestBodyLimit, max_bytes=service.settings.request_max_bytes)  # 413
    app.add_middleware(SecurityHeaders)  # outside it: a 413 carries the headers too
    # The workspace page (served by reporting) records into meetings and oversight on their
    # own origins unless the proxy serves all under one (then no CORS): listed origins only.
    if service.settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=service.settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=3600,
        )
    if PUBLIC_PATHS[name]:
        app.add_middleware(PublicPath, path=PUBLIC_PATHS[name])
    for router in routers:
        app.include_router(router)
    install_common_routes(app, ready)
    install_docs(app, service.settings.api_docs)
    install_metrics(app, service.runtime.metrics)  # outermost: every request is counted
    return app


def serve(app: FastAPI, host: str, port: int) -> None:
    """Run one service; SIGINT/SIGTERM let the lifespan drain in-flight work before exit."""
    uvicorn.run(
        app, host=host, port=port, log_config=None, access_log=False, timeout_graceful_shutdown=10
    )
