"""``hdnd tokens``: API tokens for programs (named service accounts), and what a token says."""

from __future__ import annotations

from typing import Annotated

import typer

from deploy.cli.common import console, err_console

tokens_app = typer.Typer(
    help="API tokens for programs (service accounts, 90 days at most), and what one grants.",
    no_args_is_help=True,
)


@tokens_app.command("issue")
def tokens_issue(
    unit: Annotated[str, typer.Option("--unit", help="Unit code: 2, 3 or 5 digits.")],
    role: Annotated[
        str, typer.Option("--role", help="secretary (record + read), viewer (read), operator.")
    ] = "viewer",
    days: Annotated[float, typer.Option("--days", help="Valid this many days (≤ 90).")] = 30,
    user: Annotated[
        str | None, typer.Option("--user", help="The program's name (its service account).")
    ] = None,
    era: Annotated[
        str | None,
        typer.Option(
            "--era",
            help="legacy or 2025: which council the code names (codes were reused in 2025);"
            " default the era in which it names a unit today.",
        ),
    ] = None,
) -> None:
    """A named service account and its API token (`hdnd accounts service-create`): the token
    alone on stdout, e.g. TOKEN=$(hdnd tokens issue --unit 12 --role viewer --days 7);
    `hdnd accounts service-revoke ID` revokes it."""
    from deploy.cli.accounts import issue_service_token

    issue_service_token(user or f"{role}-{unit}", unit, role, days, era)


@tokens_app.command("inspect")
def tokens_inspect(
    token: Annotated[str, typer.Argument(help="The token (without 'Bearer ').")],
) -> None:
    """Verify a token with the issuer's public keys and show what it grants (revocations are
    not consulted)."""
    import json

    from deploy.accounts import local_identity_settings
    from services.common.tokens import PublicKeys, TokenError, decode_token
    from services.reporting.identity.keys import IssuerKeys

    settings = local_identity_settings()
    if settings.issuer_keys_dir is not None:
        keys = IssuerKeys(settings.issuer_keys_dir).public_keys()
    elif settings.token_jwks_file is not None:
        keys = PublicKeys.from_jwks(json.loads(settings.token_jwks_file.read_text()))
    else:
        err_console.print("[red]error:[/red] set HDND_ISSUER_KEYS_DIR or HDND_TOKEN_JWKS_FILE")
        raise typer.Exit(code=1)
    try:
        principal = decode_token(
            token.removeprefix("Bearer ").strip(),
            keys,
            issuer=settings.token_issuer_name,
            audience=settings.token_audience,
        )
    except TokenError as exc:
        err_console.print(f"[red]invalid:[/red] {exc}", soft_wrap=True, highlight=False)
        raise typer.Exit(code=1) from exc
    console.print(f"account  {principal.user} ({principal.name or '-'})", highlight=False)
    console.print(f"kind     {principal.kind}", highlight=False)
    console.print(f"unit     {principal.unit or '(all units)'}", highlight=False)
    console.print(f"era      {principal.era or '(the era it was issued in)'}", highlight=False)
    console.print(f"role     {principal.role}", highlight=False)
    console.print(f"expires  {principal.expires:%Y-%m-%d %H:%M} UTC", highlight=False)
