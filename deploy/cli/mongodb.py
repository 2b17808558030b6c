"""``hdnd mongodb``: MongoDB's users, made and rotated from their password files."""

from __future__ import annotations

from typing import Annotated

import typer

from deploy.cli.common import console, err_console

mongodb_app = typer.Typer(help="MongoDB's users (deploy.mongo_users).", no_args_is_help=True)
RotateOption = Annotated[
    bool, typer.Option(help="Set every user's password to its file's (after a rotation).")
]


@mongodb_app.command("users")
def users(rotate: RotateOption = False) -> None:
    """Create the operator and the services' users that are missing, and give each service
    readWrite on its own databases under HDND_DATABASE_PREFIX; signed in as `admin` with the
    password in HDND_MONGODB_SECRETS_DIR/admin (compose's `mongo-users` runs this)."""
    from pymongo.errors import PyMongoError

    from deploy.mongo_users import ADMIN, admin_client, ensure_users, grant
    from services.common.settings import Settings

    settings = Settings()
    directory = settings.mongodb_secrets_dir
    if directory is None or not (directory / ADMIN).is_file():
        err_console.print(f"[red]error:[/red] no {ADMIN} password: set HDND_MONGODB_SECRETS_DIR")
        raise typer.Exit(code=1)
    client = admin_client(settings.mongodb_uri, directory)
    try:
        changed = ensure_users(client, directory, rotate=rotate)
        grant(client, settings.database_prefix)
    except PyMongoError as exc:
        err_console.print(f"[red]error:[/red] {type(exc).__name__}: {exc}", highlight=False)
        raise typer.Exit(code=1) from None
    finally:
        client.close()
    done = ", ".join(changed) or "none"
    console.print(
        f"users {'set from their files' if rotate else 'created'}: {done};"
        f" each service's on {settings.database_prefix}_<its databases>",
        highlight=False,
        soft_wrap=True,
    )
