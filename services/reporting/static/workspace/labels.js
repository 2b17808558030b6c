// The one Vietnamese label table of the workspace. Forms are drawn from the services' OpenAPI
// request schemas (schemaform.js); this file only names things: fields, enum values, the
// forms (by route) and the follow-up lists. A field without a label here shows its name.
'use strict';

window.HDND_LABELS = {
  fields: {
    title: 'Tiêu đề', held_on: 'Ngày tổ chức', location: 'Địa điểm', kind: 'Loại',
    reception_type: 'Hình thức tiếp công dân', citizens_received: 'Lượt công dân được tiếp',
    petitions_received: 'Số đơn thư nhận được', petitions: 'Đơn thư (từng đơn)',
    petition_type: 'Loại đơn thư', summary: 'Nội dung đơn thư',
    conference_type: 'Loại hội nghị', ordinal: 'Lần thứ', participating_units: 'Đơn vị tham dự',
    topics: 'Chủ đề', reason: 'Lý do', cancelled_on: 'Ngày hủy', meeting: 'Nội dung đã đính chính',
    delegates_rated: 'Số đại biểu được cử tri nhận xét',
    voters_participating: 'Lượt cử tri tham gia nhận xét', ratings: 'Kết quả nhận xét',
    good: 'Tốt', fair: 'Trung bình', poor: 'Kém', delegate_group: 'Tổ đại biểu',
    delegates_reporting: 'Số đại biểu báo cáo', voters_attending: 'Lượt cử tri dự',
    scheduled_for: 'Ngày dự kiến', session: 'Kỳ họp dự kiến', session_type: 'Loại kỳ họp',
    term: 'Nhiệm kỳ (ví dụ 2021-2026)', number_in_term: 'Kỳ họp thứ',
    delegates_elected: 'Tổng số đại biểu HĐND', delegates_present: 'Số đại biểu có mặt',
    resolutions_adopted: 'Số nghị quyết được thông qua', questioning_held: 'Có tổ chức chất vấn',
    questions_asked: 'Lượt chất vấn', meeting_type: 'Loại phiên họp', format: 'Hình thức',
    bridge_points: 'Điểm cầu', unit: 'Đơn vị', attendees: 'Số người dự',
    delegates: 'Trong đó đại biểu HĐND', timing: 'Thời điểm',
    opinions_raised: 'Số ý kiến, kiến nghị của cử tri', opinions: 'Ý kiến, kiến nghị (từng ý kiến)',
    text: 'Nội dung', field: 'Lĩnh vực', addressed_to: 'Cơ quan có thẩm quyền',
    answered_on: 'Ngày trả lời', answer: 'Nội dung trả lời', finished_on: 'Ngày kết thúc',
    findings: 'Kết quả, nhận xét', report_ref: 'Số hiệu báo cáo', recommendations: 'Kiến nghị',
    attach_document: 'Đính kèm văn bản báo cáo do hệ thống lập (.docx)',
    forwarded_on: 'Ngày chuyển', agency: 'Cơ quan tiếp nhận', implemented_on: 'Ngày thực hiện',
    note: 'Ghi chú', received_on: 'Ngày nhận', resolved_on: 'Ngày giải quyết',
    result: 'Kết quả giải quyết', settled_on: 'Ngày giải quyết xong', outcome: 'Kết quả',
    started_on: 'Ngày bắt đầu', activity: 'Hoạt động', body: 'Chủ thể thực hiện', committee: 'Ban',
    supervised_units: 'Đơn vị chịu sự giám sát', transferred_on: 'Ngày chuyển đơn',
    deadline: 'Thời hạn thực hiện', planned_on: 'Ngày ban hành kế hoạch',
    starts_on: 'Ngày dự kiến bắt đầu', as_of: 'Số liệu tính đến ngày', seats: 'Số đại biểu HĐND',
    delegates_trained: 'Số đại biểu đã được tập huấn', full_time: 'Cán bộ chuyên trách',
    part_time: 'Cán bộ kiêm nhiệm', period: 'Kỳ báo cáo (ví dụ 2025-H1, 2025-9M, 2025)',
    filed_on: 'Ngày gửi báo cáo', status: 'Trạng thái', changed_on: 'Ngày cập nhật',
    main: 'Nhiệm vụ trọng tâm', set_on: 'Ngày giao', to_unit: 'Gửi đến HĐND cấp trên',
    content: 'Nội dung', raised_on: 'Ngày', stage: 'Bước', due_on: 'Hạn',
    // accounts (Quản trị tài khoản)
    username: 'Tên đăng nhập', full_name: 'Họ và tên', position: 'Chức vụ', role: 'Vai trò',
    era: 'Thời kỳ của đơn vị', email: 'Thư điện tử', name: 'Tên chương trình',
    days: 'Số ngày hiệu lực của mã (tối đa 90)',
  },

  // enum values: "<enum name or field>.<value>" first, then "<value>"
  enums: {
    'MeetingKind.session': 'Kỳ họp', 'MeetingKind.standing_committee': 'Phiên họp Thường trực',
    'MeetingKind.conference': 'Hội nghị giao ban / trao đổi kinh nghiệm / tọa đàm',
    'MeetingKind.training': 'Tập huấn, bồi dưỡng', 'MeetingKind.voter_contact': 'Tiếp xúc cử tri',
    'MeetingKind.citizen_reception': 'Tiếp công dân', 'MeetingKind.delegate_report': 'Báo cáo với cử tri',
    'MeetingKind.delegate_rating': 'Lấy ý kiến nhận xét của cử tri',
    'session_type.regular': 'Thường lệ', 'session_type.thematic': 'Chuyên đề',
    'session_type.extraordinary': 'Bất thường', 'meeting_type.regular': 'Thường kỳ',
    'meeting_type.ad_hoc': 'Đột xuất', 'reception_type.periodic': 'Định kỳ',
    'reception_type.ad_hoc': 'Đột xuất', 'conference_type.briefing': 'Hội nghị giao ban',
    'conference_type.experience_exchange': 'Hội nghị trao đổi kinh nghiệm',
    'conference_type.roundtable': 'Tọa đàm', 'format.in_person': 'Trực tiếp',
    'format.online': 'Trực tuyến (nhiều điểm cầu)', 'timing.before_session': 'Trước kỳ họp',
    'timing.after_session': 'Sau kỳ họp',
    investment_construction: 'Đầu tư, xây dựng', land: 'Đất đai', 'OversightField.citizen_reception': 'Tiếp công dân',
    'OversightField.petitions': 'Khiếu nại, tố cáo, đơn thư', budget: 'Ngân sách',
    social_policy: 'Chính sách xã hội', education_health: 'Giáo dục, y tế', other: 'Lĩnh vực khác',
    complaint: 'Khiếu nại', denunciation: 'Tố cáo', 'PetitionType.recommendation': 'Kiến nghị',
    reflection: 'Phản ánh', thematic_supervision: 'Giám sát chuyên đề', survey: 'Khảo sát',
    verification: 'Thẩm tra', 'Body.standing_committee': 'Thường trực HĐND',
    'Body.committee': 'Ban của HĐND', 'Body.delegate_group': 'Tổ đại biểu',
    legal: 'Ban Pháp chế', economy_budget: 'Ban Kinh tế – Ngân sách',
    economy_society: 'Ban Kinh tế – Xã hội', culture_society: 'Ban Văn hóa – Xã hội',
    ethnic: 'Ban Dân tộc', urban: 'Ban Đô thị', 'ProposalKind.recommendation': 'Kiến nghị',
    'ProposalKind.suggestion': 'Đề xuất', planned: 'Kế hoạch', in_progress: 'Đang thực hiện',
    done: 'Hoàn thành', cancelled: 'Đã hủy',
    'role.secretary': 'Thư ký (ghi nhận, theo dõi)', 'role.viewer': 'Chỉ xem',
    'role.admin': 'Quản trị tài khoản', 'role.operator': 'Vận hành hệ thống',
    'era.2025': 'Từ 01/07/2025 (hiện nay)', 'era.legacy': 'Trước 01/07/2025',
  },

  // stages and states shown in lists
  stages: {
    received: 'Đã tiếp nhận', forwarded: 'Đã chuyển', answered: 'Đã trả lời', resolved: 'Đã giải quyết',
    withdrawn: 'Đã rút', transferred: 'Đã chuyển đơn', settled: 'Đã giải quyết xong',
    issued: 'Đã ban hành', implemented: 'Đã thực hiện', overdue: 'Quá hạn', planned: 'Kế hoạch',
    started: 'Đang thực hiện', finished: 'Đã kết thúc', scheduled: 'Đã lên lịch', held: 'Đã tổ chức',
    cancelled: 'Đã hủy', corrected: 'Đã đính chính', in_progress: 'Đang thực hiện', done: 'Hoàn thành', raised: 'Chưa trả lời', on_time: 'Đã gửi đúng hạn', late: 'Đã gửi muộn', missing: 'Chưa gửi, quá hạn',
    due: 'Sắp đến hạn',
  },

  // every POST the workspace offers, by service and path: its title, and for a new record
  // its place in the menu; a step (path with an item id) is offered from its list's buttons.
  routes: {
    'meetings POST /units/{unit}/meetings': { title: 'Ghi nhận cuộc họp đã tổ chức', menu: 'Hoạt động' },
    'meetings POST /units/{unit}/scheduled-meetings': { title: 'Lên lịch cuộc họp', menu: 'Hoạt động' },
    'meetings POST /units/{unit}/meetings/{meeting_id}/hold': { title: 'Đã tổ chức', step: true },
    'meetings POST /units/{unit}/meetings/{meeting_id}/cancel': { title: 'Hủy', step: true },
    'meetings POST /units/{unit}/meetings/{meeting_id}/correct': { title: 'Đính chính', step: true },
    'oversight POST /units/{unit}/supervision-plans': { title: 'Kế hoạch giám sát, khảo sát, thẩm tra', menu: 'Giám sát' },
    'oversight POST /units/{unit}/supervisions': { title: 'Giám sát đã kết thúc (ghi một lần)', menu: 'Giám sát' },
    'oversight POST /units/{unit}/supervision-plans/{supervision_id}/started': { title: 'Bắt đầu', step: true },
    'oversight POST /units/{unit}/supervision-plans/{supervision_id}/finished': { title: 'Kết thúc, ban hành kiến nghị', step: true },
    'oversight POST /units/{unit}/recommendations/{recommendation_id}/implemented': { title: 'Đã thực hiện', step: true },
    'oversight POST /units/{unit}/opinions/{opinion_id}/forwarded': { title: 'Chuyển cơ quan', step: true },
    'oversight POST /units/{unit}/opinions/{opinion_id}/answered': { title: 'Đã trả lời', step: true },
    'oversight POST /units/{unit}/opinions/{opinion_id}/resolved': { title: 'Đã giải quyết', step: true },
    'oversight POST /units/{unit}/petitions': { title: 'Đơn thư nhận qua đường bưu điện', menu: 'Giám sát' },
    'oversight POST /units/{unit}/petitions/{petition_id}/transferred': { title: 'Chuyển đơn', step: true },
    'oversight POST /units/{unit}/petitions/{petition_id}/settled': { title: 'Đã giải quyết', step: true },
    'reporting POST /units/{unit}/delegates': { title: 'Số đại biểu và đại biểu đã tập huấn', menu: 'Báo cáo, phối hợp' },
    'reporting POST /units/{unit}/staff': { title: 'Cán bộ phục vụ HĐND', menu: 'Báo cáo, phối hợp' },
    'reporting POST /units/{unit}/reports': { title: 'Gửi báo cáo định kỳ', menu: 'Báo cáo, phối hợp' },
    'reporting POST /units/{unit}/tasks': { title: 'Nhiệm vụ trong chương trình công tác', menu: 'Báo cáo, phối hợp' },
    'reporting POST /units/{unit}/tasks/{task_id}/status': { title: 'Cập nhật trạng thái', step: true },
    'reporting POST /units/{unit}/proposals': { title: 'Kiến nghị, đề xuất lên cấp trên', menu: 'Báo cáo, phối hợp' },
    'reporting POST /units/{unit}/proposals/{proposal_id}/answer': { title: 'Trả lời', step: true },
  },

  // follow-up lists: the GET, what to show, which field holds the state, and which steps
  // (POST routes below the list's path) each state may take next.
  lists: [
    { key: 'y-kien', title: 'Ý kiến, kiến nghị của cử tri', service: 'oversight', path: '/units/{unit}/opinions',
      id: 'opinion_id', text: ['opened.text', 'text'], state: 'stage', date: 'raised_on',
      next: { received: ['forwarded'], forwarded: ['answered'], answered: ['resolved'] },
      waiting: ['received', 'forwarded', 'answered'] },
    { key: 'don-thu', title: 'Đơn thư', service: 'oversight', path: '/units/{unit}/petitions',
      id: 'petition_id', text: ['opened.summary', 'summary'], state: 'stage', date: 'raised_on',
      next: { received: ['transferred'], transferred: ['settled'] }, waiting: ['received', 'transferred'] },
    { key: 'kien-nghi-giam-sat', title: 'Kiến nghị sau giám sát', service: 'oversight', path: '/units/{unit}/recommendations',
      id: 'recommendation_id', text: ['opened.text', 'text'], state: 'stage', date: 'raised_on',
      next: { issued: ['implemented'], overdue: ['implemented'] }, waiting: ['overdue'] },
    { key: 'giam-sat', title: 'Kế hoạch giám sát', service: 'oversight', path: '/units/{unit}/supervision-plans',
      id: 'supervision_id', text: ['opened.title', 'title'], state: 'stage', date: 'raised_on',
      next: { planned: ['started'], started: ['finished'] } },
    { key: 'cuoc-hop', title: 'Cuộc họp, hoạt động', service: 'meetings', path: '/units/{unit}/meetings',
      id: 'meeting_id', text: ['title'], state: 'status', date: 'held_on', kind: 'kind',
      next: { scheduled: ['hold', 'cancel'], held: ['correct'] } },
    { key: 'nhiem-vu', title: 'Chương trình công tác', service: 'reporting', path: '/units/{unit}/tasks',
      id: 'task_id', text: ['title'], state: 'status', date: 'set_on',
      next: { planned: ['status'], in_progress: ['status'] } },
    { key: 'de-xuat-nhan', title: 'Kiến nghị, đề xuất nhận được', service: 'reporting',
      path: '/units/{unit}/proposals', query: { direction: 'received' }, id: 'proposal_id',
      text: ['title'], state: 'status', date: 'raised_on', next: { raised: ['answer'] }, waiting: ['raised'],
      stepQuery: ['raised_by'] },  // ids are chosen by each raising unit: the answer names it
    { key: 'de-xuat-gui', title: 'Kiến nghị, đề xuất đã gửi', service: 'reporting',
      path: '/units/{unit}/proposals', query: { direction: 'raised' }, id: 'proposal_id',
      text: ['title'], state: 'status', date: 'raised_on', next: {} },
    { key: 'bao-cao', title: 'Báo cáo đã gửi', service: 'reporting', path: '/units/{unit}/reports',
      id: 'report_id', text: ['period'], state: null, date: 'filed_on', next: {} },
  ],

  // pydantic's error types, by `type` of a 422's detail
  errorTypes: {
    missing: 'Bắt buộc nhập.',
    int_parsing: 'Phải là số nguyên.',
    int_type: 'Phải là số nguyên.',
    greater_than_equal: 'Phải lớn hơn hoặc bằng {ge}.',
    less_than_equal: 'Phải nhỏ hơn hoặc bằng {le}.',
    string_too_short: 'Chưa nhập nội dung.',
    string_too_long: 'Quá dài (tối đa {max_length} ký tự).',
    string_pattern_mismatch: 'Không đúng định dạng.',
    date_from_datetime_parsing: 'Ngày không hợp lệ.',
    date_parsing: 'Ngày không hợp lệ.',
    enum: 'Hãy chọn một giá trị trong danh sách.',
    literal_error: 'Hãy chọn một giá trị trong danh sách.',
  },

  // The services refuse in English (their API's language); what the common refusals mean, in
  // Vietnamese, shown before the service's own words.
  refusals: [
    [/is in the future/, 'Ngày ở tương lai: chỉ ghi nhận việc đã diễn ra.'],
    [/did not exist on|existed during|exists today/, 'Đơn vị không tồn tại vào thời điểm này.'],
    [/items given but/, 'Số mục kê chi tiết phải bằng con số đã nhập.'],
    [/is not .* or below it/, 'Đơn vị phải là đơn vị mình hoặc cấp dưới.'],
    [/already filed/, 'Đơn vị đã gửi báo cáo của kỳ này.'],
    [/is taken|already records|already names|is taken already/, 'Mã bản ghi đã được dùng cho nội dung khác.'],
    [/ is before /, 'Ngày này sớm hơn bước trước.'],
    [/can next be|takes no further step|cannot \w+ meeting|already answered|meanwhile/, 'Bước này không thực hiện được ở trạng thái hiện tại.'],
    [/may only read|outside_your_unit|not within it/, 'Mã truy cập không cho phép ghi nhận cho đơn vị này.'],
    [/^no (meeting|supervision|recommendation|opinion|petition) |has no task|received no proposal/, 'Không tìm thấy bản ghi này trong các đơn vị mã truy cập được xem.'],
  ],

  ui: {
    errorField: 'Giá trị không hợp lệ',
    required: 'Bắt buộc',
    dateFormat: 'dd/mm/yyyy',
    badDate: 'Ngày không hợp lệ: nhập theo dạng dd/mm/yyyy',
    add: 'Thêm', remove: 'Xóa', choose: '— Chọn —', searchUnit: 'Gõ tên đơn vị để tìm…',
  },
};

// A meeting's kind is named the same whether it is an enum (MeetingKind) or a discriminator (kind).
for (const [k, v] of Object.entries(window.HDND_LABELS.enums)) {
  if (k.startsWith('MeetingKind.')) window.HDND_LABELS.enums[`kind.${k.slice(12)}`] = v;
}

