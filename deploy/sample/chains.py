"""The whole sample: every chain of the ten months, in the order they are recorded."""

from __future__ import annotations

from dataclasses import dataclass

from deploy.sample.legacy import LegacyMonths
from deploy.sample.posts import (
    SAMPLE_PROVINCE,
    Chain,
    Post,
)
from deploy.sample.reform import ReformMonths
from services.common.hierarchy import Hierarchy


@dataclass
class Sample(LegacyMonths, ReformMonths):
    """Builds the chains of the sample, deterministically from `seed`."""

    def build(self) -> list[Chain]:
        self.legacy()
        self.reform()
        return self.chains


def sample_chains(
    hierarchy: Hierarchy, province: str = SAMPLE_PROVINCE, seed: int = 2025
) -> list[Chain]:
    """Every chain of the sample, in the order they are recorded."""
    return Sample(hierarchy, province, seed).build()


def sample_posts(
    hierarchy: Hierarchy, province: str = SAMPLE_PROVINCE, seed: int = 2025
) -> list[Post]:
    """Every POST of the sample, in order."""
    return [p for c in sample_chains(hierarchy, province, seed) for p in c.posts]
