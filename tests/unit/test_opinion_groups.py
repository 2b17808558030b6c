"""Groups of voters' opinions, pure parts: the decisions' rules, the receipt codes, the
period before a session, the synthesis document's figures, the public page's limits."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from contracts.opinions import OpinionGroupAnswered, OpinionGrouped
from services.common.errors import Conflict, DomainError, NotFound
from services.reporting.document.model import Council
from services.reporting.read.periods import parse_period
from services.reporting.voter_opinions import grouping, public_html
from services.reporting.voter_opinions.grouping import Context, Known, Unchanged
from services.reporting.voter_opinions.public import Kept, RateLimit
from services.reporting.voter_opinions.reads import session_months
from services.reporting.voter_opinions.receipts import ALPHABET, printed, read_code, receipt_code
from services.reporting.voter_opinions.report import (
    Synthesis,
    VoterRequest,
    compose,
)
from services.reporting.voter_opinions.store import opinion_key

CTX = Context("12", date(2026, 12, 1), "Nguyễn Thị Thư")
DAY = date(2026, 10, 1)


def registered(unit: str, opinion_id: str, **fields: Any) -> dict[str, Any]:
    doc = {
        "_id": opinion_key(unit, opinion_id),
        "unit": unit,
        "opinion_id": opinion_id,
        "lineage": [unit, "12"],
        "stage": "received",
        "raised_on": "2026-09-02",
    }
    return doc | fields


OPINIONS = {d["_id"]: d for d in (registered("03388", "a"), registered("03390", "b"))}
REFS = [{"unit": "03388", "opinion_id": "a"}, {"unit": "03390", "opinion_id": "b"}]


def confirm(**changes: Any) -> grouping.ConfirmGroup:
    body = {
        "group_id": "g",
        "title": "Sửa đường liên thôn",
        "field": "investment_construction",
        "agency": "UBND tỉnh",
        "members": REFS,
        "decided_on": DAY,
    }
    return grouping.ConfirmGroup.model_validate(body | changes)


def decide(body: grouping.Body, group: dict[str, Any] | None = None, **known: Any) -> Any:
    facts = Known(
        group, known.get("others", []), known.get("registered", OPINIONS), known.get("holders", [])
    )
    return grouping.decide(CTX, "g", body, facts)


def confirmed() -> dict[str, Any]:
    (event,) = decide(confirm())
    assert isinstance(event, OpinionGrouped)
    return {**event.model_dump(mode="json"), "status": "confirmed", "level": "12"}


def test_a_confirmation_names_each_opinion_with_the_day_it_was_raised() -> None:
    group = confirmed()
    assert group["revision"] == 1 and group["decided_by"] == CTX.decided_by
    assert [m["raised_on"] for m in group["members"]] == ["2026-09-02", "2026-09-02"]
    assert isinstance(decide(confirm(), group), Unchanged)  # the same again: a retry
    with pytest.raises(Conflict) as taken:
        decide(confirm(title="Khác"), group)
    assert taken.value.field == "group_id"


@pytest.mark.parametrize(
    ("body", "known", "error", "field"),
    [
        (confirm(members=REFS[:1]), {}, DomainError, "members"),
        (confirm(members=[*REFS, REFS[0]]), {}, DomainError, "members"),
        (confirm(decided_on=date(2027, 1, 1)), {}, DomainError, "decided_on"),
        (confirm(decided_on=date(2026, 9, 1)), {}, DomainError, "decided_on"),
        (confirm(), {"registered": {}}, NotFound, "members.0"),
        (
            confirm(),
            {"registered": {**OPINIONS, "03390:b": registered("03390", "b", lineage=["03390"])}},
            NotFound,
            "members.1",
        ),
        (
            confirm(),
            {"registered": {**OPINIONS, "03390:b": registered("03390", "b", stage="withdrawn")}},
            DomainError,
            "members.1",
        ),
        (
            confirm(),
            {"holders": [{"group_id": "h", "members": REFS[1:]}]},
            Conflict,
            "members.1",
        ),
    ],
)
def test_a_confirmation_is_refused_naming_the_field(
    body: grouping.ConfirmGroup, known: dict[str, Any], error: type[Exception], field: str
) -> None:
    with pytest.raises(error) as refused:
        decide(body, None, **known)
    assert type(refused.value) is error and refused.value.field == field  # type: ignore[attr-defined]


def test_an_answer_names_the_members_and_a_group_answered_keeps_its_opinions() -> None:
    group = confirmed()
    answer = grouping.AnswerGroup(answered_on=date(2026, 11, 10), answer="Đã bố trí vốn")
    (event,) = decide(answer, group)
    assert isinstance(event, OpinionGroupAnswered) and len(event.members) == 2
    assert event.agency == "UBND tỉnh"
    with pytest.raises(DomainError) as early:
        decide(answer.model_copy(update={"answered_on": date(2026, 9, 1)}), group)
    assert early.value.field == "answered_on"
    answered = {**group, "answer": {**event.model_dump(mode="json"), "group_id": "g"}}
    assert isinstance(decide(answer, answered), Unchanged)
    with pytest.raises(Conflict):
        decide(answer.model_copy(update={"answer": "Khác"}), answered)
    split = grouping.SplitGroup.model_validate({"members": REFS[:1], "decided_on": DAY})
    with pytest.raises(Conflict):
        decide(split, answered)
    resolve = grouping.ResolveGroup(resolved_on=date(2026, 11, 20))
    with pytest.raises(Conflict):
        decide(resolve, group)  # not answered yet
    assert len(decide(resolve, answered)) == 1


def test_a_split_keeps_two_and_a_merge_takes_the_other_groups_in() -> None:
    group = confirmed()
    split = grouping.SplitGroup.model_validate({"members": REFS[:1], "decided_on": DAY})
    with pytest.raises(DomainError) as alone:
        decide(split, group)
    assert alone.value.field == "members"
    other = {
        **group,
        "group_id": "h",
        "members": [{**m, "opinion_id": "c"} for m in group["members"]],
    }
    merge = grouping.MergeGroups(groups=["h"], decided_on=DAY)
    (merged,) = decide(merge, group, others=[other])
    assert isinstance(merged, OpinionGrouped)
    assert (merged.revision, merged.merged, len(merged.members)) == (2, ["h"], 4)
    ended = {**other, "status": "merged", "merged_into": "g"}
    assert isinstance(decide(merge, group, others=[ended]), Unchanged)


def test_receipt_codes_are_eight_characters_keyed_and_read_as_voters_type_them() -> None:
    key = b"k" * 32
    code = receipt_code(key, "03390", "yk-1")
    assert len(code) == 8 and set(code) <= set(ALPHABET)
    assert code == receipt_code(key, "03390", "yk-1")
    assert code != receipt_code(b"x" * 32, "03390", "yk-1")  # another deployment's secret
    assert code != receipt_code(key, "03391", "yk-1")
    assert read_code(printed(code).lower()) == code
    assert read_code(" " + code[:4] + " - " + code[4:]) == code
    assert read_code("OIL0-0000") == "0110" + "0000"  # O is 0; I and L are 1
    assert read_code("ABC") is None and read_code("UUUU-UUUU") is None


def test_the_period_before_a_session_starts_after_the_previous_one() -> None:
    sessions = [{"day": "2026-07-15"}, {"day": "2026-12-10"}]
    assert session_months(sessions, sessions[1]) == "2026-08..2026-12"
    assert session_months(sessions, sessions[0]) == "2026-02..2026-07"  # none before: 6 months
    same_month = [{"day": "2026-12-01"}, {"day": "2026-12-20"}]
    assert session_months(same_month, same_month[1]) == "2026-12..2026-12"


def test_every_figure_the_synthesis_quotes_is_the_summarys() -> None:
    figures = {
        "voter_contacts": 12,
        "voter_contacts_before_session": 10,
        "voters_reached": 1512,
        "voter_opinions_raised": 96,
        "opinions_forwarded": 80,
        "opinions_answered": 50,
        "opinions_resolved": 40,
        "voter_opinions_pending": 56,
    }
    council = Council("12", "Tỉnh Lai Châu", "Lai Châu", "province")
    requests = [
        VoterRequest("land", "UBND tỉnh", "Cấp sổ đỏ", ("Xã A", "Xã B"), 2, "answered", "Đã cấp"),
        VoterRequest("land", "UBND tỉnh", "Đo đạc lại", ("Xã C",), 1, "received", grouped=False),
    ]
    for kind in ("synthesis", "results"):
        content = compose(
            {"figures": figures, "rates": {}},
            Synthesis(council, parse_period("2026-08..2026-12"), None, requests),
            kind,
            date(2026, 12, 1),
        )
        quotes = content.quotes()
        assert quotes and all(q.value == figures[q.key] for q in quotes)
        assert "1.512" in {q.text for q in quotes}
        texts = [b.text for b in content.blocks if hasattr(b, "text")]
        assert "- Cấp sổ đỏ (cử tri Xã A, Xã B; 2 ý kiến)." in " ".join(texts)
        assert texts.index("1. Lĩnh vực đất đai") < len(texts)


def test_the_public_page_is_limited_per_client_and_kept_for_a_minute() -> None:
    now = [0.0]
    limit = RateLimit(3, clock=lambda: now[0])
    assert [limit.wait("a") for _ in range(3)] == [0, 0, 0]
    assert limit.wait("a") > 0 and limit.wait("b") == 0
    now[0] = 61.0
    assert limit.wait("a") == 0
    kept = Kept(clock=lambda: now[0])
    kept.put("12", "<p>trang</p>", 200)
    assert kept.get("12") == ("<p>trang</p>", 200)
    now[0] += 61
    assert kept.get("12") is None


def test_the_public_page_escapes_what_records_say() -> None:
    opinion = {
        "stage": "answered",
        "field": "land",
        "unit_name": "Xã <b>A</b>",
        "raised_on": "2026-09-02",
        "days": {"received": "2026-09-02", "answered": "2026-11-10"},
        "answer": "<script>alert(1)</script>",
    }
    card = public_html.opinion_card(opinion, {"title": "Đường & cầu", "units": ["a", "b"]})
    assert "<script>" not in card and "&lt;script&gt;" in card and "Đường &amp; cầu" in card
    assert "10/11/2026" in card and "cử tri 2 đơn vị cùng kiến nghị" in card
