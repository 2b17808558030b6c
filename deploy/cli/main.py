"""The ``hdnd`` command line: developer and operator entry points.

Sub-apps group related commands; ``hdnd stack`` manages the local servers (see deploy.local).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from deploy.cli.accounts import accounts_app
from deploy.cli.audit import audit_app
from deploy.cli.backup import backup_app
from deploy.cli.common import (
    DirOption,
    KafkaPortOption,
    MongoPortOption,
    console,
    fail,
    servers_call,
)
from deploy.cli.contracts import contracts_app
from deploy.cli.dlq import dlq_app
from deploy.cli.hierarchy import hierarchy_app, load_hierarchy
from deploy.cli.keys import ensure_local_keys, keys_app
from deploy.cli.mongodb import mongodb_app
from deploy.cli.notify import deadlines_app, mail_app
from deploy.cli.outbox import outbox_app
from deploy.cli.projections import projections_app
from deploy.cli.stack import stack_app
from deploy.cli.tokens import tokens_app
from deploy.cli.webhooks import webhooks_app
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
    (accounts_app, "accounts"),
    (hierarchy_app, "hierarchy"),
    (projections_app, "projections"),
    (audit_app, "audit"),
    (mongodb_app, "mongodb"),
    (webhooks_app, "webhooks"),
    (deadlines_app, "deadlines"),
    (mail_app, "mail"),
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

    from deploy.accounts import ensure_local_issuer
    from deploy.interrupts import ctrl_c_stops, exit_interrupted, shielded
    from deploy.mongo_users import grant_databases
    from deploy.run import local_mail_sink, running_services
    from deploy.sample import load_sample
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
        grant_databases(endpoints, Settings().database_prefix)
        servers = Settings(
            kafka_bootstrap_servers=endpoints.kafka_bootstrap,
            mongodb_uri=endpoints.mongodb_uri,
            mongodb_secrets_dir=endpoints.mongodb_secrets_dir,
        )
        load_hierarchy(
            servers.model_copy(
                update={
                    "keys_dir": keys.registry,  # the registry's own key, and nobody else's
                    "public_keys_dir": keys.public,
                }
            )
        )
        issuer = ensure_local_issuer(base_dir)
        extra_env = {
            "HDND_KEYS_DIR": str(keys.services),  # the served province's key only
            "HDND_PUBLIC_KEYS_DIR": str(keys.public),
            # the issuer (reporting) where it runs, also when --service-ports moved it
            "HDND_ISSUER_URL": f"http://127.0.0.1:{ports['reporting']}",
        }
        mail_env = running.enter_context(local_mail_sink(base_dir))  # e-mail stays here
        services = running.enter_context(  # a Ctrl-C gives them 2 s to drain
            running_services(
                endpoints,
                [province],
                base_dir / "logs",
                ports,
                extra_env=extra_env,
                service_env={
                    "reporting": {
                        "HDND_ISSUER_KEYS_DIR": str(issuer),
                        **mail_env,
                        "HDND_PUBLIC_URL": site.origin,
                    }
                },
                grace=2.0,
            )
        )
        running.callback(proxy.stop)
        proxy.start()
        accounts_settings = servers.model_copy(
            update={
                "keys_dir": keys.services,
                "public_keys_dir": keys.public,
                "issuer_keys_dir": issuer,
                "units": [province],
                "instance": "local",
            }
        )
        accounts, loader = servers_call(_sample_accounts(accounts_settings, province))
        urls = {name: s.url for name, s in services.items()}
        if sample:
            console.print("Nạp dữ liệu mẫu (Ctrl-C dừng; lần chạy sau nạp tiếp) …")
            outcome = load_sample(
                urls, Hierarchy.load(), province, token=loader, units=sample_units
            )
            console.print(
                f"Dữ liệu mẫu: {outcome['recorded']} bản ghi mới, "
                f"{outcome['unchanged']} đã có, {outcome['refused']} bị từ chối"
                f" ({outcome['seconds']} giây)"
            )
        _say_running(proxy, list(urls), province, accounts, base_dir)
        console.print(
            f"  mail       {mail_env['HDND_MAIL_SINK_DIR']} (the local SMTP sink on port"
            f" {mail_env['HDND_SMTP_PORT']}: `hdnd mail list`, or Hộp thư thử nghiệm)",
            highlight=False,
        )
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
    proxy: LocalProxy, services: list[str], province: str, accounts: list[Any], base_dir: Path
) -> None:
    """Where everything is: the one origin's pages and docs, the sample accounts, the logs."""
    console.print("\n[bold]hdnd is running[/bold] (Ctrl-C to stop)")
    r = proxy.site.origin  # the browser's one origin: every service under its path
    for name in services:
        console.print(f"  {name:<10} {r}{PUBLIC_PATHS[name]}/docs", highlight=False)
    console.print(
        f"  workspace  {r}/workspace/\n"
        "             (the secretaries' workspace: record and follow up, in Vietnamese)",
        highlight=False,
    )
    console.print(f"  dashboard  {r}/?unit={province}&period=2025", highlight=False)
    tls = proxy.site.tls
    _print_accounts(accounts, r, f"--cacert {proxy.root_certificate} " if tls else "")
    if tls:
        console.print(
            f"  TLS        certificate of Caddy's local CA: a browser trusts it once"
            f" {proxy.root_certificate} is imported (README, Production)",
            highlight=False,
            soft_wrap=True,
        )
    console.print(f"  logs       {base_dir / 'logs'}", highlight=False)


async def _sample_accounts(settings: Any, province: str) -> tuple[list[Any], str]:
    """The sample accounts (temporary passwords) and the sample loader's API token."""
    from deploy.accounts import ensure_sample_accounts, identity_session, sample_loader_token

    async with identity_session(settings) as identity:
        accounts = await ensure_sample_accounts(identity, province)
        return accounts, await sample_loader_token(identity, province)


def _print_accounts(accounts: list[Any], reporting: str, curl_ca: str = "") -> None:
    console.print("\n  Tài khoản mẫu (đổi mật khẩu tạm ở lần đăng nhập đầu tiên):", highlight=False)
    for a in accounts:
        password = f"mật khẩu tạm {a.password}" if a.password else "(đã đổi mật khẩu)"
        console.print(
            f"    {a.username:<18} {a.role:<9} {a.unit:<5}  {a.full_name}: {password}",
            highlight=False,
            soft_wrap=True,
        )
    first = accounts[0]
    console.print(
        f"  sign in    curl -si {curl_ca}-X POST {reporting}/auth/sign-in -H 'content-type:"
        f' application/json\' -d \'{{"username": "{first.username}", "password": "…"}}\'\n'
        "             (then POST /auth/password with the access token; see README,"
        " Authorization)\n"
        "  programs   hdnd tokens issue --unit CODE --role viewer --days 30"
        "  (a service account's API token)",
        highlight=False,
        soft_wrap=True,
    )


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
