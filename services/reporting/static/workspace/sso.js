// Single sign-on on the sign-in page: where the province has its own identity provider
// (GET /auth/methods names it), a button under the sign-in form leads there. The sign-in page
// is drawn by other modules; this one only watches for a form marked `form.signin` (or
// `[data-signin]`) and adds its button once. Signing in there ends back on this page with the
// session's cookie set, and the page's own session code takes it from there (POST /auth/refresh).
'use strict';

(() => {
  const MARK = 'data-sso';

  function button(oidc) {
    const link = document.createElement('a');
    link.className = 'button secondary sso';
    link.setAttribute(MARK, '');
    link.href = `${oidc.login_url}?next=${encodeURIComponent(location.pathname)}`;
    link.textContent = oidc.label; // "Đăng nhập bằng tài khoản của tỉnh"
    const line = document.createElement('p');
    line.className = 'sso-line';
    line.append(link);
    return line;
  }

  function addTo(root, oidc) {
    for (const form of root.querySelectorAll('form.signin, [data-signin]')) {
      if (!form.parentElement || form.parentElement.querySelector(`[${MARK}]`)) continue;
      form.after(button(oidc));
    }
  }

  async function start() {
    const answer = await fetch('/auth/methods', { credentials: 'same-origin' }).catch(() => null);
    const methods = answer && answer.ok ? await answer.json() : null;
    if (!methods || !methods.oidc) return; // no provider here: the page stays as it is
    addTo(document, methods.oidc);
    new MutationObserver(() => addTo(document, methods.oidc))
      .observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
