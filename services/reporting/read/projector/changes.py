"""A hierarchy change applied to what a projection version holds, inside the transaction of
the working set's barrier flush (working_set.py), after everything folded before the change
was written in it.

The units whose place differs between the tree before and after the change get their day
figures moved (Fold.move: out of the lineage that counted them, into the one that counts them
now), their month documents the level and parent the new tree gives them, and their activity
entries the units they are now listed under; so the result is the same whether the change
arrived before or after the records it affects.
"""

from __future__ import annotations

from datetime import date

from pymongo.asynchronous.client_session import AsyncClientSession

from contracts.hierarchy import HierarchyChanged
from services.common.hierarchy import REFORM_DATE, Era, Hierarchy, era_of
from services.common.logging import get_logger
from services.reporting.activity.entries import Entry
from services.reporting.read.projector.fold import Fold
from services.reporting.read.projector.store import ProjectionStore

log = get_logger()


async def apply_change(
    store: ProjectionStore,
    session: AsyncClientSession,
    tree: Hierarchy,
    change: HierarchyChanged,
    entry: Entry | None = None,
) -> bool:
    """Apply `change` to `tree` and to what `store` holds, and log its activity `entry`
    (listed under the changed tree); False, changing nothing, if `tree` had it already."""
    old = tree.copy()
    if not tree.apply([change]):
        return False
    await store.log_change(session, change)
    reason = tree.rejected().get(change.change_no)
    if reason:
        log.warning("hierarchy_change_rejected", change_no=change.change_no, reason=reason)
    era = era_of(change.effective)
    diff = old.differences(tree, era)
    moved = Fold(tree, {})
    if diff is not None:
        since, codes = diff
        first, last = era_days(era, since)
        async for unit, day, figures in store.day_figures(codes, first, last, session):
            moved.move(old, unit, day, figures)
        await store.flush(session, moved)
        await store.relocate(session, tree, codes, first, last)
    if entry is not None:
        moved.note(entry)
        await store.log_activity(session, moved.activity)
    log.info(
        "hierarchy_change_applied",
        change_no=change.change_no,
        kind=change.change.kind,
        effective=change.effective.isoformat(),
        units=len(diff[1]) if diff else 0,
    )
    return True


def era_days(era: Era, since: date) -> tuple[date, date]:
    """The days of `era` from `since` on: what a change effective on `since` may move."""
    if era == "legacy":
        return since, date.fromordinal(REFORM_DATE.toordinal() - 1)
    return max(since, REFORM_DATE), date.max
