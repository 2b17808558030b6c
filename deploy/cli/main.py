"""The ``hdnd`` command line: developer and operator entry points.

Sub-apps group related commands; ``hdnd stack`` manages the local servers (see deploy.local).
"""

from __future__ import annotations

from pathlib import Path
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
    external_endpoints,
)
from deploy.proxy import HTTP_PORT, HTTPS_PORT, LocalProxy, ProxySite
from services.common.settings import PUBLIC_PATHS, SERVICE_PORTS

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
    sample_units: Annotated[
        list[str] | None,
        typer.Option("--sample-unit", help="Only the sample's records of this unit (repeatable)."),
    ] = None,
    tls: Annotated[
        bool, typer.Option(help="HTTPS on 127.0.0.1:8443 (Caddy's local CA), not HTTP on :8100.")
    ] = False,
    proxy_port: Annotated[int, typer.Option(help="The proxy's HTTP port.")] = HTTP_PORT,
    tls_port: Annotated[int, typer.Option(help="The proxy's HTTPS port (--tls).")] = HTTPS_PORT,
    service_ports: Annotated[
        str, typer.Option(help="Ports of meetings, oversight and reporting, comma-separated.")
    ] = ",".join(map(str, SERVICE_PORTS.values())),
) -> None:
    """Start the servers, the three services and the proxy that serves them under one origin,
    load the sample, serve until Ctrl-C (which stops everything at any moment, keeping what was
    loaded: the next run goes on from there)."""
    import time
    from contextlib import ExitStack

    from deploy.interrupts import ctrl_c_stops, exit_interrupted, shielded
    from deploy.run import running_services, token_secret
    from deploy.sample import load_sample
    from services.common.auth import issue_token
    from services.common.hierarchy import Hierarchy
    from services.common.settings import Settings

    try:
        ports = dict(zip(SERVICE_PORTS, map(int, service_ports.split(",")), strict=True))
    except ValueError as exc:
        raise typer.BadParameter(
            "three ports, e.g. 8101,8102,8103", param_hint="--service-ports"
        ) from exc
    stack = LocalStack(base_dir=base_dir, kafka_port=kafka_port, mongo_port=mongo_port)
    site = ProxySite(tls=tls, http_port=proxy_port, https_port=tls_port, upstreams=ports)
    proxy = LocalProxy(base_dir, site)
    running = ExitStack()  # what was started, stopped in reverse order whatever happens
    interrupted = False
    try:
        running.enter_context(ctrl_c_stops())
        if external_endpoints() is None:  # ours to stop, even when half started
            running.callback(stack.down)
        endpoints = stack.up()
        keys = ensure_local_keys(base_dir, province)
        load_hierarchy(
            Settings(
                kafka_bootstrap_servers=endpoints.kafka_bootstrap,
                mongodb_uri=endpoints.mongodb_uri,
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
        services = running.enter_context(  # a Ctrl-C gives them 2 s to drain
            running_services(endpoints, [province], base_dir / "logs", ports, extra_env, 2.0)
        )
        running.callback(proxy.stop)
        proxy.start()
        urls = {name: s.url for name, s in services.items()}
        if sample:
            console.print("Nạp dữ liệu mẫu (Ctrl-C dừng; lần chạy sau nạp tiếp) …")
            outcome = load_sample(
                urls, Hierarchy.load(), province, token=secretary, units=sample_units
            )
            console.print(
                f"Dữ liệu mẫu: {outcome['recorded']} bản ghi mới, "
                f"{outcome['unchanged']} đã có, {outcome['refused']} bị từ chối"
                f" ({outcome['seconds']} giây)"
            )
        _say_running(proxy, list(urls), province, secretary, viewer, base_dir)
        while not (gone := [s for s in services.values() if s.process.poll() is not None]):
            time.sleep(0.5)
        console.print(f"[red]{gone[0].name} exited[/red]; see its log")
    except KeyboardInterrupt:
        interrupted = True
        console.print("\nCtrl-C: stopping; what was loaded stays, the next run goes on from it")
    except StackError as exc:
        raise fail(exc) from exc
    finally:
        with shielded(lambda _: console.print("stopping …")):
            running.close()
        console.print(f"stopped; data kept in {base_dir}", highlight=False)
    if interrupted:
        exit_interrupted()


def _say_running(
    proxy: LocalProxy,
    services: list[str],
    province: str,
    secretary: str,
    viewer: str,
    base_dir: Path,
) -> None:
    """Where everything is: the one origin's pages and docs, a token, a try, the logs."""
    console.print("\n[bold]hdnd is running[/bold] (Ctrl-C to stop)")
    r = proxy.site.origin  # the browser's one origin: every service under its path
    for name in services:
        console.print(f"  {name:<10} {r}{PUBLIC_PATHS[name]}/docs", highlight=False)
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
    ca = f"--cacert {proxy.root_certificate} " if proxy.site.tls else ""
    console.print(
        f"  try        curl -s {ca}-H 'Authorization: Bearer {secretary}'"
        f" '{r}/units/{province}/summary?period=2025-H1'",
        highlight=False,
        soft_wrap=True,
    )
    if proxy.site.tls:
        console.print(
            f"  TLS        certificate of Caddy's local CA: a browser trusts it once"
            f" {proxy.root_certificate} is imported (README, Production)",
            highlight=False,
            soft_wrap=True,
        )
    console.print(f"  logs       {base_dir / 'logs'}", highlight=False)


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
