"""Entrypoint of the reporting service: `python -m services.reporting` or `hdnd serve reporting`."""

from __future__ import annotations

from functools import partial

from fastapi import FastAPI

from services.common.http import service_app, service_settings
from services.common.settings import Settings
from services.reporting.activity.api import router as activity_router
from services.reporting.audit.api import router as audit_router
from services.reporting.coordination.api import router as coordination_router
from services.reporting.deadlines.api import router as deadlines_router
from services.reporting.document.api import router as document_router
from services.reporting.identity.api import public as identity_public
from services.reporting.identity.api import router as identity_router
from services.reporting.identity.sso_api import router as sso_router
from services.reporting.notifications.api import router as notifications_router
from services.reporting.opinions.api import router as opinions_router
from services.reporting.read.api import router
from services.reporting.read.web import router as web_router
from services.reporting.voter_opinions.api import router as voter_opinions_router
from services.reporting.voter_opinions.documents import router as opinions_report_router
from services.reporting.voter_opinions.public import router as public_router
from services.reporting.webhooks.api import router as webhooks_router
from services.reporting.wiring import Reporting
from services.reporting.workspace.routes import router as workspace_router


def create_app(settings: Settings | None = None, consume: bool = True) -> FastAPI:
    reporting = Reporting.build(service_settings("reporting", settings))
    # Only the instance that issues tokens (HDND_ISSUER_KEYS_DIR) signs people in.
    issuing = [identity_public, identity_router, sso_router] if reporting.identity else []
    return service_app(
        "reporting",
        "Figures of People's Councils for any unit and period, rolled up the hierarchy",
        reporting,
        start=partial(reporting.start, consume=consume),
        stop=reporting.stop,
        ready=reporting.readiness,
        routers=[
            router,
            coordination_router,
            document_router,
            audit_router,
            activity_router,
            deadlines_router,
            notifications_router,
            opinions_router,
            voter_opinions_router,
            opinions_report_router,
            public_router,
            webhooks_router,
            web_router,
            workspace_router,
            *issuing,
        ],
    )
