"""One entry of the activity log, taken from an envelope; and the Vietnamese name of each kind
of entry (loại việc), said once for the page and the CSV. Pure: the projector's worker
processes take entries as they read records (services.reporting.read.projector.reading)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, NamedTuple

from contracts import Envelope
from contracts.meetings import MeetingKind
from services.common.hierarchy import Hierarchy, era_of
from services.reporting.read.figures.meetings import kind_name
from services.reporting.read.periods import InvalidPeriod, parse_period

# The record an entry is about: the first of these its payload (or the meeting in it) names.
RECORD_FIELDS = (
    "recommendation_id",
    "opinion_id",
    "petition_id",
    "supervision_id",
    "proposal_id",
    "report_id",
    "task_id",
    "group_id",
    "declaration_id",
    "meeting_id",
    "change_no",
    "account_id",
    "username",
)
# What the summary says of a record, when its payload has it (one line, in the payload's words).
SUMMARY_FIELDS = (
    "kind",
    "activity",
    "title",
    "text",
    "summary",
    "period",
    "status",
    "stage",
    "agency",
    "reason",
    "method",  # a sign-in: password, or oidc (single sign-on)
)
SUMMARY_LENGTH = 200
# Never what a voter said or a petition's summary: those may name citizens, and are kept only
# where retention and `hdnd erase` reach them (README, "Retention and personal data").
CITIZENS_WORDS = ("opinion.", "petition.")

LABELS: Mapping[str, str] = {
    "meeting.scheduled": "Lên lịch cuộc họp",
    "meeting.held": "Ghi nhận cuộc họp đã tổ chức",
    "meeting.cancelled": "Hủy cuộc họp",
    "meeting.corrected": "Đính chính cuộc họp",
    "supervision.planned": "Ban hành kế hoạch giám sát",
    "supervision.started": "Bắt đầu giám sát",
    "supervision.finished": "Kết thúc giám sát",
    "recommendation.issued": "Ban hành kiến nghị sau giám sát",
    "recommendation.implemented": "Kiến nghị đã được thực hiện",
    "recommendation.overdue": "Kiến nghị quá hạn",
    "opinion.received": "Tiếp nhận ý kiến cử tri",
    "opinion.forwarded": "Chuyển ý kiến cử tri đến cơ quan",
    "opinion.answered": "Trả lời ý kiến cử tri",
    "opinion.resolved": "Giải quyết ý kiến cử tri",
    "opinion.withdrawn": "Rút ý kiến cử tri (đính chính cuộc họp)",
    "opinion.moved": "Đổi ngày ý kiến cử tri (đính chính cuộc họp)",
    "petition.received": "Tiếp nhận đơn thư",
    "petition.transferred": "Chuyển đơn thư",
    "petition.settled": "Giải quyết xong đơn thư",
    "petition.withdrawn": "Rút đơn thư (đính chính cuộc họp)",
    "petition.moved": "Đổi ngày đơn thư (đính chính cuộc họp)",
    "council.delegates_declared": "Kê khai đại biểu, đại biểu đã tập huấn",
    "council.staff_declared": "Kê khai cán bộ phục vụ HĐND",
    "report.filed": "Gửi báo cáo định kỳ",
    "task.set": "Giao nhiệm vụ trong chương trình công tác",
    "task.status_changed": "Cập nhật trạng thái nhiệm vụ",
    "proposal.raised": "Gửi kiến nghị, đề xuất lên cấp trên",
    "proposal.answered": "Trả lời kiến nghị, đề xuất",
    "hierarchy.changed": "Thay đổi đơn vị hành chính",
    "opinion.grouped": "Xác nhận nhóm ý kiến cử tri cùng nội dung",
    "opinion.ungrouped": "Hủy nhóm ý kiến cử tri",
    "opinion_group.answered": "Trả lời chung nhóm ý kiến cử tri",
    "opinion_group.resolved": "Giải quyết chung nhóm ý kiến cử tri",
    # hdnd.identity (accounts and sign-ins)
    "account.created": "Tạo tài khoản",
    "account.changed": "Sửa tài khoản",
    "account.disabled": "Vô hiệu hóa tài khoản",
    "account.enabled": "Kích hoạt lại tài khoản",
    "account.password_reset": "Đặt lại mật khẩu",
    "account.unlocked": "Mở khóa đăng nhập",
    "sign_in.succeeded": "Đăng nhập",
    "sign_in.failed": "Đăng nhập không thành công",
    "session.signed_out": "Đăng xuất",
    "service_account.created": "Tạo tài khoản dịch vụ",
    "service_account.revoked": "Thu hồi tài khoản dịch vụ",
    "account.password_changed": "Đổi mật khẩu",
    "account.totp_enabled": "Bật xác thực hai lớp",
    "account.linked": "Chuyển sang đăng nhập bằng tài khoản của tỉnh",
    "session.revoked": "Thu hồi phiên đăng nhập",
    "sign_in_policy.changed": "Đổi quy định đăng nhập",
    "account.preferences_changed": "Đổi cách nhận thông báo",
    # hdnd.reporting (operations on personal data)
    "personal_data.erased": "Xóa dữ liệu cá nhân theo yêu cầu",
    # hdnd.reporting (deadlines and notifications)
    "deadline_rules.changed": "Thay đổi quy định thời hạn",
    "notification.sent": "Gửi thông báo nhắc hạn, báo cáo cấp trên",
}
UNLOGGED = frozenset({"unit.registered", "event.parked", "audit.root"})
"""Kinds never in the log: the dataset's units as loaded, and placeholders of parked events."""

ACTOR_KINDS: Mapping[str, str] = {
    "person": "Cán bộ",
    "service": "Tài khoản dịch vụ",
    "system": "Hệ thống",
}


def label_of(kind: str) -> str:
    """The Vietnamese name of an entry's kind; its type for one not named here."""
    return LABELS.get(kind, kind)


# The values of the payload's enumerations a summary may hold (SUMMARY_FIELDS), as the
# workspace's forms name them: the summary is stored in the payload's words and said in
# Vietnamese when read, so the page and the CSV show "Tiếp xúc cử tri", not "voter_contact".
WORDS: Mapping[str, str] = {
    # each kind of meeting as the report names it (the figure catalogue's words)
    **{kind.value: kind_name(kind) for kind in MeetingKind},
    # supervision activities
    "thematic_supervision": "Giám sát chuyên đề",
    "survey": "Khảo sát",
    "verification": "Thẩm tra",
    # proposals
    "recommendation": "Kiến nghị",
    "suggestion": "Đề xuất",
    # hierarchy changes
    "merge": "Sáp nhập",
    "divide": "Chia tách",
    "dissolve": "Giải thể",
    "rename": "Đổi tên",
    "reparent": "Điều chỉnh cấp trên",
    # task status
    "planned": "Kế hoạch",
    "in_progress": "Đang thực hiện",
    "done": "Hoàn thành",
    "cancelled": "Đã hủy",
    # stages of an opinion or a petition
    "received": "Đã tiếp nhận",
    "forwarded": "Đã chuyển",
    "answered": "Đã trả lời",
    "resolved": "Đã giải quyết",
    "transferred": "Đã chuyển đơn",
    "settled": "Đã giải quyết xong",
    # sign-ins
    "password": "Mật khẩu",
    "oidc": "Tài khoản của tỉnh (đăng nhập một lần)",
    "bad_credentials": "Sai tên đăng nhập hoặc mật khẩu",
    "bad_otp": "Sai mã xác thực",
    "refresh_token_reused": "Phiên đăng nhập bị dùng lại",
    # notifications
    "reminder": "Nhắc hạn",
    "escalation": "Báo cáo lên cấp trên",
    "digest": "Tổng hợp hằng tuần",
}


def said(summary: str) -> str:
    """A stored summary in Vietnamese: each part that is a known value named (a period key by
    its label), a part equal to the one before dropped ("Tiếp xúc cử tri · Tiếp xúc cử tri")."""
    parts: list[str] = []
    for part in summary.split(" · ") if summary else ():
        word = WORDS.get(part)
        if word is None and part[:2] in ("19", "20") and part[:4].isdigit():
            try:
                word = parse_period(part).label
            except InvalidPeriod:
                word = None
        word = word or part
        if not parts or parts[-1] != word:
            parts.append(word)
    return " · ".join(parts)


class Entry(NamedTuple):
    """What the log keeps of one event (plain data, cheap to send between processes).

    `key` is its stream and sequence: what the projector lets through once, and what no key of
    another unit can sign (a stream is its unit's), unlike an event id, which anyone may copy."""

    key: str
    event_id: str
    type: str
    unit: str
    day: date  # the business day: whose council it was (codes were reused in 2025)
    at: datetime  # recorded_at: when it was done
    actor: tuple[str, str, str]  # id, name, kind
    record: str | None
    summary: str

    def document(self, lineage: tuple[str, ...]) -> dict[str, Any]:
        """The stored entry; `lineage`: its unit and the units above it on its day, so a unit's
        log with those below it is one indexed query."""
        actor_id, name, kind = self.actor
        return {
            "_id": self.key,
            "event_id": self.event_id,
            "type": self.type,
            "unit": self.unit,
            "lineage": list(lineage),
            "day": self.day.isoformat(),
            "era": era_of(self.day),
            "at": self.at,
            "actor": {"id": actor_id, "name": name, "kind": kind},
            "record": self.record,
            "summary": self.summary,
        }


def listed_under(hierarchy: Hierarchy, unit: str, day: date) -> tuple[str, ...]:
    """The units whose log (with the units below them) lists an entry of `unit` on `day`: the
    unit and those above it that day; for a unit a change ended before that day, also the unit
    its records count in and those above it (Hierarchy.resolve). Under the tree as it now
    stands: a change arriving later moves what it lists (ProjectionStore.relocate)."""
    found = hierarchy.lineage_if_any(unit, day)
    if found is not None:
        return found
    target = hierarchy.resolve(unit, day)
    return (unit,) if target is None else (unit, *hierarchy.lineage(target, day))


def entry_of(envelope: Envelope, key: str | None = None) -> Entry | None:
    """The log's entry for `envelope`: None unless it names its actor and is of a kind logged.
    Its key is its stream and sequence unless given (a hierarchy change: its number)."""
    actor = envelope.actor
    if actor is None or envelope.type in UNLOGGED:
        return None
    payload = envelope.payload
    return Entry(
        key or f"{envelope.stream}#{envelope.sequence}",
        str(envelope.event_id),
        envelope.type,
        envelope.unit,
        envelope.business_day,
        envelope.recorded_at,
        (actor.id, actor.name, actor.kind),
        record_of(envelope.type, payload),
        summary_of(payload, citizens=envelope.type.startswith(CITIZENS_WORDS)),
    )


NESTED = ("meeting", "corrected", "change")  # records an event carries whole
_RECORD_AT: dict[str, tuple[str | None, str]] = {}  # type -> where its record id was found


def _levels(payload: Mapping[str, Any]) -> list[tuple[str | None, Mapping[str, Any]]]:
    """The payload (None) and the records it carries whole (a meeting held, or corrected)."""
    levels: list[tuple[str | None, Mapping[str, Any]]] = [(None, payload)]
    for key in NESTED:
        inner = payload.get(key)
        if inner.__class__ is dict:
            levels.append((key, inner))
    return levels


def record_of(kind: str, payload: Mapping[str, Any]) -> str | None:
    """The id of the record an event of `kind` is about (a meeting, an opinion, a report …):
    where it was found in the first payload of that kind, which every other one shares."""
    where = _RECORD_AT.get(kind)
    if where is not None:
        key, name = where
        value = (payload if key is None else payload.get(key) or {}).get(name)
        if value.__class__ in (str, int):
            return str(value)[:128]
    for key, level in _levels(payload):
        for name in RECORD_FIELDS:
            value = level.get(name)
            if value.__class__ in (str, int):
                _RECORD_AT[kind] = (key, name)
                return str(value)[:128]
    return next(
        (str(v)[:128] for k, v in payload.items() if k.endswith("_id") and isinstance(v, str)),
        None,
    )


def summary_of(payload: Mapping[str, Any], citizens: bool = False) -> str:
    """A short line saying what the record is: its kind, title, stage … in the payload's words;
    `citizens`: the record holds citizens' words, which the line leaves out."""
    parts: list[str] = []
    fields = (
        [f for f in SUMMARY_FIELDS if f not in ("text", "summary")] if citizens else SUMMARY_FIELDS
    )
    for _, level in _levels(payload):
        for name in fields:
            value = level.get(name)
            if value.__class__ is str and value and value not in parts:
                parts.append(value[:80])
    return " · ".join(parts)[:SUMMARY_LENGTH]
