"""Each service signs in to MongoDB as its own user, which reaches its own database and no
other: a compromised meetings instance cannot read the petitions oversight holds, rewrite the
reporting figures, or manage users. The operator's tools reach every service's database, and
still cannot manage users."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import OperationFailure

from deploy.mongo_users import SERVICE_DATABASES
from services.common.mongo import connect
from services.common.relay import end_orphaned_transactions
from services.common.runtime import Runtime
from services.common.settings import Settings

pytestmark = pytest.mark.integration

UNAUTHORIZED = 13


@pytest.fixture
async def runtimes(settings: Settings) -> AsyncIterator[dict[str, Runtime]]:
    """The MongoDB clients the services and the registry build for themselves."""
    built = {service: Runtime(settings, service) for service in SERVICE_DATABASES}
    try:
        yield built
    finally:
        for runtime in built.values():
            await runtime.mongo.close()


async def refused(work: Any) -> None:
    with pytest.raises(OperationFailure) as refusal:
        await work
    assert refusal.value.code == UNAUTHORIZED, refusal.value


async def test_a_service_reaches_its_own_database_and_no_other(
    settings: Settings, runtimes: dict[str, Runtime]
) -> None:
    for service, runtime in runtimes.items():
        own = runtime.mongo[settings.database_for(service)]["probe"]
        await own.insert_one({"by": service})
        assert await own.find_one({"by": service}) is not None
        for other in SERVICE_DATABASES.keys() - {service}:
            foreign = runtime.mongo[settings.database_for(other)]["outbox"]
            await refused(foreign.find_one())
            await refused(foreign.insert_one({"forged_by": service}))


async def test_the_reporting_user_keeps_the_identity_database_too(
    settings: Settings, runtimes: dict[str, Runtime]
) -> None:
    identity = settings.database_for("identity")
    await runtimes["reporting"].mongo[identity]["accounts"].insert_one({"_id": "probe"})
    for service in ("meetings", "oversight", "hierarchy"):
        await refused(runtimes[service].mongo[identity]["accounts"].find_one())


async def test_a_service_cannot_drop_another_database_nor_make_users(
    settings: Settings, runtimes: dict[str, Runtime]
) -> None:
    meetings = runtimes["meetings"].mongo
    await refused(meetings.drop_database(settings.database_for("reporting")))
    await refused(meetings.admin.command("createUser", "intruder", pwd="x", roles=["root"]))
    await refused(
        meetings.admin.command(
            "grantRolesToUser", "meetings", roles=[{"role": "readWrite", "db": "admin"}]
        )
    )


async def test_the_operator_reaches_every_service_database_but_cannot_make_users(
    settings: Settings, runtimes: dict[str, Runtime]
) -> None:
    for service, runtime in runtimes.items():
        await runtime.mongo[settings.database_for(service)]["probe"].insert_one({"by": service})
    operator = connect(settings, "test-operator")
    try:
        for service in SERVICE_DATABASES:
            found = await operator[settings.database_for(service)]["probe"].find_one()
            assert found is not None and found["by"] == service
        await refused(operator.admin.command("createUser", "intruder", pwd="x", roles=["root"]))
    finally:
        await operator.close()


async def test_the_orphan_reaper_of_one_service_never_ends_another_services_transactions(
    settings: Settings, runtimes: dict[str, Runtime]
) -> None:
    """`$currentOp` with allUsers: false and `killSessions` of one's own sessions need no
    role beyond readWrite: each relay still ends its own service's orphans (tests/faults/
    test_orphaned_transaction.py), and sees nothing of the others'."""
    reporting: AsyncMongoClient[dict[str, Any]] = runtimes["reporting"].mongo
    positions = reporting[settings.database_for("reporting")]["consumer_positions"]
    await positions.insert_one({"_id": "t:0", "next_offset": 0})
    async with reporting.start_session() as session:
        await session.start_transaction()
        await positions.update_one({"_id": "t:0"}, {"$set": {"next_offset": 1}}, session=session)
        app = "hdnd-reporting"
        assert await end_orphaned_transactions(runtimes["meetings"].mongo, app, 0) == 0
        assert await end_orphaned_transactions(reporting, app, 0) == 1
