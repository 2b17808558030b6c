"""MongoDB's users: one per service with readWrite on its own database(s) only, an operator for
backups, restores, rebuilds, erasure and dead letters, and the admin that creates them.

Passwords live in one directory, one file per user named after it (HDND_MONGODB_SECRETS_DIR,
services.common.mongo.credentials); a process reads only the file of the user it signs in as,
so a container given one file can be no one else. MongoDB has no role over a pattern of
database names, so a service's user is granted readWrite on `<prefix>_<database>` for each
prefix it serves (`grant`): production has one prefix, the tests one per test.
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from pymongo import MongoClient
from pymongo.errors import OperationFailure

from deploy.servers import Endpoints
from services.common.mongo import OPERATOR

ADMIN: Final = "admin"
SERVICE_DATABASES: Final[dict[str, tuple[str, ...]]] = {
    "meetings": ("meetings",),
    "oversight": ("oversight",),
    # The identity database (accounts, sessions) is the reporting process's too.
    "reporting": ("reporting", "identity"),
    "hierarchy": ("hierarchy",),  # the registry: `hdnd hierarchy …`
}
USERS: Final = (ADMIN, OPERATOR, *SERVICE_DATABASES)
OPERATOR_ROLE: Final = "hdndOperator"
OPERATOR_PRIVILEGES: Final = [
    # a backup keeps a longer snapshot history for its run (deploy.backup._history_window)
    {"resource": {"cluster": True}, "actions": ["getParameter", "setParameter"]},
]
# every database but admin's users, config and local; dropDatabase (restore) is dbAdmin's
OPERATOR_ROLES: Final = [
    {"role": "readWriteAnyDatabase", "db": "admin"},
    {"role": "dbAdminAnyDatabase", "db": "admin"},
]
MECHANISMS: Final = ["SCRAM-SHA-256"]
USER_EXISTS: Final = 51003
ROLE_EXISTS: Final = 51002
UNAUTHORIZED: Final = 13
AUTHENTICATION_FAILED: Final = 18


def write_secret(path: Path, value: str) -> None:
    """A file only its owner reads (0600), in a directory only its owner opens (0700)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(value + "\n")


def create_secrets(directory: Path, keyfile: Path) -> None:
    """Passwords for every user that has none yet, and the replica set's keyFile (the
    members' shared secret; mongod refuses one others may read)."""
    keyfile.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    for user in USERS:
        if not (directory / user).exists():
            write_secret(directory / user, secrets.token_hex(24))
    if not keyfile.exists():
        write_secret(keyfile, base64.b64encode(secrets.token_bytes(756)).decode())  # 1008 chars


def password(directory: Path, user: str) -> str:
    return (directory / user).read_text().strip()


def admin_client(uri: str, directory: Path, **options: Any) -> MongoClient[dict[str, Any]]:
    options = {"serverSelectionTimeoutMS": 10_000, **options}
    return MongoClient(
        uri, username=ADMIN, password=password(directory, ADMIN), authSource="admin", **options
    )


def create_admin(open_client: MongoClient[dict[str, Any]], directory: Path) -> bool:
    """Create the admin through the localhost exception (no user yet: an unauthenticated
    connection from the same host may create the first); False when users already exist."""
    try:
        open_client.admin.command(
            "createUser",
            ADMIN,
            pwd=password(directory, ADMIN),
            roles=[{"role": "root", "db": "admin"}],
            mechanisms=MECHANISMS,
        )
    except OperationFailure as exc:
        if exc.code in (UNAUTHORIZED, USER_EXISTS):
            return False
        raise
    return True


def ensure_users(
    client: MongoClient[dict[str, Any]], directory: Path, *, rotate: bool = False
) -> list[str]:
    """Create the operator and the services' users that do not exist yet (signed in as the
    admin); with `rotate`, set their passwords to their files'. Returns the users created or
    changed. (The admin signs in with its file's password, so it is rotated by hand: README.)"""
    admin = client.admin
    with contextlib.suppress(OperationFailure):  # ROLE_EXISTS: updated below
        admin.command(
            "createRole", OPERATOR_ROLE, privileges=OPERATOR_PRIVILEGES, roles=OPERATOR_ROLES
        )
    admin.command("updateRole", OPERATOR_ROLE, privileges=OPERATOR_PRIVILEGES, roles=OPERATOR_ROLES)
    existing = {u["user"] for u in admin.command("usersInfo")["users"]}
    changed: list[str] = []
    for user in (OPERATOR, *SERVICE_DATABASES):
        secret = password(directory, user)
        if user not in existing:
            roles = [{"role": OPERATOR_ROLE, "db": "admin"}] if user == OPERATOR else []
            admin.command("createUser", user, pwd=secret, roles=roles, mechanisms=MECHANISMS)
        elif rotate:
            admin.command("updateUser", user, pwd=secret, mechanisms=MECHANISMS)
        else:
            continue
        changed.append(user)
    return changed


def grant(client: MongoClient[dict[str, Any]], prefix: str) -> None:
    """Give each service's user readWrite on its own databases under `prefix`, nothing else."""
    for user, databases in SERVICE_DATABASES.items():
        roles = [{"role": "readWrite", "db": f"{prefix}_{d}"} for d in databases]
        client.admin.command("grantRolesToUser", user, roles=roles)


@contextlib.contextmanager
def admin_of(endpoints: Endpoints) -> Iterator[MongoClient[dict[str, Any]] | None]:
    """The admin's client of servers whose secrets directory holds its password; None for
    servers without authentication (or whose admin this machine does not hold)."""
    directory = endpoints.mongodb_secrets_dir
    if directory is None or not (directory / ADMIN).is_file():
        yield None
        return
    client = admin_client(endpoints.mongodb_uri, directory)
    try:
        yield client
    finally:
        client.close()


def grant_databases(endpoints: Endpoints, prefix: str) -> None:
    """`grant` on these servers, where there are users to grant."""
    with admin_of(endpoints) as client:
        if client is not None:
            grant(client, prefix)
