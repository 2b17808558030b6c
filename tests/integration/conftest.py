"""Fixtures of the integration tests: the three services' apps on the session's servers."""

from __future__ import annotations

from contextlib import AsyncExitStack

import pytest

from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from services.oversight.app import create_app as oversight_app
from services.reporting.app import create_app as reporting_app
from tests.conftest import Running, start_app


@pytest.fixture
async def apps(stack: AsyncExitStack, settings: Settings) -> dict[str, Running]:
    """Meetings, oversight and reporting (without its consumers: nothing is projected)."""
    return {
        "meetings": await start_app(stack, meetings_app(settings), "http://meetings"),
        "oversight": await start_app(stack, oversight_app(settings), "http://oversight"),
        "reporting": await start_app(
            stack, reporting_app(settings, consume=False), "http://reporting"
        ),
    }
