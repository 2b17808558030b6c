"""``hdnd audit``: the hash chains of every stream, checked against the topics and the
service databases (see deploy.audit)."""

from __future__ import annotations

from typing import Annotated

import typer

from deploy.cli.common import console, err_console, progress_bar, servers_call

audit_app = typer.Typer(
    help="Hash chains: recompute every stream's chain and daily roots, name what differs.",
    no_args_is_help=True,
)


TopicOption = Annotated[
    list[str] | None,
    typer.Option("--topic", help="Only this topic (repeatable; default: every one of events)."),
]
SinceOption = Annotated[
    str | None,
    typer.Option(
        "--since",
        help="Only records and rows written since: 30m, 2h, 7d, 2025-06-01 (default: all).",
    ),
]


@audit_app.command("verify")
def audit_verify(topic: TopicOption = None, since: SinceOption = None) -> None:
    """Read the topics and each service's outbox, check every signature and chain, compare
    what is stored with what was published and with the daily roots; name the first record
    that differs in each stream. Exit status 1 when anything differs. Ctrl-C stops."""
    from deploy.audit import verify
    from deploy.dlq import DeadLetterError, parse_since
    from services.common.settings import Settings

    try:
        start = parse_since(since) if since else None
    except DeadLetterError as exc:
        raise typer.BadParameter(str(exc)) from None
    with progress_bar() as bar:
        task = bar.add_task("reading the topics", total=None)

        class Shown:
            def start(self, total: int) -> None:
                bar.update(task, total=total)

            def advance(self, scanned: int) -> None:
                bar.advance(task, scanned)

        try:
            result = servers_call(verify(Settings(), topic or (), start, Shown()))
        except KeyboardInterrupt:
            err_console.print("stopped: nothing was concluded")
            raise typer.Exit(code=130) from None
        except DeadLetterError as exc:
            err_console.print(f"[red]error:[/red] {exc}", soft_wrap=True, highlight=False)
            raise typer.Exit(code=1) from None
    console.print(
        f"{result.records} records of {result.streams} streams read, {result.roots} daily"
        f" roots, {result.rows} stored rows",
        highlight=False,
    )
    if not result.signatures:
        console.print("signatures not checked: no public keys (HDND_PUBLIC_KEYS_DIR)")
    if not result.findings:
        console.print("every chain holds")
        return
    for finding in result.findings:
        console.print(
            f"[red]differs[/red] {finding.where}  ({finding.stream})\n  {finding.reason}",
            soft_wrap=True,
            highlight=False,
        )
    console.print(f"{len(result.findings)} differ: the first record of each stream, in each place")
    raise typer.Exit(code=1)
