"""The word lists of the opinion matcher: administrative Vietnamese, names, and the things
voters ask for.

Kept apart from the code that applies them (normalize.py) so that a linguist can read and
amend them in one place. Phrases are written as voters and secretaries write them, with
diacritics; the matcher derives their unaccented forms.
"""

from __future__ import annotations

# Markers before a name that varies between communes, in their unaccented form (so the
# plain key drops the same names whether the typist used accents or not).
PLACE_MARKERS: tuple[str, ...] = (
    "bản", "thôn", "xóm", "ấp", "buôn", "làng", "khu", "tổ", "khối", "tổ dân phố", "khu phố",
    "xã", "phường", "thị trấn", "thị xã", "huyện", "tỉnh", "thành phố", "đặc khu",
    "suối", "sông", "hồ", "đèo", "dốc", "núi",
    "ông", "bà", "anh", "chị",
)  # fmt: skip

# Formulas of administrative Vietnamese that every opinion carries, and function words.
# Words that say something stay, even frequent ones: "kịp thời", "giải quyết", "hỗ trợ",
# "không", "chưa" (the measured cost of a longer list is in the README).
STOP_PHRASES: tuple[str, ...] = (
    "đề nghị", "kiến nghị", "đề xuất", "cử tri", "phản ánh", "xem xét", "tạo điều kiện",
    "các cấp", "các ngành", "cấp trên", "cấp có thẩm quyền", "cơ quan có thẩm quyền",
    "cơ quan chức năng", "ngành chức năng", "chính quyền", "quan tâm", "mong muốn", "mong",
    "nhân dân", "người dân", "bà con", "sớm", "tình trạng", "việc", "vấn đề",
    "các", "của", "cho", "và", "ở", "tại", "đã", "bị", "để", "với", "những", "được", "là",
    "thì", "mà", "này", "đó", "có", "trên", "từ", "đến", "về", "vì", "do", "theo", "rất",
    "quá", "còn", "đang", "sẽ", "hiện nay", "nay", "hiện",
)  # fmt: skip

# Stop words whose unaccented form is also a word that matters: the plain key keeps them
# ("tai": tái định cư; "do": sổ đỏ; "de": đê; "da": đá; "co": cô giáo; "ma": mồ mả;
# "qua": qua suối; "con": con giống; "cho": chợ; "ve": vé …).
AMBIGUOUS_PLAIN: frozenset[str] = frozenset({
    "o", "tai", "da", "bi", "de", "la", "thi", "ma", "nay", "do", "co", "tu", "den", "ve",
    "vi", "rat", "qua", "con", "dang", "se", "mong", "som", "hien", "tren", "va", "cho",
})  # fmt: skip

# Abbreviations and synonyms written one way (the first form of each line), before anything
# else is compared.
SAME_MEANING: tuple[tuple[str, ...], ...] = (
    ("bảo hiểm y tế", "bhyt"),
    ("trung học cơ sở", "thcs"),
    ("trung học phổ thông", "thpt"),
    ("giải phóng mặt bằng", "gpmb"),
    ("ủy ban nhân dân", "ubnd"),
    ("giấy chứng nhận quyền sử dụng đất", "sổ đỏ", "sổ hồng", "gcnqsdđ"),
    ("bồi thường", "đền bù"),
    ("người cao tuổi", "người già"),
    ("trạm y tế", "trạm xá"),
    ("liên thôn", "liên bản", "liên xóm"),
    ("sửa chữa", "tu sửa", "sửa"),
)

# What a request is about. Two opinions may share every other word ("sửa chữa cầu treo bản
# A bị hư hỏng sau mưa lũ" / "sửa chữa nhà văn hóa bản A bị hư hỏng sau mưa lũ") and still
# ask for different things; the matcher lowers the score of opinions whose objects differ.
# The longest phrase wins ("đường dây điện" is electricity, not a road); a phrase mapped to
# "" is no object ("nhà nước", "yêu cầu").
OBJECTS: dict[str, tuple[str, ...]] = {
    "": (
        "nhà nước",
        "yêu cầu",
        "nhu cầu",
        "điểm cầu",
        "kế hoạch",
        "diện tích",
        "mưa lớn",
        "môi trường",
        "thị trường",
    ),
    "road": (
        "đường",
        "tuyến đường",
        "mặt đường",
        "đường giao thông",
        "đường trục",
        "đường tỉnh",
        "tỉnh lộ",
        "quốc lộ",
        "cao tốc",
        "taluy",
        "ổ gà",
    ),
    "power": (
        "điện",
        "điện lưới",
        "lưới điện",
        "đường điện",
        "đường dây",
        "đường dây điện",
        "trạm biến áp",
        "cột điện",
        "điện áp",
        "tiền điện",
        "giá điện",
        "mất điện",
    ),
    "lighting": ("đèn chiếu sáng", "chiếu sáng", "điện chiếu sáng", "đèn đường"),
    "water": (
        "nước",
        "nước sinh hoạt",
        "nước sạch",
        "cấp nước",
        "nước máy",
        "giếng",
        "giếng khoan",
        "bể chứa nước",
        "bồn chứa nước",
        "téc",
        "đường ống",
        "đường ống nước",
        "nước tự chảy",
        "máng nước",
        "nước ăn uống",
    ),
    "drainage": ("thoát nước", "cống", "ngập", "ngập úng"),
    "irrigation": ("thủy lợi", "kênh mương", "mương", "nước tưới", "trạm bơm", "đập", "máy bơm"),
    "bridge": ("cầu", "cầu treo", "cầu tràn", "ngầm tràn", "ngầm", "cầu dân sinh"),
    "land_title": ("giấy chứng nhận quyền sử dụng đất", "đo đạc", "cấp đổi"),
    "compensation": ("bồi thường", "giải phóng mặt bằng", "thu hồi đất", "thu hồi"),
    "resettlement": ("tái định cư",),
    "housing": (
        "nhà tạm",
        "nhà dột nát",
        "làm nhà",
        "xây nhà",
        "nhà ở",
        "nhà tranh",
        "xóa nhà tạm",
    ),
    "welfare": ("trợ cấp", "chế độ", "người có công", "bảo trợ xã hội"),  # trợ cấp xã hội
    "stipend": ("phụ cấp",),  # phụ cấp: what officials and village staff are paid
    "health_insurance": ("bảo hiểm y tế", "thẻ bảo hiểm y tế"),
    "teacher": ("giáo viên", "cô giáo", "thầy giáo"),
    "medical_staff": ("bác sĩ", "y sĩ", "cán bộ y tế", "nhân viên y tế"),
    "medicine": ("thuốc", "thuốc thiết yếu"),
    "medical_equipment": ("trang thiết bị y tế", "máy siêu âm", "trang thiết bị"),
    "clinic": ("trạm y tế", "trung tâm y tế"),
    "vaccination": ("tiêm chủng", "vắc xin"),
    "school": (
        "trường",
        "điểm trường",
        "trường học",
        "phòng học",
        "lớp học",
        "mầm non",
        "mẫu giáo",
        "tiểu học",
        "trung học cơ sở",
        "trung học phổ thông",
    ),
    "boarding": ("bán trú", "nội trú", "nhà bán trú", "nhà ở bán trú"),
    "school_equipment": ("bàn ghế", "thiết bị dạy học", "sách giáo khoa", "máy tính"),
    "culture_house": ("nhà văn hóa", "sinh hoạt cộng đồng"),
    "sport": ("thể thao", "sân thể thao", "sân bóng", "sân vận động", "sân chơi", "vui chơi"),
    "broadcast": ("truyền thanh", "loa truyền thanh", "phát thanh", "loa phát thanh"),
    "telecom": (
        "sóng",
        "sóng điện thoại",
        "điện thoại",
        "trạm phát sóng",
        "internet",
        "cáp quang",
        "4g",
        "viễn thông",
        "nhà mạng",
        "mạng",
    ),
    "sand_mining": ("cát", "sỏi", "khai thác cát", "hút cát", "cát sỏi"),
    "forest": ("rừng", "phá rừng", "khai thác gỗ", "bảo vệ rừng", "trồng rừng", "cháy rừng"),
    "embankment": ("kè", "kè chống sạt lở"),
    "pollution": ("ô nhiễm", "nước thải", "mùi hôi", "khói", "tiếng ồn", "bụi"),
    "waste": ("rác", "rác thải", "thu gom rác"),
    "livestock": ("gia súc", "trâu bò", "trâu", "bò", "lợn", "gia cầm", "vật nuôi"),
    "seed": ("giống", "cây giống", "con giống", "giống cây", "phân bón"),
    "public_money": ("công khai", "thu chi", "khoản thu", "đóng góp", "minh bạch"),
    "dispute": ("tranh chấp", "lấn chiếm", "ranh giới"),
    "complaint": ("khiếu nại",),  # khiếu nại and tố cáo are two procedures in law
    "denunciation": ("tố cáo",),
    "loan": ("vay vốn", "vốn vay", "cho vay"),
    "security": ("an ninh", "trộm cắp", "tuần tra", "công an", "camera"),
    "traffic_safety": ("an toàn giao thông", "tai nạn", "biển báo", "gờ giảm tốc"),
    "market": ("chợ",),
    "cemetery": ("nghĩa trang", "mồ mả"),
    "jobs": ("việc làm", "dạy nghề", "học nghề", "đào tạo nghề"),
    "rice": ("gạo",),
    "sanitation": ("nhà vệ sinh", "nhà tiêu"),
    "produce": ("nông sản", "bao tiêu"),
    "fees": ("học phí",),
    "office": ("trụ sở", "nhà làm việc"),
    "kitchen": ("bếp ăn",),
    "fence": ("tường rào",),
}
