"""Entrypoint of the oversight service: `python -m services.oversight` or `hdnd serve oversight`."""

from __future__ import annotations

from fastapi import FastAPI

from services.common.http import service_app, service_settings
from services.common.settings import Settings
from services.oversight.api import router
from services.oversight.api_items import router as items_router
from services.oversight.wiring import Oversight


def create_app(settings: Settings | None = None) -> FastAPI:
    service = Oversight.build(service_settings("oversight", settings))
    return service_app(
        "oversight",
        "Record the supervisions, surveys and verifications a People's Council finished "
        "(giám sát chuyên đề, khảo sát, thẩm tra)",
        service,
        start=service.start,
        stop=service.stop,
        ready=service.readiness,
        routers=[router, items_router],
    )
