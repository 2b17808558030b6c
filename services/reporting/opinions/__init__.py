"""Voters' opinions across units: near-duplicates while a secretary types, and groups of the
same request raised in several units (issue 23). Pure: the index and the grouping take and
return plain values; the reporting service feeds them from the events it consumes.

    index = OpinionIndex()
    index.add(Opinion("yk-1", "Đề nghị sửa chữa cầu treo bản Nà Tăm", "03390",
                      date(2025, 3, 2), "received", "investment_construction"))
    index.suggest("sua chua cau treo", units={"03390", "03391"})  # → [Suggestion(…, 100.0)]
    propose_groups(opinions_of_the_period)                       # → [Group(center, members)]
"""

from services.reporting.opinions.matcher import (
    GROUP_THRESHOLD,
    MAX_SUGGESTIONS,
    MIN_QUERY_SYLLABLES,
    SUGGEST_THRESHOLD,
    Group,
    Opinion,
    OpinionIndex,
    Suggestion,
    propose_groups,
    similarity,
)
from services.reporting.opinions.normalize import Key, normalize, unmark

__all__ = [
    "GROUP_THRESHOLD",
    "MAX_SUGGESTIONS",
    "MIN_QUERY_SYLLABLES",
    "SUGGEST_THRESHOLD",
    "Group",
    "Key",
    "Opinion",
    "OpinionIndex",
    "Suggestion",
    "normalize",
    "propose_groups",
    "similarity",
    "unmark",
]
