// The session (/workspace/session.js, shared with the workspace: the access token in memory,
// renewed through the refresh cookie), calls to this service's API, and the refresh loop.

import { COUNTRY, REFRESH_MS, TIMEOUT_MS } from './config.js';
import { el, state } from './state.js';
import { clock } from './format.js';
import { hideMessage, setBadge, showMessage, showProblem, showPrompt, showStale } from './messages.js';
import { render } from './render.js';
import { fillFigureSelect } from './charts.js';

const S = window.HdndSession;

// Without a session (or with a step to take first) the visitor signs in on the workspace's
// sign-in page, which brings them back here (`next`). True when signed in.
export async function signIn() {
  if ((await S.start()) === 'signed-in' && !S.pending.length) {
    el.who.textContent = S.account.full_name;
    syncCountryButton();
    return true;
  }
  const here = location.pathname + location.search;
  location.replace(`/workspace/?next=${encodeURIComponent(here)}`);
  return false;
}

// National figures need an account without a unit or an operator's.
function syncCountryButton() {
  const a = S.account;
  el.countryBtn.hidden = Boolean(a && a.unit && a.role !== 'operator');
}

function showAuthProblem(status) {
  if (status === 401) { signIn(); return; }  // the session ended: sign in again
  const a = S.account || {};
  const text = state.unit === COUNTRY
    ? 'Tài khoản của bạn không được xem số liệu cả nước: số liệu toàn quốc chỉ dành cho tài khoản'
      + ` truy cập cấp trung ương. Bạn xem được đơn vị ${a.unit} và các đơn vị trực thuộc.`
    : `Tài khoản của bạn không được xem số liệu của đơn vị ${state.unit}:`
      + ' chỉ xem được đơn vị của mình và các đơn vị trực thuộc.';
  showPrompt();
  el.prompt.hidden = true;
  showMessage(text, false);
}

// Every call to the API goes through here, with the access token (renewed once on a 401).
export function apiFetch(url, options) {
  return S.fetch(url, { cache: 'no-store', ...options });
}

async function fetchJson(url, signal) {
  const res = await apiFetch(url, { signal, headers: { Accept: 'application/json' } });
  let body = null;
  try { body = await res.json(); } catch (_) { body = null; }
  return { res, body };
}

// The figure catalogue (GET figures): each figure's label and group, each rate's label and
// the figures it divides, the groups in display order.
async function loadCatalogue(signal) {
  try {
    const { res, body } = await fetchJson('figures', signal);
    if (res.ok && body && Array.isArray(body.figures) && Array.isArray(body.groups)) {
      const of = (kind) => body.figures.filter((f) => f.kind === kind);
      state.rateInfo = new Map(of('rate').map((r) => [r.key, { ...r, percent: r.scale === 100 }]));
      state.groups = body.groups;
      state.labels = new Map(of('count').map((f) => [f.key, f.label]));
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
    if (!state.labels) await loadCatalogue(ctrl.signal);
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
      showAuthProblem(res.status);   // the session ended, or a unit outside it: stop here
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
