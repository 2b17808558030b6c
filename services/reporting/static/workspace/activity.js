// Who did what (người ghi nhận): the unit's activity log page (Nhật ký) — who recorded,
// corrected, cancelled, forwarded, answered, resolved and filed what, and when, filtered by
// person, kind and day, a page at a time, and as a CSV file for Excel — and the line each list
// shows of who recorded an item and took each of its steps. The kinds' Vietnamese names come
// from the service (GET /activity/kinds), which says them once for the page and the CSV.
'use strict';

(function () {
  const { h, toIso, fromIso } = window.SchemaForm;
  const UNKNOWN = 'không rõ'; // a record from before accounts: nobody is named
  let names = null; // {kinds: {type: label}, actors: {kind: label}}

  function actorName(actor) {
    if (!actor) return UNKNOWN;
    const kind = names && actor.kind !== 'person' ? names.actors[actor.kind] : '';
    return kind ? `${actor.name} (${kind})` : actor.name;
  }

  // "Nguyễn Thị Lan" and, under it, who took each later step: for a list's row.
  function byLine(item, stageLabel) {
    const steps = Object.entries(item.by || {}).filter(([, a]) => a && (!item.recorded_by || a.id !== item.recorded_by.id));
    if (item.answer && item.answer.by) steps.push(['answered', item.answer.by]);
    for (const change of item.history || []) if (change.by) steps.push([change.status, change.by]);
    return h('span', { class: 'by' }, item.recorded_by ? actorName(item.recorded_by) : '—',
      steps.length ? h('span', { class: 'hint by-steps' }, steps.map(([s, a]) => `${stageLabel(s)}: ${actorName(a)}`).join(' · ')) : null);
  }

  function when(at) { // "2026-11-20T14:05:09+07:00" (Vietnam time) → "20/11/2026 14:05"
    return `${fromIso(at)} ${at.slice(11, 16)}`;
  }

  function filtersOf(query) {
    const f = { below: query.get('below') !== '0' };
    for (const k of ['person', 'kind', 'from', 'to']) if (query.get(k)) f[k] = query.get(k);
    return f;
  }

  function asQuery(f) {
    const q = {};
    for (const k of ['person', 'kind', 'from', 'to']) if (f[k]) q[k] = f[k];
    if (f.below) q.below = 'true';
    return q;
  }

  function select(id, label, value, options) {
    return h('div', { class: 'sf-field' }, h('label', { for: id }, label),
      h('select', { id, name: id }, h('option', { value: '' }, 'Tất cả'),
        options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));
  }

  function dateField(id, label, iso) {
    return h('div', { class: 'sf-field' }, h('label', { for: id }, label),
      h('input', { type: 'text', id, name: id, class: 'date', placeholder: 'dd/mm/yyyy', value: fromIso(iso) || '' }));
  }

  function rows(items) {
    return items.map((e) => h('tr', { 'data-event': e.event_id, 'data-kind': e.type },
      h('td', { class: 'date' }, when(e.at)),
      h('td', { title: `Mã đơn vị: ${e.unit}` }, e.unit_name),
      h('td', { class: 'actor' }, actorName(e.actor)),
      h('td', {}, (names && names.kinds[e.type]) || e.label || e.type),
      h('td', {}, h('code', {}, e.record || '')),
      h('td', {}, e.summary)));
  }

  // ctx: {unit, unitName, api(service, path, query), save(path, query, filename) → Promise<bool>,
  //       page(title, ...kids), stale() → true once the user went elsewhere}
  async function show(ctx, query) {
    const title = `Nhật ký – ${ctx.unitName}`;
    const f = filtersOf(query);
    const log = `/units/${ctx.unit}/activity`;
    ctx.page(title, h('p', { class: 'hint' }, 'Đang tải…'));
    let first, people;
    try {
      [names, people, first] = await Promise.all([
        names || ctx.api('reporting', '/activity/kinds'),
        ctx.api('reporting', `${log}/people`, f.below ? { below: 'true' } : {}),
        ctx.api('reporting', log, { ...asQuery(f), limit: 50 }),
      ]);
    } catch (_) {
      if (!ctx.stale()) ctx.page(title, h('p', { class: 'message error', role: 'alert' }, 'Chưa tải được nhật ký: mất kết nối với dịch vụ.'));
      return;
    }
    if (ctx.stale()) return;
    const below = h('input', { type: 'checkbox', id: 'f-below', name: 'f-below', checked: f.below });
    const note = h('div', { 'aria-live': 'polite' });
    const csv = h('button', { type: 'button', class: 'secondary', id: 'activity-csv' }, 'Tải CSV');
    const form = h('form', { class: 'panel activity-filters', id: 'activity-filters' },
      h('div', { class: 'sf-root' },
        select('f-person', 'Người ghi nhận', f.person, people.map((p) => [p.id, `${actorName(p)} (${p.entries})`])),
        select('f-kind', 'Loại việc', f.kind, Object.entries(names.kinds)),
        dateField('f-from', 'Từ ngày', f.from), dateField('f-to', 'Đến ngày', f.to),
        h('div', { class: 'sf-field sf-check' }, h('label', { for: 'f-below' }, 'Gồm các đơn vị cấp dưới'), below)),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Lọc'), csv), note);
    const chosen = () => {
      const v = (id) => form.querySelector(`#${id}`).value.trim();
      const picked = { person: v('f-person'), kind: v('f-kind'), below: below.checked };
      for (const [k, id] of [['from', 'f-from'], ['to', 'f-to']]) {
        if (!v(id)) continue;
        picked[k] = toIso(v(id));
        if (!picked[k]) { note.replaceChildren(h('p', { class: 'message error' }, window.HDND_LABELS.ui.badDate)); return null; }
      }
      return picked;
    };
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const picked = chosen();
      if (!picked) return;
      const q = asQuery(picked);
      if (!picked.below) q.below = '0';
      location.hash = `#/nhat-ky?${new URLSearchParams(q)}`;
    });
    csv.addEventListener('click', async () => {
      const picked = chosen();
      if (!picked) return;
      csv.disabled = true;
      const saved = await ctx.save(log, { ...asQuery(picked), format: 'csv' }, `nhat-ky-${ctx.unit}.csv`);
      csv.disabled = false;
      note.replaceChildren(saved ? '' : h('p', { class: 'message error' }, 'Chưa tải được tệp CSV.'));
    });

    const body = h('tbody', {}, rows(first.items));
    const more = h('button', { type: 'button', class: 'secondary', id: 'activity-more', hidden: !first.next }, 'Xem thêm');
    let next = first.next;
    more.addEventListener('click', async () => {
      more.disabled = true;
      try {
        const page = await ctx.api('reporting', log, { ...asQuery(f), limit: 50, cursor: next });
        body.append(...rows(page.items));
        next = page.next;
      } catch (_) { /* the button stays: try again */ }
      more.disabled = false;
      more.hidden = !next;
    });
    const table = first.items.length ? h('table', { class: 'list', id: 'activity' },
      h('thead', {}, h('tr', {}, ['Thời điểm', 'Đơn vị', 'Người ghi nhận', 'Loại việc', 'Mã hồ sơ', 'Nội dung'].map((t) => h('th', {}, t)))),
      body) : h('p', { class: 'hint', id: 'activity-empty' }, 'Không có mục nào phù hợp.');
    ctx.page(title,
      h('p', { class: 'hint' }, 'Ai đã ghi nhận, đính chính, hủy, chuyển, trả lời, giải quyết, gửi báo cáo — và khi nào; mới nhất trước. Bản ghi nhập trước khi có tài khoản cá nhân không ghi người ghi nhận (“—”).'),
      form, table, h('div', { class: 'actions' }, more));
  }

  window.WorkspaceActivity = { show, byLine, actorName };
})();
