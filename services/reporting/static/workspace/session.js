// The session of the person signed in, shared by the workspace and the dashboard. The access
// token (15 minutes) lives in this module's memory only, never in localStorage: a page gets
// it from POST /auth/sign-in, or at load from POST /auth/refresh, which the browser sends with
// the refresh cookie (HttpOnly: no script reads it; SameSite=Strict; Path=/auth). It is renewed
// a minute before it expires, and once more when a service answers 401 (a tab that slept).
// Who is signed in (no secret: id, name, unit, role) is remembered, so records typed with no
// connection belong to that person until the session can be renewed.
'use strict';

(function () {
  const WHO = 'hdnd-account';
  const LEAVING = 'hdnd-sign-out-pending'; // signed out with no connection: end it when one comes
  const EARLY_S = 60; // renew this long before the token expires
  let token = '';
  let account = null;
  let pending = [];
  let renewTimer = 0;
  let renewing = null; // one renewal at a time, whoever asks
  const listeners = new Set();

  function remembered() {
    try { return JSON.parse(localStorage.getItem(WHO) || 'null'); } catch (_) { return null; }
  }

  function changed(why) { listeners.forEach((fn) => fn(why)); }

  // A sign-in, renewal or completed step answered `body`: keep its token, plan the next renewal.
  function take(body) {
    token = body.access_token;
    account = body.account;
    pending = body.pending || (body.must_change_password ? ['change_password'] : []);
    const { id, username, full_name: fullName, position, unit, era, role } = account;
    try {
      localStorage.setItem(WHO, JSON.stringify({ id, username, full_name: fullName, position, unit, era, role }));
    } catch (_) { /* storage disabled: offline records then wait for a sign-in */ }
    clearTimeout(renewTimer);
    renewTimer = setTimeout(() => renew(), Math.max(5, (body.expires_in || 0) - EARLY_S) * 1000);
    try { localStorage.removeItem(LEAVING); } catch (_) { /* nothing kept */ }
  }

  function forget() {
    token = '';
    account = null;
    pending = [];
    clearTimeout(renewTimer);
    try { localStorage.removeItem(WHO); } catch (_) { /* nothing kept */ }
  }

  async function post(path, body, bearer) {
    const headers = { 'Content-Type': 'application/json' };
    if (bearer && token) headers.Authorization = `Bearer ${token}`;
    const r = await fetch(path, {
      method: 'POST', credentials: 'same-origin', cache: 'no-store', headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = r.status === 204 ? {} : await r.json().catch(() => ({}));
    return { status: r.status, ok: r.ok, body: answer, retryAfter: Number(r.headers.get('Retry-After')) || 0 };
  }

  // An answer for the page: {ok} or {status, detail: [{loc, msg, type}], retryAfter}.
  function outcome(a) {
    if (a.ok) { take(a.body); changed('signed-in'); return { ok: true }; }
    const detail = Array.isArray(a.body.detail) ? a.body.detail : [{ loc: [], msg: a.body.detail || '', type: '' }];
    return { ok: false, status: a.status, detail, retryAfter: a.retryAfter };
  }

  // 'signed-in', 'signed-out' (the cookie names no session), or 'offline' (no answer).
  async function renew() {
    if (!renewing) {
      const once = async () => {
        try {
          const a = await post('/auth/refresh');
          if (a.ok) { take(a.body); return 'signed-in'; }
          if (a.status === 401) { forget(); changed('expired'); return 'signed-out'; }
          return 'offline'; // 5xx, a proxy without reporting: try again later
        } catch (_) { return 'offline'; }
      };
      // Tabs of one browser share the cookie, whose token each renewal replaces: one at a time.
      const locked = navigator.locks ? navigator.locks.request('hdnd-session-renewal', once) : once();
      renewing = locked.finally(() => { renewing = null; });
    }
    return renewing;
  }

  const Session = {
    get token() { return token; },
    get account() { return account; },
    get pending() { return pending.slice(); },
    // Whose records wait in this browser when nobody could be asked: the last person signed in.
    get owner() { return account || remembered(); },

    on(fn) { listeners.add(fn); },

    // At page load: the session of the cookie, if any; none after a sign-out the server has
    // not heard of yet (it is told now, or at a later load).
    async start() {
      if (!localStorage.getItem(LEAVING)) return renew();
      try {
        if ((await post('/auth/sign-out')).ok) localStorage.removeItem(LEAVING);
      } catch (_) { /* still no connection */ }
      return 'signed-out';
    },
    renew,

    async signIn(username, password, otp) {
      const body = { username, password };
      if (otp) body.otp = otp;
      try { return outcome(await post('/auth/sign-in', body)); } catch (_) { return { ok: false, status: 0, detail: [] }; }
    },

    async changePassword(current, next) {
      try {
        return outcome(await post('/auth/password', { current_password: current, new_password: next }, true));
      } catch (_) { return { ok: false, status: 0, detail: [] }; }
    },

    async totpSetup() {
      const a = await post('/auth/totp/setup', undefined, true).catch(() => ({ ok: false, body: {} }));
      return a.ok ? a.body : null;
    },

    async totpConfirm(otp) {
      try { return outcome(await post('/auth/totp/confirm', { otp }, true)); } catch (_) { return { ok: false, status: 0, detail: [] }; }
    },

    // `fetch` with the access token; a 401 renews the token once and asks again. What a 401
    // after that answers is the caller's (the page shows the sign-in).
    async fetch(url, init) {
      const ask = () => fetch(url, { ...init, headers: { ...(init && init.headers), ...(token ? { Authorization: `Bearer ${token}` } : {}) } });
      const r = await ask();
      if (r.status !== 401) return r;
      return (await renew()) === 'signed-in' ? ask() : r;
    },

    // End the session on the server (its tokens are refused everywhere within seconds) and
    // here; the cookie is cleared by the answer.
    async signOut() {
      let told = false;
      try { told = (await post('/auth/sign-out', undefined, true)).ok; } catch (_) { /* offline */ }
      forget();
      if (!told) {
        try { localStorage.setItem(LEAVING, '1'); } catch (_) { /* nothing kept */ }
      }
      changed('signed-out');
    },
  };

  window.HdndSession = Session;
})();
