"""Entrypoint of the meetings service: `python -m services.meetings` or `hdnd serve meetings`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.common.http import install_common_routes
from services.common.logging import configure_logging
from services.common.settings import Settings
from services.meetings.api import router
from services.meetings.wiring import Meetings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging("meetings", settings.log_level)
    service = Meetings.build(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    app = FastAPI(
        title="hdnd meetings",
        summary="Record the meetings a People's Council held (kỳ họp, tiếp xúc cử tri, …)",
        version="1",
        lifespan=lifespan,
    )
    app.state.meetings = service
    app.include_router(router)
    install_common_routes(app, service.runtime.readiness)
    return app
