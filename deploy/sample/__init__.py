"""Sample data for `make run`: a real province, its districts and communes, ten months of
council work of every kind, recorded through the services' own HTTP APIs.

Tỉnh Lai Châu (12), January–June 2025 under the three-level administration (the province,
its 8 districts and 106 communes) and July–October 2025 under the two-level one (the
province and its 38 new communes): every unit code is one that existed on the record's day.

What it records, each through the route a council office would use:
- meetings: kỳ họp (regular, thematic, extraordinary, with seats and questioning), phiên họp
  Thường trực, hội nghị giao ban / trao đổi kinh nghiệm / tọa đàm, tập huấn with its điểm
  cầu, tiếp xúc cử tri with each opinion, tiếp công dân with each petition, báo cáo với cử
  tri, lấy ý kiến nhận xét của cử tri; some scheduled first and held later, some scheduled
  and cancelled, some corrected after they were recorded;
- oversight: supervision, survey and verification plans started and finished with their
  recommendations (some implemented on time, some late, the rest left to go overdue: the
  oversight service records that at its next sweep, hourly and at start), some recorded in
  one go; the voter opinions the oversight service opened from the voter
  contacts (waited for, then forwarded, answered and resolved for a realistic share);
  petitions taken at receptions or received by mail, transferred and settled;
- coordination: seats and delegates trained declared by every council (again after the
  August training by some), staff by all but the legacy communes, periodic
  reports filed on time, late or not at all, work programmes with their tasks done or not,
  proposals from communes (and, before the reform, districts) to the levels above, most of
  them answered.

Deterministic (seeded) and idempotent: every record has a stable id, and a chain of steps
(scheduled → held, planned → started → finished, received → forwarded → …) is first read
back, so a second `make run` answers "already there" for everything and counts nothing twice.
Follow-ups are dated no later than SAMPLE_END: what would come after stays pending.
"""

from deploy.sample.chains import Sample, sample_chains, sample_posts
from deploy.sample.loading import load_sample, record_sample, within
from deploy.sample.posts import SAMPLE_END, SAMPLE_PROVINCE, Chain, Post, Probe

__all__ = [
    "SAMPLE_END",
    "SAMPLE_PROVINCE",
    "Chain",
    "Post",
    "Probe",
    "Sample",
    "load_sample",
    "record_sample",
    "sample_chains",
    "sample_posts",
    "within",
]
