"""The ``hdnd`` command line: developer and operator entry points.

Sub-apps group related commands; ``hdnd stack`` manages the local servers (see deploy.local).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

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

app = typer.Typer(
    help="hdnd: event-driven coordination for People's Councils.", no_args_is_help=True
)
stack_app = typer.Typer(
    help="Local Kafka-protocol broker (noida-db) and MongoDB replica set.", no_args_is_help=True
)
app.add_typer(stack_app, name="stack")

console = Console()
err_console = Console(stderr=True)

DirOption = Annotated[
    Path, typer.Option("--dir", help="Where data, logs and pid files live.", file_okay=False)
]
KafkaPortOption = Annotated[int, typer.Option("--kafka-port", help="noida-db Kafka port.")]
MongoPortOption = Annotated[int, typer.Option("--mongo-port", help="mongod port.")]
TimeoutOption = Annotated[float, typer.Option("--timeout", help="Seconds to wait.")]


def _fail(exc: StackError) -> typer.Exit:
    """Print a stack error without a traceback: the message already says what to do."""
    err_console.print(f"[red]error:[/red] {exc}", soft_wrap=True, highlight=False)
    return typer.Exit(code=1)


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
        raise _fail(exc) from exc
    if endpoints.managed:
        for name, state in before.items():
            done = f"reused (pid {state.pid})" if state.running else "started"
            console.print(f"{name}: {done}")
    else:
        console.print(f"using external servers ({ENV_KAFKA} and {ENV_MONGO} are set)")
    console.print(f"{ENV_KAFKA}={endpoints.kafka_bootstrap}", highlight=False)
    console.print(f"{ENV_MONGO}={endpoints.mongodb_uri}", highlight=False)


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
        raise _fail(exc) from exc
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

    from deploy.run import running_services
    from deploy.sample import load_sample
    from services.common.hierarchy import Hierarchy

    stack = LocalStack(base_dir=base_dir, kafka_port=kafka_port, mongo_port=mongo_port)
    try:
        endpoints = stack.up()
    except StackError as exc:
        raise _fail(exc) from exc
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C, or a supervisor's stop
        signal.signal(signum, lambda *_: stop.set())
    try:
        keys = ensure_local_keys(base_dir, province)
        extra_env = {"HDND_KEYS_DIR": str(keys)}
        with running_services(
            endpoints, [province], base_dir / "logs", extra_env=extra_env
        ) as services:
            urls = {name: s.url for name, s in services.items()}
            if sample:
                outcome = load_sample(urls, Hierarchy.load(), province)
                console.print(
                    f"Dữ liệu mẫu: {outcome['recorded']} bản ghi mới, "
                    f"{outcome['unchanged']} đã có, {outcome['refused']} bị từ chối"
                )
            console.print("\n[bold]hdnd is running[/bold] (Ctrl-C to stop)")
            for name, url in urls.items():
                console.print(f"  {name:<10} {url}/docs", highlight=False)
            r = urls["reporting"]
            console.print(f"  dashboard  {r}/?unit={province}&period=2025", highlight=False)
            console.print(
                f"  summary    {r}/units/{province}/summary?period=2025-H1", highlight=False
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
    from services.common.entry import DEFAULT_PORTS, main

    if service not in DEFAULT_PORTS:
        raise typer.BadParameter(f"unknown service {service!r}")
    argv = ["--port", str(port or DEFAULT_PORTS[service])]
    for code in unit or []:
        argv += ["--unit", code]
    main(service, argv)


contracts_app = typer.Typer(help="Event contracts (contracts/).", no_args_is_help=True)
app.add_typer(contracts_app, name="contracts")


@contracts_app.command("export")
def contracts_export(
    directory: Annotated[Path | None, typer.Option("--dir", help="Output folder.")] = None,
) -> None:
    """Write the JSON Schema of the envelope and of every event type."""
    from contracts.schema import SCHEMA_DIR, export

    for path in export(directory or SCHEMA_DIR):
        console.print(str(path), highlight=False)


keys_app = typer.Typer(
    help="Per-unit Ed25519 keys that sign event envelopes.", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")


def ensure_local_keys(base_dir: Path, province: str) -> Path:
    """The local stack's own keys (never in the repository): one pair for the province,
    which signs for every unit below it."""
    from contracts.signing import generate_keys

    directory = base_dir / "keys"
    generate_keys(directory, [province])
    return directory


@keys_app.command("generate")
def keys_generate(
    unit: Annotated[list[str], typer.Option("--unit", help="Unit code (repeatable).")],
    directory: Annotated[Path, typer.Option("--dir", help="Key directory.")] = Path(".local/keys"),
    overwrite: Annotated[bool, typer.Option(help="Replace existing keys.")] = False,
) -> None:
    """Create private/<unit>.pem and public/<unit>.pem; give the service the private half and
    every consumer the public half (HDND_KEYS_DIR)."""
    from contracts.signing import generate_keys

    created = generate_keys(directory, unit, overwrite=overwrite)
    for code in unit:
        state = "created" if code in created else "kept (exists)"
        console.print(f"{code}: {state} in {directory}", highlight=False)
