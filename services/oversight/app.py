"""Entrypoint of the oversight service: `python -m services.oversight` or `hdnd serve oversight`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.common.http import install_common_routes
from services.common.logging import configure_logging
from services.common.settings import Settings
from services.oversight.api import router
from services.oversight.api_items import router as items_router
from services.oversight.wiring import Oversight


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging("oversight", settings.log_level)
    service = Oversight.build(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    app = FastAPI(
        title="hdnd oversight",
        summary="Record the supervisions, surveys and verifications a People's Council finished "
        "(giám sát chuyên đề, khảo sát, thẩm tra)",
        version="1",
        lifespan=lifespan,
    )
    app.state.oversight = service
    app.include_router(router)
    app.include_router(items_router)
    install_common_routes(app, service.readiness)
    return app
