"""``hdnd contracts``: export the event contracts' schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from deploy.cli.common import (
    console,
    err_console,
)

contracts_app = typer.Typer(help="Event contracts (contracts/).", no_args_is_help=True)


@contracts_app.command("export")
def contracts_export(
    directory: Annotated[Path | None, typer.Option("--dir", help="Output folder.")] = None,
    asyncapi: Annotated[
        Path | None, typer.Option("--asyncapi", help="AsyncAPI document to write.")
    ] = None,
) -> None:
    """Write the JSON Schema of the envelope and of every event type, and the AsyncAPI
    document FastStream generates (contracts/asyncapi.json)."""
    from contracts.asyncapi import ASYNCAPI_PATH, AsyncAPIError
    from contracts.asyncapi import export as export_asyncapi
    from contracts.schema import SCHEMA_DIR, export

    for path in export(directory or SCHEMA_DIR):
        console.print(str(path), highlight=False)
    try:
        console.print(str(export_asyncapi(asyncapi or ASYNCAPI_PATH)), highlight=False)
    except AsyncAPIError as exc:
        err_console.print(f"[red]AsyncAPI:[/red] {exc}", soft_wrap=True, highlight=False)
        raise typer.Exit(code=1) from exc
