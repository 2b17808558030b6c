"""A proposal's document on a real mongod: the same whatever order its raise and answers
arrive in (live and replay read partitions in different orders), only answers from the unit
addressed or above it kept, and documents stored before ids were scoped keep what they said."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import date
from functools import partial
from typing import Any

import pytest
from pydantic import BaseModel
from pymongo import AsyncMongoClient, UpdateOne

from contracts import Decoded
from contracts.coordination import ProposalAnswered, ProposalKind, ProposalRaised
from contracts.envelope import Source
from services.common.hierarchy import Hierarchy
from services.common.mongo import connect
from services.common.outbox import Outbox
from services.common.settings import Settings
from services.common.trust import lineage_of
from services.reporting.coordination import owners
from services.reporting.coordination.store import CoordinationStore
from tests.forged import envelope_of

pytestmark = pytest.mark.integration

PROVINCE, DISTRICT, A, B = "12", "106", "03390", "03391"
RAISED_ON = date(2024, 3, 10)
ANSWERERS = partial(owners.answerers, lineage_of(Hierarchy.load()))


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[CoordinationStore]:
    client: AsyncMongoClient[Any] = connect(settings, "test")
    db = client[f"{settings.database_prefix}_inbox"]
    source = Source(service="reporting", instance="test")
    yield CoordinationStore(db, Outbox(db, source), "hdnd.reporting")
    await client.drop_database(db.name)
    await client.close()


def event(payload: BaseModel, unit: str, day: date) -> Decoded[BaseModel]:
    return Decoded(envelope_of(payload, unit, day, "test", 1), payload)


def answered(unit: str, day: date, text: str) -> Decoded[BaseModel]:
    payload = ProposalAnswered(
        proposal_id="kn-1", raised_by=A, raised_on=RAISED_ON, answered_on=day, answer=text
    )
    return event(payload, unit, day)


RAISED = ProposalRaised(
    proposal_id="kn-1",
    to_unit=DISTRICT,
    kind=ProposalKind.RECOMMENDATION,
    title="$to_unit",  # text, never a field path
    content="$$REMOVE",
    raised_on=RAISED_ON,
)


async def test_a_proposal_ends_the_same_whatever_order_its_raise_and_answers_arrive_in(
    store: CoordinationStore,
) -> None:
    raise_ = event(RAISED, A, RAISED_ON)
    by_district = answered(DISTRICT, date(2024, 3, 25), "Huyện trả lời.")
    by_province = answered(PROVINCE, date(2024, 3, 20), "Tỉnh trả lời trước.")
    by_sibling = answered(B, date(2024, 3, 15), "Không có quyền trả lời.")
    writes: dict[str, UpdateOne] = {
        "raise": store.raised_upsert(raise_, ANSWERERS(DISTRICT, RAISED_ON)),
        "district": store.answered_upsert(by_district),
        "province": store.answered_upsert(by_province),
        "sibling": store.answered_upsert(by_sibling),
    }
    outcomes = set()
    for order in itertools.permutations([*writes, "province"]):  # one answer redelivered
        await store.proposals.delete_many({})
        for name in order:
            await store.proposals.bulk_write([writes[name]])
        (doc,) = await store.proposals.find().to_list()
        outcomes.add(repr(sorted(doc.items())))
    assert len(outcomes) == 1, outcomes
    assert doc["_id"] == f"{A}:kn-1" and "early_answers" not in doc
    assert (doc["title"], doc["content"], doc["to_unit"]) == ("$to_unit", "$$REMOVE", DISTRICT)
    assert doc["status"] == "answered" and doc["answerable_by"] == [DISTRICT, PROVINCE]
    assert doc["answer"] == {
        "answered_by": PROVINCE,
        "answered_on": "2024-03-20",
        "answer": "Tỉnh trả lời trước.",
        "event_id": str(by_province.envelope.event_id),
    }

    # Only an answer from a unit that may not answer came first: the proposal waits.
    await store.proposals.delete_many({})
    for name in ("sibling", "raise", "sibling"):
        await store.proposals.bulk_write([writes[name]])
    (doc,) = await store.proposals.find().to_list()
    assert doc["status"] == "raised" and "answer" not in doc and "early_answers" not in doc


async def test_proposals_stored_under_their_bare_id_are_scoped_and_keep_their_answer(
    store: CoordinationStore,
) -> None:
    common = {"kind": "recommendation", "raised_on": "2024-03-10", "event_id": "e0"}
    answer = {"answered_on": "2024-03-25", "answer": "Đã bố trí.", "event_id": "e1"}
    await store.proposals.insert_many(
        [
            {"_id": "kn-1", "proposal_id": "kn-1", "raised_by": A, "to_unit": DISTRICT,
             "title": "Của A", "status": "answered", "answer": answer, **common},
            {"_id": "kn-2", "proposal_id": "kn-2", "raised_by": B, "to_unit": PROVINCE,
             "title": "Của B", "status": "raised", **common},
        ]
    )  # fmt: skip
    assert await store.scope_proposal_ids(ANSWERERS) == 2
    assert await store.scope_proposal_ids(ANSWERERS) == 0
    kept = await store.find_proposal(A, "kn-1")
    assert kept is not None and kept["answer"] == {"answered_by": DISTRICT, **answer}
    assert kept["status"] == "answered" and kept["answerable_by"] == [DISTRICT, PROVINCE]
    assert await store.proposals.count_documents({}) == 2

    # The consumer goes on with them: the province answers B's.
    reply = ProposalAnswered(
        proposal_id="kn-2",
        raised_by=B,
        raised_on=RAISED_ON,
        answered_on=date(2024, 3, 30),
        answer="Tỉnh trả lời.",
    )
    await store.proposals.bulk_write(
        [store.answered_upsert(event(reply, PROVINCE, date(2024, 3, 30)))]
    )
    inbox = await store.list_proposals(PROVINCE, "legacy", "received", 10)
    assert [(p["raised_by"], p["status"]) for p in inbox] == [(B, "answered")]
    assert "answerable_by" not in inbox[0]
