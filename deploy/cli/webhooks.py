"""``hdnd webhooks``: other systems subscribed to a unit's events, on the server: reporting's
database directly, through webhooks' own service layer (the same rules as an admin's API
calls, without a unit scope). The running reporting instance sends what becomes due."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import typer
from rich.table import Table

from deploy.cli.common import console, err_console, servers_call

webhooks_app = typer.Typer(
    help="Webhooks: other systems receiving a unit's events, signed (HMAC-SHA256).",
    no_args_is_help=True,
)
WebhookArg = Annotated[str, typer.Argument(help="The webhook's id (wh-…).")]


def run(work: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run `work(webhooks)` on reporting's database; print a refusal without a traceback."""
    from services.common.errors import DomainError
    from services.common.mongo import connect
    from services.common.settings import Settings
    from services.reporting.webhooks.service import Webhooks
    from services.reporting.webhooks.store import WebhookStore

    async def session() -> Any:
        settings = Settings()
        client = connect(settings, "hdnd-webhooks")
        webhooks = Webhooks.build(
            None, settings, WebhookStore(client[settings.database_for("reporting")])
        )
        try:
            await webhooks.store.create_indexes()
            return await work(webhooks)
        except DomainError as exc:
            err_console.print(f"[red]refused:[/red] {exc.message}", soft_wrap=True, highlight=False)
        finally:
            await webhooks.stop()
            await client.close()
        raise typer.Exit(code=1)

    return servers_call(session())


def _show(found: dict[str, Any]) -> None:
    state = "active" if found["active"] else "disabled"
    line = f"{found['id']}  {found['unit']} ({found['era']})  {state}  {found['url']}"
    console.print(line, highlight=False)
    console.print(f"  events: {', '.join(found['events'])}", highlight=False)


@webhooks_app.command("add")
def add(
    unit: Annotated[str, typer.Option("--unit", help="Its unit: its events and those below.")],
    url: Annotated[str, typer.Option("--url", help="Where deliveries are POSTed.")],
    events: Annotated[str, typer.Option("--events", help="Comma-separated event types.")],
    description: Annotated[str | None, typer.Option("--description")] = None,
    era: Annotated[str | None, typer.Option("--era", help="legacy or 2025.")] = None,
) -> None:
    """Subscribe a receiver; prints its secret (shown once: the receiver verifies with it)."""
    kinds = [kind.strip() for kind in events.split(",") if kind.strip()]

    async def work(webhooks: Any) -> tuple[dict[str, Any], str]:
        made: tuple[dict[str, Any], str] = await webhooks.create(
            None, None, unit, url, kinds, description, era
        )
        return made

    found, secret = run(work)
    _show(found)
    console.print(f"secret: {secret}  (shown once)", highlight=False)


@webhooks_app.command("list")
def list_webhooks(
    unit: Annotated[str | None, typer.Option("--unit", help="Of this unit and below.")] = None,
) -> None:
    """Every webhook (of `--unit` and below), with its deliveries by state."""

    async def work(webhooks: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await webhooks.listed(None, unit)
        return found

    for found in run(work):
        _show(found)
        tally = ", ".join(f"{state} {n}" for state, n in found["deliveries"].items())
        console.print(f"  deliveries: {tally}", highlight=False)


@webhooks_app.command("test")
def test(webhook: WebhookArg) -> None:
    """Send a signed ping (`webhook.test`) now and print what the receiver answered."""

    async def work(webhooks: Any) -> dict[str, Any]:
        done: dict[str, Any] = await webhooks.test(None, None, webhook)
        return done

    done = run(work)
    if done["delivered"]:
        console.print(f"delivered: HTTP {done['status']}", highlight=False)
        return
    err_console.print(f"[red]not delivered:[/red] {done['error']}", highlight=False)
    raise typer.Exit(code=1)


@webhooks_app.command("deliveries")
def deliveries(
    webhook: WebhookArg,
    state: Annotated[
        str | None, typer.Option("--state", help="pending, delivered, failed.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit")] = 50,
) -> None:
    """Its deliveries, newest first: tries, the last answer or error."""
    if state not in (None, "pending", "delivered", "failed"):
        err_console.print(f"[red]error:[/red] no state {state!r}", highlight=False)
        raise typer.Exit(code=1)

    async def work(webhooks: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await webhooks.deliveries(None, None, webhook, state, limit)
        return found

    table = Table("delivery", "event", "unit", "state", "tries", "last try")
    for column in table.columns:
        column.overflow = "fold"
    for d in run(work):
        last = d["attempts"][-1] if d["attempts"] else {}
        said = last.get("error") or (f"HTTP {last['status']}" if last.get("status") else "")
        table.add_row(d["id"], d["event_type"], d["event_unit"], d["state"], str(d["tries"]), said)
    console.print(table)


@webhooks_app.command("redrive")
def redrive(
    webhook: WebhookArg,
    delivery: Annotated[str | None, typer.Option("--delivery", help="Only this one.")] = None,
) -> None:
    """Send its failed (dead-lettered) deliveries again: the running reporting sends them."""

    async def work(webhooks: Any) -> int:
        requeued: int = await webhooks.redrive(None, None, webhook, delivery)
        return requeued

    console.print(f"requeued {run(work)} deliveries", highlight=False)
