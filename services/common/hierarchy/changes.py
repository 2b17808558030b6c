"""The rules of a hierarchy change (merge, divide, dissolve, re-parent, rename): how one
lands on the units in force, or why it does not fit them; how an era's changes apply in order;
and which change established a unit."""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from dataclasses import replace
from datetime import date
from typing import assert_never

from contracts.hierarchy import Dissolve, Divide, HierarchyChanged, Merge, NewUnit, Rename, Reparent
from services.common.hierarchy.snapshots import Snapshot
from services.common.hierarchy.units import ERA_START, Ended, Era, Unit, era_of


def apply_change(
    change: HierarchyChanged,
    table: dict[str, Unit],
    ended: dict[str, Ended],
    ever: set[str],
    era: Era,
) -> None:
    """Apply one change to a copy of the units in force; ValueError if it does not fit."""
    day = change.effective
    c = change.change

    def existing(code: str) -> Unit:
        unit = table.get(code)
        if unit is None:
            gone = ended.get(code)
            why = f": it was {gone.what}" if gone is not None and gone.on <= day else ""
            raise ValueError(f"unit {code} is not in force on {day}{why}")
        return unit

    def establish(new: NewUnit, like: Unit) -> Unit:
        if new.code in ever:
            raise ValueError(f"code {new.code} is already used in the {era} era")
        parent = new.parent if new.parent is not None else like.parent
        return Unit(
            new.code, new.name, like.level, parent, era, new.short_name, new.lat, new.lon, day
        )

    def end(code: str, successor: str, how: str) -> None:
        del table[code]
        ended[code] = Ended(day, successor, change.change_no, how)

    def move_children(of: str, to: Callable[[Unit], str]) -> None:
        for child in [u for u in table.values() if u.parent == of]:
            table[child.code] = replace(child, parent=to(child), starts=day)

    match c:
        case Rename():
            u = existing(c.unit)
            table[u.code] = replace(u, name=c.name, short_name=c.short_name, starts=day)
        case Reparent():
            u = existing(c.unit)
            existing(c.parent)
            table[u.code] = replace(u, parent=c.parent, starts=day)
        case Merge():
            sources = [existing(code) for code in c.units]
            if c.established is not None:
                table[c.into] = establish(c.established, sources[0])
            target = existing(c.into)
            for s in sources:
                if s.level != target.level:
                    raise ValueError(f"{s.level} {s.code} cannot merge into {target.level}")
                move_children(s.code, lambda _: target.code)
                end(s.code, target.code, f"merged into {target.code}")
        case Divide():
            source = existing(c.unit)
            for new in c.established:
                table[new.code] = establish(new, source)
            targets = [existing(code) for code in c.into]
            for t in targets:
                if t.level != source.level:
                    raise ValueError(f"{source.level} {source.code} cannot go into {t.level}")
            orphans = [u.code for u in table.values() if u.parent == source.code]
            missing = sorted(set(orphans) - set(c.children_to))
            if missing:
                raise ValueError(f"children_to does not place {', '.join(missing)}")
            move_children(source.code, lambda child: c.children_to[child.code])
            end(source.code, targets[0].code, f"divided into {', '.join(c.into)}")
        case Dissolve():
            u = existing(c.unit)
            if u.parent is None:
                raise ValueError(f"province {u.code} cannot be dissolved into a parent")
            left = [x.code for x in table.values() if x.parent == u.code]
            if left:
                raise ValueError(f"{u.code} still has units below it: {', '.join(left[:5])}")
            end(u.code, u.parent, f"dissolved into its parent {u.parent}")
        case _:
            assert_never(c)


def apply_in_order(
    changes: Iterable[HierarchyChanged],
    snaps: list[Snapshot],
    ended: dict[str, Ended],
    ever: set[str],
    era: Era,
    rejected: dict[int, str],
) -> tuple[list[Snapshot], dict[str, Ended], set[str]]:
    """The era's snapshots, ended units and codes ever used once `changes` (sorted, and after
    every change in `snaps`) apply on top of the given ones, which it may change. A change that
    does not fit the units it lands on is skipped, with the reason in `rejected`."""
    for change in changes:
        rejected.pop(change.change_no, None)
        table, ending = dict(snaps[-1].units), dict(ended)
        try:
            apply_change(change, table, ending, ever, era)
            snapshot = Snapshot.of(max(change.effective, ERA_START[era]), table)
        except ValueError as exc:
            rejected[change.change_no] = str(exc)
            continue
        ended = ending
        ever.update(table)
        if snapshot.since == snaps[-1].since:
            snaps[-1] = snapshot
        else:
            snaps.append(snapshot)
    return snaps, ended, ever


def established_later(
    changes: Iterable[HierarchyChanged], rejected: Container[int], code: str, day: date
) -> str | None:
    """Which change (not rejected) established ``code`` after ``day`` in its era, if one did."""
    for change in changes:
        c = change.change
        made = [c.established] if isinstance(c, Merge) and c.established else []
        made += c.established if isinstance(c, Divide) else []
        if (
            day < change.effective
            and era_of(change.effective) == era_of(day)
            and any(new.code == code for new in made)
            and change.change_no not in rejected
        ):
            return f"change {change.change_no} established it on {change.effective}"
    return None
