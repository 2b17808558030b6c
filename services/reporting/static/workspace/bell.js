// The bell (chuông thông báo): the unread count in the header; one's own notifications
// (#/thong-bao) with the choice of which also come by e-mail; opening one (#/thong-bao/ID:
// marked read, the unit it is about chosen, then the record to act on); the deadline rules
// (#/quy-dinh-thoi-han, set by an admin of the deployment's unit) and, for an operator, the
// local test mailbox (#/hop-thu). Everything the user reads is Vietnamese.
'use strict';

(function () {
  const { h, fromIso } = window.SchemaForm;
  const KINDS = { reminder: 'Nhắc hạn', escalation: 'Báo cáo cấp trên', digest: 'Tổng hợp hằng tuần', answer: 'Trả lời, kết quả' };
  const MODES = {
    month_after: 'Ngày cố định của tháng sau kỳ báo cáo',
    after_cutoff: 'Số ngày sau ngày chốt số liệu',
    before_session: 'Số ngày trước kỳ họp thường lệ',
  };
  const OBLIGATIONS = { first_half: 'Báo cáo 6 tháng', nine_months: 'Báo cáo 9 tháng', year: 'Báo cáo năm', term: 'Báo cáo nhiệm kỳ' };
  const LEVELS = { commune: 'Cấp xã', district: 'Cấp huyện', province: 'Cấp tỉnh' };
  let ctx = null;
  let badge = null;

  async function get(path, query) { return ctx.api('reporting', path, query); }

  async function send(method, path, body) {
    const r = await ctx.fetch(ctx.base('reporting') + path, {
      method,
      headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { ok: r.ok, status: r.status, body: await r.json().catch(() => ({})) };
  }

  async function refresh() {
    try {
      const mine = await get('/notifications', { unread: 'true', limit: '1' });
      badge.textContent = mine.unread ? `Thông báo: ${mine.unread} mới` : 'Thông báo';
      badge.classList.toggle('waiting', mine.unread > 0);
      badge.dataset.unread = String(mine.unread);
    } catch (_) { /* offline: the count waits for the network */ }
  }

  function start(context) {
    ctx = context;
    const holder = document.getElementById('bell');
    badge = h('a', { id: 'bell-badge', href: '#/thong-bao', 'aria-live': 'polite' }, 'Thông báo');
    holder.replaceChildren(badge);
    refresh();
    setInterval(refresh, 30_000);
  }

  // the first few lines of a notice, the rest one click away
  function lines(n, line) {
    const all = n.lines || [];
    if (!all.length) return null;
    const first = h('ul', { class: 'hint notice-lines' }, all.slice(0, 3).map((l) => line(n, l)));
    if (all.length <= 3) return first;
    return h('div', {}, first, h('details', { class: 'hint' }, h('summary', {}, `Xem thêm ${all.length - 3} dòng`),
      h('ul', { class: 'notice-lines' }, all.slice(3, 200).map((l) => line(n, l)))));
  }

  function when(item) { return item.due_on ? `hạn ${fromIso(item.due_on)}` : fromIso(item.day); }

  async function listPage() {
    const at = ctx.navigation();
    const [mine, prefs] = await Promise.all([get('/notifications', { limit: '100' }), get('/auth/preferences').catch(() => null)]);
    if (ctx.navigation() !== at) return;
    const href = (n, unit) => `#/thong-bao/${encodeURIComponent(n.id)}${unit ? `?don-vi=${unit}` : ''}`;
    // a line naming a unit "(03390)" opens the notice at that unit: which of the late ones
    const line = (n, l) => {
      const code = (l.match(/\((\d{2,5})\)$/) || [])[1];
      return h('li', {}, code ? h('a', { href: href(n, code), 'data-unit': code }, l) : l);
    };
    const rows = mine.items.map((n) => h('li', { class: `notice${n.read_at ? '' : ' unread'}`, 'data-kind': n.kind },
      h('a', { href: href(n) }, h('span', { class: `stage s-${n.kind}` }, KINDS[n.kind] || n.kind), ' ', n.title),
      h('span', { class: 'hint' }, ` · ${when(n)}`),
      lines(n, line)));
    ctx.page(`Thông báo (${mine.unread} chưa đọc)`,
      rows.length ? h('ul', { class: 'notices', id: 'notices' }, rows) : h('p', { class: 'message ok' }, 'Chưa có thông báo nào.'),
      prefs ? preferences(prefs) : null);
  }

  function preferences(prefs) {
    const boxes = Object.entries(KINDS).map(([k, label]) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: k, checked: prefs.email_kinds.includes(k) }), ` ${label}`));
    const note = h('p', { class: 'hint', 'aria-live': 'polite' });
    const form = h('form', { class: 'panel', id: 'email-prefs' },
      h('h3', {}, 'Nhận thư điện tử'),
      h('p', { class: 'hint' }, prefs.email ? `Gửi đến ${prefs.email}. Trong không gian làm việc, mọi thông báo luôn hiện ở chuông.` : 'Tài khoản chưa có địa chỉ thư điện tử: quản trị viên thêm địa chỉ trong Quản trị tài khoản.'),
      ...boxes, h('button', { type: 'submit', class: 'secondary' }, 'Lưu'), note);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const kinds = [...form.querySelectorAll('input:checked')].map((i) => i.name);
      const r = await send('PUT', '/auth/preferences', { email_kinds: kinds });
      note.textContent = r.ok ? 'Đã lưu.' : `Không lưu được (HTTP ${r.status}).`;
    });
    return form;
  }

  async function open(id, unit) {
    const r = await send('POST', `/notifications/${encodeURIComponent(id)}/read`);
    if (!r.ok) { ctx.page('Thông báo', h('p', { class: 'message error' }, 'Không tìm thấy thông báo này.')); return; }
    refresh();
    const chosen = unit || r.body.link_unit;
    if (chosen) await ctx.useUnit(chosen);
    location.hash = r.body.link || '#/';
  }

  function sourced(text, extra) { return h('td', {}, text, extra ? h('div', { class: 'hint' }, extra) : null); }

  async function rulesPage() {
    const at = ctx.navigation();
    const [now, history] = await Promise.all([get('/deadline-rules'), get('/deadline-rules/history')]);
    if (ctx.navigation() !== at) return;
    const r = now.rules;
    const due = r.report_due;
    const perLevel = (o) => Object.entries(LEVELS).map(([k, v]) => `${v}: ${o[k]}`).join('; ');
    const dueText = due.mode === 'month_after' ? `ngày ${perLevel(due.day_of_month_after)} của tháng sau kỳ báo cáo`
      : due.mode === 'after_cutoff' ? `${perLevel(due.days_after_cutoff)} ngày sau ngày chốt số liệu`
        : `${due.days_before_session} ngày trước kỳ họp thường lệ`;
    const table = h('table', { class: 'list', id: 'rules' }, h('tbody', {},
      ...Object.entries(r.cutoffs).map(([k, c]) => h('tr', {}, h('th', {}, `${OBLIGATIONS[k]}: chốt số liệu`),
        sourced(`từ ngày ${c.starts_day} tháng trước kỳ đến ngày ${c.ends_day} tháng cuối kỳ${c.derived ? ' (suy ra)' : ''}`, c.source))),
      h('tr', {}, h('th', {}, 'Hạn gửi báo cáo định kỳ'), sourced(`${MODES[due.mode]}: ${dueText}`, due.source)),
      h('tr', {}, h('th', {}, 'Ý kiến cử tri đã chuyển, chưa trả lời'), sourced(`${r.opinion_answer.days} ngày`, r.opinion_answer.source)),
      h('tr', {}, h('th', {}, 'Đơn thư đã chuyển, chưa giải quyết'), sourced(`${r.petition_settle.days} ngày`, r.petition_settle.source)),
      h('tr', {}, h('th', {}, 'Nhắc trước hạn'), h('td', {}, r.remind_days_before.map((d) => `${d} ngày`).join(', '))),
      h('tr', {}, h('th', {}, 'Báo cáo cấp trên'), h('td', {}, `${r.escalate_days_after} ngày sau hạn; tổng hợp hằng tuần`))));
    const claims = ctx.owner();
    ctx.page(`Quy định thời hạn (phiên bản ${now.version})`, table,
      claims && claims.role === 'admin' ? editor(now) : h('p', { class: 'hint' }, 'Quản trị viên của đơn vị triển khai sửa được quy định này.'),
      history.length ? h('section', { class: 'panel' }, h('h3', {}, 'Các phiên bản'),
        h('ul', {}, history.map((v) => h('li', {}, `Phiên bản ${v.version}: ${fromIso(v.changed_on)}, ${(v.by || {}).name || ''}`)))) : null);
  }

  function editor(now) {
    const r = now.rules;
    const field = (name, label, value, attrs) => h('label', { class: 'sf-field' }, label, h('input', { name, value: String(value), ...attrs }));
    const mode = h('select', { name: 'mode' }, Object.entries(MODES).map(([k, v]) => h('option', { value: k, selected: k === r.report_due.mode }, v)));
    const note = h('p', { 'aria-live': 'polite' });
    const form = h('form', { class: 'panel', id: 'rules-form' }, h('h3', {}, 'Sửa quy định'),
      field('remind', 'Nhắc trước hạn (số ngày, cách nhau bởi dấu phẩy)', r.remind_days_before.join(', ')),
      h('label', { class: 'sf-field' }, 'Cách tính hạn gửi báo cáo', mode),
      field('before', 'Số ngày trước kỳ họp', r.report_due.days_before_session, { type: 'number', min: 0 }),
      field('opinion', 'Ý kiến cử tri: số ngày chờ trả lời', r.opinion_answer.days, { type: 'number', min: 1 }),
      field('petition', 'Đơn thư: số ngày chờ giải quyết', r.petition_settle.days, { type: 'number', min: 1 }),
      h('button', { type: 'submit', class: 'primary' }, 'Áp dụng'), note);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const v = (n) => form.querySelector(`[name=${n}]`).value;
      const rules = JSON.parse(JSON.stringify(r));
      rules.remind_days_before = v('remind').split(',').map((d) => parseInt(d, 10)).filter((d) => d > 0);
      rules.report_due.mode = v('mode');
      rules.report_due.days_before_session = parseInt(v('before'), 10);
      rules.opinion_answer.days = parseInt(v('opinion'), 10);
      rules.petition_settle.days = parseInt(v('petition'), 10);
      const res = await send('PUT', '/deadline-rules', { rules, based_on: now.version });
      if (res.ok) { rulesPage(); return; }
      const detail = (res.body.detail || [])[0];
      note.className = 'message error';
      note.textContent = `Không áp dụng được (HTTP ${res.status})${detail ? `: ${detail.msg}` : ''}`;
    });
    return form;
  }

  async function mailboxPage(query) {
    const key = query.get('thu');
    if (key) {
      const m = await get(`/mail/sink/${encodeURIComponent(key)}`);
      ctx.page(`Thư: ${m.subject}`, h('p', { class: 'hint' }, `Gửi đến ${m.to} · ${m.date} · nhận ${m.arrivals} lần`),
        h('pre', { class: 'panel mail-text' }, m.text || ''), h('p', {}, h('a', { href: '#/hop-thu' }, '← Hộp thư thử nghiệm')));
      return;
    }
    const at = ctx.navigation();
    const all = await get('/mail/sink');
    if (ctx.navigation() !== at) return;
    ctx.page('Hộp thư thử nghiệm', h('p', { class: 'hint' }, 'Thư hệ thống đã gửi đến máy chủ thư cục bộ (make run); không thư nào ra ngoài.'),
      all.length ? h('table', { class: 'list', id: 'mailbox' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Ngày'), h('th', {}, 'Người nhận'), h('th', {}, 'Tiêu đề'))),
        h('tbody', {}, all.map((m) => h('tr', {}, h('td', {}, m.date), h('td', {}, m.to),
          h('td', {}, h('a', { href: `#/hop-thu?thu=${m.key}` }, m.subject)))))) : h('p', { class: 'message ok' }, 'Chưa có thư nào.'));
  }

  // The pages this module draws; false for any other path.
  function route(path, query) {
    if (path === '/thong-bao') { listPage(); return true; }
    if (path.startsWith('/thong-bao/')) {
      open(decodeURIComponent(path.slice('/thong-bao/'.length)), query.get('don-vi'));
      return true;
    }
    if (path === '/quy-dinh-thoi-han') { rulesPage(); return true; }
    if (path === '/hop-thu') { mailboxPage(query); return true; }
    return false;
  }

  function links(owner) {
    return [
      h('a', { href: '#/thong-bao' }, 'Thông báo'),
      h('a', { href: '#/quy-dinh-thoi-han' }, 'Quy định thời hạn'),
      owner && owner.role === 'operator' ? h('a', { href: '#/hop-thu' }, 'Hộp thư thử nghiệm') : null,
    ].filter(Boolean);
  }

  window.WorkspaceBell = { start, route, links, refresh };
})();
