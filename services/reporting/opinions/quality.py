"""How well the matcher tells the same request from another: precision and recall on the
labelled pairs of `tests/data/opinion_pairs.jsonl`, and the floors the tests hold it to.

A pair counts as matched when an index holding the second opinion of every pair, queried
with the first, returns the second at or above the threshold: candidates (LSH) and score
together, as the workspace and the grouping use them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from services.reporting.opinions.matcher import (
    GROUP_THRESHOLD,
    SUGGEST_THRESHOLD,
    Opinion,
    OpinionIndex,
)
from services.reporting.opinions.normalize import Places


@dataclass(frozen=True, slots=True)
class Floor:
    """The precision and recall below which the matcher has got worse (README quotes)."""

    threshold: float
    precision: float
    recall: float


# Measured on the labelled pairs (see the README, "The matcher"); a change that drops either
# below its floor fails tests/unit/test_opinion_matcher.py.
SUGGESTION_FLOOR = Floor(threshold=SUGGEST_THRESHOLD, precision=0.90, recall=0.90)
GROUP_FLOOR = Floor(threshold=GROUP_THRESHOLD, precision=0.96, recall=0.74)


@dataclass(frozen=True, slots=True)
class LabelledPair:
    """Two opinions and whether they make the same request; `kind` is same_request,
    same_words (the same words for another request) or unrelated."""

    pair_id: int
    kind: str
    same: bool
    a: str
    b: str
    variation: str = ""


@dataclass(frozen=True, slots=True)
class Quality:
    threshold: float
    true_positives: int
    false_positives: int
    false_negatives: int
    missed: tuple[int, ...]  # pair ids of the same request not matched
    wrong: tuple[int, ...]  # pair ids of different requests matched

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        same = self.true_positives + self.false_negatives
        return self.true_positives / same if same else 1.0

    def __str__(self) -> str:
        return (
            f"threshold {self.threshold:g}: precision {self.precision:.3f}, "
            f"recall {self.recall:.3f} ({self.true_positives} found, "
            f"{self.false_positives} wrong, {self.false_negatives} missed)"
        )


def load_pairs(path: Path) -> list[LabelledPair]:
    with path.open(encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    return [
        LabelledPair(
            row["id"], row["kind"], row["same"], row["a"], row["b"], row.get("variation", "")
        )
        for row in rows
    ]


def measure(pairs: Sequence[LabelledPair], threshold: float, places: Places = "drop") -> Quality:
    """Precision and recall of the index at `threshold` on the labelled pairs."""
    index = OpinionIndex(places)
    for pair in pairs:
        index.add(Opinion(f"{pair.pair_id}", pair.b, "00000", date(2025, 1, 1), "received", ""))
    matched = {
        pair.pair_id: any(
            s.opinion.opinion_id == f"{pair.pair_id}"
            for s in index.matches(index.key(pair.a), threshold=threshold)
        )
        for pair in pairs
    }
    return _tally(pairs, matched, threshold)


def _tally(pairs: Iterable[LabelledPair], matched: dict[int, bool], threshold: float) -> Quality:
    pairs = list(pairs)
    return Quality(
        threshold=threshold,
        true_positives=sum(1 for p in pairs if p.same and matched[p.pair_id]),
        false_positives=sum(1 for p in pairs if not p.same and matched[p.pair_id]),
        false_negatives=sum(1 for p in pairs if p.same and not matched[p.pair_id]),
        missed=tuple(p.pair_id for p in pairs if p.same and not matched[p.pair_id]),
        wrong=tuple(p.pair_id for p in pairs if not p.same and matched[p.pair_id]),
    )
