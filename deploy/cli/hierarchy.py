"""``hdnd hierarchy``: the hierarchy registry: load the units, record changes, show a unit."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from deploy.cli.common import (
    console,
    err_console,
    progress_bar,
    servers_call,
)

hierarchy_app = typer.Typer(
    help="The country's units in MongoDB and on the hierarchy topic, and their changes.",
    no_args_is_help=True,
)

EffectiveOption = Annotated[
    str, typer.Option("--effective", help="First day in force, YYYY-MM-DD.")
]
DecisionOption = Annotated[
    str, typer.Option("--decision", help="Legal basis, e.g. 'Nghị quyết số 1656/NQ-UBTVQH15'.")
]


@hierarchy_app.command("load")
def hierarchy_load() -> None:
    """Load every unit of both eras into MongoDB once and publish them as unit.registered,
    signed with the registry key (only the subtrees of HDND_UNITS when it is set: a
    province's registry key may register only its own province's units)."""
    from deploy.interrupts import stops_on_ctrl_c

    kept = "the units loaded so far stay; `hdnd hierarchy load` again goes on from there"
    with stops_on_ctrl_c(kept, err_console.print):
        load_hierarchy(registry_settings())


def registry_settings() -> Any:
    """The environment's settings; without HDND_KEYS_DIR, the local stack's registry key
    (`make run` makes it: .local/keys/hierarchy) and public keys."""
    from deploy.local import DEFAULT_BASE_DIR
    from services.common.settings import Settings

    settings = Settings()
    local = DEFAULT_BASE_DIR / "keys"
    if settings.keys_dir is not None or not (local / "hierarchy").is_dir():
        return settings
    public = settings.public_keys_dir or local / "public"
    return settings.model_copy(update={"keys_dir": local / "hierarchy", "public_keys_dir": public})


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
            with progress_bar() as bar:
                task = bar.add_task("units → MongoDB", total=total)
                loaded = await registry.load(hierarchy, lambda n: bar.advance(task, n), scope=scope)
                pending = await runtime.outbox.pending_count()
                sent = bar.add_task("events → Kafka", total=pending)
                await registry.drain(lambda n: bar.advance(sent, n))
            return loaded
        finally:
            await runtime.stop()

    loaded = servers_call(work())
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

    day = date.fromisoformat(effective)

    async def work() -> Any:
        runtime = Runtime(registry_settings(), "hierarchy")
        registry = Registry(runtime)
        try:
            await runtime.outbox.create_indexes()
            change_body = body(await registry.hierarchy(), day) if callable(body) else body
            change = await registry.change(change_body, day, decision)
            await registry.drain(lambda _: None, wait=60)
            return change
        finally:
            await runtime.stop()

    change = servers_call(work())
    console.print(
        f"change {change.change_no} ({change.change.kind}) in force from {change.effective}:"
        " recorded and published",
        highlight=False,
    )


UnitArg = Annotated[str, typer.Argument(help="Unit code.")]


def _one_field_change(kind: str, model: str, field: str, help_: str, doc: str) -> None:
    """Register ``hdnd hierarchy KIND UNIT --FIELD VALUE``: a change of one field of one unit,
    the contracts.hierarchy class `model` (imported when the command runs: the CLI starts fast)."""

    def command(unit: str, value: str, effective: str, decision: str = "") -> None:
        import contracts.hierarchy

        change = getattr(contracts.hierarchy, model)(unit=unit, **{field: value})
        _record_change(change, effective, decision)

    # Set here, not written above: the option's name and help differ by kind, and Typer reads
    # the annotations (strings under `from __future__ import annotations` could not see them).
    command.__annotations__ = {
        "unit": UnitArg,
        "value": Annotated[str, typer.Option(f"--{field}", help=help_)],
        "effective": EffectiveOption,
        "decision": DecisionOption,
        "return": None,
    }
    command.__doc__ = doc
    hierarchy_app.command(kind)(command)


_one_field_change(
    "rename",
    "Rename",
    "name",
    "New full name, e.g. 'Xã Tân Phong'.",
    "Đổi tên: the unit keeps its code, parent and figures.",
)
_one_field_change(
    "reparent",
    "Reparent",
    "parent",
    "New parent unit code.",
    "Move a unit (and everything below it) under another parent.",
)


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

    async def work() -> Any:
        runtime = Runtime(registry_settings(), "hierarchy")
        try:
            return (await Registry(runtime).hierarchy()).history(unit, era)  # type: ignore[arg-type]
        finally:
            await runtime.mongo.close()

    versions = servers_call(work())
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
