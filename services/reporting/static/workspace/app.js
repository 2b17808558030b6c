// The secretaries' workspace: sign-in (signin.js, session.js), the home page of a unit (what is
// due, newest records), a form for every record the services accept (drawn from their OpenAPI
// schemas), the follow-up lists with their next steps as buttons and who took them, the outbox
// of records waiting to be sent (each the typist's own), the unit's activity log (activity.js)
// and, for an admin, the accounts (accounts.js). Code and API in English; everything the user
// reads in Vietnamese (labels.js).
'use strict';

(function () {
  const L = window.HDND_LABELS;
  const { h, fromIso } = window.SchemaForm;
  const S = window.HdndSession; // the access token lives there, in memory only
  const UNIT_STORE = 'hdnd-workspace-unit';
  const SERVICES = ['meetings', 'oversight', 'reporting'];
  const RETRY_MS = 5000;
  const ENDED = 'Phiên đăng nhập không còn hiệu lực: hãy đăng nhập lại.';

  const state = {
    unit: '', unitName: '', config: null, specs: {}, routes: [],
    flushing: null, unitNames: {}, navigation: 0,
  };
  const main = document.getElementById('main');
  const nav = document.getElementById('nav');
  const badge = document.getElementById('outbox-badge');
  const othersNote = document.getElementById('outbox-others');
  const conn = document.getElementById('connection');

  // ---- helpers ----------------------------------------------------------------------------

  function base(service) {
    return (state.config && state.config.services[service]) || '';
  }

  function fillPath(path, params) {
    return path.replace(/\{(\w+)\}/g, (_, k) => encodeURIComponent(params[k] ?? ''));
  }

  async function api(service, path, query) {
    const qs = query ? '?' + new URLSearchParams(query).toString() : '';
    const r = await S.fetch(base(service) + path + qs);
    if (r.status === 401) { signInPage(ENDED); throw new Error('unauthorized'); }
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    return r.json();
  }

  function dmy(iso) { return fromIso(iso) || ''; }
  function stageLabel(s) { return L.stages[s] || s || ''; }
  function pick(item, keys) {
    for (const k of keys) {
      const v = k.split('.').reduce((o, p) => (o == null ? undefined : o[p]), item);
      if (v !== undefined && v !== null && v !== '') return v;
    }
    return '';
  }
  function routeKey(r) { return `${r.service}${r.path.replace('/units/{unit}', '')}`; }
  function message(kind, text) { return h('p', { class: `message ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text); }
  function todayIso() {
    const d = new Date();
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  }

  function errorText(d) {
    const t = L.errorTypes[d.type];
    if (!t) {
      const known = L.refusals.find(([pattern]) => pattern.test(d.msg || ''));
      return known ? `${known[1]} (${d.msg})` : d.msg;
    }
    return t.replace(/\{(\w+)\}/g, (_, k) => (d.ctx && d.ctx[k] !== undefined ? d.ctx[k] : ''));
  }

  // ---- the services' schemas -------------------------------------------------------------

  async function loadSpecs() {
    await Promise.all(SERVICES.map(async (svc) => {
      const key = `hdnd-spec-${svc}`;
      try {
        const r = await fetch(base(svc) + '/openapi.json');
        if (!r.ok) throw new Error(String(r.status));
        state.specs[svc] = await r.json();
        try { localStorage.setItem(key, JSON.stringify(state.specs[svc])); } catch (_) { /* full */ }
      } catch (_) {
        const kept = localStorage.getItem(key);
        if (kept) state.specs[svc] = JSON.parse(kept);
      }
    }));
    state.routes = [];
    for (const svc of SERVICES) {
      const spec = state.specs[svc];
      if (!spec) continue;
      for (const [path, ops] of Object.entries(spec.paths)) {
        const op = ops.post;
        if (!op) continue;
        const label = L.routes[`${svc} POST ${path}`];
        const body = op.requestBody && op.requestBody.content['application/json'].schema;
        if (!label || !body) continue;
        state.routes.push({ service: svc, path, body, components: spec.components.schemas, ...label });
      }
    }
  }

  function routeFor(key) { return state.routes.find((r) => routeKey(r) === key); }

  // ---- units -------------------------------------------------------------------------------

  async function searchUnits(q) {
    try { return await api('reporting', '/workspace/units', { q }); } catch (_) { return []; }
  }
  async function unitName(code) {
    if (state.unitNames[code]) return state.unitNames[code];
    const NAMES = 'hdnd-workspace-unit-names'; // kept, so the page names units offline too
    const kept = JSON.parse(localStorage.getItem(NAMES) || '{}');
    try {
      const found = await api('reporting', '/workspace/units', { code });
      if (found[0]) {
        state.unitNames[code] = found[0].name;
        localStorage.setItem(NAMES, JSON.stringify({ ...kept, [code]: found[0].name }));
      }
    } catch (_) { /* offline: the name known from before, else the code */ }
    return state.unitNames[code] || kept[code] || code;
  }

  // ---- sending, and the outbox ---------------------------------------------------------------

  function post(service, path, body) {
    return S.fetch(base(service) + path, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    }).catch(() => null);
  }

  // POST `body` to `service` at `path`; 'sent' | 'queued' | {refused: detail[]}. A record
  // that cannot be sent now waits in the outbox as its typist's: only their session sends it
  // (and one whose session ended meanwhile waits for their next sign-in: nothing is lost).
  async function send(service, path, body, label) {
    const r = await post(service, path, body);
    if (r === null || window.Outbox.unreachable(r.status) || r.status === 401) {
      const owner = S.owner || {};
      await window.Outbox.put({
        id: window.SchemaForm.newId('q'), service, path, body, label, account: owner.id,
        account_name: owner.full_name, created_at: new Date().toISOString(), attempts: 1, last_error: null,
      });
      await showOutboxCount();
      if (r && r.status === 401) { signInPage(`${ENDED} Bản ghi vừa nhập đã được giữ lại và sẽ gửi khi bạn đăng nhập.`); return { outcome: 'queued' }; }
      scheduleFlush();
      return { outcome: 'queued' };
    }
    const answer = await r.json().catch(() => ({}));
    if (r.ok) return { outcome: 'sent', answer, status: r.status };
    const detail = Array.isArray(answer.detail) ? answer.detail : [{ loc: [], msg: answer.detail || `HTTP ${r.status}`, type: 'http' }];
    return { outcome: 'refused', status: r.status, detail };
  }

  // Send what waits of the person signed in (never another's, whatever this browser holds).
  // One sending at a time; a caller arriving while one is under way waits for it (signing out
  // with "Gửi ngay" found the record still there, mid-send by the timer's, and asked again).
  function flush() {
    if (state.flushing) return state.flushing;
    if (!S.token) return Promise.resolve();
    state.flushing = sendWaiting().finally(() => { state.flushing = null; });
    return state.flushing;
  }

  async function sendWaiting() {
    try {
      for (const entry of await window.Outbox.all()) {
        if (entry.refused || !window.Outbox.owns(entry, S.account)) continue;
        const r = await post(entry.service, entry.path, entry.body);
        if (r === null || window.Outbox.unreachable(r.status)) {
          entry.attempts += 1;
          entry.last_error = 'Chưa kết nối được với dịch vụ';
          await window.Outbox.put(entry);
          continue;
        }
        if (r.ok) {
          await window.Outbox.remove(entry.id);
          continue;
        }
        if (r.status === 401) break;
        const answer = await r.json().catch(() => ({}));
        entry.refused = (answer.detail || []).map?.((d) => `${(d.loc || []).slice(1).join('.')}: ${errorText(d)}`).join('; ') || `HTTP ${r.status}`;
        await window.Outbox.put(entry);
      }
    } finally {
      await showOutboxCount();
      if (location.hash.startsWith('#/cho-gui')) route();
    }
  }

  let flushTimer = 0;
  function scheduleFlush() {
    clearInterval(flushTimer);
    flushTimer = setInterval(async () => {
      const waiting = (await window.Outbox.all()).filter((e) => !e.refused && window.Outbox.owns(e, S.owner));
      if (waiting.length === 0) { clearInterval(flushTimer); return; }
      // Theirs wait for their session: one the page could not renew at load is asked for again
      // (before, the page gave up until the next 'online' event, and the records sat there).
      if (!S.token && (await S.renew()) !== 'signed-in') return;
      flush();
    }, RETRY_MS);
  }

  // The badge counts the person's own records; others' only as a number, never their content.
  async function showOutboxCount() {
    const all = await window.Outbox.all();
    const mine = all.filter((e) => window.Outbox.owns(e, S.owner));
    const others = all.length - mine.length;
    badge.textContent = mine.length ? `Đang chờ gửi: ${mine.length}` : 'Không có bản ghi chờ gửi';
    badge.classList.toggle('waiting', mine.length > 0);
    othersNote.textContent = others ? `${others} bản ghi của người khác đang chờ` : '';
    othersNote.hidden = !others;
    // The home page's line says the same as the badge, and follows it: it counted every record
    // on this browser (others' too) and stayed as drawn after a sending had emptied the outbox.
    const note = document.getElementById('outbox-note');
    if (note) {
      note.replaceChildren(...(mine.length ? [`${mine.length} bản ghi đang chờ gửi. `, h('a', { href: '#/cho-gui' }, 'Xem danh sách')] : []));
      note.hidden = !mine.length;
    }
    return mine;
  }

  // ---- a form, its submission and its refusals -----------------------------------------------

  // Draw `route`'s form into `slot`; `params` fills the path, `opts.query` follows it, `fixed` sets fields (e.g. kind).
  function formFor(route, params, opts) {
    const form = new window.SchemaForm(route.body, route.components, {
      searchUnits, unitName, fixed: opts.fixed || {}, today: opts.today,
      decorate: window.WorkspaceSuggestions.decorator({ api, unit: () => state.unit }), // suggestions.js
    });
    if (opts.initial) form.fill(opts.initial);
    const note = h('div', { class: 'form-note', 'aria-live': 'polite' });
    const submit = h('button', { type: 'submit', class: 'primary' }, opts.submitLabel || 'Ghi nhận');
    const el = h('form', { class: 'record-form', novalidate: true, 'data-route': routeKey(route) }, note, form.root,
      h('div', { class: 'actions' }, submit, opts.cancel ? h('button', { type: 'button', class: 'secondary', onclick: opts.cancel }, 'Đóng') : null));
    el.addEventListener('submit', async (e) => {
      e.preventDefault();
      form.clearErrors();
      note.replaceChildren();
      const problems = form.check();
      if (problems.length) {
        problems.forEach(([p, m]) => form.showError(p, m));
        note.append(message('error', 'Chưa gửi: hãy sửa các trường được đánh dấu.'));
        const bad = el.querySelector('[aria-invalid="true"]');
        if (bad) bad.focus();
        return;
      }
      submit.disabled = true;
      const body = form.value();
      const query = new URLSearchParams(opts.query || {}).toString();
      const path = fillPath(route.path, { unit: state.unit, ...params }) + (query ? `?${query}` : '');
      const label = `${opts.title || route.title} – ${state.unitName || state.unit}`;
      const res = await send(route.service, path, body, label);
      submit.disabled = false;
      if (res.outcome === 'refused') {
        const kinds = new Set((route.body.discriminator && Object.keys(route.body.discriminator.mapping)) || []);
        Object.values(route.components).forEach((s) => { if (s.discriminator) Object.keys(s.discriminator.mapping).forEach((k) => kinds.add(k)); });
        const general = [];
        for (const d of res.detail) {
          const loc = d.loc || [];
          const shown = loc[0] === 'body' && form.showError(loc.slice(1).filter((x) => !kinds.has(x)).join('.'), errorText(d));
          if (!shown) general.push(errorText(d));
        }
        note.append(message('error', `Dịch vụ từ chối (mã ${res.status}): ${general.length ? general.join(' ') : 'xem thông báo bên cạnh các trường.'}`));
        const bad = el.querySelector('[aria-invalid="true"]');
        if (bad) bad.focus();
        return; // nothing typed is lost
      }
      form.renewIds();
      if (res.outcome === 'queued') {
        note.append(message('warn', 'Chưa kết nối được với dịch vụ: bản ghi đã được lưu trên máy này và sẽ tự gửi khi kết nối lại (xem “Đang chờ gửi”).'));
      } else {
        note.append(message('ok', res.status === 200 ? 'Bản ghi này đã có từ trước: không ghi thêm.' : 'Đã ghi nhận.'));
      }
      if (opts.done) opts.done(res, note);
    });
    return { el, form };
  }

  // ---- pages -------------------------------------------------------------------------------

  function page(title, ...kids) {
    main.replaceChildren(h('h2', { id: 'page-title', tabindex: '-1' }, title), ...kids.filter((k) => k));
    document.title = `${title} – Không gian làm việc HĐND`;
  }

  // The sign-in and the steps it may ask first (signin.js), then the workspace.
  function signInPage(problem) {
    nav.hidden = true;
    document.getElementById('signout').hidden = true;
    document.getElementById('who').textContent = '';
    document.getElementById('unit-name').textContent = 'Không gian làm việc HĐND'; // nobody's unit yet
    document.getElementById('unit-switch').replaceChildren();
    window.HdndSignIn.show(page, start, problem);
  }

  // Ask about the person's records still waiting (send them now, keep them for their next
  // sign-in, or delete them), then end the session.
  async function signOut() {
    clearInterval(flushTimer); // the person decides what happens to their records now
    let canSend = Boolean(S.token) && navigator.onLine;
    for (;;) {
      const mine = (await window.Outbox.all()).filter((e) => window.Outbox.owns(e, S.owner));
      if (!mine.length) break;
      const choice = await window.HdndSignIn.askAboutQueue(mine.length, canSend);
      if (choice === 'stay') { scheduleFlush(); route(); return; }
      if (choice === 'keep') break;
      if (choice === 'delete') { await Promise.all(mine.map((e) => window.Outbox.remove(e.id))); break; }
      await flush(); // 'send' (waiting first for a sending under way, which may have begun
      await flush(); // before this record was queued): what is still there could not be sent
      canSend = false;
    }
    await S.signOut();
    await showOutboxCount();
    signInPage('Bạn đã đăng xuất.');
  }

  function card(title, count, body, link) {
    return h('section', { class: 'panel due-card' },
      h('h3', {}, title, ' ', h('span', { class: `count${count ? ' hot' : ''}` }, String(count))),
      body, link ? h('p', {}, h('a', { href: link }, 'Mở danh sách →')) : null);
  }

  // The newest meetings: the list is oldest first, so ask for the last year, else everything.
  async function recentMeetings(since) {
    const path = `/units/${state.unit}/meetings`;
    try {
      const lately = await api('meetings', path, { from: since, limit: 1000 });
      return lately.length >= 8 ? lately : await api('meetings', path, { limit: 1000 });
    } catch (_) { return null; }
  }

  // A file the reporting service writes (a report document, the log as CSV), fetched with the
  // token and saved by the browser as `filename`; the response, or null without a connection.
  async function saveFile(path, query, filename) {
    const r = await S.fetch(`${base('reporting')}${path}?${new URLSearchParams(query)}`).catch(() => null);
    if (!r || !r.ok) return r;
    const a = h('a', { href: URL.createObjectURL(await r.blob()), download: filename });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 60000);
    return r;
  }

  // The periodic report of the working unit as a Word document (GET /units/{unit}/report): the
  // same file the dashboard's button gives, fetched with the token and saved by the browser.
  function reportButton(period) {
    const button = h('button', { type: 'button', class: 'button secondary small report-docx' }, 'Tải (.docx)');
    button.addEventListener('click', async () => {
      const r = await saveFile(`/units/${state.unit}/report`, { period, format: 'docx' }, `BC-${period}-${state.unit}.docx`);
      if (!r || !r.ok) button.textContent = r ? `Không lập được (mã ${r.status})` : 'Mất kết nối';
    });
    return button;
  }

  // Who recorded an item and took each of its steps (activity.js), for a list's row.
  function byCell(item) { return h('td', { class: 'by-cell' }, window.WorkspaceActivity.byLine(item, stageLabel)); }

  async function homePage() {
    const mine = state.navigation;
    page(`Việc cần làm – ${state.unitName}`, h('p', { class: 'hint' }, 'Đang tải…'));
    const lists = Object.fromEntries(L.lists.map((l) => [l.key, l]));
    const get = async (key) => {
      const l = lists[key];
      try { return await api(l.service, fillPath(l.path, { unit: state.unit }), l.query); } catch (_) { return null; }
    };
    const yearAgo = new Date(Date.now() - 400 * 86400000).toISOString().slice(0, 10);
    const [due, opinions, petitions, recs, proposals, meetings] = await Promise.all([
      api('reporting', `/units/${state.unit}/reports/due`).catch(() => null),
      get('y-kien'), get('don-thu'), get('kien-nghi-giam-sat'), get('de-xuat-nhan'),
      recentMeetings(yearAgo),
    ]);
    await window.WorkspaceRows.learn(proposals || [], lists['de-xuat-nhan'], api);
    if (mine !== state.navigation) return;
    const offline = h('p', { class: 'hint' }, 'Chưa tải được (mất kết nối với dịch vụ).');
    const waiting = (items, key) => (items || []).filter((i) => (lists[key].waiting || []).includes(i[lists[key].state]));
    const itemsTable = (items, key) => {
      const l = lists[key];
      if (!items) return offline.cloneNode(true);
      if (!items.length) return h('p', { class: 'hint' }, 'Không có.');
      return h('ul', { class: 'due-list' }, items.slice().reverse().slice(0, 6).map((i) => h('li', {},
        h('span', { class: 'date' }, dmy(i[l.date])), ' ', String(pick(i, l.text)).slice(0, 90), ' ',
        ((who) => (who ? ['(', who, ') '] : null))(window.WorkspaceRows.party(i, l)),
        h('span', { class: `stage s-${i[l.state]}` }, stageLabel(i[l.state])))));
    };
    const dueRows = (due || []).filter((d) => d.state === 'missing' || d.state === 'due');
    const reports = due === null ? offline.cloneNode(true) : h('table', { class: 'list' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Báo cáo'), h('th', {}, 'Hạn gửi'), h('th', {}, 'Tình trạng'), h('th', {}, 'Văn bản'))),
      h('tbody', {}, (due || []).slice(0, 6).map((d) => h('tr', { class: `r-${d.state}` },
        h('td', {}, d.label), h('td', {}, dmy(d.due_on)),
        h('td', {}, h('span', { class: `stage s-${d.state}` }, stageLabel(d.state)), d.filed_on ? ` (${dmy(d.filed_on)})` : ''),
        h('td', {}, reportButton(d.period))))));
    const opW = waiting(opinions, 'y-kien');
    const peW = waiting(petitions, 'don-thu');
    const reW = waiting(recs, 'kien-nghi-giam-sat');
    const prW = waiting(proposals, 'de-xuat-nhan');
    const recent = (meetings || []).slice().reverse().slice(0, 8);
    const recentEl = meetings === null ? offline.cloneNode(true) : h('table', { class: 'list', id: 'recent' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Ngày'), h('th', {}, 'Loại'), h('th', {}, 'Tiêu đề'), h('th', {}, 'Trạng thái'), h('th', {}, 'Người ghi nhận'))),
      h('tbody', {}, recent.map((m) => h('tr', {}, h('td', {}, dmy(m.held_on || m.scheduled_for)),
        h('td', {}, window.SchemaForm.enumLabel('MeetingKind', 'kind', m.kind)), h('td', {}, m.title),
        h('td', {}, h('span', { class: `stage s-${m.status}` }, stageLabel(m.status))), byCell(m)))));
    const year = new Date().getFullYear();
    page(`Việc cần làm – ${state.unitName}`,
      h('div', { class: 'quick' },
        h('a', { class: 'button primary', href: '#/ghi/meetings/meetings?kind=voter_contact' }, 'Ghi nhận tiếp xúc cử tri'),
        h('a', { class: 'button secondary', href: '#/ghi/meetings/meetings' }, 'Ghi nhận cuộc họp khác'),
        h('a', { class: 'button secondary', href: '#/ghi/reporting/reports' }, 'Gửi báo cáo'),
        h('a', { class: 'button secondary', href: `/?unit=${state.unit}&period=${year}` }, 'Xem số liệu tổng hợp')),
      h('p', { class: 'message warn', id: 'outbox-note', hidden: true }), // showOutboxCount fills it
      h('div', { class: 'due-grid' },
        card('Báo cáo định kỳ đến hạn, chưa gửi', dueRows.length, reports, '#/theo-doi/bao-cao'),
        card('Ý kiến cử tri chờ xử lý', opW.length, itemsTable(opW, 'y-kien'), '#/theo-doi/y-kien'),
        card('Đơn thư chờ xử lý', peW.length, itemsTable(peW, 'don-thu'), '#/theo-doi/don-thu'),
        card('Kiến nghị giám sát quá hạn', reW.length, itemsTable(reW, 'kien-nghi-giam-sat'), '#/theo-doi/kien-nghi-giam-sat'),
        card('Kiến nghị, đề xuất nhận được chưa trả lời', prW.length, itemsTable(prW, 'de-xuat-nhan'), '#/theo-doi/de-xuat-nhan')),
      h('section', { class: 'panel' }, h('h3', {}, 'Ghi nhận gần đây (mới nhất trước)'), recentEl,
        h('p', {}, h('a', { href: '#/theo-doi/cuoc-hop' }, 'Tất cả cuộc họp, hoạt động →'))));
    await showOutboxCount();
  }

  function formPage(key, query) {
    const route = routeFor(key);
    if (!route) { page('Không tìm thấy', message('error', 'Không có biểu mẫu này (hoặc chưa tải được mô tả của dịch vụ).')); return; }
    const kind = query.get('kind');
    const title = kind ? `${route.title}: ${window.SchemaForm.enumLabel('kind', 'kind', kind)}` : route.title;
    // after a record is sent or kept, a blank form (with new ids) and what happened on top
    const done = (_, note) => {
      formPage(key, query);
      main.querySelector('.form-note').replaceChildren(...note.childNodes);
    };
    const { el } = formFor(route, {}, { fixed: kind ? { kind } : {}, title, done });
    page(title, h('p', { class: 'hint' }, `Đơn vị: ${state.unitName}. Trường có dấu * là bắt buộc; ngày nhập theo dạng dd/mm/yyyy.`), el);
  }

  async function listPage(key, query) {
    const l = L.lists.find((x) => x.key === key);
    if (!l) { page('Không tìm thấy'); return; }
    const stage = query.get('stage') || '';
    const mine = state.navigation;
    page(l.title, h('p', { class: 'hint' }, 'Đang tải…'));
    let items;
    try {
      items = await api(l.service, fillPath(l.path, { unit: state.unit }), { ...(l.query || {}), ...(stage && l.state === 'stage' ? { stage } : {}) });
      await window.WorkspaceRows.learn(items, l, api); // the names of the units the rows name
      if (mine !== state.navigation) return;
    } catch (_) {
      if (mine !== state.navigation) return;
      page(l.title, message('error', 'Chưa tải được danh sách: mất kết nối với dịch vụ. Bản ghi mới vẫn có thể nhập, sẽ được gửi khi kết nối lại.'));
      return;
    }
    const steps = state.routes.filter((r) => r.step && S.owner.role === 'secretary' && r.service === l.service && r.path.startsWith(l.path + '/'));
    const states = [...new Set(items.map((i) => i[l.state]).filter(Boolean))];
    const filter = l.state === 'stage' ? h('label', { class: 'inline' }, 'Lọc theo bước: ',
      h('select', { onchange: (e) => { location.hash = `#/theo-doi/${key}${e.target.value ? '?stage=' + e.target.value : ''}`; } },
        h('option', { value: '' }, 'Tất cả'),
        Object.keys(l.next).concat(['resolved', 'settled', 'implemented', 'finished', 'withdrawn']).filter((s, i, a) => a.indexOf(s) === i && (L.stages[s]))
          .map((s) => h('option', { value: s, selected: s === stage }, stageLabel(s))))) : null;
    const rows = items.slice().reverse().map((item) => {
      const id = item[l.id];
      const st = item[l.state];
      const allowed = (l.next[st] || []);
      const panel = h('td', { colspan: 7, class: 'step-panel' });
      const panelRow = h('tr', { class: 'step-row', hidden: true }, panel);
      const buttons = steps.filter((r) => allowed.includes(r.path.split('/').pop())).map((r) => h('button', {
        type: 'button', class: 'secondary small', 'data-step': r.path.split('/').pop(),
        onclick: () => {
          const initial = r.path.endsWith('/correct') ? { meeting: stripMeeting(item) } : (r.path.endsWith('/hold') ? stripMeeting(item) : undefined);
          const { el } = formFor(r, { [l.id]: id }, {
            today: true, title: `${r.title}: ${String(pick(item, l.text)).slice(0, 60)}`, initial,
            fixed: r.path.endsWith('/hold') ? { kind: item.kind } : {},
            query: Object.fromEntries((l.stepQuery || []).map((k) => [k, item[k]])),
            submitLabel: r.title, cancel: () => { panelRow.hidden = true; },
            done: (res) => { if (res.outcome === 'sent') setTimeout(route, 600); },
          });
          panel.replaceChildren(h('h4', {}, r.title), el);
          panelRow.hidden = false;
          const f = el.querySelector('input:not([type=hidden]), select, textarea');
          if (f) f.focus();
        },
      }, r.title));
      const tr = h('tr', { 'data-id': id },
        h('td', { class: 'date' }, dmy(item[l.date] || item.held_on || item.scheduled_for)),
        h('td', {}, l.kind ? h('span', { class: 'hint' }, window.SchemaForm.enumLabel('MeetingKind', 'kind', item[l.kind]) + ' · ') : null, String(pick(item, l.text))),
        window.WorkspaceRows.partyCell(item, l),
        h('td', {}, l.state ? h('span', { class: `stage s-${st}` }, stageLabel(st)) : ''),
        window.WorkspaceRows.outcomeCell(item, l),
        byCell(item),
        h('td', { class: 'steps' }, buttons, key === 'y-kien' && st !== 'withdrawn'
          ? h('a', { class: 'button secondary small', href: `#/phieu?don-vi=${item.unit}&id=${encodeURIComponent(id)}` }, 'In phiếu') : null));
      return [tr, panelRow];
    }).flat();
    page(l.title,
      h('div', { class: 'list-head' }, filter, h('span', { class: 'hint' }, `${items.length} mục · ${states.map(stageLabel).join(', ')}`)),
      items.length ? h('table', { class: 'list', id: `list-${key}` },
        h('thead', {}, h('tr', {}, h('th', {}, 'Ngày'), h('th', {}, 'Nội dung'), h('th', {}, 'Cơ quan / đơn vị'), h('th', {}, 'Tình trạng'), h('th', {}, 'Kết quả, trả lời'), h('th', {}, 'Người ghi nhận'), h('th', {}, 'Bước tiếp theo'))),
        h('tbody', {}, rows)) : h('p', { class: 'hint' }, 'Chưa có mục nào.'));
  }

  function stripMeeting(item) {
    const out = { ...item };
    for (const k of ['unit', 'status', 'event_id', 'corrections', 'cancellation', 'scheduled_for', 'session', 'recorded_by', 'by']) delete out[k];
    return out;
  }

  // Voters' opinions by group, the synthesis documents, a voter's receipt (groups.js)
  function groupsContext() {
    const mine = state.navigation;
    return {
      unit: state.unit, unitName: state.unitName, api, page, send, reload: route,
      save: async (path, q, filename) => { const r = await saveFile(path, q, filename); return Boolean(r && r.ok); },
      stale: () => mine !== state.navigation,
    };
  }

  function activityPage(query) {
    const mine = state.navigation;
    window.WorkspaceActivity.show({
      unit: state.unit, unitName: state.unitName, api, page,
      save: async (path, q, filename) => { const r = await saveFile(path, q, filename); return Boolean(r && r.ok); },
      stale: () => mine !== state.navigation,
    }, query);
  }

  // Quản trị tài khoản (accounts.js): an admin's accounts of their unit and below.
  function accountsPage(query) {
    const mine = state.navigation;
    window.WorkspaceAccounts.show({
      page, searchUnits, unitName, errorText, me: S.owner, fetch: S.fetch, base: base('reporting'),
      spec: state.specs.reporting, stale: () => mine !== state.navigation,
    }, query);
  }

  async function outboxPage() {
    const mine = state.navigation;
    const all = await showOutboxCount();
    if (mine !== state.navigation) return;
    const rows = all.map((e) => h('tr', { 'data-id': e.id },
      h('td', {}, new Date(e.created_at).toLocaleString('vi-VN')),
      h('td', {}, e.label),
      h('td', {}, e.refused ? h('span', { class: 'stage s-missing' }, `Bị từ chối: ${e.refused}`) : `Đang chờ (${e.attempts} lần thử)`),
      h('td', {}, h('button', { type: 'button', class: 'secondary small', onclick: async () => { await window.Outbox.remove(e.id); route(); } }, 'Bỏ'))));
    page('Đang chờ gửi',
      h('p', { class: 'hint' }, 'Bản ghi nhập khi không kết nối được với dịch vụ được lưu trên máy này và tự gửi lại mỗi vài giây, hoặc ngay khi có mạng. Mỗi bản ghi có mã riêng nên gửi lại không bị tính hai lần. Bản ghi chỉ được gửi khi chính người đã nhập đăng nhập.'),
      othersNote.hidden ? null : h('p', { class: 'message warn', id: 'outbox-others-note' }, `${othersNote.textContent}: chỉ được gửi khi người đã nhập đăng nhập lại trên máy này.`),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', onclick: () => flush() }, 'Gửi ngay')),
      all.length ? h('table', { class: 'list', id: 'outbox' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Lúc nhập'), h('th', {}, 'Bản ghi'), h('th', {}, 'Tình trạng'), h('th', {}, ''))),
        h('tbody', {}, rows)) : h('p', { class: 'message ok' }, 'Không có bản ghi nào đang chờ gửi.'));
  }

  // ---- navigation -------------------------------------------------------------------------

  function buildNav() {
    const groups = {};
    for (const r of state.routes) {
      if (!r.menu) continue;
      groups[r.menu] = groups[r.menu] || [];
      const kinds = r.body.discriminator ? Object.keys(r.body.discriminator.mapping) : null;
      if (kinds) {
        for (const k of kinds) groups[r.menu].push([`#/ghi/${routeKey(r)}?kind=${k}`, window.SchemaForm.enumLabel('kind', 'kind', k)]);
      } else {
        groups[r.menu].push([`#/ghi/${routeKey(r)}`, r.title]);
      }
    }
    nav.replaceChildren(
      h('a', { href: '#/', class: 'home' }, 'Việc cần làm'),
      // a viewer or an admin reads, records nothing: no forms offered
      ...Object.entries(S.owner.role === 'secretary' ? groups : {}).map(([g, links]) => h('details', { open: true }, h('summary', {}, `Ghi nhận: ${g}`),
        h('ul', {}, links.map(([href, text]) => h('li', {}, h('a', { href }, text)))))),
      h('details', { open: true }, h('summary', {}, 'Theo dõi, xử lý'),
        h('ul', {}, L.lists.map((l) => h('li', {}, h('a', { href: `#/theo-doi/${l.key}` }, l.title))))),
      h('a', { href: '#/cho-gui' }, 'Đang chờ gửi'),
      h('a', { href: '#/nhat-ky' }, 'Nhật ký'),
      h('a', { href: '#/nhom-y-kien' }, 'Ý kiến cử tri theo nhóm'),
      ...window.WorkspaceBell.links(S.owner),
      ...(S.owner.role === 'admin' ? [h('a', { href: '#/tai-khoan' }, 'Quản trị tài khoản')] : []),
      h('a', { href: `/?unit=${state.unit}` }, 'Số liệu tổng hợp (dashboard)'));
    nav.hidden = false;
  }

  function route() {
    state.navigation += 1; // a page still loading for an earlier navigation draws nothing
    if (!S.owner || S.pending.length) { signInPage(); return; } // a step to take before anything else
    const hash = location.hash.replace(/^#/, '') || '/';
    const [path, qs] = hash.split('?');
    const query = new URLSearchParams(qs || '');
    main.dataset.view = hash; // what is on screen, for tests and styles
    nav.querySelectorAll('a').forEach((a) => a.classList.toggle('current', a.getAttribute('href') === '#' + hash));
    if (path.startsWith('/ghi/')) formPage(path.slice(5), query);
    else if (path.startsWith('/theo-doi/')) listPage(path.slice(10), query);
    else if (path === '/cho-gui') outboxPage();
    else if (path === '/nhat-ky') activityPage(query);
    else if (path === '/nhom-y-kien') window.WorkspaceGroups.show(groupsContext(), query);
    else if (path === '/phieu') window.WorkspaceGroups.receipt(groupsContext(), query);
    else if (path === '/tai-khoan') accountsPage(query);
    else if (path === '/dang-xuat') { history.replaceState(null, '', location.pathname); signOut(); } // the dashboard's link
    else if (window.WorkspaceBell.route(path, query)) { /* the bell's pages (bell.js) */ }
    else homePage();
  }

  function unitSwitcher() {
    const holder = document.getElementById('unit-switch');
    const picker = new window.SchemaForm({ type: 'object', properties: { unit: { type: 'string', pattern: '^(\\d{2}|\\d{3}|\\d{5})$' } } }, {}, { searchUnits, unitName });
    picker.fill({ unit: state.unit });
    const form = h('form', { class: 'unit-form' }, picker.root, h('button', { type: 'submit', class: 'secondary' }, 'Chuyển'));
    form.querySelector('label').textContent = 'Đơn vị làm việc';
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const code = (picker.value() || {}).unit;
      if (!code) return;
      await useUnit(code);
      route();
    });
    holder.replaceChildren(form);
  }

  async function useUnit(code) {
    if (code === state.unit) return;
    state.unit = code;
    state.unitName = await unitName(code);
    localStorage.setItem(`${UNIT_STORE}:${S.owner.id}`, code);
    document.getElementById('unit-name').textContent = state.unitName;
    buildNav();
  }

  // what the bell (bell.js) needs of the page
  function bellContext() {
    return { api, page, useUnit, fetch: S.fetch, base, owner: () => S.owner, navigation: () => state.navigation };
  }

  // The workspace of the person signed in (or, with no connection, of the last one, whose
  // records then wait for their session).
  async function start() {
    const who = S.owner;
    if (!who) { signInPage(); return; }
    const next = new URLSearchParams(location.search).get('next'); // the dashboard sent them
    if (S.token && next && /^\/(?![/\\])/.test(next)) { location.replace(next); return; } // this origin's only
    await loadSpecs();
    // the unit last worked on by this person (a unit within theirs), else their own
    state.unit = localStorage.getItem(`${UNIT_STORE}:${who.id}`) || who.unit;
    state.unitName = await unitName(state.unit);
    // Their count before their name: the badge still showed the last sign-out's (nobody's:
    // "none waiting") while the page already named them and their records waited.
    await showOutboxCount();
    document.getElementById('unit-name').textContent = state.unitName;
    document.getElementById('who').textContent = who.full_name;
    document.getElementById('signout').hidden = false;
    unitSwitcher();
    buildNav();
    window.WorkspaceBell.start(bellContext());
    route();
    flush();
    scheduleFlush();
  }

  // ---- start ------------------------------------------------------------------------------

  async function boot() {
    if ('serviceWorker' in navigator) {
      navigator.serviceWorker.register('/workspace/sw.js', { scope: '/workspace/' }).catch(() => { /* no offline shell */ });
    }
    try {
      const r = await fetch('/workspace/config.json');
      state.config = await r.json();
      localStorage.setItem('hdnd-workspace-config', JSON.stringify(state.config));
    } catch (_) {
      state.config = JSON.parse(localStorage.getItem('hdnd-workspace-config') || '{"services":{}}');
    }
    document.getElementById('signout').addEventListener('click', () => signOut());
    S.on((why) => { if (why === 'expired') signInPage(ENDED); });
    window.addEventListener('hashchange', () => route());
    window.addEventListener('online', async () => {
      conn.textContent = 'Đang có mạng';
      if (!S.token && S.owner && (await S.renew()) !== 'signed-in') return;
      flush();
    });
    window.addEventListener('offline', () => { conn.textContent = 'Mất mạng: bản ghi sẽ được lưu để gửi sau'; });
    conn.textContent = navigator.onLine ? 'Đang có mạng' : 'Mất mạng: bản ghi sẽ được lưu để gửi sau';
    const session = await S.start();
    if (session === 'signed-in' && S.pending.length) signInPage(); // a step to take first
    else if (session === 'offline' && !S.owner) signInPage('Chưa kết nối được máy chủ: đăng nhập khi có mạng.');
    else await start();
  }

  // for tests and the curious: send what waits now
  window.hdndFlush = flush;
  boot();
})();
