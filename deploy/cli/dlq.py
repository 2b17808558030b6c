"""``hdnd dlq``: list, inspect and re-drive dead letters (see deploy.dlq)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from deploy.cli.common import (
    console,
    err_console,
    print_unreachable,
)

dlq_app = typer.Typer(
    help="Dead letters: events a consumer refused. List, inspect, re-drive after a fix.",
    no_args_is_help=True,
)

SinceOption = Annotated[
    str | None,
    typer.Option("--since", help="Dead-lettered since: 30m, 2h, 7d, 2025-06-01, or ISO time."),
]
ReasonOption = Annotated[
    str | None, typer.Option("--reason", help="Only letters whose reason contains this text.")
]


def _dlq_call(work: Any) -> Any:
    """Run one dead-letter operation; print a refusal or an unreachable server without a
    traceback."""
    import asyncio

    from aiokafka.errors import KafkaError
    from pymongo.errors import PyMongoError

    from deploy.dlq import DeadLetterError

    try:
        return asyncio.run(work)
    except DeadLetterError as exc:
        err_console.print(f"[red]error:[/red] {exc}", soft_wrap=True, highlight=False)
    except (KafkaError, PyMongoError, OSError) as exc:
        print_unreachable(exc)
    raise typer.Exit(code=1)


def _selection(ids: list[str] | None, reason: str | None, since: str | None) -> Any:
    from deploy.dlq import LetterId, Selection, parse_since

    return Selection(
        ids=frozenset(LetterId.parse(i) for i in ids or []),
        reason=reason,
        since=parse_since(since) if since else None,
    )


@dlq_app.command("list")
def dlq_list(
    since: SinceOption = None,
    reason: ReasonOption = None,
    limit: Annotated[int, typer.Option("--limit", help="Show the newest N.", min=1)] = 50,
) -> None:
    """Dead letters, newest last: id (partition:offset), time, origin, reason, event, state."""
    from deploy.dlq import DeadLetterError, list_letters
    from deploy.dlq_render import letters_table
    from services.common.settings import Settings

    settings = Settings()
    try:
        selection = _selection(None, reason, since)
    except DeadLetterError as exc:
        raise typer.BadParameter(str(exc)) from exc
    listing = _dlq_call(list_letters(settings, selection, limit))
    if listing.matching == 0:
        filtered = " matching" if reason or since else ""
        console.print(f"{settings.topics.dead_letter}: no dead letters{filtered}", highlight=False)
        return
    shown = len(listing.letters)
    title = f"{settings.topics.dead_letter}: {listing.matching} matching"
    if shown < listing.matching:
        title += f", newest {shown} shown"
    console.print(letters_table(listing, title))


@dlq_app.command("show")
def dlq_show(letter: Annotated[str, typer.Argument(help="Dead-letter id, e.g. 2:17.")]) -> None:
    """One dead letter: reason, origin, headers, and the original bytes."""
    from deploy.dlq import DeadLetterError, LetterId, get_letter
    from deploy.dlq_render import letter_view
    from services.common.settings import Settings

    try:
        letter_id = LetterId.parse(letter)
    except DeadLetterError as exc:
        raise typer.BadParameter(str(exc)) from exc
    found, marker = _dlq_call(get_letter(Settings(), letter_id))
    console.print(letter_view(found, marker))


@dlq_app.command("redrive")
def dlq_redrive(
    letters: Annotated[
        list[str] | None, typer.Argument(help="Dead-letter ids (partition:offset).")
    ] = None,
    reason: ReasonOption = None,
    since: SinceOption = None,
    everything: Annotated[bool, typer.Option("--all", help="Every dead letter.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what would go.")] = False,
) -> None:
    """Publish dead letters back to their original topic (original key and headers) after the
    cause is fixed. Each letter is re-driven once; a letter that fails again comes back as a
    new dead letter with its reason."""
    from deploy.dlq import DeadLetterError, redrive
    from services.common.settings import Settings

    try:
        selection = _selection(letters, reason, since)
    except DeadLetterError as exc:
        raise typer.BadParameter(str(exc)) from exc

    bar = _ProgressBar()
    try:
        outcome = _dlq_call(
            redrive(Settings(), selection, everything=everything, dry_run=dry_run, progress=bar)
        )
    finally:
        bar.close()
    if dry_run:
        console.print(f"would re-drive {len(outcome.would)}: {_ids(outcome.would)}")
    else:
        console.print(f"re-drove {len(outcome.redriven)} dead letter(s)")
        for letter_id, topic, partition, offset in outcome.redriven[:50]:
            console.print(f"  {letter_id} → {topic} partition {partition} offset {offset}")
        if len(outcome.redriven) > 50:
            console.print(f"  … and {len(outcome.redriven) - 50} more")
    if outcome.already:
        console.print(f"skipped {len(outcome.already)} re-driven before: {_ids(outcome.already)}")
    if outcome.no_origin:
        console.print(
            f"[yellow]skipped {len(outcome.no_origin)} without dlq-topic/partition/offset"
            f" headers:[/yellow] {_ids(outcome.no_origin)}"
        )
    if outcome.unmatched:
        console.print(
            f"left alone, reason or time not as asked: {_ids(outcome.unmatched)}",
            highlight=False,
        )
    if outcome.missing:
        err_console.print(f"[red]no such dead letter:[/red] {_ids(outcome.missing)}")
        raise typer.Exit(code=1)


def _ids(ids: list[Any], most: int = 20) -> str:
    shown = " ".join(str(i) for i in ids[:most])
    return shown + (f" … (+{len(ids) - most})" if len(ids) > most else "")


class _ProgressBar:
    """A bar once there are many letters to go through; a few go by without one."""

    def __init__(self, many: int = 200) -> None:
        self.many = many
        self.bar: Any = None
        self.task: Any = None

    def start(self, total: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        if total >= self.many:
            columns = (TextColumn("re-driving"), BarColumn(), MofNCompleteColumn())
            self.bar = Progress(*columns, console=console, transient=True)
            self.bar.start()
            self.task = self.bar.add_task("scan", total=total)

    def advance(self, scanned: int) -> None:
        if self.bar is not None:
            self.bar.advance(self.task, scanned)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
