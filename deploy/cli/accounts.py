"""``hdnd accounts``: people's and programs' accounts, on the server (deploy/accounts.py), and
the token issuer's keys. The same rules as an admin's API calls, without a unit scope: the
server's operator manages every account and alone makes operators."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from deploy.cli.common import console, err_console, servers_call

accounts_app = typer.Typer(
    help="Accounts of people (sign-in) and programs (API tokens), and the token issuer's keys.",
    no_args_is_help=True,
)
issuer_app = typer.Typer(help="The token issuer's signing keys.", no_args_is_help=True)
accounts_app.add_typer(issuer_app, name="issuer-key")

AccountArg = Annotated[str, typer.Argument(help="The account's id or username.")]
UnitOption = Annotated[str, typer.Option("--unit", help="Unit code: 2, 3 or 5 digits.")]
EraOption = Annotated[
    str | None, typer.Option("--era", help="legacy or 2025 (default: the latest era of the code).")
]
RoleOption = Annotated[str, typer.Option("--role", help="secretary, viewer, admin or operator.")]


def run(work: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run `work(identity)` on the identity database; print a refusal without a traceback."""
    from deploy.accounts import identity_session, local_identity_settings
    from services.common.errors import DomainError

    async def session() -> Any:
        try:
            async with identity_session(local_identity_settings()) as identity:
                return await work(identity)
        except DomainError as exc:
            err_console.print(f"[red]refused:[/red] {exc.message}", highlight=False)
        except (ValueError, RuntimeError) as exc:  # no issuer key, a bad value
            err_console.print(f"[red]error:[/red] {exc}", soft_wrap=True, highlight=False)
        raise typer.Exit(code=1)

    return servers_call(session())


async def _account_id(identity: Any, ref: str) -> str:
    from services.common.errors import NotFound
    from services.reporting.identity.domain import username_key

    if await identity.core.store.account(ref) is not None:
        return ref
    found = await identity.core.store.account_by_username(username_key(ref))
    if found is None:
        raise NotFound("account", f"no account {ref!r}")
    return str(found["_id"])


def _show(account: dict[str, Any]) -> None:
    state = "active" if account["active"] else "disabled"
    if account["locked"]:
        state += ", locked"
    console.print(
        f"{account['id']}  {account['username']}  {account['full_name']}  {account['role']}"
        f" of {account['unit']} ({account['era']})  {state}",
        highlight=False,
    )


@accounts_app.command("create")
def create(
    username: Annotated[str, typer.Option("--username")],
    full_name: Annotated[str, typer.Option("--name", help="Họ và tên.")],
    unit: UnitOption,
    role: RoleOption = "secretary",
    position: Annotated[str | None, typer.Option("--position", help="Chức vụ.")] = None,
    era: EraOption = None,
) -> None:
    """Create a person's account; prints its temporary password (shown once)."""
    from services.reporting.identity.accounts import NewAccount
    from services.reporting.identity.core import SERVER

    new = NewAccount.model_validate(
        {"username": username, "full_name": full_name, "position": position, "unit": unit}
        | {"era": era, "role": role}
    )

    async def work(identity: Any) -> tuple[dict[str, Any], str]:
        result: tuple[dict[str, Any], str] = await identity.accounts.create(None, SERVER, new)
        return result

    account, password = run(work)
    _show(account)
    console.print(f"temporary password: {password}  (changed at the first sign-in)")


@accounts_app.command("list")
def list_accounts(
    unit: Annotated[str | None, typer.Option("--unit", help="Of this unit and below.")] = None,
    q: Annotated[str | None, typer.Option("--q", help="Username or name contains.")] = None,
) -> None:
    """Every account (of `--unit` and below)."""

    async def work(identity: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await identity.accounts.listed(None, unit, q)
        return found

    table = Table("id", "username", "name", "role", "unit", "state")
    for a in run(work):
        state = ("active" if a["active"] else "disabled") + (", locked" if a["locked"] else "")
        table.add_row(a["id"], a["username"], a["full_name"], a["role"], a["unit"], state)
    console.print(table)


@accounts_app.command("edit")
def edit(
    account: AccountArg,
    full_name: Annotated[str | None, typer.Option("--name")] = None,
    position: Annotated[str | None, typer.Option("--position")] = None,
    unit: Annotated[str | None, typer.Option("--unit")] = None,
    era: EraOption = None,
    role: Annotated[str | None, typer.Option("--role")] = None,
) -> None:
    """Change an account's name, position, unit or role (a new unit or role ends its
    sessions: it signs in again with the new rights)."""
    from services.reporting.identity.core import SERVER

    changes = {"full_name": full_name, "position": position, "unit": unit, "era": era}
    changes["role"] = role

    async def work(identity: Any) -> dict[str, Any]:
        account_id = await _account_id(identity, account)
        shown: dict[str, Any] = await identity.accounts.change(None, SERVER, account_id, changes)
        return shown

    _show(run(work))


def _step(name: str, doc: str, act: Callable[[Any, str], Awaitable[Any]]) -> None:
    def command(account: AccountArg) -> None:
        async def work(identity: Any) -> Any:
            return await act(identity, await _account_id(identity, account))

        result = run(work)
        if isinstance(result, tuple):  # a reset: the account and its temporary password
            _show(result[0])
            console.print(f"temporary password: {result[1]}  (changed at the next sign-in)")
        else:
            _show(result)

    command.__doc__ = doc
    accounts_app.command(name)(command)


def _register_steps() -> None:
    from services.reporting.identity.core import SERVER

    _step(
        "disable",
        "Disable an account: its sessions are refused within seconds.",
        lambda i, a: i.accounts.set_active(None, SERVER, a, False),
    )
    _step(
        "enable",
        "Enable a disabled account.",
        lambda i, a: i.accounts.set_active(None, SERVER, a, True),
    )
    _step(
        "reset",
        "A new temporary password (printed once); its sessions end.",
        lambda i, a: i.accounts.reset_password(None, SERVER, a),
    )
    _step(
        "unlock",
        "Lift the lock of ten failed sign-ins.",
        lambda i, a: i.accounts.unlock(None, SERVER, a),
    )


_register_steps()


@accounts_app.command("policy")
def policy(
    unit: UnitOption,
    totp: Annotated[
        bool, typer.Option("--totp-required/--no-totp-required", help="Require a second factor.")
    ] = True,
) -> None:
    """Require (or no longer) a second factor of the people of a unit and every unit below."""
    from services.reporting.identity.core import SERVER

    async def work(identity: Any) -> dict[str, Any]:
        done: dict[str, Any] = await identity.accounts.set_policy(None, SERVER, unit, totp)
        return done

    console.print(run(work), highlight=False)


def issue_service_token(name: str, unit: str, role: str, days: float, era: str | None) -> None:
    """Create a service account; its API token alone on stdout, for $(…)."""
    from services.reporting.identity.core import SERVER

    async def work(identity: Any) -> dict[str, Any]:
        made: dict[str, Any] = await identity.accounts.create_service(
            None, SERVER, name, unit, role, days, era
        )
        return made

    made = run(work)
    print(made["token"])
    err_console.print(
        f"service account {made['id']} ({name}): {role} of {made['unit']} ({made['era']} era)"
        f" and below, until {made['expires']:%Y-%m-%d %H:%M} UTC;"
        f" `hdnd accounts service-revoke {made['id']}` revokes it",
        highlight=False,
    )


@accounts_app.command("service-create")
def service_create(
    name: Annotated[str, typer.Option("--name", help="What the program is.")],
    unit: UnitOption,
    role: RoleOption = "viewer",
    days: Annotated[float, typer.Option("--days", min=0, max=90)] = 30,
    era: EraOption = None,
) -> None:
    """A program's account and its API token (90 days at most), printed once."""
    issue_service_token(name, unit, role, days, era)


@accounts_app.command("service-list")
def service_list() -> None:
    """Every service account, newest first."""

    async def work(identity: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await identity.accounts.services(None)
        return found

    table = Table("id", "name", "role", "unit", "expires", "revoked")
    for s in run(work):
        revoked = f"{s['revoked_at']:%Y-%m-%d %H:%M}" if s["revoked_at"] else ""
        table.add_row(s["id"], s["name"], s["role"], s["unit"], f"{s['expires']:%Y-%m-%d}", revoked)
    console.print(table)


@accounts_app.command("service-revoke")
def service_revoke(
    account: Annotated[str, typer.Argument(help="The service account's id.")],
) -> None:
    """Revoke a service account's token: refused everywhere within seconds."""
    from services.reporting.identity.core import SERVER

    async def work(identity: Any) -> dict[str, Any]:
        done: dict[str, Any] = await identity.accounts.revoke_service(None, SERVER, account)
        return done

    done = run(work)
    console.print(f"{done['id']} ({done['name']}) revoked at {done['revoked_at']}")


# -- the issuer's keys ---------------------------------------------------------------------------

KeysDirOption = Annotated[
    Path | None,
    typer.Option(
        "--dir", help="The issuer key folder (default HDND_ISSUER_KEYS_DIR, else .local/issuer)."
    ),
]


def _keys_dir(directory: Path | None) -> Path:
    from deploy.accounts import local_identity_settings
    from deploy.local import DEFAULT_BASE_DIR

    return directory or local_identity_settings().issuer_keys_dir or DEFAULT_BASE_DIR / "issuer"


@issuer_app.command("generate")
def issuer_generate(directory: KeysDirOption = None) -> None:
    """A first signing key, unless the folder holds one."""
    from services.reporting.identity import keys

    made = keys.generate(_keys_dir(directory))
    console.print(f"key {made.kid} made" if made else "kept: the folder holds a key already")


@issuer_app.command("rotate")
def issuer_rotate(directory: KeysDirOption = None) -> None:
    """A new key signs from now on; the old one stays in the JWKS until its tokens expired."""
    from services.reporting.identity import keys

    made = keys.rotate(_keys_dir(directory))
    console.print(f"key {made.kid} signs from now on", highlight=False)


@issuer_app.command("drop")
def issuer_drop(
    kid: Annotated[
        str | None, typer.Argument(help="A key to remove at once (leaked); none: expired ones.")
    ] = None,
    directory: KeysDirOption = None,
) -> None:
    """Remove retired keys no token needs any more, or one key at once (its tokens are
    refused from the services' next poll on)."""
    from services.reporting.identity import keys

    gone = keys.drop(_keys_dir(directory), kid)
    console.print(f"dropped: {', '.join(gone) or 'nothing'}")


@issuer_app.command("list")
def issuer_list(directory: KeysDirOption = None) -> None:
    """Every key: id, made, retired, whether the JWKS serves it."""
    from datetime import UTC, datetime

    from services.reporting.identity.keys import IssuerKeys

    now = datetime.now(UTC)
    table = Table("kid", "created", "retired", "in the JWKS")
    for key in IssuerKeys(_keys_dir(directory)).all():
        retired = f"{key.retired_at:%Y-%m-%d %H:%M}" if key.retired_at else ""
        table.add_row(
            key.kid, f"{key.created_at:%Y-%m-%d %H:%M}", retired, str(key.trusted(now)).lower()
        )
    console.print(table)
