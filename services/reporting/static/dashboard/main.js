// The dashboard (Số liệu hoạt động HĐND): events and start.

import { COUNTRY, HIDE_ZERO_STORE, TOPICS, UNIT_RE } from './config.js';
import { el, state } from './state.js';
import { fillOptions, parsePeriod, periodKey, rangeOk, readForm, syncKind, writeForm } from './periods.js';
import { drill, go, readUrl, restoreTrail, saveTrail, setView, trailTo, urlFor } from './navigation.js';
import { hideMessage, showMessage } from './messages.js';
import { load, signIn } from './api.js';
import { labelOf, renderTrail } from './render.js';
import { buildCards } from './figures.js';
import { buildChildHead, renderChildren, syncSortHeaders } from './children.js';
import { drawChart, drawProgress, fillFigureSelect } from './charts.js';

function wantsNewTab(e) {
  return e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey;
}

// "Xem" (the unit typed) or "Cả nước" (the whole country), for the period and view chosen.
function ask(unitText) {
  let unit = unitText.trim();
  if (unit.toUpperCase() === COUNTRY) unit = COUNTRY;
  if (!UNIT_RE.test(unit)) {
    el.unit.setAttribute('aria-invalid', 'true');
    showMessage(unit ? 'Mã đơn vị không hợp lệ: dùng 2 chữ số cho tỉnh, 3 chữ số cho huyện,'
      + ' 5 chữ số cho xã hoặc VN cho cả nước.'
      : 'Hãy nhập mã đơn vị.', false);
    el.unit.focus();
    return;
  }
  const p = readForm();
  if (p.kind === 'range' && !rangeOk(p)) {
    showMessage('Kỳ báo cáo không hợp lệ: tháng bắt đầu phải trước hoặc trùng tháng kết thúc.', false);
    el.fromMonth.focus();
    return;
  }
  setView((el.views.find((r) => r.checked) || {}).value);
  hideMessage();   // what was typed is fine now; a failing server says so again
  go(unit, periodKey(p), false);
}

el.form.addEventListener('submit', (e) => {
  e.preventDefault();
  ask(el.unit.value);
});

el.countryBtn.addEventListener('click', () => ask(COUNTRY));

// Switching the view answers at once for the unit on screen.
for (const r of el.views) {
  r.addEventListener('change', () => {
    if (!r.checked) return;
    setView(r.value);
    if (state.unit) go(state.unit, state.period, true);
  });
}

el.topic.addEventListener('change', () => {
  state.topic = el.topic.value;
  history.replaceState(null, '', urlFor(state.unit, state.period, state.figure));
  if (state.data) { renderTrail(); renderChildren(state.data, false); }
  drawProgress();
});

el.unit.addEventListener('input', () => el.unit.removeAttribute('aria-invalid'));
el.kind.addEventListener('change', syncKind);

el.figure.addEventListener('change', () => {
  state.figure = el.figure.value;
  el.figureLabel.dataset.current = labelOf(state.figure);
  history.replaceState(null, '', urlFor(state.unit, state.period, state.figure));
  if (state.data) { renderTrail(); renderChildren(state.data, false); }
  drawChart();
});

el.childBody.addEventListener('click', (e) => {
  const tr = e.target.closest('tr[data-code]');
  if (!tr) return;
  if (e.target.closest('a') && wantsNewTab(e)) return;
  e.preventDefault();
  drill(tr.dataset.code);
});

el.childHead.addEventListener('click', (e) => {
  const th = e.target.closest('th[data-key]');
  if (!th || !state.data) return;
  const key = th.dataset.key;
  const text = key === 'name' || key === 'code';
  state.sort = state.sort.key === key ? { key, dir: -state.sort.dir } : { key, dir: text ? 1 : -1 };
  syncSortHeaders();
  renderChildren(state.data, false);
});

for (const chart of [el.chart, el.progress]) {
  chart.addEventListener('click', (e) => {
    const g = e.target.closest('g[data-code]');
    if (g) drill(g.dataset.code);
  });
}

el.trail.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-code]');
  if (!a || wantsNewTab(e)) return;
  e.preventDefault();
  state.focusHeading = true;
  go(a.dataset.code, state.period, true);
});

el.print.addEventListener('click', () => window.print());

el.hideZero.addEventListener('change', () => {
  el.allTable.classList.toggle('hide-zero', el.hideZero.checked);
  try { localStorage.setItem(HIDE_ZERO_STORE, el.hideZero.checked ? '1' : '0'); } catch (_) { /* ignore */ }
});

window.addEventListener('popstate', () => {
  const u = readUrl();
  state.figure = u.figure;
  state.topic = u.topic;
  el.topic.value = u.topic;
  setView(u.view);
  state.trail = trailTo(u.unit);
  state.unit = u.unit;
  state.period = u.period;
  saveTrail();
  el.unit.value = u.unit;
  writeForm(parsePeriod(u.period));
  fillFigureSelect();
  load();
});

document.addEventListener('visibilitychange', () => {
  if (!document.hidden && state.dueWhileHidden) {
    state.dueWhileHidden = false;
    load();
  }
});

let resizeTimer = 0;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => { drawChart(); drawProgress(); }, 150);
});

// ---- start --------------------------------------------------------------------------------

const months = Array.from({ length: 12 }, (_, i) => [i + 1, `Tháng ${i + 1}`]);
for (const s of [el.month, el.fromMonth, el.toMonth]) fillOptions(s, months);
buildCards();
buildChildHead();
fillOptions(el.topic, TOPICS.map((t) => [t.id, t.title]));
// About 250 figures, most of them zero in a small unit: hidden unless the user chose to see them.
el.hideZero.checked = true;
try { el.hideZero.checked = localStorage.getItem(HIDE_ZERO_STORE) !== '0'; } catch (_) { /* ignore */ }
el.allTable.classList.toggle('hide-zero', el.hideZero.checked);
const start = readUrl();
state.unit = start.unit;
state.period = start.period;
state.figure = start.figure;
state.topic = start.topic;
el.topic.value = start.topic;
setView(start.view);
state.trail = restoreTrail();
el.unit.value = start.unit;
writeForm(parsePeriod(start.period));
fillFigureSelect();
if (await signIn()) load();
