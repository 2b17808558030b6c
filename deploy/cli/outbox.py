"""``hdnd outbox``: what each service's outbox holds; rows the broker refused for good and
the relay parked (see deploy.outbox, services.common.parking)."""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import typer

from deploy.cli.common import console, print_unreachable

T = TypeVar("T")

outbox_app = typer.Typer(
    help="Outboxes: events waiting to be published, and those parked because the broker"
    " refused them for good.",
    no_args_is_help=True,
)

ServiceOption = Annotated[
    list[str] | None,
    typer.Option(
        "--service",
        help="Only this service (repeatable): meetings, oversight, reporting, hierarchy.",
    ),
]


def _call(work: Coroutine[Any, Any, T]) -> T:
    """Run one query; print an unreachable server without a traceback."""
    import asyncio

    from pymongo.errors import PyMongoError

    try:
        return asyncio.run(work)
    except (PyMongoError, OSError) as exc:
        print_unreachable(exc)
    raise typer.Exit(code=1)


def _services(chosen: list[str] | None) -> tuple[str, ...]:
    from deploy.outbox import SERVICES

    unknown = sorted(set(chosen or ()) - set(SERVICES))
    if unknown:
        raise typer.BadParameter(f"unknown service {', '.join(unknown)}; one of {SERVICES}")
    return tuple(chosen) if chosen else SERVICES


@outbox_app.command("parked")
def outbox_parked(
    service: ServiceOption = None,
    limit: Annotated[int, typer.Option("--limit", help="At most N a service.", min=1)] = 50,
) -> None:
    """Rows parked, oldest first: service, event, stream and sequence, size, when, reason, and
    the placeholder published in their place."""
    from deploy.outbox import parked_rows
    from services.common.settings import Settings

    rows = _call(parked_rows(Settings(), _services(service), limit))
    if not rows:
        console.print("no parked rows")
        return
    for row in rows:
        for line in (
            f"{row.service}  {row.event_id}  {row.event_type}  {row.stream} #{row.sequence}",
            f"  {row.size_bytes:,} bytes, parked {row.parked_at:%Y-%m-%d %H:%M:%S} UTC",
            f"  reason: {row.reason}",
            f"  in its place: event.parked {row.placeholder_id} on {row.topic}",
        ):
            console.print(line, soft_wrap=True, highlight=False, markup=False)


@outbox_app.command("status")
def outbox_status(service: ServiceOption = None) -> None:
    """Per service: rows waiting to be published (and how long the oldest has), rows parked."""
    from deploy.outbox import states
    from services.common.settings import Settings

    now = datetime.now(UTC)
    for state in _call(states(Settings(), _services(service))):
        waited = ""
        if state.oldest_pending is not None:
            waited = f" (oldest {(now - state.oldest_pending).total_seconds():.0f} s)"
        console.print(
            f"{state.service:<10} pending {state.pending}{waited}, parked {state.parked}",
            highlight=False,
        )
