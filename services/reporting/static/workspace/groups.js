// Voters' opinions across units, for the standing committee of a level (Thường trực HĐND):
// the groups of one request the matcher proposes for a session, confirmed, split, merged or
// dissolved by a person; one answer (and resolution) for a whole group; the synthesis
// documents before and after the session (.docx); and the receipt a voter takes home from a
// voter contact, with the code that finds the opinion on the public page (In phiếu).
'use strict';

(function () {
  const { h, toIso, fromIso, enumLabel, newId } = window.SchemaForm;
  const L = window.HDND_LABELS;
  const FIELDS = ['investment_construction', 'land', 'citizen_reception', 'petitions', 'budget', 'social_policy', 'education_health', 'other'];

  function today() {
    const d = new Date();
    return `${String(d.getDate()).padStart(2, '0')}/${String(d.getMonth() + 1).padStart(2, '0')}/${d.getFullYear()}`;
  }
  function stage(s) { return h('span', { class: `stage s-${s}` }, L.stages[s] || s); }
  function field(id, label, input) { return h('div', { class: 'sf-field' }, h('label', { for: id }, label), input); }
  function text(id, value) { return h('input', { type: 'text', id, name: id, value: value || '' }); }
  function date(id) { return h('input', { type: 'text', id, name: id, class: 'date', placeholder: 'dd/mm/yyyy', value: today() }); }
  function fieldSelect(id, chosen) {
    return h('select', { id, name: id }, FIELDS.map((f) => h('option', { value: f, selected: f === chosen }, enumLabel('OversightField', 'field', f))));
  }
  function note() { return h('div', { class: 'form-note', 'aria-live': 'polite' }); }
  function say(where, kind, message) {
    where.replaceChildren(h('p', { class: `message ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message));
  }

  // The opinions of a group or a proposal, each with a checkbox when `pick` is given.
  function opinionsTable(opinions, pick) {
    return h('table', { class: 'list opinions' },
      h('thead', {}, h('tr', {}, pick ? h('th', {}, 'Chọn') : null, ['Đơn vị', 'Ngày', 'Nội dung', 'Tình trạng'].map((t) => h('th', {}, t)))),
      h('tbody', {}, opinions.map((o, i) => h('tr', { 'data-opinion': `${o.unit}:${o.opinion_id}` },
        pick ? h('td', {}, h('input', { type: 'checkbox', checked: true, id: `${pick}-${i}`, 'aria-label': `Chọn ý kiến của ${o.unit_name}`, 'data-unit': o.unit, 'data-id': o.opinion_id })) : null,
        h('td', {}, o.unit_name), h('td', { class: 'date' }, fromIso(o.raised_on)), h('td', {}, o.text), h('td', {}, stage(o.stage))))));
  }

  function picked(root) {
    return [...root.querySelectorAll('input[type=checkbox][data-id]:checked')].map((c) => ({ unit: c.dataset.unit, opinion_id: c.dataset.id }));
  }

  // Send a decision; on success reload the page after a moment, else show why.
  async function decide(ctx, path, body, out, label) {
    const res = await ctx.send('reporting', path, body, label);
    if (res.outcome === 'refused') {
      say(out, 'error', `Dịch vụ từ chối (mã ${res.status}): ${res.detail.map((d) => d.msg).join(' ')}`);
      return;
    }
    say(out, res.outcome === 'queued' ? 'warn' : 'ok', res.outcome === 'queued' ? 'Chưa kết nối được: đã lưu để gửi sau.' : 'Đã ghi nhận.');
    setTimeout(ctx.reload, 700);
  }

  function datedBody(root, dayId, rest) {
    const day = toIso(root.querySelector(`#${dayId}`).value);
    return day ? { ...rest, [dayId.replace(/^.*-/, '')]: day } : null;
  }

  function proposalCard(ctx, p, i, session) {
    const centre = p.opinions[0];
    const id = `p${i}`;
    const out = note();
    const form = h('form', { class: 'panel group proposed', 'data-proposal': i },
      h('h3', {}, `Đề xuất ${i + 1}: ${p.count} ý kiến của ${p.units.length} đơn vị`, ' ', h('span', { class: 'hint' }, `(độ giống tối thiểu ${p.score})`)),
      opinionsTable(p.opinions, id),
      h('div', { class: 'sf-root' },
        field(`${id}-title`, 'Nội dung kiến nghị chung', text(`${id}-title`, centre.text)),
        field(`${id}-field`, 'Lĩnh vực', fieldSelect(`${id}-field`, centre.field)),
        field(`${id}-agency`, 'Cơ quan có thẩm quyền', text(`${id}-agency`, centre.addressed_to)),
        field(`${id}-decided_on`, 'Ngày quyết định', date(`${id}-decided_on`))),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Xác nhận nhóm')), out);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const body = datedBody(form, `${id}-decided_on`, {
        group_id: newId('nhom'), title: form.querySelector(`#${id}-title`).value.trim(),
        field: form.querySelector(`#${id}-field`).value, agency: form.querySelector(`#${id}-agency`).value.trim(),
        members: picked(form), ...(session ? { session_id: session.meeting_id } : {}),
      });
      if (!body) { say(out, 'error', L.ui.badDate); return; }
      decide(ctx, `/units/${ctx.unit}/opinion-groups`, body, out, `Xác nhận nhóm ý kiến – ${ctx.unitName}`);
    });
    return form;
  }

  // One action on a confirmed group: a small form under its card.
  function action(ctx, g, name, title, inputs, build) {
    const id = `${g.group_id}-${name}`.replace(/[^\w-]/g, '_');
    const out = note();
    const form = h('form', { class: 'group-action', hidden: true, 'data-action': name },
      h('h4', {}, title), h('div', { class: 'sf-root' }, inputs(id)),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, title)), out);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const body = build(form, id);
      if (!body) { say(out, 'error', L.ui.badDate); return; }
      decide(ctx, `/units/${ctx.unit}/opinion-groups/${encodeURIComponent(g.group_id)}/${name}`, body, out, `${title} – ${g.title}`);
    });
    const open = h('button', { type: 'button', class: 'secondary small', 'data-open': name, onclick: () => { form.hidden = !form.hidden; } }, title);
    return [open, form];
  }

  function groupCard(ctx, g, others) {
    const answered = g.answer ? h('p', {}, h('strong', {}, `Trả lời ngày ${fromIso(g.answer.answered_on)}: `), g.answer.answer) : null;
    const mine = g.level === ctx.unit;
    const actions = !mine ? [] : [
      ...(g.answer ? [] : action(ctx, g, 'answer', 'Trả lời chung', (id) => [
        field(`${id}-answered_on`, 'Ngày trả lời', date(`${id}-answered_on`)),
        field(`${id}-answer`, 'Nội dung trả lời', h('textarea', { id: `${id}-answer`, rows: 3 })),
        field(`${id}-agency`, 'Cơ quan trả lời', text(`${id}-agency`, g.agency))],
      (f, id) => datedBody(f, `${id}-answered_on`, { answer: f.querySelector(`#${id}-answer`).value.trim(), agency: f.querySelector(`#${id}-agency`).value.trim() || null }))),
      ...(g.answer && !g.resolution ? action(ctx, g, 'resolve', 'Đã giải quyết', (id) => [
        field(`${id}-resolved_on`, 'Ngày giải quyết', date(`${id}-resolved_on`)),
        field(`${id}-result`, 'Kết quả giải quyết', h('textarea', { id: `${id}-result`, rows: 2 }))],
      (f, id) => datedBody(f, `${id}-resolved_on`, { result: f.querySelector(`#${id}-result`).value.trim() || null })) : []),
      ...(g.answer ? [] : action(ctx, g, 'split', 'Tách khỏi nhóm', (id) => [
        opinionsTable(g.opinions, `${id}-pick`),
        field(`${id}-title`, 'Nội dung của nhóm mới (nếu tách từ 2 ý kiến)', text(`${id}-title`, g.title)),
        field(`${id}-decided_on`, 'Ngày quyết định', date(`${id}-decided_on`))],
      (f, id) => datedBody(f, `${id}-decided_on`, { members: picked(f), title: f.querySelector(`#${id}-title`).value.trim() || null, new_group_id: newId('nhom') }))),
      ...(g.answer || !others.length ? [] : action(ctx, g, 'merge', 'Gộp nhóm khác vào', (id) => [
        field(`${id}-with`, 'Nhóm được gộp vào nhóm này', h('select', { id: `${id}-with` }, others.map((o) => h('option', { value: o.group_id }, o.title)))),
        field(`${id}-decided_on`, 'Ngày quyết định', date(`${id}-decided_on`))],
      (f, id) => datedBody(f, `${id}-decided_on`, { groups: [f.querySelector(`#${id}-with`).value] }))),
      ...(g.answer ? [] : action(ctx, g, 'ungroup', 'Hủy nhóm', (id) => [
        field(`${id}-reason`, 'Lý do', text(`${id}-reason`, '')),
        field(`${id}-decided_on`, 'Ngày quyết định', date(`${id}-decided_on`))],
      (f, id) => datedBody(f, `${id}-decided_on`, { reason: f.querySelector(`#${id}-reason`).value.trim() || null }))),
    ];
    const buttons = actions.filter((_, i) => i % 2 === 0);
    const forms = actions.filter((_, i) => i % 2 === 1);
    return h('section', { class: 'panel group confirmed', 'data-group': g.group_id },
      h('h3', {}, g.title, ' ', mine ? null : h('span', { class: 'hint' }, `(nhóm của ${g.level_name})`)),
      h('p', { class: 'hint' }, `${enumLabel('OversightField', 'field', g.field)} · ${g.agency} · ${g.count} ý kiến của ${g.units.length} đơn vị (${g.units.join(', ')}) · ${g.voters} lượt cử tri · xác nhận ngày ${fromIso(g.decided_on)} bởi ${g.decided_by}`),
      opinionsTable(g.opinions, null), answered, h('div', { class: 'actions' }, buttons), ...forms);
  }

  function download(ctx, label, kind, span) {
    const b = h('button', { type: 'button', class: 'secondary', 'data-report': kind }, label);
    b.addEventListener('click', async () => {
      const ok = await ctx.save(`/units/${ctx.unit}/opinions-report`, { ...span, kind, format: 'docx' }, `${kind === 'results' ? 'KQ' : 'TH'}-YKCT-${ctx.unit}.docx`);
      if (!ok) b.textContent = `${label}: chưa lập được`;
    });
    return b;
  }

  // ctx: {unit, unitName, api, send, save, page, stale, reload}; query: ky (session) or period
  async function show(ctx, query) {
    const title = `Ý kiến cử tri theo nhóm – ${ctx.unitName}`;
    const session = query.get('ky') || '';
    const period = query.get('period') || '';
    const chooser = h('form', { class: 'panel', id: 'groups-window' },
      h('div', { class: 'sf-root' },
        field('g-ky', 'Kỳ họp thứ (hoặc mã kỳ họp)', text('g-ky', session)),
        field('g-period', 'Hoặc khoảng thời gian (ví dụ 2026-Q3, 2026-07..2026-12)', text('g-period', period))),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Xem')));
    chooser.addEventListener('submit', (e) => {
      e.preventDefault();
      const q = {};
      const ky = chooser.querySelector('#g-ky').value.trim();
      const p = chooser.querySelector('#g-period').value.trim();
      if (p) q.period = p; else if (ky) q.ky = ky;
      location.hash = `#/nhom-y-kien?${new URLSearchParams(q)}`;
    });
    if (!session && !period) {
      ctx.page(title, h('p', { class: 'hint' }, 'Chọn kỳ họp (các ý kiến cử tri nêu từ sau kỳ họp trước đến kỳ họp này) hoặc một khoảng thời gian.'), chooser);
      return;
    }
    const span = period ? { period } : { session };
    ctx.page(title, chooser, h('p', { class: 'hint' }, 'Đang tải…'));
    let groups, proposed;
    try {
      [groups, proposed] = await Promise.all([
        ctx.api('reporting', `/units/${ctx.unit}/opinion-groups`, { ...span, below: 'true' }),
        ctx.api('reporting', `/units/${ctx.unit}/opinion-groups/proposed`, span),
      ]);
    } catch (err) {
      if (!ctx.stale()) ctx.page(title, chooser, h('p', { class: 'message error', role: 'alert' }, `Chưa tải được (${err.message}): kiểm tra kỳ họp hoặc khoảng thời gian, hoặc kết nối.`));
      return;
    }
    if (ctx.stale()) return;
    const w = groups.window;
    const own = groups.groups.filter((g) => g.level === ctx.unit);
    ctx.page(title, chooser,
      h('p', {}, w.session ? `Kỳ họp thứ ${w.session.number} (${fromIso(w.session.day)}) · ` : '', w.period.label),
      h('div', { class: 'actions' }, download(ctx, 'Tải báo cáo tổng hợp (.docx)', 'synthesis', span), download(ctx, 'Tải báo cáo kết quả giải quyết (.docx)', 'results', span)),
      h('h3', {}, `Nhóm đã xác nhận (${groups.groups.length})`),
      ...(groups.groups.length ? groups.groups.map((g) => groupCard(ctx, g, own.filter((o) => o.group_id !== g.group_id && !o.answer))) : [h('p', { class: 'hint' }, 'Chưa có nhóm nào.')]),
      h('h3', {}, `Hệ thống đề xuất (${proposed.groups.length})`),
      h('p', { class: 'hint' }, 'Các ý kiến có nội dung giống nhau của nhiều đơn vị. Hệ thống chỉ đề xuất; chỉ khi anh/chị xác nhận thì mới thành nhóm. Bỏ chọn ý kiến không thuộc nhóm trước khi xác nhận.'),
      ...(proposed.groups.length ? proposed.groups.map((p, i) => proposalCard(ctx, p, i, w.session)) : [h('p', { class: 'hint' }, 'Không có đề xuất nào.')]));
  }

  // The receipt a voter takes home: the opinion as recorded, and the code for the public page.
  async function receipt(ctx, query) {
    const unit = query.get('don-vi') || ctx.unit;
    const id = query.get('id') || '';
    let r;
    try { r = await ctx.api('reporting', `/units/${unit}/opinions/${encodeURIComponent(id)}/receipt`); } catch (err) {
      ctx.page('Phiếu tiếp nhận ý kiến', h('p', { class: 'message error', role: 'alert' }, `Chưa lập được phiếu (${err.message}).`));
      return;
    }
    if (ctx.stale()) return;
    const link = `${location.origin}${r.public_path}`;
    ctx.page('Phiếu tiếp nhận ý kiến',
      h('article', { class: 'receipt panel', id: 'receipt' },
        h('p', { class: 'receipt-org' }, 'HỘI ĐỒNG NHÂN DÂN', h('br'), (r.unit_name || unit).toUpperCase()),
        h('h3', {}, 'PHIẾU TIẾP NHẬN Ý KIẾN, KIẾN NGHỊ CỦA CỬ TRI'),
        r.raised_on ? h('p', {}, `Ngày tiếp xúc cử tri: ${fromIso(r.raised_on)}`) : null,
        r.field ? h('p', {}, `Lĩnh vực: ${enumLabel('OversightField', 'field', r.field)}`) : null,
        r.text ? h('p', {}, 'Nội dung: ', r.text) : null,
        h('p', { class: 'receipt-code' }, 'Mã phiếu: ', h('strong', { id: 'receipt-code' }, r.code)),
        h('p', {}, 'Tra cứu kết quả giải quyết tại: ', h('span', { class: 'receipt-link' }, link)),
        h('p', { class: 'hint' }, 'Trang tra cứu không hiển thị nội dung ý kiến hay thông tin cá nhân; giữ phiếu này để tra cứu.')),
      h('div', { class: 'actions no-print' }, h('button', { type: 'button', class: 'primary', id: 'print-receipt', onclick: () => window.print() }, 'In phiếu')));
  }

  window.WorkspaceGroups = { show, receipt };
})();
