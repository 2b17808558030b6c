"""The trust rule: which units may sign for a unit on a day.

Apart from the Runtime that builds verifiers with it, because the projector also judges each
batch under the tree as that batch leaves it (services.reporting.projector_consumer)."""

from __future__ import annotations

from datetime import date

from contracts.signing import Lineage
from services.common.hierarchy import Hierarchy


def lineage_of(hierarchy: Hierarchy) -> Lineage:
    """Who may sign for a unit on a day: the unit and its ancestors as the pinned dataset has
    them, plus, under the changes this service follows, the units its records now count in
    (itself, or its successor if a change ended it) and their ancestors. None when the unit
    named no unit that day.

    The dataset part never depends on which changes a consumer has seen, so whether a record
    is trusted does not depend on the order changes and records arrive in (live = rebuild);
    signers made valid only by a change are trusted once the change is known."""
    dataset = Hierarchy.load()

    def lineage(unit: str, day: date) -> tuple[str, ...] | None:
        own = dataset.lineage_if_any(unit, day)
        if own is not None and hierarchy.same_tree_on(dataset, day):
            return own  # no change applied to that day: both chains are this one
        chains: list[tuple[str, ...]] = []
        if dataset.find(unit, day) is not None:
            chains.append(dataset.lineage(unit, day))
        target = hierarchy.resolve(unit, day)
        if target is not None:
            chain = hierarchy.lineage(target, day)
            chains.append(chain if target == unit else (unit, *chain))
        if not chains:
            return None
        return tuple(dict.fromkeys(code for chain in chains for code in chain))

    return lineage
