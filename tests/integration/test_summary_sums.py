"""A summary's per-unit sums are MongoDB's (`sums_by_unit`, issue 25: a province's summary
decoded every commune's month documents in Python): the same figures, and a unit whose months
hold none still listed, as when each month was added in Python."""

from __future__ import annotations

from collections import Counter

import pytest

from services.common.mongo import connect
from services.common.settings import Settings
from services.reporting.read.views import sums_by_unit

pytestmark = pytest.mark.integration


async def test_the_sums_per_unit_equal_the_months_added_one_by_one(settings: Settings) -> None:
    mongo = connect(settings, "hdnd-test")
    months = mongo[settings.database_for("reporting")]["sums"]
    try:
        await months.insert_many(
            [
                {"unit": "00001", "parent": "001", "month": "2025-01", "total": {"a": 2, "b": 1}},
                {"unit": "00001", "parent": "001", "month": "2025-02", "total": {"a": 3}},
                {"unit": "00001", "parent": "001", "month": "2025-09", "total": {"a": 100}},
                {"unit": "00002", "parent": "001", "month": "2025-02", "own": {"a": 7}},
                {"unit": "00003", "parent": "002", "month": "2025-02", "total": {"a": 5}},
            ]
        )
        query = {"parent": "001", "month": {"$gte": "2025-01", "$lte": "2025-06"}}
        sums = await sums_by_unit(months, query, "total")
        assert sums == {"00001": Counter({"a": 5, "b": 1}), "00002": Counter()}
        assert await sums_by_unit(months, {"unit": "00002"}, "own") == {"00002": Counter(a=7)}
    finally:
        await mongo.close()
