"""Fixtures: real servers for the whole session, and an isolated hdnd system per test."""

from __future__ import annotations

import asyncio
import atexit
import functools
import itertools
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI
from pymongo import MongoClient

from deploy.local import Endpoints
from deploy.mongo_users import ADMIN, admin_client, grant
from services.common.auth import Role
from services.common.settings import Settings
from services.meetings.app import create_app as meetings_app
from services.oversight.app import create_app as oversight_app
from services.reporting.app import create_app as reporting_app
from services.reporting.identity.keys import IssuerKeys, standalone_issuer
from tests.servers import real_servers

_counter = itertools.count()

# Tables the CLI prints (rich) are as wide as the terminal; a worker of pytest-xdist has none,
# and a narrow table cuts the reasons tests look for. One width for every run.
os.environ["COLUMNS"] = "200"

# The token issuer of this test session: its key made afresh in a temporary folder, its public
# keys given to every service as a JWKS file (HDND_TOKEN_JWKS_FILE).
ISSUER_DIR = Path(tempfile.mkdtemp(prefix="hdnd-test-issuer-"))
atexit.register(shutil.rmtree, ISSUER_DIR, True)
ISSUER = standalone_issuer(ISSUER_DIR)
JWKS_FILE = ISSUER_DIR / "jwks.json"
TOKEN_ISSUER, TOKEN_AUDIENCE = "hdnd-test", "hdnd"
DEFAULT_UNIT = "12"  # Tỉnh Lai Châu, the province most tests work in
DEFAULT_ROLE: Role = "secretary"
_UNIT_PATH = re.compile(r"^/units/(\d{2}|\d{3}|\d{5})(?:/|$)")


def token(
    unit: str | None = DEFAULT_UNIT,
    role: Role = DEFAULT_ROLE,
    *,
    user: str = "tester",
    ttl: timedelta = timedelta(hours=2),
    issuer: IssuerKeys = ISSUER,
    era: str | None = None,
    now: datetime | None = None,
    claims: dict[str, Any] | None = None,
    name: str | None = None,
) -> str:
    """A bearer token signed by this session's token issuer (or another `issuer`'s key);
    `claims` replaces claims of the token (another `iss`, `aud` …)."""
    signed = issuer.issue(
        issuer=TOKEN_ISSUER,
        audience=TOKEN_AUDIENCE,
        subject=user,
        name=name or user,
        unit=unit,
        role=role,
        era=era,
        ttl=ttl,
        now=now,
    )
    if not claims:
        return signed
    base = jwt.decode(signed, options={"verify_signature": False})
    return issuer.sign({**base, **claims})


def bearer(unit: str | None = DEFAULT_UNIT, role: Role = DEFAULT_ROLE) -> dict[str, str]:
    """The Authorization header of a user of `unit` with `role`."""
    return {"Authorization": f"Bearer {token(unit, role)}"}


class ActingUnit(httpx.Auth):
    """Default credentials of test clients, so tests about other things need not care:
    the secretary of the unit a request names (`/units/{code}/…`), else an operator.
    A request that carries its own Authorization header keeps it."""

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        if "authorization" not in request.headers:
            named = _UNIT_PATH.match(request.url.path)
            credential = token(named[1]) if named else token(None, "operator")
            request.headers["Authorization"] = f"Bearer {credential}"
        yield request


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoints]:
    with real_servers(tmp_path_factory.mktemp("servers")) as endpoints:
        yield endpoints


@pytest.fixture(scope="session")
def unit_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Signing keys of every province in both eras, and the national registry's key: tests
    play every instance at once. Services sign with the most specific unit key they hold, so
    province keys cover every unit below; the registry signs the unit tree."""
    from contracts.keys import generate, generate_keys, registry_key
    from services.common.hierarchy import Hierarchy

    directory = tmp_path_factory.mktemp("keys")
    hierarchy = Hierarchy.load()
    provinces = {u.code for era in ("legacy", "2025") for u in hierarchy.provinces(era)}  # type: ignore[arg-type]
    generate_keys(directory, sorted(provinces))
    generate(directory, registry_key())
    return directory


@pytest.fixture
def settings(servers: Endpoints, unit_keys: Path) -> Settings:
    """Settings isolated by database prefix and topic prefix, not by restarting servers."""
    return isolated_settings(servers, unit_keys)


def isolated_settings(servers: Endpoints, unit_keys: Path) -> Settings:
    """Fresh database and topic prefixes on the shared servers, for a test or a module; each
    service's MongoDB user is given its own databases under the new prefix."""
    n = f"t{os.getpid()}x{next(_counter)}"
    settings = Settings(
        kafka_bootstrap_servers=servers.kafka_bootstrap,
        mongodb_uri=servers.mongodb_uri,
        mongodb_secrets_dir=servers.mongodb_secrets_dir,
        database_prefix=n,
        topic_prefix=f"{n}.",
        topic_partitions=3,
        instance="test",
        idle_backoff_ms=50,
        relay_poll_ms=50,
        log_level="warning",
        keys_dir=unit_keys,
        token_jwks_file=JWKS_FILE,
        token_issuer=TOKEN_ISSUER,
        token_audience=TOKEN_AUDIENCE,
        issuer_url="http://127.0.0.1:9",  # no issuer answers there: revocations stay none
    )
    return granted(settings)


def granted(settings: Settings) -> Settings:
    """`settings`, its database prefix granted to the services' MongoDB users (a test making
    an instance of its own under another prefix passes it through here)."""
    admin = _admin_client(settings.mongodb_uri, settings.mongodb_secrets_dir)
    if admin is not None:
        grant(admin, settings.database_prefix)
    return settings


@functools.cache
def _admin_client(uri: str, directory: Path | None) -> MongoClient[dict[str, Any]] | None:
    """The servers' admin for the session (None: MongoDB without users), kept open: a grant
    per test is then one command per user."""
    if directory is None or not (directory / ADMIN).is_file():
        return None
    return admin_client(uri, directory)


@dataclass
class Running:
    app: FastAPI
    client: httpx.AsyncClient


async def start_app(
    stack: AsyncExitStack,
    app: FastAPI,
    base_url: str,
    headers: dict[str, str] | None = None,
) -> Running:
    """Run an app's lifespan (its consumers and relay) and give an HTTP client bound to it.

    The client sends `headers` with every request; without them, it acts as `ActingUnit`."""
    await stack.enter_async_context(app.router.lifespan_context(app))
    transport = httpx.ASGITransport(app=app)
    client = await stack.enter_async_context(
        httpx.AsyncClient(
            transport=transport,
            base_url=base_url,
            headers=headers,
            auth=ActingUnit() if headers is None else None,
        )
    )
    return Running(app, client)


async def start_services(
    stack: AsyncExitStack, settings: Settings
) -> tuple[Running, Running, Running]:
    """Meetings, oversight and reporting on `settings`, started in the order events flow."""
    return (
        await start_app(stack, meetings_app(settings), "http://meetings"),
        await start_app(stack, oversight_app(settings), "http://oversight"),
        await start_app(stack, reporting_app(settings), "http://reporting"),
    )


async def eventually(
    probe: Callable[[], Awaitable[Any]], within: float = 20.0, interval: float = 0.1
) -> Any:
    """Poll until `probe` returns without AssertionError; re-raise the last one at the deadline."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        try:
            return await probe()
        except AssertionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(interval)


@pytest.fixture
async def stack() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as s:
        yield s
