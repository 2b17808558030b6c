"""``hdnd projections``: reporting's projection versions."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from deploy.cli.common import (
    console,
    err_console,
    progress_bar,
    servers_call,
)

projections_app = typer.Typer(
    help="Reporting's projection versions: rebuild from history, switch, drop.",
    no_args_is_help=True,
)


@projections_app.command("rebuild")
def projections_rebuild(
    switch: Annotated[
        bool, typer.Option(help="Switch queries to the new version once it has caught up.")
    ] = True,
) -> None:
    """Replay every topic from offset 0 into a new version beside the live one, then switch."""
    from deploy.interrupts import stops_on_ctrl_c
    from deploy.projections import rebuild
    from services.common.settings import Settings

    kept = "the live version answers as before; the half-built one is dropped"
    with stops_on_ctrl_c(kept, err_console.print), progress_bar() as bar:
        task = bar.add_task("replaying", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = servers_call(rebuild(Settings(), advance, switch=switch))
    state = (
        f"now answers queries (was {result.previous})" if result.switched else "built, not active"
    )
    console.print(
        f"version {result.version} {state}: {result.records} records folded,"
        f" {result.refused} refused (already dead-lettered), {result.documents} documents,"
        f" {result.seconds:.1f} s",
        highlight=False,
    )


@projections_app.command("status")
def projections_status() -> None:
    """Versions present, which one answers queries, their sizes and offsets."""
    from deploy.projections import status
    from services.common.settings import Settings

    state = servers_call(status(Settings()))
    table = Table("version", "active", "documents", "hierarchy changes", "offsets read")
    for v in state["versions"]:
        table.add_row(
            str(v["version"]),
            "✓" if v["active"] else "",
            str(v["documents"]),
            str(v["changes"]),
            str(v["offsets"]),
        )
    console.print(table)


@projections_app.command("activate")
def projections_activate(version: Annotated[int, typer.Argument()]) -> None:
    """Switch queries (and running services) to another existing version, e.g. to roll back."""
    from deploy.projections import activate
    from services.common.settings import Settings

    servers_call(activate(Settings(), version))
    console.print(f"version {version} now answers queries")


@projections_app.command("drop")
def projections_drop(version: Annotated[int, typer.Argument()]) -> None:
    """Delete a version that does not answer queries."""
    from deploy.projections import drop
    from services.common.settings import Settings

    servers_call(drop(Settings(), version))
    console.print(f"version {version} dropped")
