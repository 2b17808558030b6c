"""Accounts on the server: `hdnd accounts …`, `hdnd tokens issue` and `make run` work on the
identity database directly, through identity's own service layer, so the same rules apply and
the same events are written (by "hdnd accounts (máy chủ)"); the running reporting instance's
relay publishes them.

Without HDND_ISSUER_KEYS_DIR / HDND_KEYS_DIR these use the local stack's (`make run`):
`.local/issuer/` and the one `.local/keys/province-<P>/`, serving P.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from contracts.identity import Actor
from deploy.local import DEFAULT_BASE_DIR
from services.common.hierarchy import Hierarchy
from services.common.mongo import OPERATOR
from services.common.settings import Settings
from services.reporting.identity import keys as issuer_keys
from services.reporting.identity.accounts import NewAccount
from services.reporting.identity.core import SERVER
from services.reporting.identity.service import Identity

ISSUER_DIR = "issuer"  # the local stack's token issuer keys, in its data dir (.local/)
SAMPLE_LOADER = "Dữ liệu mẫu (make run)"


def ensure_local_issuer(base_dir: Path) -> Path:
    """The local stack's issuer key folder, with a key made on first use (never in the
    repository); only reporting is given it."""
    directory = (base_dir / ISSUER_DIR).resolve()
    issuer_keys.generate(directory)
    return directory


def local_identity_settings(base_dir: Path = DEFAULT_BASE_DIR) -> Settings:
    """The environment's settings, completed from the local stack where they say nothing."""
    settings = Settings()
    updates: dict[str, object] = {}
    if settings.issuer_keys_dir is None and (base_dir / ISSUER_DIR).is_dir():
        updates["issuer_keys_dir"] = base_dir / ISSUER_DIR
    provinces = sorted((base_dir / "keys").glob("province-*"))
    if settings.keys_dir is None and len(provinces) == 1:
        updates["keys_dir"] = provinces[0]
        updates["public_keys_dir"] = settings.public_keys_dir or base_dir / "keys" / "public"
        if not settings.units:
            updates["units"] = [provinces[0].name.removeprefix("province-")]
    return settings.model_copy(update=updates)


@asynccontextmanager
async def identity_session(settings: Settings) -> AsyncIterator[Identity]:
    """Identity's service layer on its database, without a relay of its own."""
    if settings.issuer_keys_dir is None:
        raise RuntimeError(
            "HDND_ISSUER_KEYS_DIR is not set (and no .local/issuer): the accounts live with"
            " the token issuer; `hdnd accounts issuer-key generate --dir DIR` makes its key"
        )
    identity = Identity.build(settings, Hierarchy.load(), mongo_user=OPERATOR)
    try:
        await identity.core.store.create_indexes()
        await identity.core.runtime.outbox.create_indexes()
        yield identity
    finally:
        await identity.core.runtime.stop()


@dataclass(frozen=True, slots=True)
class SampleAccount:
    username: str
    full_name: str
    position: str
    unit: str
    role: str
    password: str | None  # a new temporary password; None: its holder chose one already


async def ensure_sample_accounts(
    identity: Identity, province: str, actor: Actor = SERVER
) -> list[SampleAccount]:
    """A province admin, a province secretary, a commune secretary and a viewer, each with a
    temporary password; on a later start, one whose holder never changed it gets a new one
    (nobody knows the old one: it was only printed), one already changed is left alone."""
    hierarchy = identity.core.hierarchy
    era = hierarchy.latest_era(province) or "2025"
    commune = next(u for u in hierarchy.descendants(province, era) if len(u.code) == 5)
    wanted = [
        (f"quantri.{province}", "Nguyễn Thị Quản Trị", "Quản trị hệ thống", province, "admin"),
        (f"thuky.{province}", "Trần Văn Thư Ký", "Chánh Văn phòng", province, "secretary"),
        (f"thuky.{commune.code}", "Lê Thị Xã", "Chuyên viên", commune.code, "secretary"),
        (f"xem.{province}", "Phạm Văn Xem", "Chuyên viên theo dõi", province, "viewer"),
    ]
    made: list[SampleAccount] = []
    for username, full_name, position, unit, role in wanted:
        found = await identity.core.store.account_by_username(username)
        password: str | None
        if found is None:
            new = NewAccount(
                username=username,
                full_name=full_name,
                position=position,
                unit=unit,
                role=role,
            )
            _, password = await identity.accounts.create(None, actor, new)
        elif found["must_change_password"]:
            _, password = await identity.accounts.reset_password(None, actor, found["_id"])
        else:
            password = None
        made.append(SampleAccount(username, full_name, position, unit, role, password))
    return made


async def sample_loader_token(identity: Identity, province: str) -> str:
    """A day's API token for the program that records the sample (a service account); the
    ones made by earlier starts are revoked."""
    for old in await identity.accounts.services(None):
        if old["name"] == SAMPLE_LOADER and old["revoked_at"] is None:
            await identity.accounts.revoke_service(None, SERVER, old["id"])
    made = await identity.accounts.create_service(
        None, SERVER, SAMPLE_LOADER, province, "secretary", days=1
    )
    return str(made["token"])
