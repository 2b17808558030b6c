// What the dashboard shows and in which order: figures on cards, in groups, per child,
// rates, topics of the stacked bars; names of levels and views.

export const REFRESH_MS = 5000;
export const TIMEOUT_MS = 10000;
export const DEFAULT_FIGURE = 'voter_contacts';
export const DEFAULT_TOPIC = 'opinions';
export const COUNTRY = 'VN';
export const UNIT_RE = /^(\d{2}|\d{3}|\d{5}|VN)$/;
export const FIRST_YEAR = 1990;
export const LAST_YEAR = 2100;
export const TRAIL_STORE = 'hdnd-dashboard-trail';
export const HIDE_ZERO_STORE = 'hdnd-dashboard-hide-zero';
export const SVG_NS = 'http://www.w3.org/2000/svg';

// Headline cards: figure key, title (else the figure's label), optional secondary figure shown
// under the number.
export const CARDS = [
  { key: 'sessions', sub: 'resolutions_adopted', subLabel: 'nghị quyết' },
  { key: 'standing_committee_meetings' },
  { key: 'voter_contacts', title: 'Tiếp xúc cử tri', sub: 'voters_reached', subLabel: 'lượt cử tri' },
  { key: 'voter_opinions_raised', title: 'Ý kiến cử tri', sub: 'opinions_resolved', subLabel: 'đã giải quyết' },
  { key: 'citizen_receptions', title: 'Tiếp công dân', sub: 'citizens_received', subLabel: 'lượt công dân' },
  { key: 'petitions_received', title: 'Đơn thư', sub: 'petitions_settled', subLabel: 'đã giải quyết' },
  { key: 'thematic_supervisions', title: 'Giám sát chuyên đề', sub: 'recommendations_issued', subLabel: 'kiến nghị' },
  { key: 'trainings', title: 'Tập huấn', sub: 'training_attendees', subLabel: 'lượt người dự' },
];
// Figures shown for each child unit in the table: key, title (else the figure's label).
export const CHILD_COLUMNS = [
  { key: 'sessions' },
  { key: 'standing_committee_meetings' },
  { key: 'voter_contacts', title: 'Tiếp xúc cử tri' },
  { key: 'voters_reached', title: 'Lượt cử tri' },
  { key: 'voter_opinions_raised', title: 'Ý kiến cử tri' },
  { key: 'opinions_resolved', title: 'Ý kiến đã giải quyết' },
  { key: 'citizen_receptions', title: 'Tiếp công dân' },
  { key: 'petitions_received', title: 'Đơn thư' },
];
// The full table shows every figure in the groups of the catalogue (GET figures); a key the
// catalogue does not know (a figure added after the page loaded) still appears, under this one.
export const OTHER_GROUP = 'Chỉ tiêu khác';
// Rates (GET figures, `rates` of a summary, computed by the API from summed figures) shown as
// large cards first, in this order; every other rate follows in the short list below them.
export const HEADLINE_RATES = [
  'opinion_resolution_rate', 'petition_settlement_rate', 'recommendation_implementation_rate',
  'training_coverage', 'reports_on_time_rate', 'tasks_done_rate', 'proposals_answered_rate',
  'session_attendance_rate',
];
// Stacked bars per child unit: a total and the parts of it in each state.
export const TOPICS = [
  { id: 'opinions', title: 'Ý kiến, kiến nghị của cử tri', total: 'voter_opinions_raised', totalName: 'Tiếp nhận',
    parts: [{ key: 'opinions_resolved', name: 'Đã giải quyết' }, { key: 'voter_opinions_pending', name: 'Đang chờ giải quyết' }] },
  { id: 'petitions', title: 'Đơn thư', total: 'petitions_received', totalName: 'Tiếp nhận',
    parts: [{ key: 'petitions_settled', name: 'Đã giải quyết' }, { key: 'petitions_pending', name: 'Đang chờ giải quyết' }] },
  { id: 'recommendations', title: 'Kiến nghị sau giám sát', total: 'recommendations_issued', totalName: 'Đã ban hành',
    parts: [{ key: 'recommendations_implemented', name: 'Đã thực hiện' }, { key: 'recommendations_overdue', name: 'Quá hạn chưa thực hiện' }] },
  { id: 'reports', title: 'Báo cáo định kỳ', total: 'reports_due', totalName: 'Phải gửi',
    parts: [{ key: 'reports_on_time', name: 'Đúng hạn' }, { key: 'reports_late', name: 'Gửi chậm' }, { key: 'reports_missing', name: 'Quá hạn chưa gửi' }] },
  { id: 'tasks', title: 'Chương trình công tác', total: 'tasks_set', totalName: 'Nhiệm vụ',
    parts: [{ key: 'tasks_done', name: 'Đã hoàn thành' }, { key: 'tasks_cancelled', name: 'Không thực hiện' }] },
  { id: 'proposals', title: 'Kiến nghị, đề xuất gửi cấp trên', total: 'proposals_raised', totalName: 'Đã gửi',
    parts: [{ key: 'proposals_answered', name: 'Đã được trả lời' }] },
  { id: 'training', title: 'Đại biểu được tập huấn', total: 'council_seats', totalName: 'Tổng số đại biểu',
    parts: [{ key: 'delegates_trained', name: 'Đã được tập huấn, bồi dưỡng' }] },
];
export const LEVELS = { country: 'Toàn quốc', province: 'Cấp tỉnh', district: 'Cấp huyện', commune: 'Cấp xã' };
export const VIEWS = {
  as_it_was: 'Như thời điểm phát sinh',
  as_today: 'Theo đơn vị hành chính hiện nay',
};
export const ROMAN = ['', 'I', 'II', 'III', 'IV'];
