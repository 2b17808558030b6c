"""``hdnd tokens``: bearer tokens for the HTTP APIs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from deploy.cli.common import (
    console,
    err_console,
)
from deploy.local import (
    DEFAULT_BASE_DIR,
)

tokens_app = typer.Typer(
    help="Bearer tokens (JWT) naming a user's unit and role, for the HTTP APIs.",
    no_args_is_help=True,
)

TokenDirOption = Annotated[
    Path,
    typer.Option(
        "--dir",
        help="Local stack dir holding jwt-secret (used when HDND_JWT_SECRET(_FILE) is unset).",
        file_okay=False,
    ),
]


@tokens_app.command("issue")
def tokens_issue(
    unit: Annotated[str | None, typer.Option("--unit", help="Unit code: 2, 3 or 5 digits.")] = None,
    role: Annotated[
        str, typer.Option("--role", help="secretary (record + read), viewer (read), operator.")
    ] = "secretary",
    days: Annotated[float, typer.Option("--days", help="Valid for this many days.", min=0)] = 30,
    user: Annotated[str | None, typer.Option("--user", help="Who holds it (the 'sub').")] = None,
    era: Annotated[
        str | None,
        typer.Option(
            "--era",
            help="legacy or 2025: which council the code names (codes were reused in 2025);"
            " default the era in which it names a unit today.",
        ),
    ] = None,
    base_dir: TokenDirOption = DEFAULT_BASE_DIR,
) -> None:
    """Print a token signed with HDND_JWT_SECRET / HDND_JWT_SECRET_FILE, or the local stack's
    own secret (.local/jwt-secret, made on first use), e.g. TOKEN=$(hdnd tokens issue --unit 12)."""
    from datetime import timedelta

    from deploy.run import token_secret
    from services.common.auth import ERAS, ROLES, MissingSecret, issue_token

    if role not in ROLES:
        raise typer.BadParameter(f"must be one of {', '.join(ROLES)}", param_hint="--role")
    if era is not None and era not in ERAS:
        raise typer.BadParameter(f"must be one of {', '.join(ERAS)}", param_hint="--era")
    if unit is not None:
        from services.common.hierarchy import Hierarchy

        hierarchy = Hierarchy.load()
        era = era or hierarchy.latest_era(unit)
        if era is None or hierarchy.find(unit, era) is None:
            when = f"in the {era} era" if era else "before or after the 2025 reform"
            raise typer.BadParameter(f"no unit {unit} {when}", param_hint="--unit")
    try:
        secret, _ = token_secret(base_dir)
        token = issue_token(
            secret,
            unit=unit,
            role=role,  # checked against ROLES above
            user=user or f"{role}-{unit or 'all'}",
            ttl=timedelta(days=days),
            era=era,  # checked against ERAS above
        )
    except MissingSecret as exc:
        err_console.print(f"[red]error:[/red] {exc}", soft_wrap=True, highlight=False)
        raise typer.Exit(code=1) from exc
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--unit/--role") from exc
    print(token)  # stdout carries the token alone, for $(…)
    scope = f"unit {unit} ({era} era) and the units below it" if unit else "every unit"
    err_console.print(f"{role} of {scope}, valid {days:g} days", highlight=False)


@tokens_app.command("inspect")
def tokens_inspect(
    token: Annotated[str, typer.Argument(help="The token (without 'Bearer ').")],
    base_dir: TokenDirOption = DEFAULT_BASE_DIR,
) -> None:
    """Verify a token with the same secret and show what it grants."""
    from deploy.run import token_secret
    from services.common.auth import MissingSecret, TokenError, decode_token

    try:
        principal = decode_token(token_secret(base_dir)[0], token.removeprefix("Bearer ").strip())
    except (MissingSecret, TokenError) as exc:
        err_console.print(f"[red]invalid:[/red] {exc}", soft_wrap=True, highlight=False)
        raise typer.Exit(code=1) from exc
    console.print(f"user     {principal.user}", highlight=False)
    console.print(f"unit     {principal.unit or '(all units)'}", highlight=False)
    console.print(f"era      {principal.era or '(the era it was issued in)'}", highlight=False)
    console.print(f"role     {principal.role}", highlight=False)
    console.print(f"expires  {principal.expires:%Y-%m-%d %H:%M} UTC", highlight=False)


@tokens_app.command("secret")
def tokens_secret(
    path: Annotated[Path, typer.Argument(help="File to create, e.g. ./keys/jwt-secret.")],
) -> None:
    """Create a random token secret file (owner-only) unless it exists; give every service and
    the token issuer its path as HDND_JWT_SECRET_FILE. Keep it out of the repository."""
    from services.common.auth import ensure_secret_file

    existed = path.exists()
    ensure_secret_file(path)
    console.print(f"{path}: {'kept (exists)' if existed else 'created'}", highlight=False)
