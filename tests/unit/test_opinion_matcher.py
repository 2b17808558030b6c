"""The opinion matcher (issue 23): normalisation, the index, the grouping, and its precision
and recall on the labelled pairs of tests/data/opinion_pairs.jsonl."""

from __future__ import annotations

import random
import unicodedata
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.reporting.opinions import (
    MAX_SUGGESTIONS,
    SUGGEST_THRESHOLD,
    Opinion,
    OpinionIndex,
    normalize,
    propose_groups,
    unmark,
)
from services.reporting.opinions.quality import (
    GROUP_FLOOR,
    SUGGESTION_FLOOR,
    Floor,
    load_pairs,
    measure,
)

PAIRS = load_pairs(Path(__file__).parents[1] / "data" / "opinion_pairs.jsonl")
TEXTS = sorted({t for p in PAIRS for t in (p.a, p.b)})
UNITS = ("03390", "03391", "03392", "03393")
DAY = date(2025, 3, 2)


def opinion(opinion_id: str, text: str, unit: str = UNITS[0], day: date = DAY) -> Opinion:
    return Opinion(opinion_id, text, unit, day, "received", "investment_construction")


def index_of(*texts: str) -> OpinionIndex:
    index = OpinionIndex()
    for n, text in enumerate(texts):
        index.add(opinion(f"yk-{n}", text, UNITS[n % len(UNITS)]))
    return index


# -- normalisation -------------------------------------------------------------------------------


def test_case_tone_placement_and_accents_give_one_key() -> None:
    keys = {
        normalize(t).plain
        for t in ("Nhà văn hoá thôn", "nhà văn hóa thôn", "NHÀ VĂN HÓA THÔN", "nha van hoa thon")
    }
    assert keys == {("nha", "van", "hoa", "thon")}
    assert normalize("thuỷ lợi").marked == normalize("thủy lợi").marked == ("thuy3", "lơi5")
    assert normalize("đường").plain == ("duong",)
    assert unicodedata.is_normalized("NFC", normalize("Đường").marked_text)


words = st.sampled_from(sorted({w for t in TEXTS for w in t.split()}))


@given(st.lists(words, min_size=1, max_size=25))
@settings(max_examples=200, deadline=None)
def test_the_plain_key_of_a_text_is_the_plain_key_of_it_typed_without_accents(
    chosen: list[str],
) -> None:
    text = " ".join(chosen)
    assert normalize(unmark(text)).plain == normalize(text).plain


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("sửa chữa cầu treo bản Nà Tăm", "sua chua cau treo"),
        ("sửa chữa cầu treo thôn Đông Tiến, bị hư hỏng", "sua chua cau treo bi hu hong"),
        ("Khu dân cư tổ 3 bị ngập", "khu dan cu bi ngap"),
        ("Trạm y tế xã Mường Kim xuống cấp", "tram y te xuong cap"),
        ("cầu qua suối Nậm Mu", "cau qua"),
        ("nhà của ông Lò Văn Pánh bị dột", "nha bi dot"),
        ("đường liên bản đến bản Hô Be", "duong lien thon den"),  # "liên bản": no village
        ("nhà văn hóa thôn", "nha van hoa thon"),
        ("ban na tam", "ban na tam"),  # all lowercase: nothing tells a name apart
    ],
)
def test_names_after_a_marker_are_dropped(text: str, plain: str) -> None:
    assert normalize(text).plain_text == plain


def test_names_are_kept_when_asked() -> None:
    assert normalize("cầu treo bản Nà Tăm", places="keep").plain_text == "cau treo ban na tam"


def test_administrative_formulas_and_function_words_are_dropped() -> None:
    text = "Cử tri đề nghị các cấp xem xét, tạo điều kiện sửa chữa cầu treo cho nhân dân."
    assert normalize(text).marked_text == "sưa3 chưa4 câu2 treo"
    assert normalize(text).plain_text == "sua chua cau treo cho"  # "cho" may be "chợ"


def test_the_plain_key_keeps_unaccented_stop_words_that_are_also_other_words() -> None:
    # "tai" is both "tại" and the "tái" of "tái định cư"; "cho" both "cho" and "chợ"
    assert normalize("tái định cư tại xã").plain == ("tai", "dinh", "cu", "tai", "xa")
    assert normalize("tái định cư tại xã").marked == ("tai1", "đinh5", "cư", "xa4")
    assert "cho" in normalize("xây dựng chợ").plain


def test_abbreviations_and_synonyms_are_written_one_way() -> None:
    assert normalize("cấp thẻ BHYT").plain == normalize("cấp thẻ bảo hiểm y tế").plain
    assert normalize("chậm đền bù").plain == normalize("chậm bồi thường").plain
    assert normalize("cấp sổ đỏ").plain == normalize("cấp giấy chứng nhận quyền sử dụng đất").plain
    assert normalize("tu sửa đường").plain == normalize("sửa chữa đường").plain


@pytest.mark.parametrize(
    ("text", "objects"),
    [
        ("sửa chữa đường dây điện", {"power"}),
        ("sửa chữa đường liên thôn", {"road"}),
        ("xây nhà văn hóa thôn", {"culture_house"}),  # not a home
        ("xây nhà cho hộ nghèo", {"housing"}),
        ("ô nhiễm môi trường", {"pollution"}),  # "môi trường" is no school
        ("bố trí bác sĩ về trạm y tế", {"medical_staff", "clinic"}),
        ("bo tri bac si ve tram y te", {"medical_staff", "clinic"}),  # not "bò"
        ("xay dung cho cho", set()),  # without accents one syllable says too little
        ("hỗ trợ sản xuất", set()),
    ],
)
def test_the_things_a_request_asks_for(text: str, objects: set[str]) -> None:
    assert normalize(text).objects == objects


# -- the index -----------------------------------------------------------------------------------

BRIDGE = "Cử tri đề nghị sớm sửa chữa cầu treo bản Hô Be bị hư hỏng sau mưa lũ."
CULTURE = "Cử tri đề nghị sớm sửa chữa nhà văn hóa bản Hô Be bị hư hỏng sau mưa lũ."
BRIDGE_ELSEWHERE = "Cầu treo qua suối ở thôn Làng Mới bị lũ cuốn hỏng, đề nghị sửa chữa cầu."


def test_typing_finds_the_same_request_not_the_same_words_for_another() -> None:
    index = index_of(BRIDGE, CULTURE, BRIDGE_ELSEWHERE)
    typed = "Đề nghị sửa chữa cầu treo"
    found = [s.opinion.opinion_id for s in index.suggest(typed)]
    assert found[:2] == ["yk-0", "yk-2"] or found[:2] == ["yk-2", "yk-0"]
    assert "yk-1" not in found
    assert [s.opinion.opinion_id for s in index.suggest(unmark(typed).lower())] == found


def test_a_query_too_short_to_say_anything_suggests_nothing() -> None:
    index = index_of(BRIDGE)
    assert index.suggest("Đề nghị cầu treo") == []  # two meaningful syllables
    assert [s.opinion.opinion_id for s in index.suggest("Đề nghị sửa cầu treo")] == ["yk-0"]


def test_suggestions_keep_to_the_units_asked_for_and_leave_out_the_one_edited() -> None:
    index = index_of(BRIDGE, CULTURE, BRIDGE_ELSEWHERE)  # units 03390, 03391, 03392
    assert [s.opinion.unit for s in index.suggest(BRIDGE, units={"03392"})] == ["03392"]
    assert index.suggest(BRIDGE, units={"09999"}) == []
    assert "yk-0" not in [s.opinion.opinion_id for s in index.suggest(BRIDGE, exclude="yk-0")]


def test_update_changes_what_a_suggestion_shows_and_what_it_matches() -> None:
    index = index_of(BRIDGE, CULTURE)
    index.update("yk-0", status="resolved")
    assert index.suggest(BRIDGE)[0].opinion.status == "resolved"
    index.update("yk-0", text="Đề nghị tăng cường bác sĩ cho trạm y tế xã.")
    assert "yk-0" not in [s.opinion.opinion_id for s in index.suggest(BRIDGE)]
    assert [s.opinion.opinion_id for s in index.suggest("bố trí bác sĩ trạm y tế")] == ["yk-0"]


def test_an_opinion_added_twice_is_indexed_once_and_removing_it_twice_is_harmless() -> None:
    index = index_of(BRIDGE)
    index.add(opinion("yk-0", BRIDGE))
    assert len(index) == 1
    assert len(index.suggest(BRIDGE)) == 1
    assert index.remove("yk-0") is True
    assert index.remove("yk-0") is False
    assert index.suggest(BRIDGE) == []


distinct_texts = st.lists(st.sampled_from(TEXTS), min_size=1, max_size=40, unique=True)


@given(distinct_texts, st.data())
@settings(max_examples=40, deadline=None)
def test_a_text_finds_itself_with_the_top_score(texts: list[str], data: st.DataObject) -> None:
    index = index_of(*texts)
    n = data.draw(st.integers(0, len(texts) - 1))
    if len(normalize(texts[n]).plain) < 3:
        return
    found = index.matches(index.key(texts[n]))
    best = [s.opinion.opinion_id for s in found if s.score == 100.0]
    assert f"yk-{n}" in best


@given(distinct_texts, st.sampled_from(TEXTS), st.sets(st.sampled_from(UNITS)), st.integers(0, 9))
@settings(max_examples=40, deadline=None)
def test_suggestions_are_few_sorted_above_the_threshold_and_in_the_units(
    texts: list[str], query: str, units: set[str], limit: int
) -> None:
    found = index_of(*texts).suggest(query, units=units, limit=limit)
    assert len(found) <= min(limit, MAX_SUGGESTIONS)
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)
    assert all(s.score >= SUGGEST_THRESHOLD and s.opinion.unit in units for s in found)


@given(distinct_texts, st.lists(st.sampled_from(TEXTS), min_size=1, max_size=10))
@settings(max_examples=30, deadline=None)
def test_adding_then_removing_opinions_leaves_the_answers_as_before(
    texts: list[str], extra: list[str]
) -> None:
    index = index_of(*texts)
    before = [index.matches(index.key(t)) for t in texts]
    for n, text in enumerate(extra):
        index.add(opinion(f"extra-{n}", text))
    for n in range(len(extra)):
        index.remove(f"extra-{n}")
    assert [index.matches(index.key(t)) for t in texts] == before


# -- grouping ------------------------------------------------------------------------------------


def period_opinions() -> list[Opinion]:
    return [
        opinion("a1", "Đề nghị bố trí bác sĩ về trạm y tế xã để khám chữa bệnh.", UNITS[0]),
        opinion("a2", "Trạm y tế xã Mường Kim chưa có bác sĩ, đề nghị bố trí bác sĩ.", UNITS[1]),
        opinion("a3", "de nghi bo tri bac si ve tram y te xa", UNITS[2]),
        opinion("b1", "Đề nghị sửa chữa cầu treo bản Hô Be bị hư hỏng sau mưa lũ.", UNITS[0]),
        opinion("b2", "Đề nghị sửa chữa cầu treo thôn Tả Lan bị hư hỏng do mưa lũ.", UNITS[3]),
        opinion("c1", "Đề nghị sửa chữa nhà văn hóa bản Hô Be bị hư hỏng sau mưa lũ.", UNITS[0]),
        opinion("d1", "Đề nghị kéo điện lưới quốc gia về bản.", UNITS[1]),
        opinion("d2", "Đề nghị kéo điện lưới quốc gia về bản vì bản chưa có điện.", UNITS[1]),
    ]  # fmt: skip


def test_groups_gather_one_request_across_units_and_nothing_else() -> None:
    groups = propose_groups(period_opinions())
    assert [sorted(o.opinion_id for o in g.opinions) for g in groups] == [
        ["a1", "a2", "a3"],
        ["b1", "b2"],
    ]  # the cultural house stays out; d1, d2 are one unit's
    assert groups[0].units == {UNITS[0], UNITS[1], UNITS[2]}
    assert propose_groups(period_opinions(), min_units=1)[-1].units == {UNITS[1]}


@given(st.randoms(use_true_random=False))
@settings(max_examples=20, deadline=None)
def test_groups_depend_on_the_opinions_not_their_order(rng: random.Random) -> None:
    shuffled = period_opinions() + [opinion(f"x{n}", t) for n, t in enumerate(TEXTS[:40])]
    expected = propose_groups(sorted(shuffled, key=lambda o: o.opinion_id))
    rng.shuffle(shuffled)
    assert propose_groups(shuffled) == expected


# -- the labelled pairs --------------------------------------------------------------------------


def test_the_labelled_pairs_are_many_balanced_and_well_formed() -> None:
    kinds = Counter(p.kind for p in PAIRS)
    assert len(PAIRS) >= 300
    assert set(kinds) == {"same_request", "same_words", "unrelated"}
    assert min(kinds.values()) >= len(PAIRS) / 3 - 10
    assert all(p.same == (p.kind == "same_request") for p in PAIRS)
    assert len({(p.a, p.b) for p in PAIRS}) == len(PAIRS)
    assert len({p.pair_id for p in PAIRS}) == len(PAIRS)
    assert all(unicodedata.is_normalized("NFC", t) and t.strip() for t in TEXTS)


@pytest.mark.parametrize("floor", [SUGGESTION_FLOOR, GROUP_FLOOR], ids=["suggestions", "groups"])
def test_precision_and_recall_on_the_labelled_pairs_hold_the_floor(floor: Floor) -> None:
    """The figures the README states (quality.py holds them): printed, and failed below."""
    quality = measure(PAIRS, floor.threshold)
    by_id = {p.pair_id: p for p in PAIRS}
    missed = Counter(by_id[i].variation for i in quality.missed)
    wrong = Counter(by_id[i].kind for i in quality.wrong)
    print(f"\nlabelled pairs ({len(PAIRS)}), {quality}")
    print(f"  missed by variation: {dict(missed)}; wrongly matched by kind: {dict(wrong)}")
    assert quality.precision >= floor.precision and quality.recall >= floor.recall, (
        f"below the floor {floor}: {quality}; missed {quality.missed}, wrong {quality.wrong}"
    )
