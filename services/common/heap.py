"""The cyclic garbage collector, set for processes that keep a large heap and allocate fast.

CPython collects its youngest generation every 700 net allocations of container objects and
the whole heap whenever the long-lived part has grown by a quarter. A projector allocates a
few dozen containers per record and keeps a large heap for its life (the unit tree, the
positions of tens of thousands of streams, the modules), so with those defaults a rebuild of
100,000 events spent 5.9 s in the collector, 4.6 of them in 28 full collections of up to
264 ms each, out of some 13 s of its process's CPU; at a live pace those full collections are
the pauses of the freshness tail. Nearly nothing it collected was garbage: records, folds and
answers are freed by their reference counts.

So: the youngest generation is collected every 50,000 net allocations (`tune`), and once a
process has loaded what it keeps (a projector: when it first catches up), `settle` collects
once and moves everything alive into the permanent generation, which no collection walks
again. Objects frozen so are still freed when nothing refers to them; only a cycle among them
would be kept.
"""

from __future__ import annotations

import gc

THRESHOLDS = (50_000, 10, 10)
_settled = False


def tune() -> None:
    """Collect the youngest generation every 50,000 net allocations (CPython: 700)."""
    gc.set_threshold(*THRESHOLDS)


def settle() -> None:
    """Collect once, then leave everything alive now out of every later collection; once per
    process (the first call pays a full collection, later ones do nothing)."""
    global _settled
    if _settled:
        return
    _settled = True
    gc.collect()
    gc.freeze()
