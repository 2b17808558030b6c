"""What the ``hdnd`` sub-apps share: the consoles, the local stack's options, and the way a
refusal or an unreachable server is printed without a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from deploy.local import ENV_KAFKA, ENV_MONGO, StackError

console = Console()
err_console = Console(stderr=True)

DirOption = Annotated[
    Path, typer.Option("--dir", help="Where data, logs and pid files live.", file_okay=False)
]
KafkaPortOption = Annotated[int, typer.Option("--kafka-port", help="noida-db Kafka port.")]
MongoPortOption = Annotated[int, typer.Option("--mongo-port", help="mongod port.")]
TimeoutOption = Annotated[float, typer.Option("--timeout", help="Seconds to wait.")]


def fail(exc: StackError) -> typer.Exit:
    """Print a stack error without a traceback: the message already says what to do."""
    err_console.print(f"[red]error:[/red] {exc}", soft_wrap=True, highlight=False)
    return typer.Exit(code=1)


def print_unreachable(exc: Exception) -> None:
    """Say which servers could not be reached and which variables point at them."""
    err_console.print(
        f"[red]error:[/red] cannot reach Kafka or MongoDB ({type(exc).__name__}: {exc});"
        f" check {ENV_KAFKA} and {ENV_MONGO}",
        soft_wrap=True,
        highlight=False,
    )


def progress_bar() -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def servers_call(work: Any) -> Any:
    """Run against Kafka/MongoDB; print an unreachable server or a refusal without a traceback."""
    import asyncio

    from aiokafka.errors import KafkaError
    from pymongo.errors import PyMongoError

    from deploy.projections import RebuildError
    from deploy.registry import ChangeRefused
    from services.common.logging import configure_logging

    configure_logging("hdnd-cli", "warning")  # progress bars, not a log line per batch
    try:
        return asyncio.run(work)
    except (ChangeRefused, RebuildError) as exc:
        err_console.print(f"[red]refused:[/red] {exc}", soft_wrap=True, highlight=False)
    except (KafkaError, PyMongoError, OSError, TimeoutError) as exc:
        print_unreachable(exc)
    raise typer.Exit(code=1)
