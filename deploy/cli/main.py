"""The ``hdnd`` command line: developer and operator entry points.

Sub-apps group related commands; ``hdnd stack`` manages the local servers (see deploy.local).
"""

from __future__ import annotations

from typing import Annotated

import typer

from deploy.cli.backup import backup_app
from deploy.cli.common import (
    DirOption,
    KafkaPortOption,
    MongoPortOption,
    console,
    fail,
)
from deploy.cli.contracts import contracts_app
from deploy.cli.dlq import dlq_app
from deploy.cli.hierarchy import hierarchy_app, load_hierarchy
from deploy.cli.keys import ensure_local_keys, keys_app
from deploy.cli.mongodb import mongodb_app
from deploy.cli.outbox import outbox_app
from deploy.cli.projections import projections_app
from deploy.cli.stack import stack_app
from deploy.cli.tokens import tokens_app
from deploy.local import (
    DEFAULT_BASE_DIR,
    DEFAULT_KAFKA_PORT,
    DEFAULT_MONGO_PORT,
    LocalStack,
    StackError,
)

app = typer.Typer(
    help="hdnd: event-driven coordination for People's Councils.", no_args_is_help=True
)
for sub_app, name in [
    (stack_app, "stack"),
    (contracts_app, "contracts"),
    (keys_app, "keys"),
    (dlq_app, "dlq"),
    (outbox_app, "outbox"),
    (tokens_app, "tokens"),
    (hierarchy_app, "hierarchy"),
    (projections_app, "projections"),
    (mongodb_app, "mongodb"),
]:
    app.add_typer(sub_app, name=name)
app.registered_commands += backup_app.registered_commands  # hdnd backup, restore, erase


@app.command("run")
def run(
    base_dir: DirOption = DEFAULT_BASE_DIR,
    kafka_port: KafkaPortOption = DEFAULT_KAFKA_PORT,
    mongo_port: MongoPortOption = DEFAULT_MONGO_PORT,
    province: Annotated[str, typer.Option(help="Province the services serve.")] = "12",
    sample: Annotated[bool, typer.Option(help="Load the sample data.")] = True,
) -> None:
    """Start the servers and the three services, load the sample, serve until Ctrl-C."""
    import signal
    import threading

    from deploy.mongo_users import grant_databases
    from deploy.run import running_services, token_secret
    from deploy.sample import load_sample
    from services.common.auth import issue_token
    from services.common.hierarchy import Hierarchy
    from services.common.settings import Settings

    stack = LocalStack(base_dir=base_dir, kafka_port=kafka_port, mongo_port=mongo_port)
    try:
        endpoints = stack.up()
    except StackError as exc:
        raise fail(exc) from exc
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C, or a supervisor's stop
        signal.signal(signum, lambda *_: stop.set())
    try:
        keys = ensure_local_keys(base_dir, province)
        grant_databases(endpoints, Settings().database_prefix)
        load_hierarchy(
            Settings(
                kafka_bootstrap_servers=endpoints.kafka_bootstrap,
                mongodb_uri=endpoints.mongodb_uri,
                mongodb_secrets_dir=endpoints.mongodb_secrets_dir,
                keys_dir=keys.registry,  # the registry's own key, and nobody else's
                public_keys_dir=keys.public,
            )
        )
        secret, secret_env = token_secret(base_dir)
        extra_env = {
            "HDND_KEYS_DIR": str(keys.services),  # the served province's key only
            "HDND_PUBLIC_KEYS_DIR": str(keys.public),
            **secret_env,
        }
        secretary = issue_token(secret, unit=province, role="secretary", user="local-secretary")
        viewer = issue_token(secret, unit=province, role="viewer", user="local-dashboard")
        with running_services(
            endpoints, [province], base_dir / "logs", extra_env=extra_env
        ) as services:
            urls = {name: s.url for name, s in services.items()}
            if sample:
                outcome = load_sample(urls, Hierarchy.load(), province, token=secretary)
                console.print(
                    f"Dữ liệu mẫu: {outcome['recorded']} bản ghi mới, "
                    f"{outcome['unchanged']} đã có, {outcome['refused']} bị từ chối"
                    f" ({outcome['seconds']} giây)"
                )
            console.print("\n[bold]hdnd is running[/bold] (Ctrl-C to stop)")
            for name, url in urls.items():
                console.print(f"  {name:<10} {url}/docs", highlight=False)
            r = urls["reporting"]
            # The token rides in the fragment: the page keeps it, no server or log sees it.
            console.print(
                f"  workspace  {r}/workspace/#token={secretary}\n"
                "             (the secretaries' workspace: record and follow up, in Vietnamese)",
                highlight=False,
                soft_wrap=True,
            )
            console.print(
                f"  dashboard  {r}/?unit={province}&period=2025#token={viewer}",
                highlight=False,
                soft_wrap=True,
            )
            console.print(
                f"  token      {secretary}\n"
                f"             (secretary of {province}, 30 days; more: hdnd tokens issue --help)",
                highlight=False,
                soft_wrap=True,
            )
            console.print(
                f"  try        curl -s -H 'Authorization: Bearer {secretary}'"
                f" '{r}/units/{province}/summary?period=2025-H1'",
                highlight=False,
                soft_wrap=True,
            )
            console.print(f"  logs       {base_dir / 'logs'}", highlight=False)
            while not stop.wait(0.5):
                for s in services.values():
                    if s.process.poll() is not None:
                        console.print(f"[red]{s.name} exited[/red]; see its log")
                        stop.set()
            console.print("stopping services …")
    finally:
        if endpoints.managed:
            stack.down()
            console.print("servers stopped; data kept in " + str(base_dir))


@app.command("serve")
def serve(
    service: Annotated[str, typer.Argument(help="meetings | oversight | reporting")],
    port: Annotated[int | None, typer.Option(help="HTTP port")] = None,
    unit: Annotated[list[str] | None, typer.Option(help="Unit code served (repeatable)")] = None,
) -> None:
    """Run one service in the foreground against KAFKA_BOOTSTRAP_SERVERS / MONGODB_URI."""
    from services.common.entry import main
    from services.common.settings import SERVICE_PORTS

    if service not in SERVICE_PORTS:
        raise typer.BadParameter(f"unknown service {service!r}")
    argv = ["--port", str(port or SERVICE_PORTS[service])]
    for code in unit or []:
        argv += ["--unit", code]
    main(service, argv)
