"""``hdnd keys``: the unit and registry keys that sign event envelopes (contracts.keys)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from deploy.cli.common import (
    console,
    err_console,
)

if TYPE_CHECKING:
    from contracts.keys import KeyName

keys_app = typer.Typer(
    help="Ed25519 keys that sign event envelopes: unit keys, and the hierarchy registry's.",
    no_args_is_help=True,
)

KeyDirOption = Annotated[
    Path,
    typer.Option(
        "--dir", help="The holder's key directory (HDND_KEYS_DIR of whoever signs with it)."
    ),
]
PublicDirOption = Annotated[
    Path | None,
    typer.Option(
        "--public-dir",
        help="The registered public keys (HDND_PUBLIC_KEYS_DIR); default: DIR/public.",
    ),
]
UnitsOption = Annotated[list[str] | None, typer.Option("--unit", help="Unit code (repeatable).")]
RegistryOption = Annotated[
    bool, typer.Option("--registry", help="The hierarchy registry's key, not a unit's.")
]
ProvinceOption = Annotated[
    str | None,
    typer.Option("--province", help="With --registry: limited to this province (else national)."),
]


@dataclass(frozen=True)
class LocalKeys:
    """The local stack's keys: each holder its own private keys, one shared public folder."""

    services: Path  # the services' HDND_KEYS_DIR: the served province's unit key
    registry: Path  # `hdnd hierarchy …`'s HDND_KEYS_DIR: the national registry's key
    public: Path  # every registered public key (HDND_PUBLIC_KEYS_DIR of both)


def ensure_local_keys(base_dir: Path, province: str) -> LocalKeys:
    """The local stack's keys (never in the repository), made when missing:
    `keys/province-<P>/private/<P>.pem` for the services serving province P (its key signs for
    every unit below it), `keys/hierarchy/registry/national.pem` for the registry (it
    registers the whole country), `keys/public/` for everyone.

    A `keys/` of the layout before (every province's private key in `keys/private/`) is
    migrated: the public halves stay (the events they signed still verify), the served
    province's private key moves to its holder, the others are deleted; a province served
    later gets a new key, and its old one is retired."""
    from contracts.keys import KeyInUse, generate, registry_key, rotate, unit_key

    root = base_dir / "keys"
    keys = LocalKeys(root / f"province-{province}", root / "hierarchy", root / "public")
    old = root / "private"
    if old.is_dir():
        mine = unit_key(province).private_path(keys.services)
        if (old / f"{province}.pem").exists() and not mine.exists():
            mine.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(old / f"{province}.pem", mine)
        shutil.rmtree(old)
        console.print(f"keys: {root} moved to one folder per holder", highlight=False)
    for holder, name in [(keys.services, unit_key(province)), (keys.registry, registry_key())]:
        try:
            generate(holder, name, keys.public)
        except KeyInUse:  # registered, but its private half is no longer kept here
            rotate(holder, name, keys.public)
    return keys


def _names(unit: list[str] | None, registry: bool, province: str | None) -> list[KeyName]:
    """The keys a command is about: unit keys, or one registry key."""
    from contracts.keys import registry_key, unit_key

    if registry == bool(unit) or (province is not None and not registry):
        err_console.print("say either --unit CODE (repeatable) or --registry [--province CODE]")
        raise typer.Exit(code=2)
    return [registry_key(province)] if registry else [unit_key(code) for code in unit or []]


def _generate(directory: Path, name: KeyName, public: Path | None) -> None:
    """Create a key pair for each unit (or the registry): the private half in DIR (private/
    or registry/) for its holder alone, the public half registered in the public folder for
    every consumer. A key already held is kept; one registered but held elsewhere is refused
    (rotate it)."""
    from contracts.keys import KeyInUse, generate

    try:
        made = generate(directory, name, public)
    except KeyInUse as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(code=1) from exc
    state = f"created, key {made.kid}" if made else "kept (exists)"
    console.print(f"{name}: {state} in {directory}", highlight=False)


def _rotate(directory: Path, name: KeyName, public: Path | None) -> None:
    """Replace a key: the new one is registered and put in DIR (a running instance signs with
    it from its next event), then the old one is retired. Its public half stays registered,
    so what it signed before still verifies, on every rebuild too."""
    from contracts.keys import rotate

    new = rotate(directory, name, public)
    console.print(f"{name}: key {new.kid} in use, the one before retired", highlight=False)


def _keys_command(name: str, act: Callable[[Path, KeyName, Path | None], None]) -> None:
    """`hdnd keys <name>`: `act` on each key the options name."""

    def command(
        directory: KeyDirOption,
        unit: UnitsOption = None,
        registry: RegistryOption = False,
        province: ProvinceOption = None,
        public: PublicDirOption = None,
    ) -> None:
        for key in _names(unit, registry, province):
            act(directory, key, public)

    command.__doc__ = " ".join((act.__doc__ or "").split())  # one paragraph, as typer shows it
    keys_app.command(name)(command)


_keys_command("generate", _generate)
_keys_command("rotate", _rotate)


@keys_app.command("list")
def keys_list(
    public: Annotated[
        Path, typer.Option("--public-dir", help="The registered public keys.")
    ] = Path(".local/keys/public"),
) -> None:
    """The registered public keys: whose, key id, in use since, retired at."""
    from contracts.keys import KeyRing

    def when(at: datetime | None, otherwise: str = "") -> str:
        return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if at else otherwise

    table = Table("key of", "kid", "in use since", "retired at")
    for key in KeyRing(public):
        table.add_row(
            str(key.name), key.kid, when(key.not_before, "(before key ids)"), when(key.not_after)
        )
    console.print(table)
