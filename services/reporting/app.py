"""Entrypoint of the reporting service: `python -m services.reporting` or `hdnd serve reporting`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.common.http import install_common_routes
from services.common.logging import configure_logging
from services.common.settings import Settings
from services.reporting.api import router
from services.reporting.coordination.api import router as coordination_router
from services.reporting.web import router as web_router
from services.reporting.wiring import Reporting


def create_app(settings: Settings | None = None, consume: bool = True) -> FastAPI:
    settings = settings or Settings()
    configure_logging("reporting", settings.log_level)
    reporting = Reporting.build(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await reporting.start(consume=consume)
        try:
            yield
        finally:
            await reporting.stop()

    app = FastAPI(
        title="hdnd reporting",
        summary="Figures of People's Councils for any unit and period, rolled up the hierarchy",
        version="1",
        lifespan=lifespan,
    )
    app.state.reporting = reporting
    app.include_router(router)
    app.include_router(coordination_router)
    app.include_router(web_router)
    install_common_routes(app, reporting.readiness)
    return app
