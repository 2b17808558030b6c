"""The trust rules that need the unit tree: which units may sign for a unit on a day, and
which units a province registry may name.

Apart from the Runtime that builds verifiers with it, because the projector also judges each
batch under the tree as that batch leaves it (services.reporting.read.projector.judging)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from contracts import Decoded, InvalidEvent
from contracts.hierarchy import Divide, HierarchyChanged, Merge, UnitRegistered
from contracts.signing import Lineage
from services.common.hierarchy import Era, Hierarchy


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


def check_registry_scope(tree: Hierarchy, event: Decoded[BaseModel]) -> None:
    """InvalidEvent unless the registry that signed a hierarchy event may name every unit it
    names. A national registry may name any; a province's registry only units of its
    province: for a change, every unit it names (and its envelope's unit) as they stand
    under `tree` and under `tree` with the change applied, on its effective day, and each
    must stand somewhere; for a registration, the unit, its parent and its envelope's unit in
    the dataset. Which kind of key may sign at all is the Verifier's rule (contracts.signing):
    this looks only at a province registry's signature.

    Every consumer of the hierarchy topic applies it before a hierarchy event changes
    anything: the hierarchy feed of meetings and oversight, and reporting's projector."""
    signature = event.envelope.signature
    if signature is None or signature.kind != "registry" or signature.unit is None:
        return
    payload = event.payload
    if isinstance(payload, HierarchyChanged):
        if payload in tree.changes():
            return  # judged when it first came (a duplicate publish changes nothing)
        after = tree.copy()
        after.apply([payload])
        day = payload.effective
        codes = [event.envelope.unit, *payload.units_named(), *_established(payload)]
        places = {code: _provinces(code, day, (tree, after)) for code in codes}
    elif isinstance(payload, UnitRegistered):
        dataset = Hierarchy.load()
        codes = [event.envelope.unit, payload.code, *([payload.parent] if payload.parent else [])]
        places = {code: _provinces(code, payload.era, (dataset,)) for code in codes}
    else:
        return
    outside = [
        f"{code} ({', '.join(sorted(found)) or 'in no unit tree'})"
        for code, found in places.items()
        if found != {signature.unit}
    ]
    if outside:
        raise InvalidEvent(
            f"the registry of province {signature.unit} may not name units outside it:"
            f" {'; '.join(dict.fromkeys(outside))}"
        )


def _established(change: HierarchyChanged) -> list[str]:
    body = change.change
    if isinstance(body, Merge):
        return [body.established.code] if body.established else []
    if isinstance(body, Divide):
        return [u.code for u in body.established]
    return []


def _provinces(code: str, on: date | Era, trees: tuple[Hierarchy, ...]) -> set[str]:
    """The provinces `code` stands in, in each tree, on a day or in an era."""
    found = set()
    for tree in trees:
        unit = tree.find(code, on)
        if unit is not None:
            found.add(tree.lineage(code, on)[-1])
    return found
