"""How a proposal's document follows its raise and its answers, in whatever order they
arrive: they travel under different keys (the raising unit's, the answering unit's), so in
different partitions, and a replay may read them in another order than live did.

Both are MongoDB update pipelines, each deciding on the document as it stands:
- the raise sets what the raising unit said and who may answer (`answerable_by`: the unit
  addressed and the units above it, owners.answerers);
- an answer to a proposal already known is kept if its unit may answer and it ranks before
  the answer kept so far; an answer to a proposal not known yet waits in `early_answers`,
  and the raise keeps the first of them whose unit may answer.
"First" is by `_rank` (the earliest answered_on, then the smallest event id), never by
arrival, so live and replay keep the same answer. Values from events go in as `$literal`:
a title starting with `$` is text, not a field path.
"""

from __future__ import annotations

from services.common.mongo import Document


def raise_update(fields: Document, answerable_by: list[str]) -> list[Document]:
    """The proposal as its raise says, answered by the first valid answer known."""
    known = {
        "$concatArrays": [
            {"$ifNull": ["$early_answers", []]},
            {"$cond": [_exists("$answer"), ["$answer"], []]},
        ]
    }
    valid = {
        "$filter": {
            "input": known,
            "cond": {"$in": ["$$this.answered_by", {"$literal": answerable_by}]},
        }
    }
    before = {"$or": [{"$eq": ["$$value", None]}, {"$lt": [_rank("$$this"), _rank("$$value")]}]}
    first = {
        "$reduce": {
            "input": valid,
            "initialValue": None,
            "in": {"$cond": [before, "$$this", "$$value"]},
        }
    }
    answered = {"$ne": [{"$ifNull": ["$answer", None]}, None]}
    return [
        {"$set": {**_literal(fields), "answerable_by": {"$literal": answerable_by}}},
        {"$set": {"answer": first}},
        {
            "$set": {
                "answer": {"$ifNull": ["$answer", "$$REMOVE"]},
                "status": {"$cond": [answered, "answered", "raised"]},
            }
        },
        {"$unset": "early_answers"},
    ]


def answer_update(payload: Document, given: Document) -> list[Document]:
    """`given` (store.answer_of) kept if it may and ranks first, or set to wait for the raise;
    `payload` is the answer event's, naming the proposal."""
    rank = {"$literal": f"{given['answered_on']}|{given['event_id']}"}
    takes = {
        "$and": [
            {"$in": [{"$literal": given["answered_by"]}, {"$ifNull": ["$answerable_by", []]}]},
            {"$or": [{"$not": [_exists("$answer")]}, {"$lt": [rank, _rank("$answer")]}]},
        ]
    }
    others = {
        "$filter": {
            "input": {"$ifNull": ["$early_answers", []]},
            "cond": {"$ne": ["$$this.event_id", {"$literal": given["event_id"]}]},
        }
    }
    waiting = {"$concatArrays": [others, [{"$literal": given}]]}
    return [
        {
            "$set": {
                "proposal_id": {"$literal": payload["proposal_id"]},
                "raised_by": {"$literal": payload["raised_by"]},
                "raised_on": {"$ifNull": ["$raised_on", {"$literal": payload["raised_on"]}]},
                "answer": {"$cond": [takes, {"$literal": given}, "$answer"]},
                "status": {"$cond": [takes, "answered", "$status"]},
                "early_answers": {"$cond": [_exists("$answerable_by"), "$early_answers", waiting]},
            }
        }
    ]


def _exists(path: str) -> Document:
    return {"$ne": [{"$type": path}, "missing"]}


def _rank(answer: str) -> Document:
    """Where an answer stands among the valid answers to one proposal; the first is kept."""
    return {"$concat": [f"{answer}.answered_on", "|", f"{answer}.event_id"]}


def _literal(fields: Document) -> Document:
    """`fields` as values of an update pipeline, never read as field paths or operators."""
    return {name: {"$literal": value} for name, value in fields.items()}
