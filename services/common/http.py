"""What every service's HTTP app shares: health and readiness, the error shape, the server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any, Protocol

import uvicorn
from fastapi import APIRouter, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from services.common.logging import configure_logging
from services.common.settings import Settings

ReadinessCheck = Callable[[], Awaitable[tuple[bool, dict[str, Any]]]]


class DomainError(Exception):
    """A request that cannot be true (an unknown unit, a future meeting …): 422 naming the field."""

    status_code = 422

    def __init__(self, field: str, message: str, kind: str = "value_error") -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.kind = kind

    def as_detail(self) -> list[dict[str, Any]]:
        """Same shape as FastAPI's validation errors, so clients handle one format."""
        return [{"loc": self.field.split("."), "msg": self.message, "type": self.kind}]


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class Forbidden(DomainError):
    status_code = 403


def install_common_routes(app: FastAPI, ready: ReadinessCheck) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse({"detail": exc.as_detail()}, status_code=exc.status_code)

    @app.get("/health", tags=["operations"], summary="The process is alive")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready", tags=["operations"], summary="Dependencies answer; details per dependency")
    async def readiness() -> JSONResponse:
        ok, details = await ready()
        return JSONResponse({"ready": ok, **details}, status_code=200 if ok else 503)


def service_settings(name: str, settings: Settings | None) -> Settings:
    """What the service `name` runs with (`settings`, else from the environment), its logging
    configured by them before anything is built."""
    settings = settings or Settings()
    configure_logging(name, settings.log_level)
    return settings


class _Configured(Protocol):
    @property
    def settings(self) -> Settings: ...


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
    app and stopped when it shuts down; its routers, then health and readiness; browsers may
    call it from the origins its settings allow (CORS)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await start()
        try:
            yield
        finally:
            await stop()

    app = FastAPI(title=f"hdnd {name}", summary=summary, version="1", lifespan=lifespan)
    setattr(app.state, name, service)
    # The workspace page (served by reporting) records into meetings and oversight on their
    # own origins: the browser may call any service from the configured origins only.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=service.settings.cors_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type"],
        max_age=3600,
    )
    for router in routers:
        app.include_router(router)
    install_common_routes(app, ready)
    return app


def serve(app: FastAPI, host: str, port: int) -> None:
    """Run one service; SIGINT/SIGTERM let the lifespan drain in-flight work before exit."""
    uvicorn.run(
        app, host=host, port=port, log_config=None, access_log=False, timeout_graceful_shutdown=10
    )
