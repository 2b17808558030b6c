"""The Vietnamese texts of the sample's records: villages, fields, answers, plans, tasks."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from deploy.sample.posts import Json
from services.common.hierarchy import Unit

# -- Vietnamese texts ----------------------------------------------------------------------------

VILLAGES = [
    "Nà Tăm", "Hô Be", "Thẳm", "Hon", "Sì Thâu Chải", "Nà Khum", "Phiêng Pẳn", "Hua Bum",
    "Nậm Cười", "Pa Pe", "Na Hối", "Lùng Thàng", "Chu Va", "Séo Lèng", "Nậm Đích", "Tả Chải",
]  # fmt: skip

# Opinions of voters by field (lĩnh vực); {v} is a village (bản).
OPINIONS: dict[str, list[str]] = {
    "investment_construction": [
        "Đề nghị đầu tư nâng cấp tuyến đường liên bản đến bản {v} đã xuống cấp, mùa mưa đi lại"
        " rất khó khăn.",
        "Cử tri đề nghị sớm sửa chữa cầu treo bản {v} bị hư hỏng sau mưa lũ.",
        "Đề nghị đầu tư công trình nước sinh hoạt tập trung cho bản {v}.",
        "Đề nghị đẩy nhanh tiến độ thi công kè chống sạt lở khu dân cư bản {v}.",
    ],
    "land": [
        "Đề nghị đẩy nhanh việc cấp giấy chứng nhận quyền sử dụng đất cho các hộ bản {v}.",
        "Cử tri phản ánh việc bồi thường, hỗ trợ giải phóng mặt bằng dự án thủy điện tại bản {v}"
        " còn chậm.",
        "Đề nghị xem xét bố trí đất tái định cư cho các hộ có nguy cơ sạt lở ở bản {v}.",
    ],
    "social_policy": [
        "Đề nghị hỗ trợ xóa nhà tạm, nhà dột nát cho các hộ nghèo bản {v}.",
        "Đề nghị chi trả kịp thời trợ cấp xã hội hằng tháng cho người cao tuổi, người khuyết tật.",
        "Đề nghị tiếp tục hỗ trợ giống cây, con giống cho hộ nghèo theo chương trình giảm nghèo"
        " bền vững.",
    ],
    "education_health": [
        "Đề nghị bổ sung giáo viên cho điểm trường bản {v}.",
        "Đề nghị tăng cường bác sĩ và thuốc thiết yếu cho trạm y tế xã.",
        "Đề nghị sửa chữa phòng học tạm, nhà bán trú cho học sinh bản {v}.",
    ],
    "budget": [
        "Đề nghị bố trí kinh phí sửa chữa nhà văn hóa bản {v}.",
        "Đề nghị công khai việc sử dụng kinh phí hỗ trợ phát triển sản xuất ở bản {v}.",
    ],
    "petitions": [
        "Đề nghị giải quyết dứt điểm vụ tranh chấp đất nương kéo dài giữa hai hộ ở bản {v}.",
    ],
    "other": [
        "Cử tri phản ánh điện lưới ở bản {v} thường xuyên mất điện, điện áp yếu.",
        "Đề nghị tăng cường sóng điện thoại di động, internet cho bản {v}.",
        "Đề nghị có biện pháp xử lý tình trạng khai thác cát, sỏi trái phép trên suối gần bản {v}.",
    ],
}
FIELD_WEIGHTS = {
    "investment_construction": 30, "land": 20, "social_policy": 15, "education_health": 12,
    "budget": 8, "petitions": 5, "other": 10,
}  # fmt: skip

PETITIONS: dict[str, list[str]] = {
    "complaint": [
        "Khiếu nại về mức bồi thường, hỗ trợ khi Nhà nước thu hồi đất làm đường giao thông.",
        "Khiếu nại quyết định xử phạt vi phạm hành chính trong lĩnh vực đất đai.",
    ],
    "denunciation": [
        "Tố cáo hành vi khai thác cát, sỏi trái phép trên suối Nậm Lúc.",
        "Tố cáo cán bộ địa chính gây khó khăn khi làm thủ tục cấp giấy chứng nhận.",
    ],
    "recommendation": [
        "Kiến nghị hỗ trợ hộ gia đình bị thiệt hại nhà ở do sạt lở đất.",
        "Kiến nghị cấp đổi giấy chứng nhận quyền sử dụng đất bị sai diện tích.",
        "Kiến nghị xem xét chế độ cho người có công với cách mạng.",
    ],
    "reflection": [
        "Phản ánh việc xây dựng công trình lấn chiếm hành lang an toàn giao thông.",
        "Phản ánh tình trạng ô nhiễm môi trường từ cơ sở chế biến chè.",
    ],
}
PETITION_WEIGHTS = {"complaint": 30, "denunciation": 10, "recommendation": 40, "reflection": 20}

OPINION_ANSWERS = [
    "{a} đã trả lời: nội dung kiến nghị đã được tổng hợp, đưa vào kế hoạch thực hiện năm 2026.",
    "{a} đã trả lời bằng văn bản, giải thích rõ chính sách và lộ trình thực hiện.",
    "{a} đã trả lời, cam kết bố trí nguồn lực để giải quyết trong năm.",
]
OPINION_RESULTS = [
    "Đã thực hiện xong, cử tri đồng tình.",
    "Đã khắc phục, đưa vào sử dụng.",
    "Đã chi trả đầy đủ cho các đối tượng.",
]
PETITION_OUTCOMES = [
    "Đã giải quyết, trả lời công dân bằng văn bản.",
    "Đã xác minh, kết luận; công dân đồng ý với kết quả giải quyết.",
    "Đã hướng dẫn công dân gửi đơn đến đúng cơ quan có thẩm quyền.",
]


def lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def ubnd(unit: Unit) -> str:
    """The people's committee of a unit: "UBND huyện Tam Đường"."""
    return "UBND " + lower_first(unit.name)


def local(text: str, unit: Unit) -> str:
    """A commune-level text as a phường or thị trấn writes it ("HĐND xã" → "HĐND phường")."""
    if unit.level != "commune":
        return text
    kind = next((k for k in ("Phường", "Thị trấn", "Đặc khu") if unit.name.startswith(k)), "Xã")
    return text.replace("HĐND xã", f"HĐND {kind.lower()}")


def department(field_: str, province: Unit, day: date) -> str:
    """The provincial department competent for a field (the 2025 mergers from 1 March)."""
    merged = day >= date(2025, 3, 1)
    where = lower_first(province.name)
    name = {
        "investment_construction": "Sở Xây dựng",
        "land": "Sở Nông nghiệp và Môi trường" if merged else "Sở Tài nguyên và Môi trường",
        "social_policy": "Sở Nội vụ" if merged else "Sở Lao động – Thương binh và Xã hội",
        "education_health": "Sở Y tế",
        "budget": "Sở Tài chính",
        "petitions": "Thanh tra",
        "citizen_reception": "Thanh tra",
        "other": "Công ty Điện lực",
    }[field_]
    return (
        f"{name} {province.short_name or province.name}" if field_ == "other" else f"{name} {where}"
    )


# -- texts of the oversight and coordination records ---------------------------------------------


# The plans of supervisions, surveys and verifications (a table of texts: plans.json); the
# province's by month, each with the days from planned to started and to finished (-1: not yet).
_PLANS = json.loads((Path(__file__).parent / "plans.json").read_text(encoding="utf-8"))
PROVINCE_PLANS: dict[int, list[tuple[Json, tuple[int, int]]]] = {
    int(month): [(p["plan"], (p["started_after_days"], p["finished_after_days"])) for p in plans]
    for month, plans in _PLANS["province_by_month"].items()
}
DISTRICT_PLANS: list[Json] = _PLANS["district"]
COMMUNE_PLANS: list[Json] = _PLANS["commune"]
VERIFY_MIDYEAR_DISTRICT: Json = _PLANS["verify_midyear_district"]
VERIFY_MIDYEAR_COMMUNE: Json = _PLANS["verify_midyear_commune"]
FINDINGS = [
    "Cơ bản thực hiện đúng quy định; còn chậm giải quyết một số vụ việc tồn đọng.",
    "Đã triển khai đầy đủ; công tác phối hợp giữa các cơ quan còn hạn chế, hồ sơ lưu trữ chưa"
    " đầy đủ.",
    "Kết quả đạt khá; một số chỉ tiêu chưa đạt kế hoạch do thiếu nguồn lực và ảnh hưởng của"
    " thiên tai.",
]
RECOMMENDATIONS = [
    "Đề nghị {a} chỉ đạo giải quyết dứt điểm các vụ việc tồn đọng, báo cáo kết quả về Thường"
    " trực HĐND.",
    "Đề nghị {a} rà soát, bổ sung kinh phí và hướng dẫn thực hiện thống nhất.",
    "Đề nghị {a} tăng cường kiểm tra, xử lý nghiêm các sai phạm được phát hiện qua giám sát.",
    "Đề nghị {a} công khai kết quả thực hiện và trả lời cử tri bằng văn bản.",
]
PROVINCE_TASKS = [
    # Q1
    "Tổ chức kỳ họp chuyên đề HĐND tỉnh tháng 2",
    "Giám sát việc giải quyết đơn thư khiếu nại, tố cáo năm 2024",
    "Tổ chức hội nghị giao ban Thường trực HĐND tỉnh với cấp huyện",
    "Tập huấn kỹ năng giám sát cho đại biểu HĐND tỉnh và cấp huyện",
    "Tổng hợp, đôn đốc giải quyết kiến nghị cử tri sau kỳ họp cuối năm 2024",
    "Tiếp công dân định kỳ theo quy định",
    # Q2
    "Tổ chức kỳ họp bất thường thông qua Đề án sắp xếp đơn vị hành chính cấp xã",
    "Thẩm tra các báo cáo, dự thảo nghị quyết trình kỳ họp giữa năm",
    "Tổ chức tiếp xúc cử tri trước kỳ họp giữa năm",
    "Hướng dẫn HĐND cấp huyện kết thúc hoạt động",
    "Giám sát công tác bồi thường, giải phóng mặt bằng các dự án trọng điểm",
    "Chuẩn bị nội dung kỳ họp thường lệ giữa năm 2025",
    # Q3
    "Tổ chức kỳ họp thường lệ giữa năm 2025",
    "Hướng dẫn HĐND cấp xã mới kiện toàn tổ chức, ban hành quy chế hoạt động",
    "Bồi dưỡng kỹ năng hoạt động cho đại biểu HĐND cấp xã",
    "Tổ chức tiếp xúc cử tri sau kỳ họp giữa năm",
    "Giám sát chính sách hỗ trợ giáo dục vùng đồng bào dân tộc thiểu số",
    "Tổ chức hội nghị giao ban với Thường trực HĐND các xã, phường",
    # Q4: the 8 main tasks of the fourth quarter
    "Chuẩn bị nội dung kỳ họp thường lệ cuối năm 2025",
    "Thẩm tra dự toán ngân sách địa phương năm 2026",
    "Giám sát công tác tiếp công dân và giải quyết kiến nghị của cử tri",
    "Tổ chức tiếp xúc cử tri trước kỳ họp cuối năm",
    "Tổng kết hoạt động của HĐND tỉnh nhiệm kỳ 2021–2026",
    "Chuẩn bị công tác bầu cử đại biểu HĐND nhiệm kỳ 2026–2031",
    "Đôn đốc thực hiện kiến nghị sau giám sát năm 2025",
    "Xây dựng chương trình giám sát năm 2026",
]
DISTRICT_TASKS = [
    "Tổ chức kỳ họp cuối cùng của HĐND huyện",
    "Bàn giao hồ sơ, tài liệu của HĐND huyện",
    "Giám sát việc giải quyết đơn thư của công dân",
    "Tổ chức tiếp xúc cử tri trước kỳ họp giữa năm",
    "Tổng kết hoạt động của HĐND huyện nhiệm kỳ 2021–2025",
    "Hướng dẫn HĐND các xã chuẩn bị sắp xếp đơn vị hành chính",
]
COMMUNE_TASKS = [
    "Kiện toàn các Ban của HĐND xã",
    "Ban hành quy chế hoạt động của HĐND xã",
    "Tổ chức tiếp xúc cử tri sau kỳ họp thứ nhất",
    "Xây dựng chương trình giám sát 6 tháng cuối năm",
    "Tiếp công dân định kỳ tại trụ sở HĐND xã",
]
LEGACY_COMMUNE_PROPOSALS = [
    "Kiến nghị hỗ trợ kinh phí sửa chữa đường giao thông nông thôn bị sạt lở",
    "Đề xuất bổ sung công chức giúp việc HĐND xã",
    "Kiến nghị hướng dẫn bàn giao hồ sơ, tài liệu khi sắp xếp đơn vị hành chính",
    "Kiến nghị hỗ trợ kinh phí tổ chức kỳ họp bất thường về sắp xếp đơn vị hành chính",
    "Đề xuất tập huấn nghiệp vụ cho đại biểu HĐND xã",
]
DISTRICT_PROPOSALS = [
    "Kiến nghị hướng dẫn kết thúc hoạt động của HĐND cấp huyện",
    "Đề xuất phương án bố trí cán bộ chuyên trách HĐND sau sắp xếp",
    "Kiến nghị bố trí kinh phí khắc phục hậu quả mưa lũ",
]
COMMUNE_PROPOSALS = [
    "Kiến nghị bố trí kinh phí hoạt động của HĐND xã năm 2025 sau sắp xếp",
    "Đề xuất hướng dẫn thống nhất mẫu báo cáo định kỳ của HĐND cấp xã",
    "Kiến nghị hỗ trợ trang thiết bị phục vụ kỳ họp trực tuyến",
    "Kiến nghị sớm tổ chức bồi dưỡng cho đại biểu HĐND xã mới",
    "Đề xuất hướng dẫn bố trí trụ sở làm việc của HĐND xã",
]
PROPOSAL_ANSWERS = [
    "Thường trực HĐND {u} đã đề nghị UBND xem xét, bố trí kinh phí trong dự toán năm 2026.",
    "Thường trực HĐND {u} đã có văn bản hướng dẫn thực hiện.",
    "Nội dung kiến nghị đã được tổng hợp, trình kỳ họp gần nhất xem xét.",
]
