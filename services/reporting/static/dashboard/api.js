// The access token ("Mã truy cập"), calls to this service's API, and the refresh loop.

import { COUNTRY, REFRESH_MS, TIMEOUT_MS, TOKEN_STORE } from './config.js';
import { el, state } from './state.js';
import { clock } from './format.js';
import { hideMessage, setBadge, showMessage, showProblem, showPrompt, showStale } from './messages.js';
import { render } from './render.js';
import { fillFigureSelect } from './charts.js';

export function setToken(value) {
  state.token = (value || '').trim().replace(/^Bearer\s+/i, '');
  el.token.value = state.token;
  el.token.removeAttribute('aria-invalid');
  syncCountryButton();
  try {
    if (state.token) localStorage.setItem(TOKEN_STORE, state.token);
    else localStorage.removeItem(TOKEN_STORE);
  } catch (_) { /* storage disabled: the token lives only in this page */ }
}

// What the token says of itself (not verified here: the API checks it), to offer "Cả nước"
// only to a token that may read it; null if it is not a readable JWT.
function tokenClaims() {
  const part = state.token.split('.')[1];
  if (!part) return null;
  try {
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)));
    return claims && typeof claims === 'object' ? claims : null;
  } catch (_) {
    return null;
  }
}

// National figures need a token without a unit or an operator's; an unreadable token may try.
function syncCountryButton() {
  const c = tokenClaims();
  el.countryBtn.hidden = Boolean(c && c.unit && c.role !== 'operator');
}

// A link may carry the token in its fragment (#token=…): kept here, never sent to a server.
export function takeTokenFromLink() {
  const h = new URLSearchParams(location.hash.replace(/^#/, ''));
  const t = h.get('token');
  if (!t) return false;
  setToken(t);
  history.replaceState(history.state, '', location.pathname + location.search);
  return true;
}

function showAuthProblem(status, body) {
  const detail = body && Array.isArray(body.detail) ? body.detail[0] || {} : {};
  let text;
  if (status === 401 && !state.token) {
    text = 'Hãy nhập mã truy cập để xem số liệu.';
  } else if (status === 401) {
    text = detail.type === 'expired_token'
      ? 'Mã truy cập đã hết hạn. Hãy nhập mã truy cập mới.'
      : 'Mã truy cập không hợp lệ. Hãy kiểm tra lại hoặc nhập mã truy cập mới.';
  } else if (state.unit === COUNTRY) {
    const claims = tokenClaims();
    text = 'Mã truy cập này không được xem số liệu cả nước: số liệu toàn quốc chỉ dành cho mã'
      + ' truy cập cấp trung ương.'
      + (claims && claims.unit ? ` Mã này xem được đơn vị ${claims.unit} và các đơn vị trực thuộc.` : '');
  } else {
    text = `Mã truy cập này không được xem số liệu của đơn vị ${state.unit}:`
      + ' chỉ xem được đơn vị của mình và các đơn vị trực thuộc.';
  }
  showPrompt();
  el.prompt.hidden = true;
  showMessage(text, false);
  if (status === 401) {
    el.token.setAttribute('aria-invalid', 'true');
    el.token.focus();
  }
}

// Every call to the API goes through here, with the access token.
export function apiFetch(url, options) {
  const headers = { ...(options && options.headers) };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  return fetch(url, { cache: 'no-store', ...options, headers });
}

async function fetchJson(url, signal) {
  const res = await apiFetch(url, { signal, headers: { Accept: 'application/json' } });
  let body = null;
  try { body = await res.json(); } catch (_) { body = null; }
  return { res, body };
}

async function loadLabels(signal) {
  try {
    const [figures, rates] = await Promise.all([
      fetchJson('figures', signal), fetchJson('rates', signal),
    ]);
    if (rates.res.ok && rates.body && typeof rates.body === 'object') {
      state.rateInfo = new Map(Object.entries(rates.body));
    }
    if (figures.res.ok && figures.body && typeof figures.body === 'object') {
      state.labels = new Map(Object.entries(figures.body));
      fillFigureSelect();
    }
  } catch (_) { /* figure keys stand in for labels until the next refresh */ }
}

function summaryUrl() {
  const q = `period=${encodeURIComponent(state.period)}&view=${state.view}`;
  if (state.unit === COUNTRY) return `country/summary?${q}`;
  return `units/${encodeURIComponent(state.unit)}/summary?${q}`;
}

function schedule() {
  clearTimeout(state.timer);
  state.timer = setTimeout(tick, REFRESH_MS);
}

function tick() {
  if (document.hidden) { state.dueWhileHidden = true; return; }
  load();
}

export async function load() {
  clearTimeout(state.timer);
  if (state.ctrl) state.ctrl.abort();
  state.ctrl = null;
  const seq = ++state.seq;
  if (!state.unit) { hideMessage(); showPrompt(); return; }
  const ctrl = new AbortController();
  state.ctrl = ctrl;
  const timeout = setTimeout(() => ctrl.abort(), TIMEOUT_MS);
  const key = `${state.unit}|${state.period}|${state.view}`;
  const refresh = key === state.shownKey;
  let dim = 0;
  if (!refresh) {
    el.result.setAttribute('aria-busy', 'true');
    // Dim the previous unit only if the answer is slow: a fast answer just replaces it.
    if (state.data) dim = setTimeout(() => el.result.classList.add('loading'), 250);
    else setBadge('Đang tải…', '');
  }
  try {
    if (!state.labels) await loadLabels(ctrl.signal);
    const { res, body } = await fetchJson(summaryUrl(), ctrl.signal);
    if (seq !== state.seq) return;
    if (res.ok && body && body.unit) {
      state.lastOk = new Date();
      // A refresh clears a connection warning, not a message about what the user just typed.
      if (!refresh || el.message.classList.contains('warn')) hideMessage();
      render(body, refresh);
      state.shownKey = key;
      setBadge(`Cập nhật lúc ${clock(state.lastOk)}`, 'live');
      schedule();
    } else if (res.status === 401 || res.status === 403) {
      showAuthProblem(res.status, body);   // needs another token: stop until one is given
    } else if (res.status === 404 || res.status === 422) {
      showProblem(res.status, body);   // the same question would get the same answer: stop here
    } else {
      showStale(`Máy chủ báo cáo đang gặp lỗi (mã ${res.status}).`);
      schedule();
    }
  } catch (_) {
    if (seq !== state.seq) return;
    showStale('Không kết nối được máy chủ báo cáo.');
    schedule();
  } finally {
    clearTimeout(timeout);
    clearTimeout(dim);
    if (seq === state.seq) {
      el.result.classList.remove('loading');
      el.result.removeAttribute('aria-busy');
    }
  }
}
