"""Entrypoint of the meetings service: `python -m services.meetings` or `hdnd serve meetings`."""

from __future__ import annotations

from fastapi import FastAPI

from services.common.http import service_app, service_settings
from services.common.settings import Settings
from services.meetings.api import router
from services.meetings.wiring import Meetings


def create_app(settings: Settings | None = None) -> FastAPI:
    service = Meetings.build(service_settings("meetings", settings))
    return service_app(
        "meetings",
        "Record the meetings a People's Council held (kỳ họp, tiếp xúc cử tri, …)",
        service,
        start=service.start,
        stop=service.stop,
        ready=service.runtime.readiness,
        routers=[router],
    )
