"""JSON Schema of the envelope and of every registered event, for other teams and tools.

`hdnd contracts export` writes them to contracts/schemas/; a test fails when the committed
files drift from the models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contracts.envelope import Envelope
from contracts.registry import REGISTRY
from contracts.versioning import event_type, event_version

SCHEMA_DIR = Path(__file__).with_name("schemas")


def json_schemas() -> dict[str, dict[str, Any]]:
    """File name → schema: the envelope, then every event type at its current version and at
    each older version whose class is kept (old events are still accepted, so still documented)."""
    schemas: dict[str, dict[str, Any]] = {"envelope.json": Envelope.model_json_schema()}
    models = [*REGISTRY.current.values(), *REGISTRY.retired.values()]
    for model in sorted(models, key=lambda m: (event_type(m), event_version(m))):
        kind, version = event_type(model), event_version(model)
        schema = model.model_json_schema()
        schema["$id"] = f"urn:hdnd:event:{kind}:v{version}"
        schemas[f"{kind}.v{version}.json"] = schema
    return schemas


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def export(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in json_schemas().items():
        path = directory / name
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written
