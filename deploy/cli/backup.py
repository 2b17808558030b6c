"""``hdnd backup``, ``hdnd restore`` and ``hdnd erase``: an instance's databases kept and brought
back (deploy.backup), and a person's data erased on request (deploy.erasure)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from deploy.cli.common import console, err_console, progress_bar, servers_call

backup_app = typer.Typer()  # its commands are the root app's: hdnd backup, restore, erase


def _refusable(work: Any) -> Any:
    """`servers_call`, printing a refused backup, restore or erasure without a traceback."""
    from deploy.backup import BackupError, RestoreRefused
    from deploy.erasure import ErasureRefused

    try:
        return servers_call(work)
    except (BackupError, RestoreRefused, ErasureRefused) as exc:
        err_console.print(f"[red]refused:[/red] {exc}", soft_wrap=True, highlight=False)
        raise typer.Exit(code=1) from None


def _in_progress(what: str, work: Callable[[Callable[[int, int], None]], Any], stopped: str) -> Any:
    """Run `work` (given how to report documents done of all) under a progress bar; a Ctrl-C
    stops it at any moment and says `stopped`."""
    from deploy.interrupts import stops_on_ctrl_c

    with stops_on_ctrl_c(stopped, err_console.print), progress_bar() as bar:
        task = bar.add_task(what, total=None)
        return _refusable(work(lambda done, total: bar.update(task, completed=done, total=total)))


@backup_app.command("backup")
def backup(
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the archive is written.", file_okay=False)
    ] = Path("backups"),
    history_window: Annotated[
        int | None,
        typer.Option(
            help="Seconds of history mongod keeps for the run (minSnapshotHistoryWindowInSeconds,"
            " 300 by default): raise it when a backup takes longer than that."
        ),
    ] = None,
) -> None:
    """Write a consistent, dated, compressed archive of this instance's databases (and the
    public keys) with a SHA-256 checksum beside it."""
    from deploy.backup import backup as write_backup
    from services.common.settings import Settings

    archive = _in_progress(
        "backing up",
        lambda tick: write_backup(Settings(), directory, tick, history_window),
        "no archive written (the part begun is removed)",
    )
    databases = archive.manifest["databases"]
    documents = sum(c["documents"] for d in databases.values() for c in d["collections"].values())
    console.print(
        f"{archive.path} ({archive.path.stat().st_size:,} bytes): {len(databases)} databases,"
        f" {documents:,} documents\n{archive.checksum} sha256 {archive.digest}",
        highlight=False,
        soft_wrap=True,
    )


@backup_app.command("restore")
def restore(
    archive: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A backup archive")],
    wipe: Annotated[
        bool, typer.Option(help="Drop this instance's databases first, even if they hold data.")
    ] = False,
    replay_own: Annotated[
        bool,
        typer.Option(
            help="Write again the documents of what this instance recorded after the backup,"
            " from its own events on the topics."
        ),
    ] = True,
    instance: Annotated[
        list[str] | None,
        typer.Option(
            help="An instance name a service of this deployment publishes under, besides those"
            " its restored counters name and HDND_INSTANCE (repeatable).",
        ),
    ] = None,
) -> None:
    """Bring a wiped instance back from ARCHIVE, then catch up with the topics (stop the
    instance's services first; start them afterwards)."""
    from deploy.backup import restore as restore_archive
    from services.common.settings import Settings

    done = _in_progress(
        "restoring",
        lambda tick: restore_archive(
            Settings(),
            archive,
            wipe=wipe,
            replay_own=replay_own,
            instances=instance or [],
            progress=tick,
        ),
        "the databases are restored in part: restore again with --wipe",
    )
    console.print(
        f"restored {', '.join(done.databases)}: {done.documents:,} documents;"
        f" {done.counters} stream counters moved past the topics, {done.replayed} own events"
        f" after the backup replayed, {done.numbers} report numbers recovered,"
        f" {done.skipped} records claiming this instance not trusted (ignored)",
        highlight=False,
        soft_wrap=True,
    )
    for reason in done.failed:
        err_console.print(f"[yellow]not replayed:[/yellow] {reason}", soft_wrap=True)
    if done.failed:
        raise typer.Exit(code=2)


@backup_app.command("erase")
def erase(
    unit: Annotated[str, typer.Option(help="The unit whose documents (and below) are searched.")],
    petition: Annotated[str | None, typer.Option(help="A petition's id (đơn thư).")] = None,
    opinion: Annotated[str | None, typer.Option(help="A voter opinion's id (ý kiến).")] = None,
    text: Annotated[
        list[str] | None,
        typer.Option(help="A name or address; every free-text field holding it (repeatable)."),
    ] = None,
    request_ref: Annotated[
        str | None, typer.Option(help="The request's number in the office's register.")
    ] = None,
    by: Annotated[str | None, typer.Option(help="Who carries out the erasure (audit).")] = None,
) -> None:
    """Erase a person's personal data from this instance's documents on a lawful request,
    and record that it was done (counts, never names)."""
    from deploy.erasure import Request
    from deploy.erasure import erase as erase_data
    from services.common.settings import Settings

    request = Request(unit, petition, opinion, text or [], request_ref, by)
    done = _refusable(erase_data(Settings(), request))
    if not done.fields:
        console.print("nothing found: nothing erased")
        return
    console.print(
        f"erasure {done.erasure_id}: {done.fields} fields in {done.documents} documents,"
        f" {done.outbox_rows} published outbox rows deleted, {done.events} event(s) recorded",
        highlight=False,
    )
