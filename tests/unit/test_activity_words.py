"""The log's summaries are said in Vietnamese when read: a staff member reads "Tiếp xúc cử tri",
never the payload's enum word "voter_contact" (page and CSV alike)."""

from __future__ import annotations

from contracts.meetings import MeetingKind
from contracts.oversight import Activity
from services.reporting.activity.entries import WORDS, said
from services.reporting.read.figures.meetings import kind_name


def test_enum_words_are_named_and_a_repeated_name_said_once() -> None:
    assert said("voter_contact · Cuộc tiếp xúc cử tri") == "Cuộc tiếp xúc cử tri"
    assert said("session · Kỳ họp thứ 5") == "Kỳ họp · Kỳ họp thứ 5"
    assert said("standing_committee") == kind_name(MeetingKind.STANDING_COMMITTEE)
    assert said("password") == "Mật khẩu"
    assert said("Nhiệm vụ A · in_progress") == "Nhiệm vụ A · Đang thực hiện"


def test_periods_by_their_label_and_free_text_untouched() -> None:
    assert said("2025-H1 · Báo cáo") == "6 tháng đầu năm 2025 · Báo cáo"
    assert said("2025 năm bản lề") == "2025 năm bản lề"
    assert said("") == ""


def test_every_meeting_kind_and_supervision_activity_has_a_word() -> None:
    values = [k.value for k in MeetingKind] + [k.value for k in Activity]
    assert [v for v in values if v not in WORDS] == []
    assert all(not word.isascii() for word in WORDS.values())
