"""``hdnd keys``: the per-unit keys that sign event envelopes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from deploy.cli.common import (
    console,
)

keys_app = typer.Typer(
    help="Per-unit Ed25519 keys that sign event envelopes.", no_args_is_help=True
)


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
