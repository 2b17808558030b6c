// Quản trị tài khoản: an admin gives, changes, disables, re-enables, resets and unlocks the
// accounts of their unit and every unit below it; requires a second factor of a unit; makes
// and revokes programs' service accounts. The forms are drawn from the identity API's own
// request schemas (schemaform.js), so a field another part adds to accounts appears here by
// itself. A temporary password or an API token is shown once, with a copy button.
'use strict';

(function () {
  const { h } = window.SchemaForm;
  const STATES = {
    active: 'Đang hoạt động', must_change: 'Chờ đổi mật khẩu tạm', locked: 'Bị khóa', disabled: 'Đã vô hiệu hóa',
  };
  const REFUSALS = [
    [/username .* is taken/, 'Tên đăng nhập này đã có người dùng.'],
    [/a username has/, 'Tên đăng nhập gồm 3–64 chữ cái, chữ số, dấu “.”, “_”, “-” hoặc “@”, không có dấu cách.'],
    [/operators are made on the server/, 'Tài khoản vận hành chỉ tạo được trên máy chủ.'],
    [/among those you manage|is not served by/, 'Đơn vị này nằm ngoài phạm vi bạn quản trị (đơn vị của bạn và các đơn vị cấp dưới).'],
  ];

  function stateOf(a) {
    if (!a.active) return 'disabled';
    if (a.locked) return 'locked';
    return a.must_change_password ? 'must_change' : 'active';
  }

  function message(kind, ...text) { return h('p', { class: `message ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, ...text); }

  // ctx: {page, searchUnits, unitName, errorText, me, fetch, base, spec, stale}; `after`
  // ({note, secret, showPassword}) tells, on the page drawn anew, what was just done.
  async function show(ctx, query, after) {
    const call = async (method, path, body) => {
      const init = { method, headers: { 'Content-Type': 'application/json' } };
      if (body !== undefined) init.body = JSON.stringify(body);
      const r = await ctx.fetch(ctx.base + path, init).catch(() => null);
      if (!r) return { status: 0, ok: false, body: { detail: 'Mất kết nối với máy chủ.' } };
      return { status: r.status, ok: r.ok, body: await r.json().catch(() => ({})) };
    };
    const schemaOf = (path, method) => {
      const op = ctx.spec && ctx.spec.paths[path] && ctx.spec.paths[path][method];
      return op && op.requestBody.content['application/json'].schema;
    };
    const title = 'Quản trị tài khoản';
    if (!schemaOf('/accounts', 'post')) {
      ctx.page(title, message('error', 'Chưa tải được mô tả của dịch vụ tài khoản: hãy kiểm tra kết nối rồi tải lại trang.'));
      return;
    }
    const f = { unit: query.get('unit') || ctx.me.unit, role: query.get('role') || '', state: query.get('state') || '', q: query.get('q') || '' };
    ctx.page(title, h('p', { class: 'hint' }, 'Đang tải…'));
    const [accounts, services, policy, unitName] = await Promise.all([
      call('GET', `/accounts?${new URLSearchParams({ unit: f.unit, ...(f.q ? { q: f.q } : {}) })}`),
      call('GET', '/service-accounts'),
      call('GET', `/units/${f.unit}/sign-in-policy`),
      ctx.unitName(f.unit),
    ]);
    if (ctx.stale()) return;
    const note = h('div', { id: 'accounts-note', 'aria-live': 'polite' });
    const work = h('div', { id: 'account-work' });

    // A refused answer: next to its field when the form has it, else in `where`.
    const refused = (res, form, where) => {
      const detail = Array.isArray(res.body.detail) ? res.body.detail : [{ loc: [], msg: res.body.detail || `HTTP ${res.status}` }];
      const texts = [];
      for (const d of detail) {
        const known = REFUSALS.find(([pattern]) => pattern.test(d.msg || ''));
        const text = known ? known[1] : ctx.errorText(d);
        const loc = d.loc || [];
        if (!(form && loc[0] === 'body' && form.showError(loc.slice(1).join('.'), text))) texts.push(text);
      }
      where.replaceChildren(message('error', `Máy chủ từ chối (mã ${res.status}). `, texts.join(' ')));
    };

    // What is shown once: a temporary password or an API token, with a copy button.
    const secret = (label, value, id, after) => {
      const copy = h('button', { type: 'button', class: 'secondary small' }, 'Sao chép');
      copy.addEventListener('click', async () => {
        try { await navigator.clipboard.writeText(value); copy.textContent = 'Đã sao chép'; } catch (_) { window.getSelection().selectAllChildren(copy.previousSibling); }
      });
      note.replaceChildren(h('div', { class: 'message ok secret', role: 'status', id: 'account-secret' },
        h('p', {}, label, ' ', h('code', { id }, value), ' ', copy), h('p', { class: 'hint' }, after)));
    };

    // A form drawn from the API's schema of `path`/`method`; `send(value)` → the API's answer.
    const schemaForm = (heading, path, method, initial, submitText, send, done) => {
      const form = new window.SchemaForm(schemaOf(path, method), ctx.spec.components.schemas, { searchUnits: ctx.searchUnits, unitName: ctx.unitName });
      form.root.querySelectorAll('select[name="role"] option[value="operator"]').forEach((o) => o.remove()); // made on the server only
      if (initial) form.fill(initial);
      const top = h('div', { 'aria-live': 'polite' });
      const el = h('form', { class: 'record-form', novalidate: true, id: 'account-form' }, h('h3', {}, heading), top, form.root,
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, submitText),
          h('button', { type: 'button', class: 'secondary', onclick: () => work.replaceChildren() }, 'Đóng')));
      el.addEventListener('submit', async (e) => {
        e.preventDefault();
        form.clearErrors();
        const problems = form.check();
        if (problems.length) { problems.forEach(([p, m]) => form.showError(p, m)); return; }
        const res = await send(form.value());
        if (!res.ok) { refused(res, form, top); return; }
        work.replaceChildren();
        await done(res.body);
      });
      work.replaceChildren(el);
      const first = el.querySelector('input, select');
      if (first) first.focus();
    };

    const again = (then) => show(ctx, query, then);
    const showPassword = (body, what) => secret(`${what} Mật khẩu tạm của ${body.account.username}:`, body.temporary_password, 'temporary-password',
      'Chỉ hiển thị một lần: hãy trao cho người dùng một cách an toàn. Ở lần đăng nhập đầu tiên, họ phải đổi sang mật khẩu của riêng mình.');

    const act = async (a, action) => {
      const res = await call('POST', `/accounts/${a.id}/${action}`);
      if (!res.ok) { refused(res, null, note); return; }
      await again((then) => {
        if (action === 'reset-password') then.showPassword(res.body, 'Đã đặt lại mật khẩu.');
        else then.note.replaceChildren(message('ok', `${a.full_name} (${a.username}): ${STATES[stateOf(res.body)]}.`));
      });
    };

    const rows = (accounts.ok ? accounts.body : [])
      .filter((a) => (!f.role || a.role === f.role) && (!f.state || stateOf(a) === f.state))
      .map((a) => {
        const st = stateOf(a);
        const button = (action, text) => h('button', { type: 'button', class: 'secondary small', 'data-action': action, onclick: () => act(a, action) }, text);
        const edit = h('button', { type: 'button', class: 'secondary small', 'data-action': 'edit' }, 'Sửa');
        edit.addEventListener('click', () => schemaForm(`Sửa tài khoản ${a.username}`, '/accounts/{account_id}', 'patch', a, 'Lưu',
          (v) => call('PATCH', `/accounts/${a.id}`, v),
          (changed) => again((then) => then.note.replaceChildren(message('ok', `Đã lưu tài khoản ${changed.username}.`)))));
        return h('tr', { 'data-username': a.username, 'data-id': a.id },
          h('td', {}, h('code', {}, a.username)), h('td', {}, a.full_name), h('td', {}, a.position || ''),
          h('td', { class: 'unit-cell', 'data-unit': a.unit }, a.unit),
          h('td', {}, window.SchemaForm.enumLabel('Role', 'role', a.role)),
          h('td', {}, h('span', { class: `stage a-${st}` }, STATES[st]), a.totp_enabled ? h('span', { class: 'hint' }, ' · xác thực hai lớp') : null),
          h('td', { class: 'steps' }, edit, a.active ? button('disable', 'Vô hiệu hóa') : button('enable', 'Kích hoạt lại'),
            button('reset-password', 'Đặt lại mật khẩu'), a.locked ? button('unlock', 'Mở khóa') : null));
      });
    rows.forEach(async (tr) => { const cell = tr.querySelector('.unit-cell'); cell.textContent = await ctx.unitName(cell.dataset.unit); });

    // Filters: unit (by name), role, state, name; they live in the address (#/tai-khoan?…).
    const picker = new window.SchemaForm({ type: 'object', properties: { unit: { type: 'string', pattern: '^(\\d{2}|\\d{3}|\\d{5})$' } } }, {}, { searchUnits: ctx.searchUnits, unitName: ctx.unitName });
    picker.fill({ unit: f.unit });
    const select = (id, label, value, options) => h('div', { class: 'sf-field' }, h('label', { for: id }, label),
      h('select', { id }, h('option', { value: '' }, 'Tất cả'), options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));
    const roles = ['secretary', 'viewer', 'admin', 'operator'].map((r) => [r, window.SchemaForm.enumLabel('Role', 'role', r)]);
    const filters = h('form', { class: 'panel activity-filters', id: 'accounts-filters' },
      h('div', { class: 'sf-root' }, picker.root, select('f-role', 'Vai trò', f.role, roles), select('f-state', 'Trạng thái', f.state, Object.entries(STATES)),
        h('div', { class: 'sf-field' }, h('label', { for: 'f-q' }, 'Tên'), h('input', { type: 'search', id: 'f-q', value: f.q, placeholder: 'Tên đăng nhập hoặc họ tên' }))),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Lọc')));
    filters.addEventListener('submit', (e) => {
      e.preventDefault();
      const v = (id) => filters.querySelector(`#${id}`).value.trim();
      const q = { unit: (picker.value() || {}).unit || ctx.me.unit, role: v('f-role'), state: v('f-state'), q: v('f-q') };
      location.hash = `#/tai-khoan?${new URLSearchParams(Object.entries(q).filter(([, x]) => x))}`;
    });

    const create = h('button', { type: 'button', class: 'primary', id: 'account-new' }, 'Tạo tài khoản');
    create.addEventListener('click', () => schemaForm('Tạo tài khoản', '/accounts', 'post', { unit: f.unit }, 'Tạo tài khoản',
      (v) => call('POST', '/accounts', v), (made) => again((then) => then.showPassword(made, 'Đã tạo tài khoản.'))));

    // The unit's sign-in policy: a second factor for it and every unit below it.
    const p = policy.ok ? policy.body : null;
    const totp = h('input', { type: 'checkbox', id: 'totp-required', checked: Boolean(p && p.totp_required) });
    const policyForm = h('form', { class: 'panel', id: 'sign-in-policy' }, h('h3', {}, 'Xác thực hai lớp'),
      p ? h('div', { class: 'sf-field sf-check' }, h('label', { for: 'totp-required' }, `Bắt buộc xác thực hai lớp cho ${unitName} và mọi đơn vị cấp dưới`), totp)
        : h('p', { class: 'hint' }, 'Chưa tải được quy định đăng nhập của đơn vị này.'),
      p && p.required_above.length ? h('p', { class: 'hint' }, `Cấp trên (${p.required_above.join(', ')}) đã bắt buộc: người dùng của đơn vị này đều phải dùng xác thực hai lớp.`) : null,
      p ? h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'secondary' }, 'Lưu quy định')) : null);
    policyForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      const res = await call('PUT', `/units/${f.unit}/sign-in-policy`, { totp_required: totp.checked });
      if (!res.ok) { refused(res, null, note); return; }
      note.replaceChildren(message('ok', totp.checked ? `Đã bắt buộc xác thực hai lớp cho ${unitName} và các đơn vị cấp dưới.` : `Đã bỏ yêu cầu xác thực hai lớp của ${unitName}.`));
    });

    // Programs: service accounts with an API token of at most 90 days, revocable at once.
    const services_ = (services.ok ? services.body : []).map((sa) => {
      const revoke = h('button', { type: 'button', class: 'secondary small', 'data-action': 'revoke' }, 'Thu hồi');
      revoke.addEventListener('click', async () => {
        const res = await call('POST', `/service-accounts/${sa.id}/revoke`);
        if (!res.ok) { refused(res, null, note); return; }
        await again((then) => then.note.replaceChildren(message('ok', `Đã thu hồi mã truy cập của “${sa.name}”: mọi dịch vụ từ chối mã này trong vài giây.`)));
      });
      const expired = new Date(sa.expires) <= new Date();
      return h('tr', { 'data-id': sa.id }, h('td', {}, sa.name), h('td', {}, sa.unit), h('td', {}, window.SchemaForm.enumLabel('Role', 'role', sa.role)),
        h('td', { class: 'date' }, new Date(sa.expires).toLocaleDateString('vi-VN')),
        h('td', {}, sa.revoked_at ? 'Đã thu hồi' : (expired ? 'Hết hạn' : 'Còn hiệu lực')), h('td', {}, sa.revoked_at || expired ? null : revoke));
    });
    const newService = h('button', { type: 'button', class: 'secondary', id: 'service-new' }, 'Tạo tài khoản dịch vụ');
    newService.addEventListener('click', () => schemaForm('Tạo tài khoản dịch vụ', '/service-accounts', 'post', { unit: f.unit, days: 30 }, 'Tạo',
      (v) => call('POST', '/service-accounts', v), (made) => again((then) => then.secret(`Mã truy cập (API token) của “${made.name}”:`, made.token, 'service-token',
        'Chỉ hiển thị một lần: hãy cấu hình ngay cho chương trình. Mã hết hạn sau số ngày đã chọn và có thể thu hồi bất cứ lúc nào.'))));

    const head = (...names) => h('thead', {}, h('tr', {}, names.map((n) => h('th', {}, n))));
    ctx.page(`${title} – ${unitName}`,
      h('p', { class: 'hint' }, 'Tài khoản của đơn vị bạn và mọi đơn vị cấp dưới. Mọi thay đổi đều được ghi vào Nhật ký; vô hiệu hóa, đặt lại mật khẩu, đổi đơn vị hay vai trò kết thúc ngay các phiên đăng nhập của tài khoản đó.'),
      note, filters, h('div', { class: 'actions' }, create), work,
      accounts.ok ? (rows.length ? h('table', { class: 'list', id: 'accounts' },
        head('Tên đăng nhập', 'Họ và tên', 'Chức vụ', 'Đơn vị', 'Vai trò', 'Trạng thái', 'Thao tác'), h('tbody', {}, rows))
        : h('p', { class: 'hint', id: 'accounts-empty' }, 'Không có tài khoản nào phù hợp.'))
        : message('error', `Chưa tải được danh sách tài khoản (mã ${accounts.status}).`),
      policyForm,
      h('section', { class: 'panel', id: 'service-accounts-panel' }, h('h3', {}, 'Tài khoản dịch vụ (chương trình gọi API)'),
        h('p', { class: 'hint' }, 'Chương trình gọi API (đồng bộ số liệu, báo cáo tự động…) dùng tài khoản dịch vụ có tên riêng, mã truy cập hết hạn sau tối đa 90 ngày và thu hồi được ngay.'),
        h('div', { class: 'actions' }, newService),
        services_.length ? h('table', { class: 'list', id: 'service-accounts' }, head('Tên', 'Đơn vị', 'Vai trò', 'Hết hạn', 'Tình trạng', ''), h('tbody', {}, services_)) : null));
    if (after) after({ note, secret, showPassword });
  }

  window.WorkspaceAccounts = { show };
})();
