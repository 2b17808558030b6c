"""``hdnd deadlines`` (the deadline rules: show, set, history) and ``hdnd mail`` (the local SMTP
sink's mailbox: list, show). Setting the rules writes the same version and the same
`deadline_rules.changed` event as an admin's PUT /deadline-rules, done by the server's
operator tool."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Column, Table

from deploy.cli.common import console, err_console, servers_call

deadlines_app = typer.Typer(
    help="Deadline rules (quy định thời hạn): reports' due dates, reminders, escalations.",
    no_args_is_help=True,
)
mail_app = typer.Typer(help="The local SMTP sink's mailbox (make run).", no_args_is_help=True)

OPERATOR_TOOL = {"id": "hdnd-deadlines", "name": "hdnd deadlines (máy chủ)", "kind": "system"}


async def _with_rules(work: Any) -> Any:
    from deploy.accounts import local_identity_settings
    from services.common.mongo import OPERATOR
    from services.common.runtime import Runtime
    from services.reporting.deadlines.store import RulesStore

    settings = local_identity_settings()
    runtime = Runtime(settings, "reporting", mongo_user=OPERATOR)
    try:
        return await work(
            RulesStore(runtime.db, runtime.outbox, settings.topics.reporting), settings
        )
    finally:
        await runtime.stop()


@deadlines_app.command("show")
def show() -> None:
    """The rules in force (JSON), with their version."""

    async def work(store: Any, _: Any) -> Any:
        return await store.current()

    version, rules = servers_call(_with_rules(work))
    console.print_json(json.dumps({"version": version, "rules": rules.model_dump(mode="json")}))


@deadlines_app.command("history")
def history() -> None:
    """Every version set, newest first: when, by whom, for which unit."""

    async def work(store: Any, _: Any) -> Any:
        return await store.history()

    table = Table("version", "changed on", "unit", "by", "reminders", "report due")
    for v in servers_call(_with_rules(work)):
        rules = v["rules"]
        table.add_row(
            str(v["version"]),
            v["changed_on"],
            v["unit"],
            (v.get("by") or {}).get("name", ""),
            ", ".join(map(str, rules["remind_days_before"])),
            rules["report_due"]["mode"],
        )
    console.print(table)


@deadlines_app.command("set")
def set_rules(
    file: Annotated[
        Path | None, typer.Option("--file", help="A whole rules document (JSON), as `show` prints.")
    ] = None,
    remind: Annotated[
        str | None, typer.Option("--remind", help="Days before a deadline, e.g. 7,1.")
    ] = None,
    due_mode: Annotated[
        str | None,
        typer.Option("--due-mode", help="month_after, after_cutoff or before_session."),
    ] = None,
    opinion_days: Annotated[int | None, typer.Option("--opinion-days", min=1)] = None,
    petition_days: Annotated[int | None, typer.Option("--petition-days", min=1)] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="The deployment's unit.")] = None,
) -> None:
    """Put a new version in force: the current rules with the options given, or `--file`."""
    from pydantic import ValidationError

    from contracts import Actor
    from contracts.notifications import DeadlineRules
    from contracts.timezone import today_in_vietnam

    async def work(store: Any, settings: Any) -> int:
        version, rules = await store.current()
        data = json.loads(file.read_text()) if file else rules.model_dump(mode="json")
        data = data.get("rules", data)
        if remind is not None:
            data["remind_days_before"] = [int(d) for d in remind.split(",") if d.strip()]
        if due_mode is not None:
            data["report_due"]["mode"] = due_mode
        if opinion_days is not None:
            data["opinion_answer"]["days"] = opinion_days
        if petition_days is not None:
            data["petition_settle"]["days"] = petition_days
        chosen = DeadlineRules.model_validate(data)
        owner = unit or (settings.units[0] if settings.units else None)
        if owner is None:
            raise ValueError("name the deployment's unit with --unit (or HDND_UNITS)")
        actor = Actor.model_validate(OPERATOR_TOOL)
        return int(await store.change(chosen, owner, today_in_vietnam(), actor, version))

    try:
        version = servers_call(_with_rules(work))
    except (ValidationError, ValueError) as exc:
        err_console.print(f"[red]refused:[/red] {exc}", soft_wrap=True, highlight=False)
        raise typer.Exit(code=1) from None
    console.print(f"version {version} is in force (deadline_rules.changed written)")


def _mailbox(directory: Path | None) -> Any:
    from services.common.settings import Settings
    from services.reporting.notifications.sink import Mailbox

    return Mailbox(directory or Settings().mail_sink_dir or Path(".local/mail"))


MailDir = Annotated[Path | None, typer.Option("--dir", help="The sink's directory (.local/mail).")]


@mail_app.command("list")
def mail_list(directory: MailDir = None, limit: int = 50) -> None:
    """Messages the sink received, newest first (a copy sent again is counted, kept once)."""
    table = Table("to", "subject", "date", "arrivals")
    table.columns.insert(0, Column("key", no_wrap=True))
    for m in _mailbox(directory).listed(limit):
        table.add_row(m["key"], m["to"], m["subject"], m["date"], str(m["arrivals"]))
    console.print(table)


@mail_app.command("show")
def mail_show(
    key: Annotated[str, typer.Argument(help="The key `list` prints.")],
    directory: MailDir = None,
    html: Annotated[
        bool, typer.Option("--html", help="The HTML part instead of the text.")
    ] = False,
) -> None:
    """One message: its headers and its plain text (or HTML)."""
    found = _mailbox(directory).read(key)
    if found is None:
        err_console.print(f"[red]no message {key}[/red]")
        raise typer.Exit(code=1)
    for name in ("from", "to", "subject", "date", "message_id"):
        console.print(f"{name}: {found[name]}", highlight=False)
    console.print("")
    console.print(found["html"] if html else found["text"], highlight=False, markup=False)
