"""Accounts and sign-ins (`hdnd.identity`, contracts.identity) count nothing: the projector reads
them for the activity log alone (services.reporting.activity). Registered for every event type
of that module, whichever it declares, so none of them is ever a dead letter for lack of a fold."""

from __future__ import annotations

from typing import Any

from contracts import REGISTRY, Decoded
from services.reporting.read.figures.base import FOLDS, Contribution

IDENTITY_MODULE = "contracts.identity"


def nothing_to_count(event: Decoded[Any]) -> list[Contribution]:
    return []


for _kind, _model in REGISTRY.current.items():
    if _model.__module__ == IDENTITY_MODULE:
        FOLDS.setdefault(_kind, nothing_to_count)
