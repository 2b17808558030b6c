"""``hdnd stack``: the local Kafka-protocol broker and MongoDB replica set (see deploy.local)."""

from __future__ import annotations

import typer
from rich.table import Table

from deploy.cli.common import (
    DirOption,
    KafkaPortOption,
    MongoPortOption,
    TimeoutOption,
    console,
    fail,
)
from deploy.local import (
    DEFAULT_BASE_DIR,
    DEFAULT_KAFKA_PORT,
    DEFAULT_MONGO_PORT,
    ENV_KAFKA,
    ENV_MONGO,
    LocalStack,
    StackError,
    external_endpoints,
)
from deploy.mongo_users import grant_databases
from deploy.servers import ENV_MONGO_SECRETS
from services.common.mongo import redacted
from services.common.settings import Settings

stack_app = typer.Typer(
    help="Local Kafka-protocol broker (noida-db) and MongoDB replica set.", no_args_is_help=True
)


@stack_app.command("up")
def stack_up(
    base_dir: DirOption = DEFAULT_BASE_DIR,
    kafka_port: KafkaPortOption = DEFAULT_KAFKA_PORT,
    mongo_port: MongoPortOption = DEFAULT_MONGO_PORT,
    timeout: TimeoutOption = 60.0,
) -> None:
    """Start (or reuse) the servers and print the endpoints the services should use."""
    stack = LocalStack(base_dir=base_dir, kafka_port=kafka_port, mongo_port=mongo_port)
    before = stack.status()
    try:
        endpoints = stack.up(timeout=timeout)
    except StackError as exc:
        raise fail(exc) from exc
    if endpoints.managed:
        for name, state in before.items():
            done = f"reused (pid {state.pid})" if state.running else "started"
            console.print(f"{name}: {done}")
    else:
        console.print(f"using external servers ({ENV_KAFKA} and {ENV_MONGO} are set)")
    grant_databases(endpoints, Settings().database_prefix)
    console.print(f"{ENV_KAFKA}={endpoints.kafka_bootstrap}", highlight=False)
    console.print(f"{ENV_MONGO}={redacted(endpoints.mongodb_uri)}", highlight=False)
    if endpoints.mongodb_secrets_dir is not None:
        console.print(f"{ENV_MONGO_SECRETS}={endpoints.mongodb_secrets_dir}", highlight=False)


@stack_app.command("down")
def stack_down(
    base_dir: DirOption = DEFAULT_BASE_DIR,
    timeout: TimeoutOption = 30.0,
) -> None:
    """Stop the servers gracefully (SIGTERM); their data is kept."""
    stack = LocalStack(base_dir=base_dir)
    try:
        stopped = {"kafka": stack.stop_kafka(timeout), "mongodb": stack.stop_mongo(timeout)}
    except StackError as exc:
        raise fail(exc) from exc
    for name, was_running in stopped.items():
        console.print(f"{name}: {'stopped' if was_running else 'was not running'}")


@stack_app.command("status")
def stack_status(
    base_dir: DirOption = DEFAULT_BASE_DIR,
    kafka_port: KafkaPortOption = DEFAULT_KAFKA_PORT,
    mongo_port: MongoPortOption = DEFAULT_MONGO_PORT,
) -> None:
    """Show whether each server runs (pid file) and whether its port answers."""
    stack = LocalStack(base_dir=base_dir, kafka_port=kafka_port, mongo_port=mongo_port)
    table = Table(title=f"local stack in {stack.base_dir}")
    for column in ("server", "state", "pid", "port", "port answers"):
        table.add_column(column)
    for state in stack.status().values():
        table.add_row(
            state.name,
            "[green]running[/green]" if state.running else "[dim]stopped[/dim]",
            str(state.pid) if state.pid is not None else "-",
            str(state.port),
            "yes" if state.port_open else "no",
        )
    console.print(table)
    if external_endpoints() is not None:
        console.print(f"note: {ENV_KAFKA} and {ENV_MONGO} are set; `up` would use those servers")
