"""The ``hdnd`` command line: developer and operator entry points.

Sub-apps group related commands; ``hdnd stack`` manages the local servers (see deploy.local).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

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

    from deploy.run import running_services, token_secret
    from deploy.sample import load_sample
    from services.common.auth import issue_token
    from services.common.hierarchy import Hierarchy
    from services.common.settings import Settings

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
        load_hierarchy(
            Settings(
                kafka_bootstrap_servers=endpoints.kafka_bootstrap,
                mongodb_uri=endpoints.mongodb_uri,
                keys_dir=keys,
            )
        )
        secret, secret_env = token_secret(base_dir)
        extra_env = {"HDND_KEYS_DIR": str(keys), **secret_env}
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
    asyncapi: Annotated[
        Path | None, typer.Option("--asyncapi", help="AsyncAPI document to write.")
    ] = None,
) -> None:
    """Write the JSON Schema of the envelope and of every event type, and the AsyncAPI
    document FastStream generates (contracts/asyncapi.json)."""
    from contracts.asyncapi import ASYNCAPI_PATH, AsyncAPIError
    from contracts.asyncapi import export as export_asyncapi
    from contracts.schema import SCHEMA_DIR, export

    for path in export(directory or SCHEMA_DIR):
        console.print(str(path), highlight=False)
    try:
        console.print(str(export_asyncapi(asyncapi or ASYNCAPI_PATH)), highlight=False)
    except AsyncAPIError as exc:
        err_console.print(f"[red]AsyncAPI:[/red] {exc}", soft_wrap=True, highlight=False)
        raise typer.Exit(code=1) from exc


keys_app = typer.Typer(
    help="Per-unit Ed25519 keys that sign event envelopes.", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")


def ensure_local_keys(base_dir: Path, province: str) -> Path:
    """The local stack's own keys (never in the repository): one pair per province of both
    eras (a province's key signs for every unit below it; the hierarchy registry signs each
    unit's registration with its province's key)."""
    from contracts.signing import generate_keys
    from services.common.hierarchy import Hierarchy

    h = Hierarchy.load()
    directory = base_dir / "keys"
    codes = {p.code for era in ("legacy", "2025") for p in h.provinces(era)}
    generate_keys(directory, sorted(codes | {province}))
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


dlq_app = typer.Typer(
    help="Dead letters: events a consumer refused. List, inspect, re-drive after a fix.",
    no_args_is_help=True,
)
app.add_typer(dlq_app, name="dlq")

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
        err_console.print(
            f"[red]error:[/red] cannot reach Kafka or MongoDB ({type(exc).__name__}: {exc});"
            f" check {ENV_KAFKA} and {ENV_MONGO}",
            soft_wrap=True,
            highlight=False,
        )
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
    from deploy.dlq import DeadLetterError, letters_table, list_letters
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
    from deploy.dlq import DeadLetterError, LetterId, get_letter, letter_view
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


tokens_app = typer.Typer(
    help="Bearer tokens (JWT) naming a user's unit and role, for the HTTP APIs.",
    no_args_is_help=True,
)
app.add_typer(tokens_app, name="tokens")

TokenDirOption = Annotated[
    Path,
    typer.Option(
        "--dir",
        help="Local stack dir holding jwt-secret (used when HDND_JWT_SECRET(_FILE) is unset).",
        file_okay=False,
    ),
]


@tokens_app.command("issue")
def tokens_issue(
    unit: Annotated[str | None, typer.Option("--unit", help="Unit code: 2, 3 or 5 digits.")] = None,
    role: Annotated[
        str, typer.Option("--role", help="secretary (record + read), viewer (read), operator.")
    ] = "secretary",
    days: Annotated[float, typer.Option("--days", help="Valid for this many days.", min=0)] = 30,
    user: Annotated[str | None, typer.Option("--user", help="Who holds it (the 'sub').")] = None,
    era: Annotated[
        str | None,
        typer.Option(
            "--era",
            help="legacy or 2025: which council the code names (codes were reused in 2025);"
            " default the era in which it names a unit today.",
        ),
    ] = None,
    base_dir: TokenDirOption = DEFAULT_BASE_DIR,
) -> None:
    """Print a token signed with HDND_JWT_SECRET / HDND_JWT_SECRET_FILE, or the local stack's
    own secret (.local/jwt-secret, made on first use), e.g. TOKEN=$(hdnd tokens issue --unit 12)."""
    from datetime import timedelta

    from deploy.run import token_secret
    from services.common.auth import ERAS, ROLES, MissingSecret, issue_token

    if role not in ROLES:
        raise typer.BadParameter(f"must be one of {', '.join(ROLES)}", param_hint="--role")
    if era is not None and era not in ERAS:
        raise typer.BadParameter(f"must be one of {', '.join(ERAS)}", param_hint="--era")
    if unit is not None:
        from services.common.hierarchy import Hierarchy

        hierarchy = Hierarchy.load()
        era = era or hierarchy.latest_era(unit)
        if era is None or hierarchy.find(unit, era) is None:
            when = f"in the {era} era" if era else "before or after the 2025 reform"
            raise typer.BadParameter(f"no unit {unit} {when}", param_hint="--unit")
    try:
        secret, _ = token_secret(base_dir)
        token = issue_token(
            secret,
            unit=unit,
            role=role,  # checked against ROLES above
            user=user or f"{role}-{unit or 'all'}",
            ttl=timedelta(days=days),
            era=era,  # checked against ERAS above
        )
    except MissingSecret as exc:
        err_console.print(f"[red]error:[/red] {exc}", soft_wrap=True, highlight=False)
        raise typer.Exit(code=1) from exc
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--unit/--role") from exc
    print(token)  # stdout carries the token alone, for $(…)
    scope = f"unit {unit} ({era} era) and the units below it" if unit else "every unit"
    err_console.print(f"{role} of {scope}, valid {days:g} days", highlight=False)


@tokens_app.command("inspect")
def tokens_inspect(
    token: Annotated[str, typer.Argument(help="The token (without 'Bearer ').")],
    base_dir: TokenDirOption = DEFAULT_BASE_DIR,
) -> None:
    """Verify a token with the same secret and show what it grants."""
    from deploy.run import token_secret
    from services.common.auth import MissingSecret, TokenError, decode_token

    try:
        principal = decode_token(token_secret(base_dir)[0], token.removeprefix("Bearer ").strip())
    except (MissingSecret, TokenError) as exc:
        err_console.print(f"[red]invalid:[/red] {exc}", soft_wrap=True, highlight=False)
        raise typer.Exit(code=1) from exc
    console.print(f"user     {principal.user}", highlight=False)
    console.print(f"unit     {principal.unit or '(all units)'}", highlight=False)
    console.print(f"era      {principal.era or '(the era it was issued in)'}", highlight=False)
    console.print(f"role     {principal.role}", highlight=False)
    console.print(f"expires  {principal.expires:%Y-%m-%d %H:%M} UTC", highlight=False)


@tokens_app.command("secret")
def tokens_secret(
    path: Annotated[Path, typer.Argument(help="File to create, e.g. ./keys/jwt-secret.")],
) -> None:
    """Create a random token secret file (owner-only) unless it exists; give every service and
    the token issuer its path as HDND_JWT_SECRET_FILE. Keep it out of the repository."""
    from services.common.auth import ensure_secret_file

    existed = path.exists()
    ensure_secret_file(path)
    console.print(f"{path}: {'kept (exists)' if existed else 'created'}", highlight=False)


# -- hierarchy registry ----------------------------------------------------------------------------

hierarchy_app = typer.Typer(
    help="The country's units in MongoDB and on the hierarchy topic, and their changes.",
    no_args_is_help=True,
)
app.add_typer(hierarchy_app, name="hierarchy")

EffectiveOption = Annotated[
    str, typer.Option("--effective", help="First day in force, YYYY-MM-DD.")
]
DecisionOption = Annotated[
    str, typer.Option("--decision", help="Legal basis, e.g. 'Nghị quyết số 1656/NQ-UBTVQH15'.")
]


def _bar() -> Any:
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


def _servers_call(work: Any) -> Any:
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
        err_console.print(
            f"[red]error:[/red] cannot reach Kafka or MongoDB ({type(exc).__name__}: {exc});"
            f" check {ENV_KAFKA} and {ENV_MONGO}",
            soft_wrap=True,
            highlight=False,
        )
    raise typer.Exit(code=1)


@hierarchy_app.command("load")
def hierarchy_load() -> None:
    """Load every unit of both eras into MongoDB once and publish them as unit.registered
    (only the subtrees of HDND_UNITS when it is set: a province deployment holds only its
    own key)."""
    from services.common.settings import Settings

    load_hierarchy(Settings())


def load_hierarchy(settings: Any) -> None:
    """The registry load with progress bars, then one line with time and peak memory."""
    import resource
    import time

    from deploy.registry import Registry, units_of
    from services.common.hierarchy import Hierarchy
    from services.common.runtime import Runtime

    started = time.monotonic()
    hierarchy = Hierarchy.load()

    async def work() -> Any:
        runtime = Runtime(settings, "hierarchy")
        registry = Registry(runtime)
        try:
            await registry.create_indexes()
            await runtime.outbox.create_indexes()
            scope = list(settings.units)
            total = sum(1 for _ in units_of(hierarchy, scope))
            with _bar() as bar:
                task = bar.add_task("units → MongoDB", total=total)
                loaded = await registry.load(hierarchy, lambda n: bar.advance(task, n), scope=scope)
                pending = await runtime.outbox.pending_count()
                sent = bar.add_task("events → Kafka", total=pending)
                await registry.drain(lambda n: bar.advance(sent, n))
            return loaded
        finally:
            await runtime.stop()

    loaded = _servers_call(work())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    console.print(
        f"hierarchy: {loaded.units} units ({loaded.new} new, {loaded.units - loaded.new}"
        f" already loaded), {loaded.published} unit.registered events published"
        f" in {time.monotonic() - started:.1f} s, peak memory {rss:.0f} MiB",
        highlight=False,
    )


def _record_change(body: Any, effective: str, decision: str) -> None:
    """Record one change; `body` may be a function of the registry's hierarchy and the day
    (a change that names units the operator did not list, e.g. "every other child")."""
    from datetime import date

    from deploy.registry import Registry
    from services.common.runtime import Runtime
    from services.common.settings import Settings

    day = date.fromisoformat(effective)

    async def work() -> Any:
        runtime = Runtime(Settings(), "hierarchy")
        registry = Registry(runtime)
        try:
            await runtime.outbox.create_indexes()
            change_body = body(await registry.hierarchy(), day) if callable(body) else body
            change = await registry.change(change_body, day, decision)
            await registry.drain(lambda _: None, wait=60)
            return change
        finally:
            await runtime.stop()

    change = _servers_call(work())
    console.print(
        f"change {change.change_no} ({change.change.kind}) in force from {change.effective}:"
        " recorded and published",
        highlight=False,
    )


UnitArg = Annotated[str, typer.Argument(help="Unit code.")]


@hierarchy_app.command("rename")
def hierarchy_rename(
    unit: UnitArg,
    name: Annotated[str, typer.Option("--name", help="New full name, e.g. 'Xã Tân Phong'.")],
    effective: EffectiveOption,
    decision: DecisionOption = "",
) -> None:
    """Đổi tên: the unit keeps its code, parent and figures."""
    from contracts.hierarchy import Rename

    _record_change(Rename(unit=unit, name=name), effective, decision)


@hierarchy_app.command("reparent")
def hierarchy_reparent(
    unit: UnitArg,
    parent: Annotated[str, typer.Option("--parent", help="New parent unit code.")],
    effective: EffectiveOption,
    decision: DecisionOption = "",
) -> None:
    """Move a unit (and everything below it) under another parent."""
    from contracts.hierarchy import Reparent

    _record_change(Reparent(unit=unit, parent=parent), effective, decision)


@hierarchy_app.command("merge")
def hierarchy_merge(
    units: Annotated[list[str], typer.Argument(help="Units that end.")],
    into: Annotated[str, typer.Option("--into", help="Existing or new unit they go into.")],
    effective: EffectiveOption,
    name: Annotated[
        str | None, typer.Option("--name", help="Name of `into` if the merger establishes it.")
    ] = None,
    decision: DecisionOption = "",
) -> None:
    """Sáp nhập: units end and go into another (new when --name is given)."""
    from contracts.hierarchy import Merge, NewUnit

    established = NewUnit(code=into, name=name) if name else None
    _record_change(Merge(units=units, into=into, established=established), effective, decision)


@hierarchy_app.command("divide")
def hierarchy_divide(
    unit: UnitArg,
    into: Annotated[
        list[str],
        typer.Option("--into", help="CODE or CODE=Name for a new unit; the first is the default."),
    ],
    effective: EffectiveOption,
    children_to: Annotated[
        list[str] | None,
        typer.Option(
            "--children-to",
            help="CHILD=CODE: where a unit below goes; a bare CODE takes every child not named.",
        ),
    ] = None,
    decision: DecisionOption = "",
) -> None:
    """Chia tách: a unit ends and is divided among others (its default successor first);
    the units below it (a district's communes) each go to one of them (--children-to)."""
    from datetime import date

    from contracts.hierarchy import Divide, NewUnit
    from services.common.hierarchy import Hierarchy

    codes = [part.split("=", 1)[0] for part in into]
    new = [NewUnit(code=c, name=n) for c, _, n in (p.partition("=") for p in into) if n]
    named = dict(p.split("=", 1) for p in children_to or [] if "=" in p)
    rest = [p for p in children_to or [] if "=" not in p]
    if len(rest) > 1:
        err_console.print(f"--children-to names more than one target for the rest: {rest}")
        raise typer.Exit(code=2)

    def divide(hierarchy: Hierarchy, day: date) -> Divide:
        below = [c.code for c in hierarchy.children(unit, day)] if hierarchy.find(unit, day) else []
        placed = {c: named.get(c, rest[0] if rest else "") for c in below} | named
        placed = {c: to for c, to in placed.items() if to}
        return Divide(unit=unit, into=codes, established=new, children_to=placed)

    _record_change(divide, effective, decision)


@hierarchy_app.command("dissolve")
def hierarchy_dissolve(
    unit: UnitArg, effective: EffectiveOption, decision: DecisionOption = ""
) -> None:
    """Giải thể: the unit ends; its later records count in its parent."""
    from contracts.hierarchy import Dissolve

    _record_change(Dissolve(unit=unit), effective, decision)


@hierarchy_app.command("show")
def hierarchy_show(
    unit: UnitArg,
    era: Annotated[str, typer.Option("--era", help="legacy or 2025.")] = "2025",
) -> None:
    """Every version of a unit as the registry holds it (with recorded changes)."""
    from deploy.registry import Registry
    from services.common.runtime import Runtime
    from services.common.settings import Settings

    async def work() -> Any:
        runtime = Runtime(Settings(), "hierarchy")
        try:
            return (await Registry(runtime).hierarchy()).history(unit, era)  # type: ignore[arg-type]
        finally:
            await runtime.mongo.close()

    versions = _servers_call(work())
    if not versions:
        err_console.print(f"no {era} unit {unit}")
        raise typer.Exit(code=1)
    table = Table("from", "to", "name", "level", "parent", "then counts in")
    for v in versions:
        table.add_row(
            str(v["valid_from"] or "…"),
            str(v["valid_to"] or "…"),
            v["name"],
            v["level"],
            v["parent"] or "",
            v["successor"] or "",
        )
    console.print(table)


# -- projection versions ---------------------------------------------------------------------------

projections_app = typer.Typer(
    help="Reporting's projection versions: rebuild from history, switch, drop.",
    no_args_is_help=True,
)
app.add_typer(projections_app, name="projections")


@projections_app.command("rebuild")
def projections_rebuild(
    switch: Annotated[
        bool, typer.Option(help="Switch queries to the new version once it has caught up.")
    ] = True,
) -> None:
    """Replay every topic from offset 0 into a new version beside the live one, then switch."""
    from deploy.projections import rebuild
    from services.common.settings import Settings

    with _bar() as bar:
        task = bar.add_task("replaying", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = _servers_call(rebuild(Settings(), advance, switch=switch))
    state = (
        f"now answers queries (was {result.previous})" if result.switched else "built, not active"
    )
    console.print(
        f"version {result.version} {state}: {result.records} records folded,"
        f" {result.refused} refused (already dead-lettered), {result.documents} documents,"
        f" {result.seconds:.1f} s",
        highlight=False,
    )


@projections_app.command("status")
def projections_status() -> None:
    """Versions present, which one answers queries, their sizes and offsets."""
    from deploy.projections import status
    from services.common.settings import Settings

    state = _servers_call(status(Settings()))
    table = Table("version", "active", "documents", "hierarchy changes", "offsets read")
    for v in state["versions"]:
        table.add_row(
            str(v["version"]),
            "✓" if v["active"] else "",
            str(v["documents"]),
            str(v["changes"]),
            str(v["offsets"]),
        )
    console.print(table)


@projections_app.command("activate")
def projections_activate(version: Annotated[int, typer.Argument()]) -> None:
    """Switch queries (and running services) to another existing version, e.g. to roll back."""
    from deploy.projections import activate
    from services.common.settings import Settings

    _servers_call(activate(Settings(), version))
    console.print(f"version {version} now answers queries")


@projections_app.command("drop")
def projections_drop(version: Annotated[int, typer.Argument()]) -> None:
    """Delete a version that does not answer queries."""
    from deploy.projections import drop
    from services.common.settings import Settings

    _servers_call(drop(Settings(), version))
    console.print(f"version {version} dropped")
