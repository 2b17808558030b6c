// The sign-in pages (Đăng nhập), in Vietnamese: username and password, the code of the second
// factor when the account has one; then, before anything else, the steps the server says are
// pending: a new password in place of a temporary one, the second factor's setup when the unit
// requires it (its otpauth:// address as a QR code and as text). And the question signing out
// asks when records typed by this person still wait in the browser.
// The dashboard sends a visitor without a session here (`?next=` brings them back).
'use strict';

(function () {
  const { h } = window.SchemaForm;
  const S = window.HdndSession;
  let typed = ''; // the temporary password just typed, until it is replaced (memory only)

  const REFUSED = {
    bad_credentials: 'Tên đăng nhập hoặc mật khẩu không đúng.',
    bad_otp: 'Mã xác thực không đúng hoặc đã được dùng: hãy nhập mã mới trong ứng dụng.',
    locked: 'Tài khoản đã bị khóa sau 10 lần đăng nhập sai liên tiếp. Hãy nhờ quản trị viên của đơn vị (hoặc cấp trên) mở khóa.',
    account_disabled: 'Tài khoản này đã bị vô hiệu hóa. Hãy liên hệ quản trị viên của đơn vị.',
    weak_password: 'Mật khẩu mới phải có từ 10 đến 256 ký tự và khác tên đăng nhập.',
    value_error: 'Hãy chọn mật khẩu khác mật khẩu hiện tại.',
    mismatch: 'Hai lần nhập mật khẩu mới không khớp.',
  };

  function field(id, label, attrs) {
    const input = h('input', { id, name: id, spellcheck: 'false', ...attrs });
    const error = h('p', { class: 'field-error', 'data-error-for': id, role: 'alert', hidden: true });
    return { el: h('div', { class: 'sf-field' }, h('label', { for: id }, label), input, error), input, error };
  }

  function note(kind, text) { return h('p', { class: `message ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text); }

  // A refused answer: its message next to the field it names, else on top.
  function showRefusal(res, fields, top) {
    Object.values(fields).forEach((f) => { f.error.hidden = true; f.input.removeAttribute('aria-invalid'); });
    if (res.status === 0) { top.replaceChildren(note('error', 'Không kết nối được máy chủ: hãy kiểm tra kết nối mạng rồi thử lại.')); return; }
    if (res.status === 429) {
      top.replaceChildren(note('error', `Đăng nhập sai nhiều lần liên tiếp: hãy chờ ${res.retryAfter || 'vài'} giây rồi thử lại.`));
      return;
    }
    top.replaceChildren();
    for (const d of res.detail) {
      const text = REFUSED[d.type] || `Máy chủ từ chối (mã ${res.status}): ${d.msg}`;
      const f = fields[(d.loc || [])[1]];
      if (f && !['locked', 'account_disabled'].includes(d.type)) {
        f.error.textContent = text;
        f.error.hidden = false;
        f.input.setAttribute('aria-invalid', 'true');
        f.input.focus();
      } else {
        top.append(note('error', text));
      }
    }
  }

  // Only the first form is `.signin`: single sign-on (sso.js) puts its button under that one.
  function panel(title, ...kids) {
    const kind = title === 'Đăng nhập' ? 'signin' : 'signin-step';
    return h('form', { class: `panel ${kind}`, novalidate: true, 'aria-label': title }, ...kids);
  }

  // Username, password and, when the server asks, the code: then `next(password)`.
  function signInForm(page, next, problem) {
    const f = {
      username: field('username', 'Tên đăng nhập', { type: 'text', autocomplete: 'username', autocapitalize: 'none' }),
      password: field('password', 'Mật khẩu', { type: 'password', autocomplete: 'current-password' }),
      otp: field('otp', 'Mã xác thực (6 chữ số)', { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 8 }),
    };
    f.otp.el.hidden = true;
    const top = h('div', { 'aria-live': 'polite' }, problem ? note('warn', problem) : null);
    const submit = h('button', { type: 'submit', class: 'primary' }, 'Đăng nhập');
    const form = panel('Đăng nhập', top,
      h('p', {}, 'Đăng nhập bằng tài khoản do quản trị viên của đơn vị (hoặc cấp trên) cấp cho bạn.'),
      h('div', { class: 'sf-root' }, f.username.el, f.password.el, f.otp.el),
      h('div', { class: 'actions' }, submit),
      h('p', { class: 'hint' }, 'Quên mật khẩu hoặc tài khoản bị khóa: quản trị viên đặt lại mật khẩu tạm hoặc mở khóa cho bạn.'));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      submit.disabled = true;
      const password = f.password.input.value;
      const res = await S.signIn(f.username.input.value.trim(), password, f.otp.input.value.trim());
      submit.disabled = false;
      if (res.ok) { next(password); return; }
      if (res.detail.some((d) => d.type === 'otp_required')) {
        f.otp.el.hidden = false;
        top.replaceChildren(note('warn', 'Tài khoản này dùng xác thực hai lớp: nhập mã 6 chữ số đang hiển thị trong ứng dụng xác thực trên điện thoại.'));
        f.otp.input.focus();
        return;
      }
      showRefusal(res, f, top);
    });
    page('Đăng nhập', form);
    f.username.input.focus();
  }

  // A temporary password is changed before anything else.
  function passwordForm(page, next, known) {
    const f = {
      current_password: field('current_password', 'Mật khẩu hiện tại (mật khẩu tạm)', { type: 'password', autocomplete: 'current-password' }),
      new_password: field('new_password', 'Mật khẩu mới', { type: 'password', autocomplete: 'new-password' }),
      again: field('again', 'Nhập lại mật khẩu mới', { type: 'password', autocomplete: 'new-password' }),
    };
    if (known) f.current_password.input.value = known;
    const top = h('div', { 'aria-live': 'polite' });
    const form = panel('Đổi mật khẩu', top,
      h('p', {}, `Chào ${S.account.full_name}. Bạn đang dùng mật khẩu tạm do quản trị viên cấp: hãy đặt mật khẩu của riêng mình trước khi làm việc.`),
      h('p', { class: 'hint' }, 'Mật khẩu mới có từ 10 ký tự trở lên và khác tên đăng nhập; nên là một câu dễ nhớ với bạn, khó đoán với người khác.'),
      h('div', { class: 'sf-root' }, f.current_password.el, f.new_password.el, f.again.el),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Đổi mật khẩu')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (f.new_password.input.value !== f.again.input.value) {
        showRefusal({ status: 422, detail: [{ loc: ['body', 'again'], type: 'mismatch' }] }, f, top);
        return;
      }
      const res = await S.changePassword(f.current_password.input.value, f.new_password.input.value);
      if (res.ok) next();
      else showRefusal(res, f, top);
    });
    page('Đổi mật khẩu', form);
    (known ? f.new_password : f.current_password).input.focus();
  }

  // The unit requires a second factor: an authenticator app scans the code, the person types
  // what it shows.
  async function totpForm(page, next) {
    const setup = await S.totpSetup();
    if (!setup) { page('Thiết lập xác thực hai lớp', note('error', 'Chưa tải được mã thiết lập: hãy tải lại trang.')); return; }
    const f = { otp: field('otp', 'Mã 6 chữ số ứng dụng hiển thị', { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 8 }) };
    const top = h('div', { 'aria-live': 'polite' });
    const form = panel('Thiết lập xác thực hai lớp', top,
      h('p', {}, 'Đơn vị của bạn yêu cầu xác thực hai lớp. Mở ứng dụng xác thực trên điện thoại (Google Authenticator, Microsoft Authenticator, FreeOTP…), quét mã QR dưới đây hoặc nhập khóa bí mật, rồi nhập mã 6 chữ số ứng dụng hiển thị.'),
      h('div', { class: 'totp' }, window.QrCode.svg(setup.otpauth_uri, 'Mã QR để thêm tài khoản vào ứng dụng xác thực'),
        h('dl', {}, h('dt', {}, 'Khóa bí mật'), h('dd', {}, h('code', { id: 'totp-secret' }, setup.secret)),
          h('dt', {}, 'Địa chỉ otpauth'), h('dd', {}, h('code', { id: 'totp-uri' }, setup.otpauth_uri)))),
      h('div', { class: 'sf-root' }, f.otp.el),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Xác nhận')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const res = await S.totpConfirm(f.otp.input.value.trim());
      if (res.ok) next();
      else showRefusal(res, f, top);
    });
    page('Thiết lập xác thực hai lớp', form);
    f.otp.input.focus();
  }

  // Sign in, then take each pending step; `done()` once nothing is pending.
  function show(page, done, problem) {
    const step = () => {
      if (!S.account) signInForm(page, (password) => { typed = password; step(); }, problem);
      else if (S.pending.includes('change_password')) passwordForm(page, step, typed);
      else if (S.pending.includes('setup_totp')) totpForm(page, step);
      else { typed = ''; done(); }
    };
    step();
  }

  // Signing out with `count` records of this person still waiting: 'send' (now, while the
  // session lasts), 'keep' (for their next sign-in on this browser), 'delete', or 'stay'.
  function askAboutQueue(count, canSend) {
    return new Promise((resolve) => {
      const choice = (value, text, cls, extra) => h('button', { type: 'button', class: cls, value, ...extra }, text);
      const dialog = h('dialog', { id: 'sign-out-dialog', 'aria-labelledby': 'sign-out-title' },
        h('h3', { id: 'sign-out-title' }, 'Còn bản ghi chưa gửi'),
        h('p', {}, `${count} bản ghi bạn đã nhập vẫn đang chờ gửi trên máy này. Trước khi đăng xuất, bạn muốn:`),
        h('div', { class: 'actions dialog-actions' },
          choice('send', 'Gửi ngay', 'primary', { disabled: !canSend }),
          choice('keep', 'Giữ lại cho lần đăng nhập sau', 'secondary'),
          choice('delete', 'Xóa', 'secondary'),
          choice('stay', 'Hủy, chưa đăng xuất', 'link')),
        canSend ? null : h('p', { class: 'hint' }, 'Chưa gửi được ngay: máy chưa kết nối được với dịch vụ.'),
        h('p', { class: 'hint' }, 'Bản ghi giữ lại chỉ được gửi khi chính bạn đăng nhập lại trên máy này; người khác đăng nhập chỉ thấy số lượng.'));
      dialog.addEventListener('click', (e) => {
        const b = e.target.closest('button[value]');
        if (!b) return;
        dialog.close();
        dialog.remove();
        resolve(b.value);
      });
      dialog.addEventListener('cancel', () => { dialog.remove(); resolve('stay'); });
      document.body.append(dialog);
      dialog.showModal();
    });
  }

  window.HdndSignIn = { show, askAboutQueue };
})();
